//! Test-only helpers for scanrelay's integration tests. Nothing here is linked into a shipped
//! binary; the crate is a dev-dependency only and depends on no other scanrelay crate.
//!
//! * [`ScriptedSmtpServer`]: an in-process SMTP server on `127.0.0.1:0` that replays a
//!   [`Script`], to reproduce provider behaviour a real Postfix cannot (Gmail `534-5.7.9`,
//!   Microsoft 365 `535 5.7.139`, the XOAUTH2 `334 <base64 JSON>` round trip, Naver's implicit
//!   TLS and sender refusal) and protocol edge cases. [`scenarios`] holds canned provider
//!   scripts built from verbatim captures.
//! * [`SilentServer`]: a listener that accepts and never speaks.
//! * [`TestPki`]: a throw-away CA and leaf certificates (valid, wrong host, expired,
//!   self-signed) in a temporary directory.
//! * [`peers()`] / [`require_peers!`]: the real loopback Postfix/Dovecot peers that
//!   `scripts/peers` starts, read from `SCANRELAY_PEER_*`.
//! * [`oauth_authority`]: a local OAuth2 authority (Microsoft- and Google-shaped token,
//!   device-code and authorize endpoints, rotating refresh tokens, RFC 7662 introspection for
//!   Dovecot) with a control and inspection API; [`oauth_authority::peer_authority`] is the
//!   one the real peers' Dovecot asks.
//! * [`graph_server`]: a contract-enforcing fake Microsoft Graph for mail sending (`sendMail`,
//!   drafts, upload sessions with pre-authorised URLs, the 4 MiB request limit, injected
//!   faults), with an inspection API for what was sent.
//! * [`scans`]: deterministic scan mails (multipart/mixed with seeded attachments and Korean
//!   file names in the encodings MFPs use) for the Graph and gateway tests.
//! * [`strace`] / [`require_strace!`]: a real binary run under `strace -f -y`, the log parsed
//!   into calls with their entry and return lines, and ordered chains found in it (the
//!   durability tests: fsync before rename before directory fsync before the reply).
//! * [`fixtures`]: the labelled provider replies in `fixtures/provider-replies.jsonl`.
//! * [`assert_no_secrets`]: checks that a transcript or log leaks no password or token, in
//!   clear or base64.
//! * The `scanrelay-test-cloud` binary (benchmark tooling for `bench/run`): the OAuth2
//!   authority on the peers' OAuth port and a fake Graph that accepts its Graph tokens, in one
//!   process, with a sent log and counters.
//!
//! What it must not do: reach beyond the loopback interface. Servers bind `127.0.0.1` only,
//! and [`peers()`] refuses a peer host that is not a loopback address. Helpers panic on setup
//! failures (that is what a test wants); script mismatches are returned as `Err` from
//! [`ScriptedSmtpServer::finish`] so the test can show the transcript.
#![forbid(unsafe_code)]

pub mod fixtures;
pub mod graph_server;
pub mod oauth_authority;
mod peers;
mod pki;
pub mod scans;
pub mod scenarios;
mod scripted;
mod secrets;
mod silent;
pub mod strace;
mod thread;

pub use peers::{Peers, bytes_contain, peers};
pub use pki::{Leaf, TestPki};
pub use scripted::{CertChoice, DEFAULT_READ_TIMEOUT, Script, ScriptedSmtpServer, ServerLog, Step};
pub use secrets::assert_no_secrets;
pub use silent::SilentServer;

/// A Python script that plays a device limited to one TLS version (see its header): run it
/// as `python3 -c OLD_TLS_DEVICE_PY HOST PORT starttls|implicit VERSION`.
pub const OLD_TLS_DEVICE_PY: &str = include_str!("old_tls_device.py");
