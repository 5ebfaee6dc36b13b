//! The draft path for messages over the `sendMail` limit (or whose headers name addresses
//! the envelope does not): skeleton → draft → recipients → attachments → send, deleting the
//! draft when a step after its creation fails.
//!
//! Pass 2 reads the message to write the skeleton (at most one request body in memory);
//! pass 3 reads it once more and decodes each extracted attachment in chunks straight into
//! the upload `PUT`s, so memory stays bounded by the chunk size.

use base64::Engine as _;
use bytes::Bytes;
use reqwest::header::CONTENT_RANGE;
use reqwest::{Method, StatusCode, Url};
use tokio::io::AsyncReadExt;

use crate::client::{GraphClient, Routing, SendPath, Tally, changed, check, checked_url};
use crate::error::{GraphError, Stage};
use crate::mime::{Attachment, BodyDecoder, SkeletonBuilder, SplitPlan, Structure, plan};
use crate::source::{MessageReader, MessageSource};
use crate::wire::{
    AttachmentItem, Created, EmailAddress, FileAttachment, Recipient, RecipientsPatch,
    UploadRequest, UploadSession,
};

const READ_BUF: usize = 64 * 1024;

pub(crate) async fn send(
    client: &GraphClient,
    mailbox: &str,
    routing: &Routing,
    structure: &Structure,
    source: &dyn MessageSource,
    tally: &mut Tally,
) -> Result<SendPath, GraphError> {
    let plan = plan(structure, client.limits.mime_body)?;
    let skeleton = skeleton(source, &plan).await?;
    let id = create_draft(client, mailbox, skeleton, source.len(), tally).await?;
    let result = complete(client, mailbox, &id, routing, &plan, source, tally).await;
    if result.is_err() {
        let url = client.api_url(mailbox, &["messages", &id]);
        if let Err(e) = client
            .api(Stage::Send, Method::DELETE, url, None, tally)
            .await
        {
            tracing::warn!(error = %e, "could not delete the Graph draft of a failed send");
        }
    }
    result
}

async fn complete(
    client: &GraphClient,
    mailbox: &str,
    id: &str,
    routing: &Routing,
    plan: &SplitPlan,
    source: &dyn MessageSource,
    tally: &mut Tally,
) -> Result<SendPath, GraphError> {
    set_recipients(client, mailbox, id, routing, tally).await?;
    let mut reader = Reader::new(source.open().await.map_err(GraphError::Source)?);
    let (mut uploaded, mut posted) = (0, 0);
    for attachment in &plan.extracted {
        reader.skip_to(attachment.body.start).await?;
        if attachment.size < client.limits.upload_session_min {
            post_attachment(client, mailbox, id, attachment, &mut reader, tally).await?;
            posted += 1;
        } else {
            upload_attachment(client, mailbox, id, attachment, &mut reader, tally).await?;
            uploaded += 1;
        }
    }
    let url = client.api_url(mailbox, &["messages", id, "send"]);
    client
        .api(Stage::Send, Method::POST, url, None, tally)
        .await?;
    Ok(SendPath::Draft { uploaded, posted })
}

/// Pass 2: the message without the extracted attachments.
async fn skeleton(source: &dyn MessageSource, plan: &SplitPlan) -> Result<Vec<u8>, GraphError> {
    let mut reader = source.open().await.map_err(GraphError::Source)?;
    let mut builder = SkeletonBuilder::new(plan);
    let mut buf = vec![0u8; READ_BUF];
    let mut offset = 0u64;
    loop {
        let n = reader.read(&mut buf).await.map_err(GraphError::Source)?;
        if n == 0 {
            break;
        }
        builder.feed(offset, &buf[..n]);
        offset += n as u64;
    }
    if offset != source.len() {
        return Err(changed(source.len(), offset));
    }
    Ok(builder.finish())
}

async fn create_draft(
    client: &GraphClient,
    mailbox: &str,
    skeleton: Vec<u8>,
    size: u64,
    tally: &mut Tally,
) -> Result<String, GraphError> {
    let body = base64::engine::general_purpose::STANDARD.encode(&skeleton);
    drop(skeleton);
    let url = client.api_url(mailbox, &["messages"]);
    let body = Some((Bytes::from(body), "text/plain"));
    let response = match client
        .api(Stage::Draft, Method::POST, url, body, tally)
        .await
    {
        Err(GraphError::Http {
            status: 403,
            code: Some(code),
            message,
            ..
        }) if code == "ErrorAccessDenied" => {
            return Err(GraphError::DraftsNotAllowed {
                status: 403,
                code,
                message,
                size,
            });
        }
        other => other?,
    };
    let created: Created = json(Stage::Draft, response).await?;
    Ok(created.id)
}

