//! The transport seam: what the scheduler hands to an upstream and what it gets back.
//!
//! [`Upstream`] is object-safe (`Arc<dyn Upstream>`): its method returns a boxed future, so
//! SMTP ([`crate::delivery::SmtpUpstream`]) and later Microsoft Graph implement the same trait
//! and tests use in-process fakes.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use scanrelay_diagnose::{Cause, Provider, Stage};
use scanrelay_proto::Reply;
use scanrelay_spool::{MessageId, SpoolError};
use tokio::io::AsyncRead;

/// The message bytes as they go out (already rewritten when the sender is rewritten).
pub type MessageBody = Pin<Box<dyn AsyncRead + Send>>;

/// The future returned by [`Upstream::deliver`].
pub type DeliveryFuture<'a> =
    Pin<Box<dyn Future<Output = Result<DeliveryReport, DeliveryError>> + Send + 'a>>;

/// A transport that hands messages to the provider.
pub trait Upstream: Send + Sync {
    /// Delivers one message to the recipients in `msg`. `Ok` means the transaction finished:
    /// the report says which recipients were accepted (the message was sent to them) and
    /// which were refused. `Err` means nobody got the message.
    fn deliver(&self, msg: OutgoingMessage) -> DeliveryFuture<'_>;

    /// How many deliveries may run at once (the scheduler never starts more).
    fn max_concurrency(&self) -> usize;

    /// The account that replaces the device's sender (`from_policy = rewrite`), if any.
    fn rewrite_sender(&self) -> Option<&str> {
        None
    }

    /// The provider preset, for provider-specific diagnosis and advice.
    fn provider(&self) -> Option<&'static Provider> {
        None
    }

    /// A short name for logs and bounces, e.g. `smtp.gmail.com:587`.
    fn name(&self) -> &str;

    /// Ends idle connections politely (at shutdown). The default does nothing.
    fn close_idle(&self) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(async {})
    }
}

/// One delivery attempt's input.
pub struct OutgoingMessage {
    /// The spool id (for logs).
    pub id: MessageId,
    /// The envelope sender to use (empty for the null sender).
    pub mail_from: String,
    /// The recipients still to deliver to.
    pub rcpt_to: Vec<String>,
    /// The exact length of `body` in bytes.
    pub size: u64,
    /// The message bytes (CRLF line ends, not dot-stuffed).
    pub body: MessageBody,
}

impl fmt::Debug for OutgoingMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OutgoingMessage")
            .field("id", &self.id)
            .field("mail_from", &self.mail_from)
            .field("rcpt_to", &self.rcpt_to)
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

/// What happened to each recipient of a finished transaction.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    /// Recipients the upstream accepted the message for.
    pub accepted: Vec<String>,
    /// Recipients the upstream refused (at `RCPT TO`).
    pub refused: Vec<RecipientFailure>,
    /// The final reply after the message (absent when no recipient was accepted).
    pub reply: Option<Reply>,
}

/// A recipient the upstream refused (or that could not even be sent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecipientFailure {
    /// The recipient address.
    pub rcpt: String,
    /// The upstream's exact reply; `None` when the address was refused before sending (it
    /// contains characters that cannot go into `RCPT TO`).
    pub reply: Option<Reply>,
    /// The diagnosis.
    pub cause: Cause,
}

impl RecipientFailure {
    /// Whether the refusal is temporary (4xx): the recipient is retried with the message.
    pub fn is_transient(&self) -> bool {
        self.reply.as_ref().is_some_and(Reply::is_transient)
    }

    /// The refusal in words: the reply lines, or why the address was not sent.
    pub fn describe(&self) -> String {
        match &self.reply {
            Some(reply) => format!("recipient refused: {}", reply.wire_lines().join(" / ")),
            None => format!("invalid recipient address {:?}", self.rcpt),
        }
    }
}

/// Why nobody received the message in this attempt.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// No usable session: connect, TLS, greeting, EHLO or AUTH failed. Always transient,
    /// even for a 5xx: the gateway's configuration or the provider is at fault, not this
    /// message, and fixing the configuration should deliver everything queued (Postfix's
    /// "soft bounce" for SASL and TLS failures). The cause and fix are recorded on the message
    /// and it bounces only once it is older than `max_age`.
    #[error("cannot open a session with the upstream server: {detail}")]
    Session {
        /// Where it failed.
        stage: Option<Stage>,
        /// What the client reported (never contains a secret).
        detail: String,
        /// The server's reply, if it sent one.
        reply: Option<Reply>,
        /// The diagnosis.
        cause: Cause,
    },
    /// The upstream refused the message (at `MAIL FROM`, or after the message data).
    #[error("the upstream server refused the message at {stage}: {}", .reply.wire_lines().join(" / "))]
    Rejected {
        /// Where.
        stage: Stage,
        /// The exact reply.
        reply: Reply,
        /// The diagnosis.
        cause: Cause,
    },
    /// The connection broke during the transaction.
    #[error("the connection to the upstream server failed during {stage}: {detail}")]
    Connection {
        /// Where.
        stage: Stage,
        /// What the client reported.
        detail: String,
        /// The diagnosis.
        cause: Cause,
    },
    /// The envelope sender cannot be sent (it contains a line break or angle bracket).
    #[error("invalid envelope sender {0:?}")]
    InvalidSender(String),
    /// The message exceeds the size the upstream announced in EHLO.
    #[error(
        "the message is {size} bytes, more than the {limit} bytes the upstream server accepts (EHLO SIZE)"
    )]
    TooLarge {
        /// The message size.
        size: u64,
        /// The upstream's limit.
        limit: u64,
    },
    /// The header block is too long to rewrite the sender.
    #[error(
        "the message's header block is longer than {limit} bytes, so its From cannot be rewritten"
    )]
    HeaderTooLong {
        /// The limit in bytes.
        limit: usize,
    },
    /// The spooled message could not be read.
    #[error("cannot read the spooled message: {0}")]
    Spool(#[from] SpoolError),
}

impl DeliveryError {
    /// Whether a later attempt may succeed without anyone changing the message.
    pub fn is_transient(&self) -> bool {
        match self {
            DeliveryError::Session { .. }
            | DeliveryError::Connection { .. }
            | DeliveryError::Spool(_) => true,
            DeliveryError::Rejected { reply, .. } => reply.is_transient(),
            DeliveryError::TooLarge { .. }
            | DeliveryError::HeaderTooLong { .. }
            | DeliveryError::InvalidSender(_) => false,
        }
    }

    /// Whether retrying is pointless: the message fails and is bounced.
    pub fn is_permanent(&self) -> bool {
        !self.is_transient()
    }

    /// The upstream's exact reply, when one caused the failure.
    pub fn reply(&self) -> Option<&Reply> {
        match self {
            DeliveryError::Session { reply, .. } => reply.as_ref(),
            DeliveryError::Rejected { reply, .. } => Some(reply),
            _ => None,
        }
    }

    /// The diagnosis.
    pub fn cause(&self) -> Cause {
        match self {
            DeliveryError::Session { cause, .. }
            | DeliveryError::Rejected { cause, .. }
            | DeliveryError::Connection { cause, .. } => *cause,
            DeliveryError::TooLarge { .. } => Cause::MessageTooLarge,
            DeliveryError::InvalidSender(_) => Cause::SyntaxError,
            DeliveryError::HeaderTooLong { .. } | DeliveryError::Spool(_) => Cause::Unknown,
        }
    }
}
