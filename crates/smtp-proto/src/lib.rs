//! Sans-IO SMTP for scanrelay.
//!
//! This crate knows the SMTP wire format and nothing else: it turns bytes into typed
//! [`Reply`] and server-side command values, and typed [`Command`] values into bytes. It never
//! touches a socket, a file or a clock, so every rule here is testable with plain byte slices and
//! fuzzable. The async client (`scanrelay-client`) and the gateway's listener only move bytes.
//!
//! Hand-written rather than taken from `smtp-proto` on crates.io because old MFPs send forms that
//! crate rejects (`MAIL FROM:addr` without brackets, `HELO` without a domain) and because its
//! reply writer hard-codes its own EHLO greeting.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod command;
pub mod dot;
pub mod ehlo;
pub mod reply;
pub mod sasl;
pub mod server;
mod tls_mode;

pub use command::Command;
pub use ehlo::EhloInfo;
pub use reply::{EnhancedCode, Reply, ReplyError, ReplyParser, Severity};
pub use tls_mode::TlsMode;
