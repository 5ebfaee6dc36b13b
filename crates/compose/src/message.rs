//! A message ready to stream: its header bytes rendered, its files measured, its exact size.

use std::io::Cursor;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::attachment::Attachment;
use crate::error::ComposeError;
use crate::headers::{Mailbox, TopHeaders, attachment_headers, text_part};
use crate::stream::{Base64Lines, MessageReader, Piece, SizedFile, base64_len};

/// What to send: the header fields, the text, the files.
#[derive(Debug, Clone, Default)]
pub struct Draft {
    /// `From`: `addr` or `Name <addr>`.
    pub from: String,
    /// `To` addresses.
    pub to: Vec<String>,
    /// `Cc` addresses.
    pub cc: Vec<String>,
    /// The subject (numbered "(1/3)" when split).
    pub subject: String,
    /// The text before the attachments (no text part when empty).
    pub body: String,
    /// The files, in order.
    pub attachments: Vec<Attachment>,
}

/// What makes each message unique: its Date, Message-ID (without brackets) and MIME boundary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    /// Seconds since the Unix epoch.
    pub date: i64,
    /// The Message-ID, without the angle brackets.
    pub message_id: String,
    /// The multipart boundary (must not occur in the message; base64 and the headers written
    /// here never contain `=_`, which the generated boundaries start with).
    pub boundary: String,
}

static SEQUENCE: AtomicU64 = AtomicU64::new(0);

impl Stamp {
    /// A fresh stamp: now, and an id and boundary unique to this process, time and sequence,
    /// with the Message-ID in `domain` (the sender's, as providers expect).
    pub fn fresh(domain: &str) -> Stamp {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let seq = SEQUENCE.fetch_add(1, Ordering::Relaxed);
        let unique = format!("{:x}.{:x}.{:x}", now.as_nanos(), std::process::id(), seq);
        Stamp {
            date: now.as_secs() as i64,
            message_id: format!("scanrelay.{unique}@{domain}"),
            boundary: format!("=_scanrelay_{unique}"),
        }
    }
}

/// One message: header bytes in memory, files read when streamed.
#[derive(Debug, Clone)]
pub struct Message {
    /// The subject as sent (numbered when split).
    pub subject: String,
    /// The Message-ID, without brackets.
    pub message_id: String,
    /// The files this message carries.
    pub attachments: Vec<Attachment>,
    head: Vec<u8>,
    part_heads: Vec<Vec<u8>>,
    tail: Vec<u8>,
}

/// The validated addresses of a draft.
pub(crate) struct Addresses {
    pub from: Mailbox,
    pub to: Vec<Mailbox>,
    pub cc: Vec<Mailbox>,
}

impl Addresses {
    pub fn of(draft: &Draft) -> Result<Addresses, ComposeError> {
        let list = |l: &[String]| {
            l.iter()
                .map(|a| Mailbox::parse(a))
                .collect::<Result<Vec<_>, _>>()
        };
        Ok(Addresses {
            from: Mailbox::parse(&draft.from)?,
            to: list(&draft.to)?,
            cc: list(&draft.cc)?,
        })
    }
}

impl Message {
    /// Renders the headers of a message carrying `files` with `subject`.
    pub(crate) fn render(
        draft: &Draft,
        addresses: &Addresses,
        files: &[Attachment],
        subject: &str,
        stamp: &Stamp,
    ) -> Message {
        let mut head = Vec::with_capacity(1024);
        TopHeaders {
            from: &addresses.from,
            to: &addresses.to,
            cc: &addresses.cc,
            subject,
            date: stamp.date,
            message_id: &stamp.message_id,
            boundary: &stamp.boundary,
        }
        .write(&mut head);
        let delimiter = format!("--{}\r\n", stamp.boundary);
        if !draft.body.is_empty() {
            head.extend_from_slice(delimiter.as_bytes());
            // mail-builder ends the encoded text with a line break.
            text_part(&draft.body, &mut head);
        }
        let part_heads = files
            .iter()
            .enumerate()
            .map(|(i, att)| {
                let mut part = Vec::with_capacity(256);
                if i > 0 || !draft.body.is_empty() {
                    part.extend_from_slice(b"\r\n");
                }
                part.extend_from_slice(delimiter.as_bytes());
                attachment_headers(att, &mut part);
                part
            })
            .collect();
        let tail = format!("\r\n--{}--\r\n", stamp.boundary).into_bytes();
        Message {
            subject: subject.to_string(),
            message_id: stamp.message_id.clone(),
            attachments: files.to_vec(),
            head,
            part_heads,
            tail,
        }
    }

    /// The exact size of the message in bytes, as sent (before SMTP dot-stuffing).
    pub fn size(&self) -> u64 {
        let parts: u64 = self
            .part_heads
            .iter()
            .zip(&self.attachments)
            .map(|(h, a)| h.len() as u64 + base64_len(a.size))
            .sum();
        self.head.len() as u64 + parts + self.tail.len() as u64
    }

    /// The message as a reader: files are opened and encoded as it is read.
    pub fn reader(&self) -> MessageReader {
        let mut pieces: Vec<Piece> = Vec::with_capacity(2 + 2 * self.attachments.len());
        pieces.push(Box::new(Cursor::new(self.head.clone())));
        for (head, att) in self.part_heads.iter().zip(&self.attachments) {
            pieces.push(Box::new(Cursor::new(head.clone())));
            let file = SizedFile::new(att.path.clone(), att.size);
            pieces.push(Box::new(Base64Lines::new(file)));
        }
        pieces.push(Box::new(Cursor::new(self.tail.clone())));
        MessageReader::new(pieces)
    }
}
