//! The transport seam: what the scheduler hands to an upstream and what it gets back.
//!
//! [`Upstream`] is object-safe (`Arc<dyn Upstream>`): its method returns a boxed future, so
//! SMTP ([`crate::delivery::SmtpUpstream`]) and Microsoft Graph implement the same trait and
//! tests use in-process fakes. Nothing here is SMTP-specific: answers are [`Response`]s (an
//! SMTP reply or an HTTP status with its error code), an upstream may ask for a pause
//! ([`DeliveryError::retry_after`], e.g. Graph's `Retry-After`), and an upstream whose login
//! needs a person says so ([`DeliveryError::Credentials`]) so its mail is held, not bounced.

use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use scanrelay_diagnose::{Cause, Provider, Stage};
use scanrelay_spool::{MessageId, SpoolError};
use tokio::io::AsyncRead;

pub use crate::delivery::response::Response;

/// The message bytes as they go out (already rewritten when the sender is rewritten).
pub type MessageBody = Pin<Box<dyn AsyncRead + Send>>;

/// A boxed future, for object-safe traits.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The future returned by [`Upstream::deliver`].
pub type DeliveryFuture<'a> = BoxFuture<'a, Result<DeliveryReport, DeliveryError>>;

/// The outgoing message's bytes, which a transport may read more than once (Graph reads a
/// large message twice: once to find its attachments, once to upload them). Each
/// [`MessageSource::open`] starts from the first byte.
pub trait MessageSource: Send + Sync {
    /// A reader from the first byte.
    fn open(&self) -> BoxFuture<'_, io::Result<MessageBody>>;
}

/// A message held in memory, as a [`MessageSource`] (tests, small generated messages).
#[derive(Debug, Clone)]
pub struct MemoryBody(Arc<[u8]>);

impl MemoryBody {
    /// The bytes, shared.
    pub fn new(bytes: impl Into<Arc<[u8]>>) -> MemoryBody {
        MemoryBody(bytes.into())
    }
}

impl MessageSource for MemoryBody {
    fn open(&self) -> BoxFuture<'_, io::Result<MessageBody>> {
        let bytes = self.0.clone();
        Box::pin(async move { Ok(Box::pin(io::Cursor::new(bytes)) as MessageBody) })
    }
}

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

    /// The configured name of this upstream (`default` for a single `[upstream]`), for logs,
    /// routes and `queue show`. Never parsed.
    fn name(&self) -> &str;

    /// The host that answered, for failure notices (`Remote-MTA`), e.g. `smtp.gmail.com` or
    /// `graph.microsoft.com`.
    fn remote_host(&self) -> &str;

    /// The `[[oauth]]` account this upstream logs in with, if any (named in notices).
    fn oauth_account(&self) -> Option<&str> {
        None
    }

    /// Wakes when credentials that needed a person's login are usable again (a new OAuth2
    /// grant was stored), so held mail goes out without a restart. `None`: never.
    fn credentials_changed(&self) -> Option<tokio::sync::watch::Receiver<u64>> {
        None
    }

    /// Ends idle connections politely (at shutdown). The default does nothing.
    fn close_idle(&self) -> BoxFuture<'_, ()> {
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
    /// The exact length of the body in bytes.
    pub size: u64,
    /// The message bytes (CRLF line ends, not dot-stuffed).
    pub body: Arc<dyn MessageSource>,
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
    /// Recipients the upstream refused.
    pub refused: Vec<RecipientFailure>,
    /// The final answer after the message (absent when no recipient was accepted).
    pub response: Option<Response>,
}

/// A recipient the upstream refused (or that could not even be sent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecipientFailure {
    /// The recipient address.
    pub rcpt: String,
    /// The upstream's exact answer; `None` when the address was refused before sending (it
    /// contains characters that cannot go into `RCPT TO`).
    pub response: Option<Response>,
    /// The diagnosis.
    pub cause: Cause,
}

impl RecipientFailure {
    /// Whether the refusal is temporary: the recipient is retried with the message.
    pub fn is_transient(&self) -> bool {
        self.response.as_ref().is_some_and(Response::is_transient)
    }

