//! The server side of SMTP: command parsing and the session state machine (gateway listener).
//!
//! [`ServerSession`] is sans-IO: the driver (the gateway's tokio listener) feeds it the bytes it
//! reads and gets back [`Event`]s, in protocol order. The machine enforces the protocol (command
//! syntax, command sequence, limits, STARTTLS and AUTH exchanges, DATA framing); the driver
//! decides policy (which credentials are valid, who may send, to whom, whether a message was
//! stored) through the verdict methods. Every reply text comes from [`replies`].
//!
//! # Driver contract
//!
//! 1. Make the session with [`ServerSession::new`] (`tls_active = true` on an implicit-TLS
//!    listener, after the handshake). If CRAM-MD5 is configured, call
//!    [`ServerSession::set_cram_seed`] with a fresh unpredictable value (random + timestamp);
//!    without it CRAM-MD5 is not offered. Write [`ServerSession::greeting`].
//! 2. Loop: read from the socket, pass the bytes to [`ServerSession::receive`], then call
//!    [`ServerSession::next_event`] until it returns `None` (= it needs more input), handling
//!    each event as below **before** asking for the next one. Stop when
//!    [`ServerSession::is_closed`] is true. Draining every time keeps the machine's buffer at
//!    one read plus [`ServerConfig::max_line_length`].
//! 3. Per event:
//!    * [`Event::Reply`]: write it (`reply.to_string()` is the wire form) in order. The driver
//!      may batch the writes of one drain and flush once before the next read (PIPELINING).
//!    * [`Event::StartTls`]: the `220` was the previous event; flush it, then run the TLS
//!      handshake on the raw stream, then call [`ServerSession::tls_established`]. Drop any
//!      plaintext already read past the `STARTTLS` line (the machine drops what it holds and
//!      everything passed to `receive` before `tls_established`: CVE-2011-0411). If the
//!      handshake fails, close the connection.
//!    * [`Event::Auth`]: check the credentials (e.g. [`ServerCredentials::verify_password`];
//!      refuse a PLAIN `authzid` other than the user), then call
//!      [`ServerSession::auth_verdict`].
//!    * [`Event::MailFrom`]: apply sender policy (e.g. [`replies::auth_required`] for a client
//!      that is neither authenticated nor in an allowed network), then call
//!      [`ServerSession::mail_verdict`] with `Ok(())` or the refusal.
//!    * [`Event::Rcpt`]: apply recipient policy, then [`ServerSession::rcpt_verdict`] with
//!      `Ok(())` or the refusal (e.g. [`replies::relay_denied`]).
//!    * [`Event::DataStart`]: the `354` was the previous event; open a spool file.
//!    * [`Event::DataChunk`]: append it to the spool file.
//!    * [`Event::DataEnd`]: commit the spool file, then call [`ServerSession::data_verdict`]
//!      with [`replies::queued`] or a failure ([`replies::local_error`],
//!      [`replies::insufficient_storage`]). If the spool file could not be opened or written
//!      earlier, keep consuming events and answer the failure here.
//!    * [`Event::DataTooLarge`]: delete the spool file. No verdict: the machine discards the
//!      rest of the content and itself answers `552 5.3.4` once the end of data arrives.
//!    * [`Event::Quit`]: the `221` was the previous event; flush and close.
//!    * [`Event::Close`]: the previous event was a `421`; flush and close.
//! 4. After `Auth`, `MailFrom`, `Rcpt` and `DataEnd` the machine waits: `next_event` returns
//!    `None` until the matching verdict is given. A verdict given at any other time is refused
//!    with [`UnexpectedCall`] and changes nothing.
//! 5. Timeouts and shutdown are the driver's: write [`replies::timeout`] or
//!    [`replies::shutting_down`] and close.
//!
//! # Limits
//!
//! [`ServerConfig::max_line_length`] applies to command lines and AUTH responses. DATA lines
//! have no length limit (the receiver streams and holds at most two bytes; RFC 5321's 1000 is
//! not enforced, as some devices send long unwrapped lines); the message is limited by
//! [`ServerConfig::max_message_size`], counted in content bytes after unstuffing and with LF
//! normalised to CRLF. See [`DataReceiver`] for the exact end-of-data and bare-LF rules.
//!
//! Errors that count towards [`ServerConfig::max_errors`]: unknown commands, syntax errors,
//! commands out of sequence, over-long lines, failed or cancelled AUTH exchanges and refused
//! credentials. Refusals the driver chooses (MAIL, RCPT) and size refusals do not count.

