//! The server side of POP3: [`ServerSession`], the state machine for the gateway's future POP3
//! listener (device mailboxes, POP-before-SMTP).
//!
//! The machine enforces the protocol (command syntax, the AUTHORIZATION / TRANSACTION / UPDATE
//! states of RFC 1939 §3, STLS and AUTH exchanges, deleted marks, limits); the driver decides
//! policy and does the I/O: it checks passwords, supplies the [`Maildrop`] view, streams message
//! bodies and deletes messages. Every response text comes from [`replies`].
//!
//! # Driver contract
//!
//! 1. Make the session with [`ServerSession::new`] (`tls_active = true` on an implicit-TLS
//!    listener, after the handshake) and write [`ServerSession::greeting`].
//! 2. Loop: read from the socket (with [`ServerConfig::idle_timeout`] as the read deadline;
//!    on expiry write [`replies::idle_timeout`] and close), pass the bytes to
//!    [`ServerSession::receive`], then call [`ServerSession::next_event`] until it returns
//!    `None`, handling each event **before** asking for the next one. Stop when
//!    [`ServerSession::is_closed`] is true. Draining after every read keeps the buffer at one
//!    read plus [`ServerConfig::max_line_length`].
//! 3. Per event:
//!    * [`Event::Reply`]: write it (`response.to_string()` is the wire form), in order.
//!    * [`Event::StartTls`]: the `+OK` was the previous event; flush it, run the TLS handshake,
//!      then call [`ServerSession::tls_established`] (or close if it failed). Plaintext that
//!      arrived after `STLS` is dropped by the machine.
//!    * [`Event::Auth`]: check the credentials (the same accounts and lockout as SMTP AUTH),
//!      then call [`ServerSession::auth_verdict`] with the user's [`Maildrop`] (lock it first) or
//!      a refusal.
//!    * [`Event::Retrieve`]: open the message, then call [`ServerSession::retrieve_verdict`].
//!    * [`Event::SendBody`]: the `+OK` was the previous event; write the message through a
//!      [`crate::BodyEncoder`] (`BodyEncoder::top(lines)` for `TOP`) and its `finish`. If
//!      reading the message fails half-way, close the connection: the client cannot tell a
//!      truncated body from a whole one otherwise.
//!    * [`Event::Update`]: the client sent `QUIT` in TRANSACTION with messages marked deleted:
//!      delete exactly those, then call [`ServerSession::update_verdict`]. This is the only
//!      event that asks for a deletion; a connection that ends any other way deletes nothing.
//!    * [`Event::Quit`]: the last response was the previous event; flush, unlock, close.
//!    * [`Event::Close`]: the previous event was a closing `-ERR`; flush, unlock, close.
//! 4. After `Auth`, `Retrieve` and `Update` the machine waits: `next_event` returns `None`
//!    until the verdict is given. A verdict at any other time is refused with
//!    [`UnexpectedCall`] and changes nothing.
//!
//! # Limits and errors
//!
//! Command lines longer than [`ServerConfig::max_line_length`] (RFC 2449: 255 octets with
//! CRLF) and SASL responses longer than [`ServerConfig::max_auth_line`] are dropped as they
//! arrive and answered with one `-ERR`; the next line is read normally. Errors that count
//! towards [`ServerConfig::max_errors`]: unknown commands, syntax errors, bytes that are not
//! printable UTF-8, over-long lines, commands in the wrong state, plaintext logins where they
//! are not allowed, and failed or cancelled logins. Message numbers that do not exist do not
//! count. [`ServerConfig::max_commands`] caps the commands of one connection.

mod dispatch;
mod fuzz;
mod input;
pub mod replies;
mod session;

use std::time::Duration;

pub use session::{ServerSession, UnexpectedCall};

#[doc(hidden)]
pub use fuzz::fuzz_session;

use crate::capa::Expire;
use crate::listing::{Uid, UidlEntry};
use crate::response::Response;
use crate::sasl::Credentials;

/// The limits and offers of one listener. Build with [`ServerConfig::new`], then set fields.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerConfig {
    /// The name in the greeting and the sign-off. Control characters become spaces.
    pub hostname: String,
    /// Whether `STLS` is offered (the driver has a certificate). Default false.
    pub stls_available: bool,
    /// Whether `USER`/`PASS` and `AUTH PLAIN` are accepted without TLS (LAN devices that cannot
    /// do TLS; the gateway's `allow_plaintext_auth`). Default false: `-ERR [AUTH]` before TLS.
    pub allow_plaintext_auth: bool,
    /// Whether `AUTH PLAIN` (RFC 5034) is offered besides `USER`/`PASS`. Default true.
    pub sasl_plain: bool,
    /// The longest command line, without its line ending. Default 253 (RFC 2449 §4: 255
    /// octets including CRLF).
    pub max_line_length: usize,
    /// The longest SASL response line. Default 12288 (RFC 5034 sets no limit).
    pub max_auth_line: usize,
    /// How many errors (see the module doc) close the session. `0`: never. Default 10.
    pub max_errors: usize,
    /// How many command lines one connection may send before it is closed with
    /// `-ERR [SYS/TEMP]`. `0`: no limit. Default 100,000 (a device that fetches and deletes
    /// 10,000 messages needs about 20,000).
    pub max_commands: usize,
    /// How long the driver waits for the next command before it closes the connection
    /// (RFC 1939 §3: at least 10 minutes). The machine has no clock; the driver applies it.
    /// Default 10 minutes.
    pub idle_timeout: Duration,
    /// The `EXPIRE` capability to advertise, if any. Default none.
    pub expire: Option<Expire>,
    /// The `LOGIN-DELAY` seconds to advertise, if any. Default none.
    pub login_delay: Option<u32>,
}

