//! Scan mails for `scanrelay send`: a multipart/mixed message with the scans attached, built
//! while it is sent, so memory stays flat however large the files are.
//!
//! - [`Attachment::from_path`] takes a file's size and its content type from its first bytes
//!   (the `infer` crate's magic numbers: PDF, TIFF, JPEG, PNG, ...; else
//!   `application/octet-stream`), never from its name.
//! - [`compose`] turns a [`Draft`] into one or more [`Message`]s: with a size limit (the
//!   server's EHLO `SIZE` or `--max-size`) and splitting, the files are spread in order over
//!   several messages, each under the limit after encoding, subjects numbered "(1/3)"; a file
//!   that cannot fit alone is [`ComposeError::FileTooLarge`], naming the limit and its size.
//!   Sizes are exact before a byte is read: base64 with 76-character lines has a length known
//!   from the file's size, and every header is rendered up front.
//! - [`Message::reader`] streams the message: the headers from memory, each file read from
//!   disk and base64-encoded a chunk at a time. A file that changed size since it was measured
//!   fails the read, so a truncated message is never completed.
//!
//! Why the bodies are not built with mail-builder: its `MimePart` holds each attachment's
//! bytes (and their encoding) in memory, and it writes file names only as RFC 2047 words.
//! mail-builder still writes the headers it does well: the RFC 2047 Subject (folded into
//! encoded words), Date, Message-ID, the text part with its transfer encoding, and the RFC 2047
//! `name=` of Content-Type. This crate adds the streaming base64 bodies, the RFC 2231
//! `filename*` of Content-Disposition (continued in sections, the charset on the first only;
//! with `name=`, the pair Gmail, Outlook and Naver all show right, as Thunderbird sends it),
//! and the address headers (mail-builder puts RFC 2047 words inside quotes, which RFC 2047
//! forbids). Control characters in a subject or display name become spaces: mail-builder
//! would write a line break in plain text as it is, ending the header.
//!
//! Boundary, Date and Message-ID come from a [`Stamp`], injected in tests so a built message is
//! byte-for-byte reproducible.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod attachment;
mod error;
mod headers;
mod message;
mod params;
mod split;
mod stream;

pub use attachment::{Attachment, sniff_content_type};
pub use error::ComposeError;
pub use headers::envelope_address;
pub use message::{Draft, Message, Stamp};
pub use split::{Limit, compose};
pub use stream::{Base64Lines, MessageReader, base64_len};