mod auth;
mod command;
mod data;
mod fuzz;
mod input;
pub mod replies;
mod session;

pub use auth::ServerCredentials;
pub use command::{CommandError, MAX_ADDRESS_LEN, ServerCommand, UNKNOWN_DOMAIN};
pub use data::{DataProgress, DataReceiver};
#[doc(hidden)]
pub use fuzz::fuzz_session;
pub use session::{ServerSession, UnexpectedCall};

use crate::reply::Reply;
use crate::sasl::Mechanism;

/// The limits and offers of one listener. Build with [`ServerConfig::new`], then set fields.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerConfig {
    /// The name in the greeting and the EHLO reply. Must not contain CR or LF.
    pub hostname: String,
    /// The largest message accepted, in content bytes; advertised as `SIZE`. `0`: no limit.
    /// Default 50 MiB.
    pub max_message_size: u64,
    /// The most recipients per message; more get `452 4.5.3`. `0`: no limit. Default 100.
    pub max_recipients: usize,
    /// The longest command or AUTH response line, without its line ending; longer lines get
    /// `500 5.5.6` and are dropped. Default 4096 (RFC 5321 says 512, RFC 4954 allows AUTH
    /// responses of 12288, devices send long PLAIN responses). DATA lines are not limited.
    pub max_line_length: usize,
    /// The mechanisms offered, in order. Only PLAIN, LOGIN and CRAM-MD5 are implemented on the
    /// server side; others are ignored. CRAM-MD5 is offered only after
    /// [`ServerSession::set_cram_seed`]. Default PLAIN, LOGIN.
    pub auth_mechanisms: Vec<Mechanism>,
    /// Whether `STARTTLS` is offered (the driver has a certificate). Default false.
    pub starttls_available: bool,
    /// Whether AUTH is offered and accepted without TLS (LAN-only devices that cannot do TLS).
    /// Default false: `538 5.7.11` before TLS.
    pub allow_plaintext_auth: bool,
    /// How many errors (see the module doc) close the session with `421 4.7.0`. `0`: never.
    /// Default 10.
    pub max_errors: usize,
}

impl ServerConfig {
    /// The defaults documented on each field, with this host name.
    pub fn new(hostname: impl Into<String>) -> ServerConfig {
        ServerConfig {
            hostname: hostname.into(),
            max_message_size: 50 * 1024 * 1024,
            max_recipients: 100,
            max_line_length: 4096,
            auth_mechanisms: vec![Mechanism::Plain, Mechanism::Login],
            starttls_available: false,
            allow_plaintext_auth: false,
            max_errors: 10,
        }
    }
}

/// What the driver must do next; see the driver contract in the [module doc](self).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Write this reply.
    Reply(Reply),
    /// The `220` has been emitted: do the TLS handshake, then call
    /// [`ServerSession::tls_established`].
    StartTls,
    /// Check these credentials, then call [`ServerSession::auth_verdict`].
    Auth(ServerCredentials),
    /// A syntactically valid MAIL within the size limit: apply policy, then call
    /// [`ServerSession::mail_verdict`].
    MailFrom {
        /// The reverse path, without brackets; empty for the null sender.
        address: String,
        /// The ESMTP parameters as sent.
        params: Vec<String>,
        /// The `SIZE` the client declared, already checked against the limit.
        size_hint: Option<u64>,
    },
    /// A syntactically valid RCPT within the recipient limit: apply policy, then call
    /// [`ServerSession::rcpt_verdict`].
    Rcpt {
        /// The forward path, without brackets.
        address: String,
    },
    /// The `354` has been emitted: open a spool file.
    DataStart,
    /// Message content: unstuffed, every line ending CRLF. Append it.
    DataChunk(Vec<u8>),
    /// The end of data was seen: commit, then call [`ServerSession::data_verdict`].
    DataEnd,
    /// The message exceeds the size limit: abort the spool file. No verdict; the machine
    /// answers `552 5.3.4` itself when the end of data arrives.
    DataTooLarge,
    /// The `221` has been emitted: flush and close.
    Quit,
    /// Close without another reply (the `421` has been emitted).
    Close,
}
