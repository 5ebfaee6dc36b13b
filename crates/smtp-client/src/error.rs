//! Client errors. Each knows whether retrying later can help ([`ClientError::is_transient`]).

use std::io;

use scanrelay_proto::sasl::{Mechanism, SaslError};
use scanrelay_proto::{Reply, ReplyError, TlsMode};

use crate::transcript::{Facts, StepName};

/// Why a TLS handshake failed, as far as the client could tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsFailure {
    /// The chain does not lead to a trusted root (self-signed, private CA without `--ca-file`).
    Untrusted,
    /// The certificate is valid but not for the name connected to.
    HostnameMismatch,
    /// The certificate has expired (or is not yet valid).
    Expired,
    /// The server refused the protocol version.
    VersionRejected,
    /// Anything else: cipher mismatch, alert, reset during the handshake.
    Handshake,
}

/// What went wrong in a session.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The host name did not resolve.
    #[error("cannot resolve `{host}`: {detail}")]
    Dns {
        /// The name.
        host: String,
        /// The resolver's message.
        detail: String,
    },
    /// The server actively refused the TCP connection.
    #[error("connection to {addr} refused")]
    ConnectRefused {
        /// Address tried.
        addr: String,
    },
    /// No answer within the timeout.
    #[error("no answer from the server within {secs} s during {step}", step = .step.as_str())]
    Timeout {
        /// The step that timed out.
        step: StepName,
        /// The timeout in seconds.
        secs: u64,
    },
    /// An I/O error other than refusal or timeout.
    #[error("network error during {step}: {source}", step = .step.as_str())]
    Io {
        /// The step.
        step: StepName,
        /// The error.
        #[source]
        source: io::Error,
    },
    /// The server closed the connection.
    #[error("the server closed the connection during {step}", step = .step.as_str())]
    Closed {
        /// The step.
        step: StepName,
    },
    /// The server sent something that is not an SMTP reply.
    #[error("the server's answer during {step} is not SMTP: {source}", step = .step.as_str())]
    Protocol {
        /// The step.
        step: StepName,
        /// The parse error.
        #[source]
        source: ReplyError,
    },
    /// The server answered with an error reply.
    #[error("the server refused {step}: {reply}", step = .step.as_str(), reply = .reply.wire_lines().join(" / "))]
    Rejected {
        /// The step.
        step: StepName,
        /// The reply.
        reply: Reply,
    },
    /// The TLS mode does not match the port: the server speaks the other kind.
    #[error("TLS mode `{configured}` does not match the server: {evidence}")]
    TlsModeMismatch {
        /// The mode the client used.
        configured: TlsMode,
        /// What the server did instead.
        evidence: String,
    },
    /// The TLS handshake failed.
    #[error("TLS handshake failed: {detail}")]
    Tls {
        /// Classification.
        kind: TlsFailure,
        /// rustls' message.
        detail: String,
    },
    /// STARTTLS was wanted but the server does not offer it.
    #[error("the server does not offer STARTTLS")]
    StartTlsUnavailable,
    /// Credentials were given but the server offers no AUTH at all.
    #[error("the server offers no SMTP AUTH")]
    AuthNotOffered,
    /// None of the offered mechanisms can be used.
    #[error("no usable AUTH mechanism: wanted {wanted}, server offers {offered}")]
    MechanismUnsupported {
        /// What the client wanted.
        wanted: String,
        /// What the server offered.
        offered: String,
    },
    /// The SASL exchange could not proceed.
    #[error("AUTH {mechanism} failed on the client side: {source}")]
    Sasl {
        /// The mechanism.
        mechanism: Mechanism,
        /// The error.
        #[source]
        source: SaslError,
    },
    /// An envelope address contains characters that would break the command line.
    #[error("invalid envelope address {0:?}: it contains a line break or angle bracket")]
    InvalidAddress(String),
    /// Reading the message to send failed.
    #[error("cannot read the message body: {0}")]
    Body(#[source] io::Error),
}

impl ClientError {
    /// The server's reply, when the error is a refusal.
    pub fn reply(&self) -> Option<&Reply> {
        match self {
            ClientError::Rejected { reply, .. } => Some(reply),
            _ => None,
        }
    }

    /// Whether trying again later may succeed (4xx replies, network trouble).
    pub fn is_transient(&self) -> bool {
        match self {
            ClientError::Rejected { reply, .. } => reply.is_transient(),
            ClientError::ConnectRefused { .. }
            | ClientError::Timeout { .. }
            | ClientError::Io { .. }
            | ClientError::Closed { .. }
            | ClientError::Dns { .. } => true,
            _ => false,
        }
    }

    /// Whether the same attempt will fail again until something is changed.
    pub fn is_permanent(&self) -> bool {
        !self.is_transient()
    }
}

/// A failed session operation that consumed the session: the error and everything observed.
#[derive(Debug)]
pub struct Failure {
    /// What went wrong.
    pub error: ClientError,
    /// What the session saw up to then.
    pub facts: Facts,
}

impl Failure {
    /// Wraps an error with the facts.
    pub fn new(error: ClientError, facts: Facts) -> Box<Failure> {
        Box::new(Failure { error, facts })
    }
}