async fn set_recipients(
    client: &GraphClient,
    mailbox: &str,
    id: &str,
    routing: &Routing,
    tally: &mut Tally,
) -> Result<(), GraphError> {
    fn list(addrs: &[String]) -> Vec<Recipient<'_>> {
        addrs
            .iter()
            .map(|a| Recipient {
                email_address: EmailAddress { address: a },
            })
            .collect()
    }
    let patch = RecipientsPatch {
        to: list(&routing.to),
        cc: list(&routing.cc),
        bcc: list(&routing.bcc),
    };
    let body = serde_json::to_vec(&patch).map_err(|e| protocol(Stage::Recipients, e))?;
    let url = client.api_url(mailbox, &["messages", id]);
    let body = Some((Bytes::from(body), "application/json"));
    client
        .api(Stage::Recipients, Method::PATCH, url, body, tally)
        .await?;
    Ok(())
}

/// A small extracted attachment: decoded whole (under the session minimum, so bounded) and
/// sent in one `POST .../attachments`.
async fn post_attachment(
    client: &GraphClient,
    mailbox: &str,
    id: &str,
    attachment: &Attachment,
    reader: &mut Reader,
    tally: &mut Tally,
) -> Result<(), GraphError> {
    let mut decoder = BodyDecoder::new(attachment.encoding);
    let mut bytes = Vec::with_capacity(usize::try_from(attachment.size).unwrap_or(0));
    while let Some(chunk) = reader.next(attachment.body.end).await? {
        decoder.feed(chunk, &mut bytes);
    }
    decoder.finish(&mut bytes);
    if bytes.len() as u64 != attachment.size {
        return Err(changed(attachment.size, bytes.len() as u64));
    }
    let item = FileAttachment {
        odata_type: "#microsoft.graph.fileAttachment",
        name: &attachment.name,
        content_type: &attachment.content_type,
        content_bytes: base64::engine::general_purpose::STANDARD.encode(&bytes),
        is_inline: attachment.inline,
        content_id: attachment.content_id.as_deref(),
    };
    drop(bytes);
    let body = serde_json::to_vec(&item).map_err(|e| protocol(Stage::Upload, e))?;
    let url = client.api_url(mailbox, &["messages", id, "attachments"]);
    let body = Some((Bytes::from(body), "application/json"));
    client
        .api(Stage::Upload, Method::POST, url, body, tally)
        .await?;
    Ok(())
}

/// A large attachment: an upload session, then `PUT`s of decoded chunks.
async fn upload_attachment(
    client: &GraphClient,
    mailbox: &str,
    id: &str,
    attachment: &Attachment,
    reader: &mut Reader,
    tally: &mut Tally,
) -> Result<(), GraphError> {
    let upload_url = create_session(client, mailbox, id, attachment, tally).await?;
    let chunk = usize::try_from(client.limits.upload_chunk).unwrap_or(usize::MAX);
    let mut decoder = BodyDecoder::new(attachment.encoding);
    let mut pending: Vec<u8> = Vec::with_capacity(chunk + READ_BUF);
    let mut sent = 0u64;
    let mut done = false;
    while !done {
        match reader.next(attachment.body.end).await? {
            Some(data) => decoder.feed(data, &mut pending),
            None => {
                decoder.finish(&mut pending);
                done = true;
            }
        }
        while pending.len() >= chunk || (done && !pending.is_empty()) {
            let rest = pending.split_off(pending.len().min(chunk));
            let piece = std::mem::replace(&mut pending, rest);
            let len = piece.len() as u64;
            if sent + len > attachment.size {
                return Err(changed(attachment.size, sent + len));
            }
            put_piece(
                client,
                &upload_url,
                attachment.size,
                sent,
                Bytes::from(piece),
                tally,
            )
            .await?;
            sent += len;
        }
    }
    if sent != attachment.size {
        return Err(changed(attachment.size, sent));
    }
    Ok(())
}