impl ServerConfig {
    /// The defaults documented on each field, with this host name.
    pub fn new(hostname: impl Into<String>) -> ServerConfig {
        ServerConfig {
            hostname: hostname.into(),
            stls_available: false,
            allow_plaintext_auth: false,
            sasl_plain: true,
            max_line_length: 253,
            max_auth_line: 12288,
            max_errors: 10,
            max_commands: 100_000,
            idle_timeout: Duration::from_secs(600),
            expire: None,
            login_delay: None,
        }
    }
}

/// One message of a [`Maildrop`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaildropMessage {
    /// The size in octets as the body will be sent (CRLF line endings, before stuffing).
    pub size: u64,
    /// The unique id (stable across sessions).
    pub uid: Uid,
}

/// The messages of one mailbox as the driver found them at login; message `n` is
/// `messages[n - 1]` for the whole session (RFC 1939 §3: numbers do not change).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Maildrop {
    messages: Vec<MaildropMessage>,
}

/// Why a [`Maildrop`] cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MaildropError {
    /// Two messages share a unique id.
    #[error("two messages have the unique id {0}")]
    DuplicateUid(Uid),
    /// More messages than a message number can count.
    #[error("more than {} messages", u32::MAX)]
    TooMany,
}

impl Maildrop {
    /// A maildrop of these messages; unique ids must be unique.
    pub fn new(messages: Vec<MaildropMessage>) -> Result<Maildrop, MaildropError> {
        if u32::try_from(messages.len()).is_err() {
            return Err(MaildropError::TooMany);
        }
        let mut uids: Vec<&Uid> = messages.iter().map(|m| &m.uid).collect();
        uids.sort();
        if let Some(pair) = uids.windows(2).find(|w| w[0] == w[1]) {
            return Err(MaildropError::DuplicateUid(pair[0].clone()));
        }
        Ok(Maildrop { messages })
    }

    /// The messages, message 1 first.
    pub fn messages(&self) -> &[MaildropMessage] {
        &self.messages
    }

    /// Message `n` (1-based).
    pub fn get(&self, n: u32) -> Option<&MaildropMessage> {
        let index = usize::try_from(n).ok()?.checked_sub(1)?;
        self.messages.get(index)
    }
}

/// The driver's answer to [`Event::Auth`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthVerdict {
    /// Logged in: TRANSACTION over this maildrop (locked by the driver until the session ends).
    Accept(Maildrop),
    /// Wrong credentials: `-ERR [AUTH]`, counted as an error.
    Reject,
    /// The maildrop is locked by another session: `-ERR [IN-USE]`.
    InUse,
    /// The maildrop cannot be opened now: `-ERR [SYS/TEMP]`.
    TempFail,
}

/// What the driver must do next; see the driver contract in the [module doc](self).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Write this response.
    Reply(Response),
    /// The `+OK` to `STLS` has been emitted: do the handshake, then
    /// [`ServerSession::tls_established`].
    StartTls,
    /// Check these credentials, then call [`ServerSession::auth_verdict`].
    Auth(Credentials),
    /// `RETR` or `TOP` of an existing, undeleted message: open it, then call
    /// [`ServerSession::retrieve_verdict`].
    Retrieve {
        /// The message number.
        n: u32,
        /// Its unique id.
        uid: Uid,
        /// `Some(lines)` for `TOP`.
        top: Option<u32>,
    },
    /// The `+OK` has been emitted: write the body (see the module doc).
    SendBody {
        /// The message number.
        n: u32,
        /// `Some(lines)` for `TOP`: use `BodyEncoder::top(lines)`.
        top: Option<u32>,
    },
    /// `QUIT` in TRANSACTION: delete these messages, then call
    /// [`ServerSession::update_verdict`].
    Update {
        /// The messages marked deleted, in message-number order.
        delete: Vec<UidlEntry>,
    },
    /// The sign-off has been emitted: flush and close.
    Quit,
    /// Close without another response (a closing `-ERR` has been emitted).
    Close,
}
