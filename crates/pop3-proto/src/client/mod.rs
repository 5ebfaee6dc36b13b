//! The client side of POP3: [`ClientSession`], a sans-IO state machine for `scanrelay fetch`
//! and `check --pop`.
//!
//! # Driver contract
//!
//! 1. Make the session with [`ClientSession::new`] (`tls_active = true` after an implicit-TLS
//!    handshake). Read from the socket, pass the bytes to [`ClientSession::receive`], then call
//!    [`ClientSession::next_event`] until it returns `Ok(None)` (= it needs more bytes), and
//!    handle each event before asking for the next one. The first event is
//!    [`Event::Greeting`].
//! 2. To send a command, call [`ClientSession::send`]: it checks the command against the
//!    protocol state and returns the bytes to write (log [`Command::redacted`], never the
//!    bytes). Every command is answered by exactly one event (or, for `RETR`/`TOP`, by
//!    [`Event::BodyStart`], chunks and [`Event::BodyEnd`]), in the order sent. Commands that
//!    change the state (`USER`, `PASS`, `AUTH`, `STLS`, `QUIT`) must be answered before the
//!    next command is sent; the others may be pipelined.
//! 3. Per event:
//!    * [`Event::Challenge`]: answer with [`Command::AuthResponse`] (e.g. from
//!      [`crate::SaslClient::respond`]) through `send`.
//!    * [`Event::StartTls`]: the `+OK` to `STLS` has arrived. Stop reading plaintext, run the
//!      TLS handshake on the raw stream, then call [`ClientSession::tls_established`]. If the
//!      server sent anything after that `+OK` in the same read, the session fails with
//!      [`ClientError::DataAfterStls`] instead (injected plaintext, cf. CVE-2011-0411); bytes
//!      passed to `receive` before `tls_established` fail it too.
//!    * [`Event::BodyChunk`]: write it to disk as it comes; nothing is held.
//! 4. A [`ClientError`] means the byte stream cannot be trusted any more: close the
//!    connection. `next_event` keeps returning the same error.
//!
//! # Limits
//!
//! [`ClientConfig`] bounds what a hostile server can make the client hold: a status line or a
//! listing line longer than [`ClientConfig::max_line`], a `CAPA`/`LIST`/`UIDL` body over
//! [`ClientConfig::max_listing`] bytes, or a message over [`ClientConfig::max_message`] is an
//! error, not memory. Message bodies stream: lines in them are not limited (nothing is held).

mod session;

pub use session::ClientSession;

use crate::capa::Capabilities;
use crate::command::{CommandError, Verb};
use crate::listing::{ListEntry, Stat, UidlEntry};
use crate::response::StatusLine;

#[cfg(doc)]
use crate::command::Command;

/// The limits of one client session. Build with [`ClientConfig::default`], then set fields.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientConfig {
    /// The longest status, continuation or listing line, without its line ending. Default
    /// [`crate::response::MAX_STATUS_LINE`] (4096).
    pub max_line: usize,
    /// The most bytes of one `CAPA`, `LIST` or `UIDL` body (unstuffed). Default 16 MiB: about
    /// 500,000 `UIDL` lines.
    pub max_listing: usize,
    /// The most content bytes of one `RETR` or `TOP` body. Default 4 GiB.
    pub max_message: u64,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            max_line: crate::response::MAX_STATUS_LINE,
            max_listing: 16 * 1024 * 1024,
            max_message: 4 * 1024 * 1024 * 1024,
        }
    }
}

/// The protocol state (RFC 1939 §3) as the client sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientState {
    /// Waiting for the server's greeting.
    Greeting,
    /// AUTHORIZATION: before a successful `PASS` or `AUTH`.
    Authorization,
    /// TRANSACTION: logged in.
    Transaction,
    /// UPDATE: `QUIT` sent from TRANSACTION, its answer not yet in.
    Update,
    /// The session is over (answered `QUIT`, `-ERR` greeting, or an error).
    Closed,
}

