//! Errors of a POP3 session. Each knows whether trying again later can help.

use std::io;

use scanrelay_pop3::StatusLine;
use scanrelay_pop3::client::{ClientError as ProtocolError, SendError};
use scanrelay_pop3::sasl::SaslError;

use crate::transcript::Step;

/// What went wrong in a POP3 session.
#[derive(Debug, thiserror::Error)]
pub enum Pop3Error {
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
        step: Step,
        /// The timeout in seconds.
        secs: u64,
    },
    /// An I/O error other than refusal or timeout.
    #[error("network error during {step}: {source}", step = .step.as_str())]
    Io {
        /// The step.
        step: Step,
        /// The error.
        #[source]
        source: io::Error,
    },
    /// The server closed the connection.
    #[error("the server closed the connection during {step}", step = .step.as_str())]
    Closed {
        /// The step.
        step: Step,
    },
    /// The server broke the protocol (not POP3, a line too long, a malformed listing).
    #[error("the server's answer during {step} is not valid POP3: {source}", step = .step.as_str())]
    Protocol {
        /// The step.
        step: Step,
        /// What was wrong.
        #[source]
        source: ProtocolError,
    },
    /// The server answered `-ERR`.
    #[error("the server refused {step}: {line}", step = .step.as_str(), line = .line.to_string().trim_end())]
    Refused {
        /// The step.
        step: Step,
        /// The `-ERR` line, with its response code if any.
        line: StatusLine,
    },
    /// The TLS handshake failed, or the port speaks the other TLS mode.
    #[error(transparent)]
    Tls(scanrelay_client::ClientError),
    /// `--tls starttls` but the server's `CAPA` has no `STLS`.
    #[error("the server does not offer STLS")]
    StlsUnavailable,
    /// The wanted SASL mechanism is not offered.
    #[error("the server does not offer AUTH {wanted} (it offers: {offered})")]
    MechanismUnsupported {
        /// What the client wanted.
        wanted: String,
        /// What `CAPA` listed.
        offered: String,
    },
    /// The SASL exchange could not go on.
    #[error("AUTH failed on the client side: {0}")]
    Sasl(#[from] SaslError),
    /// The server has no `UIDL`, so fetched messages cannot be told apart across runs.
    #[error(
        "the server does not support UIDL: without unique ids a message could be fetched twice"
    )]
    UidlUnsupported,
    /// A command the session refused to send (a bug in the driver, never the server's fault).
    #[error("internal error: {0}")]
    Send(#[from] SendError),
}

impl Pop3Error {
    /// Whether trying again later may succeed (network trouble, `[SYS/TEMP]`, `[IN-USE]`,
    /// `[LOGIN-DELAY]`).
    pub fn is_transient(&self) -> bool {
        match self {
            Pop3Error::Refused { line, .. } => line.is_transient(),
            Pop3Error::ConnectRefused { .. }
            | Pop3Error::Timeout { .. }
            | Pop3Error::Io { .. }
            | Pop3Error::Closed { .. }
            | Pop3Error::Dns { .. } => true,
            Pop3Error::Tls(e) => e.is_transient(),
            _ => false,
        }
    }

    /// The step it happened at, when known.
    pub fn step(&self) -> Option<Step> {
        match self {
            Pop3Error::Dns { .. } => Some(Step::Dns),
            Pop3Error::ConnectRefused { .. } => Some(Step::Connect),
            Pop3Error::Timeout { step, .. }
            | Pop3Error::Io { step, .. }
            | Pop3Error::Closed { step }
            | Pop3Error::Protocol { step, .. }
            | Pop3Error::Refused { step, .. } => Some(*step),
            Pop3Error::Tls(_) => Some(Step::Tls),
            Pop3Error::StlsUnavailable => Some(Step::Stls),
            Pop3Error::MechanismUnsupported { .. } | Pop3Error::Sasl(_) => Some(Step::Auth),
            Pop3Error::UidlUnsupported => Some(Step::Uidl),
            Pop3Error::Send(_) => None,
        }
    }
}

/// A failed session: the error and everything observed up to then.
#[derive(Debug)]
pub struct Failure {
    /// What went wrong.
    pub error: Pop3Error,
    /// What the session saw.
    pub transcript: crate::transcript::Transcript,
}
