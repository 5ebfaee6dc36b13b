//! Sans-IO POP3 for scanrelay.
//!
//! This crate knows the POP3 wire format and nothing else: RFC 1939 (the base protocol),
//! RFC 2449 (`CAPA`, extended response codes, the 255-octet command line), RFC 3206 (`[AUTH]`,
//! `[SYS/TEMP]`, `[SYS/PERM]`), RFC 2595 (`STLS`) and RFC 5034 (`AUTH`, with PLAIN and XOAUTH2
//! on the client side and PLAIN on the server side). It is the protocol core under
//! `scanrelay fetch` and `check --pop` ([`ClientSession`]) and under the gateway's POP3
//! listener for device mailboxes and POP-before-SMTP ([`ServerSession`]).
//!
//! # What it does not do
//!
//! * **No I/O.** It never touches a socket, a file or a clock: the state machines take bytes
//!   and return values, and drivers (tokio, in other crates) move the bytes, run TLS
//!   handshakes, apply timeouts, check passwords and read and delete messages. So every rule
//!   here is testable with byte slices and fuzzable.
//! * **No APOP.** APOP (RFC 1939 §7) proves knowledge of a shared secret with MD5 over a
//!   timestamp, so the server must store every password in the clear, and MD5 is broken; the
//!   office devices this gateway serves send `USER`/`PASS` (over STLS or POP3S where they
//!   can), and the mail providers `fetch` talks to (Gmail, Naver, Microsoft 365) do not offer
//!   it. An `APOP` line is answered as an unknown command.
//! * **No other SASL mechanisms** (CRAM-MD5, LOGIN, OAUTHBEARER): [`sasl::Mechanism::Other`]
//!   can name them, nothing here speaks them.
//! * **No MIME.** A message body is bytes; parsing it is the `fetch` side's job.
//!
//! # Why hand-written
//!
//! No maintained crate does sans-IO POP3. What crates.io has (looked at in 2026): `pop3`
//! 1.0.6 and its fork `rs-pop3` (blocking, OpenSSL, whole messages in memory),
//! `rust-pop3-client` (blocking over rustls), `pop3-client` (a blocking client and an async
//! tokio one, I/O built in) and `async-pop` (async, used by Dust-Mail). All of them own the
//! socket, read a whole `RETR` into memory, and have no server side; none could serve the
//! gateway's listener, be fuzzed without a network, or stream a 1 GB message to disk. The SMTP
//! crate (`scanrelay-proto`) set the pattern this one follows.
//!
//! # Map
//!
//! * [`command`]: [`Command`] with one wire form (`Display`), [`Command::redacted`] for
//!   transcripts, and the server's line parser.
//! * [`response`]: [`StatusLine`] with [`RespCode`], continuations, and [`Response`] (the
//!   server's wire form, multi-line included).
//! * [`body`]: streaming byte-stuffing both ways ([`BodyDecoder`], [`BodyEncoder`], `TOP`).
//! * [`capa`], [`listing`]: typed `CAPA`, `STAT`, `LIST`, `UIDL` answers.
//! * [`sasl`]: [`SaslClient`] (PLAIN, XOAUTH2) and the server's [`sasl::Credentials`].
//! * [`client`], [`server`]: the state machines, each with its driver contract.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod body;
pub mod capa;
pub mod client;
pub mod command;
#[doc(hidden)]
pub mod fuzz;
pub mod listing;
pub mod response;
pub mod sasl;
pub mod server;

pub use body::{BodyDecoder, BodyEncoder};
pub use capa::Capabilities;
pub use client::{ClientConfig, ClientSession};
pub use command::{Command, Verb};
pub use listing::{ListEntry, Stat, Uid, UidlEntry};
pub use response::{RespCode, Response, ResponseLine, Status, StatusLine};
pub use sasl::SaslClient;
pub use server::{ServerConfig, ServerSession};