    /// The refusal in words: the answer, or why the address was not sent.
    pub fn describe(&self) -> String {
        match &self.response {
            Some(response) => format!("recipient refused: {response}"),
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
        /// The server's answer, if it sent one.
        response: Option<Response>,
        /// The diagnosis.
        cause: Cause,
        /// How long the upstream asked to be left alone, if it said.
        retry_after: Option<Duration>,
    },
    /// The upstream has no usable credentials: its OAuth2 grant is dead or was never made.
    /// With `needs_login`, only a person can fix it (`scanrelay oauth login`): the message is
    /// held (never bounced for it) and goes out by itself once a new grant is stored.
    #[error("the upstream's credentials are not usable: {detail}")]
    Credentials {
        /// What is wrong, and what to do (never contains a secret).
        detail: String,
        /// The diagnosis.
        cause: Cause,
        /// Whether a person must log in again.
        needs_login: bool,
    },
    /// The upstream refused the message (at `MAIL FROM`, or after the message data).
    #[error("the upstream server refused the message at {stage}: {response}")]
    Rejected {
        /// Where.
        stage: Stage,
        /// The exact answer.
        response: Response,
        /// The diagnosis.
        cause: Cause,
        /// How long the upstream asked to be left alone, if it said.
        retry_after: Option<Duration>,
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
    /// This upstream cannot take this message as it is set up (e.g. a Graph app without
    /// `Mail.ReadWrite` and a message too large for `sendMail`). The message is held until an
    /// operator changes the setup and retries it; it is neither bounced nor retried blindly.
    #[error("{detail}")]
    Held {
        /// What to change.
        detail: String,
        /// The diagnosis.
        cause: Cause,
    },
    /// This upstream can never send this message (it cannot be split into requests the
    /// upstream takes, say): it fails and is bounced with the reason.
    #[error("the upstream cannot send this message: {detail}")]
    Unsendable {
        /// Why.
        detail: String,
        /// The diagnosis.
        cause: Cause,
    },
    /// The envelope sender cannot be sent (it contains a line break or angle bracket).
    #[error("invalid envelope sender {0:?}")]
    InvalidSender(String),
    /// The message exceeds the size the upstream announced.
    #[error("the message is {size} bytes, more than the {limit} bytes the upstream server accepts")]
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
    /// The message body could not be read while sending.
    #[error("cannot read the message being sent: {0}")]
    Body(io::Error),
}

impl DeliveryError {
    /// Whether a later attempt may succeed without anyone changing the message.
    pub fn is_transient(&self) -> bool {
        match self {
            DeliveryError::Session { .. }
            | DeliveryError::Connection { .. }
            | DeliveryError::Credentials { .. }
            | DeliveryError::Held { .. }
            | DeliveryError::Spool(_)
            | DeliveryError::Body(_) => true,
            DeliveryError::Rejected { response, .. } => response.is_transient(),
            DeliveryError::TooLarge { .. }
            | DeliveryError::HeaderTooLong { .. }
            | DeliveryError::Unsendable { .. }
            | DeliveryError::InvalidSender(_) => false,
        }
    }

    /// Whether retrying is pointless: the message fails and is bounced.
    pub fn is_permanent(&self) -> bool {
        !self.is_transient()
    }

    /// Whether the message must be held (not retried on a timer, not bounced) until a person
    /// acts: a dead OAuth2 grant, or a setup that cannot carry this message.
    pub fn holds(&self) -> bool {
        matches!(
            self,
            DeliveryError::Credentials {
                needs_login: true,
                ..
            } | DeliveryError::Held { .. }
        )
    }

    /// The upstream's exact answer, when one caused the failure.
    pub fn response(&self) -> Option<&Response> {
        match self {
            DeliveryError::Session { response, .. } => response.as_ref(),
            DeliveryError::Rejected { response, .. } => Some(response),
            _ => None,
        }
    }

    /// How long the upstream asked to be left alone (HTTP `Retry-After`).
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            DeliveryError::Session { retry_after, .. }
            | DeliveryError::Rejected { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// The diagnosis.
    pub fn cause(&self) -> Cause {
        match self {
            DeliveryError::Session { cause, .. }
            | DeliveryError::Credentials { cause, .. }
            | DeliveryError::Rejected { cause, .. }
            | DeliveryError::Connection { cause, .. }
            | DeliveryError::Unsendable { cause, .. }
            | DeliveryError::Held { cause, .. } => *cause,
            DeliveryError::TooLarge { .. } => Cause::MessageTooLarge,
            DeliveryError::InvalidSender(_) => Cause::SyntaxError,
            DeliveryError::HeaderTooLong { .. }
            | DeliveryError::Spool(_)
            | DeliveryError::Body(_) => Cause::Unknown,
        }
    }
}
