//! Tests of scanrelay-compose: byte-exact messages with an injected boundary, Date and
//! Message-ID; sizes known before streaming; splitting under a limit.

mod long_lines;
mod snapshots;
mod split;

use std::path::{Path, PathBuf};

use scanrelay_compose::{Attachment, Draft, Message, Stamp};
use tokio::io::AsyncReadExt;

/// A fixed stamp: message `n` of a test.
pub fn stamp(n: u32) -> Stamp {
    Stamp {
        date: 1_764_910_800 + i64::from(n),
        message_id: format!("test.{n}@example.test"),
        boundary: format!("=_scanrelay_test_boundary_{n:04}"),
    }
}

/// Writes `bytes` to `dir/name` and measures it as an attachment.
pub fn attach(dir: &Path, name: &str, bytes: &[u8]) -> Attachment {
    let path: PathBuf = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    Attachment::from_path(&path).unwrap()
}

/// The whole message as streamed.
pub async fn bytes_of(message: &Message) -> Vec<u8> {
    let mut out = Vec::new();
    message.reader().read_to_end(&mut out).await.unwrap();
    out
}

/// A draft from a scanner to one recipient.
pub fn draft(subject: &str, body: &str, attachments: Vec<Attachment>) -> Draft {
    Draft {
        from: "스캐너 <scanner@example.test>".into(),
        to: vec!["user@example.test".into()],
        cc: vec![],
        subject: subject.into(),
        body: body.into(),
        attachments,
    }
}