async fn create_session(
    client: &GraphClient,
    mailbox: &str,
    id: &str,
    attachment: &Attachment,
    tally: &mut Tally,
) -> Result<Url, GraphError> {
    let request = UploadRequest {
        item: AttachmentItem {
            attachment_type: "file",
            name: &attachment.name,
            size: attachment.size,
            content_type: &attachment.content_type,
            is_inline: attachment.inline,
            content_id: attachment.content_id.as_deref(),
        },
    };
    let body = serde_json::to_vec(&request).map_err(|e| protocol(Stage::Upload, e))?;
    let url = client.api_url(
        mailbox,
        &["messages", id, "attachments", "createUploadSession"],
    );
    let body = Some((Bytes::from(body), "application/json"));
    let response = client
        .api(Stage::Upload, Method::POST, url, body, tally)
        .await?;
    let session: UploadSession = json(Stage::Upload, response).await?;
    let upload_url = session.upload_url.ok_or_else(|| GraphError::Protocol {
        stage: Stage::Upload,
        detail: "createUploadSession returned no uploadUrl".to_string(),
    })?;
    // The URL's query is a credential: the error names only what is wrong with it.
    checked_url(&upload_url).map_err(|reason| GraphError::Protocol {
        stage: Stage::Upload,
        detail: format!(
            "unusable uploadUrl: {}",
            reason.split(':').next().unwrap_or("")
        ),
    })
}

/// `PUT`s one decoded chunk (the bytes at `start..start + piece.len()` of `total`), without
/// an `Authorization` header, re-sending the tail Graph says it is still missing.
async fn put_piece(
    client: &GraphClient,
    url: &Url,
    total: u64,
    start: u64,
    piece: Bytes,
    tally: &mut Tally,
) -> Result<(), GraphError> {
    let end = start + piece.len() as u64;
    let mut from = start;
    for _ in 0..3 {
        let part = piece.slice(usize::try_from(from - start).unwrap_or(0)..);
        let range = format!("bytes {from}-{}/{total}", end - 1);
        let request = client
            .http
            .request(Method::PUT, url.clone())
            .header(CONTENT_RANGE, range)
            .header(reqwest::header::CONTENT_TYPE, "application/octet-stream");
        tally.requests += 1;
        tally.largest_body = tally.largest_body.max(part.len() as u64);
        tracing::debug!(from, end, total, "Graph upload PUT");
        let response = request
            .body(part)
            .send()
            .await
            .map_err(|e| crate::client::network(Stage::Upload, e))?;
        let response = check(Stage::Upload, response).await?;
        if end == total || response.status() == StatusCode::CREATED {
            return Ok(());
        }
        let session: UploadSession = json(Stage::Upload, response).await?;
        match next_expected(&session) {
            Some(next) if next == end => return Ok(()),
            Some(next) if next >= start && next < end => from = next,
            other => {
                return Err(GraphError::Protocol {
                    stage: Stage::Upload,
                    detail: format!(
                        "upload out of step: sent up to {end}, Graph expects {other:?}"
                    ),
                });
            }
        }
    }
    Err(GraphError::Protocol {
        stage: Stage::Upload,
        detail: format!("Graph kept asking for bytes {from}-{} again", end - 1),
    })
}

fn next_expected(session: &UploadSession) -> Option<u64> {
    let first = session.next_expected_ranges.first()?;
    first.split('-').next()?.trim().parse().ok()
}

async fn json<T: serde::de::DeserializeOwned>(
    stage: Stage,
    mut response: reqwest::Response,
) -> Result<T, GraphError> {
    let body = crate::client::read_limited(&mut response, 256 * 1024).await;
    serde_json::from_slice(&body).map_err(|e| protocol(stage, e))
}

fn protocol(stage: Stage, error: impl std::fmt::Display) -> GraphError {
    GraphError::Protocol {
        stage,
        detail: error.to_string(),
    }
}

/// Reads the message forward, range by range (pass 3).
struct Reader {
    inner: MessageReader,
    pos: u64,
    buf: Vec<u8>,
}

impl Reader {
    fn new(inner: MessageReader) -> Reader {
        Reader {
            inner,
            pos: 0,
            buf: vec![0; READ_BUF],
        }
    }

    async fn skip_to(&mut self, offset: u64) -> Result<(), GraphError> {
        while self.pos < offset {
            if self.next(offset).await?.is_none() {
                return Err(changed(offset, self.pos));
            }
        }
        Ok(())
    }

    /// The next bytes before `end`, or `None` at `end`.
    async fn next(&mut self, end: u64) -> Result<Option<&[u8]>, GraphError> {
        if self.pos >= end {
            return Ok(None);
        }
        let want = usize::try_from(end - self.pos)
            .unwrap_or(usize::MAX)
            .min(self.buf.len());
        let n = self
            .inner
            .read(&mut self.buf[..want])
            .await
            .map_err(GraphError::Source)?;
        if n == 0 {
            return Err(changed(end, self.pos));
        }
        self.pos += n as u64;
        Ok(Some(&self.buf[..n]))
    }
}
