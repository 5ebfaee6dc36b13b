//! Microsoft Graph mail sending for scanrelay: one RFC 5322 message (as an MFP writes it)
//! sent from one mailbox, whatever its size, with no request body over Graph's 4 MiB limit.
//!
//! * Small messages go in one `POST /v1.0/users/{mailbox}/sendMail` carrying the base64 MIME.
//! * Larger ones are split: a skeleton (the message without its big attachments) becomes a
//!   draft, its recipients are set to the envelope's, each attachment goes up on its own (one
//!   `POST .../attachments` under 3 MB, else an upload session with `PUT`s of at most
//!   [`UPLOAD_CHUNK`] bytes to the pre-authorised upload URL), then the draft is sent.
//!
//! The splitter ([`mime`]) is written by hand: the MIME crates parse a whole message held in
//! memory (mail-parser needs `&[u8]` of all of it) and a 30 MB scan would then cost 30 MB
//! and more per delivery. Here pass 1 streams the message once to find the part structure,
//! each attachment's byte range, exact decoded size, decoded file name (RFC 2231 with
//! continuations, RFC 2047, EUC-KR and UTF-8) and type; pass 2 writes the skeleton (at most
//! one request body); pass 3 decodes each attachment in chunks straight into the uploads.
//! Memory is bounded by the request limit, not by the message size.
//!
//! What this crate must not do: know about the gateway, the spool or OAuth beyond the
//! [`BearerSource`] trait; sleep or retry on its own (a `Retry-After` is reported in
//! [`GraphError::retry_after`] for the caller's scheduler, and only a refused token is
//! retried, once); send a token to the upload URL; put a token or an upload URL's query
//! (a credential) in an error or a log line; talk plain HTTP to anything but loopback.
#![forbid(unsafe_code)]

pub mod mime;

#[cfg(feature = "client")]
mod bearer;
#[cfg(feature = "client")]
mod client;
#[cfg(feature = "client")]
mod draft;
#[cfg(feature = "client")]
mod error;
#[cfg(feature = "client")]
mod source;
#[cfg(feature = "client")]
mod wire;

#[cfg(feature = "client")]
pub use bearer::{BearerError, BearerSource, StaticBearer};
#[cfg(feature = "client")]
pub use client::{GraphClient, HttpSettings, Limits, SendPath, SendReport};
#[cfg(feature = "client")]
pub use error::{GraphError, Stage};
#[cfg(feature = "client")]
pub use source::{BytesSource, FileSource, MessageSource};

/// The largest request body Graph accepts (4 MiB); no request this crate sends is larger.
pub const MAX_REQUEST_BODY: u64 = 4 * 1024 * 1024;
/// The size of each upload `PUT` (11 × 320 KiB, under 3.5 MiB).
pub const UPLOAD_CHUNK: u64 = 11 * 320 * 1024;
/// Attachments at least this large go through an upload session; smaller ones in one
/// `POST .../attachments` (Graph refuses upload sessions for small files).
pub const UPLOAD_SESSION_MIN: u64 = 3_000_000;