/// What the server said, in the order the commands were sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The greeting. A `-ERR` greeting (e.g. Nate's "POP3 service has been permanently
    /// discontinued") closes the session.
    Greeting(StatusLine),
    /// `+OK` to a command without data: `USER`, `PASS`, `AUTH`, `DELE`, `NOOP`, `RSET`.
    Done {
        /// The command answered.
        verb: Verb,
        /// The status line.
        line: StatusLine,
    },
    /// `-ERR` to a command (for `QUIT`, the session is closed anyway).
    Refused {
        /// The command answered.
        verb: Verb,
        /// The status line, with its extended response code if any.
        line: StatusLine,
    },
    /// The answer to `STAT`.
    Stat(Stat),
    /// The answer to `LIST` without argument.
    List(Vec<ListEntry>),
    /// The answer to `LIST n`.
    ListOne(ListEntry),
    /// The answer to `UIDL` without argument.
    Uidl(Vec<UidlEntry>),
    /// The answer to `UIDL n`.
    UidlOne(UidlEntry),
    /// The answer to `CAPA`.
    Capabilities(Capabilities),
    /// A SASL challenge (`+ base64`, the base64 text): answer with
    /// [`Command::AuthResponse`].
    Challenge(String),
    /// `+OK` to `RETR` or `TOP`: body chunks follow, then [`Event::BodyEnd`].
    BodyStart {
        /// `RETR` or `TOP`.
        verb: Verb,
        /// The status line (e.g. `+OK 120 octets`).
        line: StatusLine,
    },
    /// Message content, unstuffed, line endings as the server sent them.
    BodyChunk(Vec<u8>),
    /// The end of the body.
    BodyEnd {
        /// The content bytes delivered in [`Event::BodyChunk`]s.
        size: u64,
    },
    /// `+OK` to `STLS`: do the TLS handshake now, then call
    /// [`ClientSession::tls_established`].
    StartTls,
    /// `+OK` to `QUIT`: the server has done its UPDATE; the session is over.
    Closed(StatusLine),
}

/// The server broke the protocol; the connection cannot be used any more.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    /// A line that is neither `+OK`, `-ERR` nor `+ `.
    #[error("the server sent something that is not a POP3 response: {line:?}")]
    Syntax {
        /// The line, lossily decoded and cut.
        line: String,
    },
    /// A status or listing line over [`ClientConfig::max_line`].
    #[error("the server sent a line longer than {limit} bytes")]
    LineTooLong {
        /// The limit.
        limit: usize,
    },
    /// A `CAPA`/`LIST`/`UIDL` body over [`ClientConfig::max_listing`].
    #[error("the server's {verb} listing is larger than {limit} bytes")]
    ListingTooLarge {
        /// The command.
        verb: Verb,
        /// The limit.
        limit: usize,
    },
    /// A message over [`ClientConfig::max_message`].
    #[error("the message is larger than {limit} bytes")]
    MessageTooLarge {
        /// The limit.
        limit: u64,
    },
    /// A `STAT`, `LIST` or `UIDL` answer that does not have the RFC 1939 form (a unique id
    /// that is empty, longer than 70 characters or not printable ASCII included).
    #[error("malformed {verb} answer from the server: {line:?}")]
    BadListing {
        /// The command.
        verb: Verb,
        /// The offending text, cut.
        line: String,
    },
    /// A `+ ` challenge when no `AUTH` is waiting for one.
    #[error("the server sent a SASL challenge outside AUTH")]
    UnexpectedContinuation,
    /// Bytes when no command is waiting for an answer.
    #[error("the server sent data nobody asked for")]
    UnexpectedData,
    /// Plaintext after the `+OK` to `STLS`.
    #[error("the server sent plaintext after agreeing to STLS (possible injection)")]
    DataAfterStls,
}

/// Why [`ClientSession::send`] refused a command; nothing was sent and nothing changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// The session is over.
    #[error("the session is closed")]
    Closed,
    /// The greeting has not arrived yet.
    #[error("the server has not sent its greeting yet")]
    NoGreeting,
    /// The TLS handshake after `STLS` is due.
    #[error("the TLS handshake after STLS is due")]
    TlsPending,
    /// A state-changing command is waiting for its answer.
    #[error("{0} is waiting for its answer")]
    Busy(Verb),
    /// A SASL challenge must be answered first.
    #[error("a SASL challenge must be answered first")]
    ChallengePending,
    /// An `AuthResponse` with no challenge to answer.
    #[error("no SASL challenge to answer")]
    NoChallenge,
    /// The command is not allowed in this state (or `PASS` without an accepted `USER`).
    #[error("{verb} is not allowed in state {state:?}")]
    WrongState {
        /// The command.
        verb: Verb,
        /// The state.
        state: ClientState,
    },
    /// `STLS` on a connection that is already encrypted.
    #[error("TLS is already active")]
    TlsActive,
    /// The command's wire form would not be a valid command line.
    #[error("invalid command: {0}")]
    Invalid(#[from] CommandError),
}

/// A `tls_established` call the session was not waiting for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("tls_established called without a pending STLS")]
pub struct NotAwaitingTls;
