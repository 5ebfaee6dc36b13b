//! The outgoing body of a spooled message: the file as received, or, when the sender is
//! rewritten (`from_policy = rewrite`), the rewritten header block followed by the rest of the
//! file. Streamed from disk every time it is opened, so a transport may read it twice (Graph)
//! and memory never holds more than the header block.

use std::io::{Cursor, SeekFrom};
use std::sync::Arc;

use scanrelay_spool::{Entry, MessageId, Spool, SpoolError};
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use crate::delivery::rewrite::{
    HeaderReadError, MAX_HEADER_BLOCK, read_header_block, rewrite_from_header,
};
use crate::delivery::upstream::{
    BoxFuture, DeliveryError, MessageBody, MessageSource, OutgoingMessage,
};

/// A spooled message's body as a [`MessageSource`].
struct SpooledBody {
    spool: Spool,
    id: MessageId,
    /// With a rewrite: the new header block, and how many bytes of the file it replaces.
    head: Option<(Arc<[u8]>, u64)>,
}

impl MessageSource for SpooledBody {
    fn open(&self) -> BoxFuture<'_, std::io::Result<MessageBody>> {
        Box::pin(async move {
            let mut file = self
                .spool
                .open_body(&self.id)
                .await
                .map_err(std::io::Error::other)?;
            let Some((head, skip)) = &self.head else {
                return Ok(Box::pin(file) as MessageBody);
            };
            // Relative: open_body leaves the file at the body, after the spool's header block.
            file.seek(SeekFrom::Current(*skip as i64)).await?;
            let head = Cursor::new(head.clone());
            Ok(Box::pin(head.chain(file)) as MessageBody)
        })
    }
}

/// The message as it goes out to `rcpts`, with the sender rewritten to `rewrite` when given.
pub(crate) async fn outgoing(
    spool: &Spool,
    entry: &Entry,
    rcpts: &[String],
    rewrite: Option<&str>,
) -> Result<OutgoingMessage, DeliveryError> {
    let mut body = SpooledBody {
        spool: spool.clone(),
        id: entry.id.clone(),
        head: None,
    };
    let Some(account) = rewrite else {
        return Ok(OutgoingMessage {
            id: entry.id.clone(),
            mail_from: entry.envelope.mail_from.clone(),
            rcpt_to: rcpts.to_vec(),
            size: entry.body_len,
            body: Arc::new(body),
        });
    };
    let mut file = spool.open_body(&entry.id).await?;
    let block = read_header_block(&mut file, MAX_HEADER_BLOCK)
        .await
        .map_err(|e| match e {
            HeaderReadError::TooLong { limit } => DeliveryError::HeaderTooLong { limit },
            HeaderReadError::Io(source) => DeliveryError::Spool(SpoolError::Io {
                path: spool.body_path(&entry.id),
                op: "read",
                source,
            }),
        })?;
    let head = rewrite_from_header(&block.head, account);
    let replaced = block.head.len() as u64;
    let size = entry.body_len.saturating_sub(replaced) + head.len() as u64;
    body.head = Some((head.into(), replaced));
    Ok(OutgoingMessage {
        id: entry.id.clone(),
        mail_from: account.to_string(),
        rcpt_to: rcpts.to_vec(),
        size,
        body: Arc::new(body),
    })
}
