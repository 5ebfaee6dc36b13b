//! The POP3 client of scanrelay: `scanrelay fetch` (save a mailbox's messages and their
//! attachments into a directory, durably) and `scanrelay check --pop` (diagnose a POP3
//! server step by step).
//!
//! A crate of its own, beside `scanrelay-client` (SMTP), because it is the tokio driver of
//! the sans-IO state machine in `scanrelay-pop3`, with the same split: the protocol crate
//! knows bytes, this one moves them, applies a timeout to every read and write, and records a
//! [`Transcript`] (secrets redacted). The TLS pieces are the SMTP client's (`TrustRoots`,
//! `ConnTls`, `client_handshake`), so every scanrelay client trusts and verifies servers the
//! same way; the endpoint's port and TLS mode come from
//! `scanrelay_diagnose::pop3_port_and_tls`, the POP3 twin of the SMTP rule.
//!
//! * [`connect::open`]: DNS, TCP, implicit TLS or `STLS`, greeting, `CAPA`, login
//!   (`USER`/`PASS` or `AUTH XOAUTH2`).
//! * [`mailbox::fetch_once`]: one pass over the mailbox; durable by construction (see there).
//! * [`mime`]: attachments and their file names. RFC 2231 parameters are decoded by hand
//!   ([`mime::rfc2231`]) because mail-parser 0.11 turns continuations whose charset is named
//!   on the first section only into U+FFFD; mail-parser does the rest of the MIME parsing.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod connect;
pub mod diagnosis;
pub mod error;
pub mod mailbox;
pub mod mime;
pub mod session;
pub mod transcript;

pub use connect::{Connection, Endpoint, Login, open};
pub use error::{Failure, Pop3Error};
pub use mailbox::{FetchError, FetchOptions, FetchReport, Saved, fetch_once};
pub use session::Session;
pub use transcript::{Step, StepRecord, Transcript};
