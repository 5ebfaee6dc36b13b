//! Errors of a Graph send: which step failed, the HTTP status, Graph's own error `code` and
//! `message` (kept verbatim so diagnosis can map `ErrorAccessDenied`,
//! `MailboxNotEnabledForRESTAPI`, `ErrorSendAsDenied`, `ApplicationThrottled`,
//! `ErrorMessageSizeExceeded`, ... to causes), the `Retry-After` hint, and whether trying
//! again later may help.

use std::fmt;
use std::time::Duration;

use crate::bearer::BearerError;
use crate::mime::SplitError;

/// The step of a send.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Stage {
    /// `POST /users/{m}/sendMail`.
    SendMail,
    /// `POST /users/{m}/messages` (draft from MIME).
    Draft,
    /// `PATCH /users/{m}/messages/{id}` (recipients).
    Recipients,
    /// `POST .../attachments`, `createUploadSession` or an upload `PUT`.
    Upload,
    /// `POST /users/{m}/messages/{id}/send`.
    Send,
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Stage::SendMail => "sendMail",
            Stage::Draft => "draft",
            Stage::Recipients => "recipients",
            Stage::Upload => "upload",
            Stage::Send => "send",
        })
    }
}

/// Why a Graph send failed. No variant's text holds a token or an upload URL.
#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    /// Graph answered with an error status.
    #[error("Graph {stage} failed: HTTP {status}{}", describe(code.as_deref(), message.as_deref()))]
    Http {
        /// The step.
        stage: Stage,
        /// The HTTP status code.
        status: u16,
        /// Graph's `error.code` (`ErrorAccessDenied`, ...), if the body had one.
        code: Option<String>,
        /// Graph's `error.message`, if the body had one.
        message: Option<String>,
        /// `innerError.request-id`, for a support ticket.
        request_id: Option<String>,
        /// The `Retry-After` hint (seconds or an HTTP date), if any.
        retry_after: Option<Duration>,
    },
    /// Creating a draft was refused (403 `ErrorAccessDenied`): the app has `Mail.Send` but
    /// not `Mail.ReadWrite`, which a message over the `sendMail` limit needs.
    #[error(
        "Graph refused to create a draft (HTTP {status} {code}): a message of {size} bytes is \
         over the sendMail limit and needs the Mail.ReadWrite permission{}",
        describe(None, message.as_deref())
    )]
    DraftsNotAllowed {
        /// The HTTP status (403).
        status: u16,
        /// Graph's code.
        code: String,
        /// Graph's message.
        message: Option<String>,
        /// The message's size in bytes.
        size: u64,
    },
    /// The request never got an HTTP answer (connection, TLS, timeout).
    #[error("Graph {stage} failed: {detail}")]
    Network {
        /// The step.
        stage: Stage,
        /// What went wrong (without the URL).
        detail: String,
    },
    /// Graph answered 2xx with a body this client cannot use.
    #[error("Graph {stage}: unexpected answer: {detail}")]
    Protocol {
        /// The step.
        stage: Stage,
        /// What was wrong with it.
        detail: String,
    },
    /// No access token could be had.
    #[error("no Graph access token: {0}")]
    Bearer(#[from] BearerError),
    /// The message cannot be split so that every request fits.
    #[error("cannot send through Graph: {0}")]
    Split(#[from] SplitError),
    /// The message could not be read (or changed while being sent).
    #[error("cannot read the message: {0}")]
    Source(#[source] std::io::Error),
    /// A recipient address that cannot go into a header (a line break, a control character).
    #[error("recipient address not usable: {0:?}")]
    BadRecipient(String),
    /// The client's settings are not usable (a plain `http://` URL for a non-loopback host).
    #[error("Graph client settings: {0}")]
    Config(String),
}

fn describe(code: Option<&str>, message: Option<&str>) -> String {
    let mut out = String::new();
    if let Some(code) = code {
        out.push(' ');
        out.push_str(code);
    }
    if let Some(message) = message {
        out.push_str(": ");
        out.push_str(message);
    }
    out
}

impl GraphError {
    /// Whether sending again later may succeed: 408, 429 and 5xx, network failures,
    /// unexpected answers, unreadable sources, a token source that says so, and
    /// [`GraphError::DraftsNotAllowed`] (granting `Mail.ReadWrite` fixes it without touching
    /// the message; the caller holds the message rather than bouncing it).
    pub fn is_transient(&self) -> bool {
        match self {
            GraphError::Http { status, .. } => matches!(status, 408 | 429 | 500..=599),
            GraphError::Network { .. }
            | GraphError::Protocol { .. }
            | GraphError::Source(_)
            | GraphError::DraftsNotAllowed { .. } => true,
            GraphError::Bearer(e) => e.transient,
            GraphError::Split(_) | GraphError::BadRecipient(_) | GraphError::Config(_) => false,
        }
    }

    /// The `Retry-After` hint Graph gave, for the caller's scheduler.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            GraphError::Http { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// The HTTP status, when Graph answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            GraphError::Http { status, .. } | GraphError::DraftsNotAllowed { status, .. } => {
                Some(*status)
            }
            _ => None,
        }
    }

    /// Graph's error code, when its body had one.
    pub fn code(&self) -> Option<&str> {
        match self {
            GraphError::Http { code, .. } => code.as_deref(),
            GraphError::DraftsNotAllowed { code, .. } => Some(code),
            _ => None,
        }
    }

    /// Graph's error message, when its body had one.
    pub fn message(&self) -> Option<&str> {
        match self {
            GraphError::Http { message, .. } | GraphError::DraftsNotAllowed { message, .. } => {
                message.as_deref()
            }
            _ => None,
        }
    }

    /// The step that failed, when a request was made.
    pub fn stage(&self) -> Option<Stage> {
        match self {
            GraphError::Http { stage, .. }
            | GraphError::Network { stage, .. }
            | GraphError::Protocol { stage, .. } => Some(*stage),
            GraphError::DraftsNotAllowed { .. } => Some(Stage::Draft),
            _ => None,
        }
    }
}

/// Reads `Retry-After`: delay-seconds or an HTTP date (a date in the past means now).
pub(crate) fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = jiff::fmt::rfc2822::parse(value).ok()?.timestamp();
    let delta = when.duration_since(jiff::Timestamp::now());
    Some(Duration::try_from(delta).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_forms() {
        let cases: &[(&str, Option<Duration>)] = &[
            ("120", Some(Duration::from_secs(120))),
            (" 0 ", Some(Duration::ZERO)),
            ("Wed, 21 Oct 2015 07:28:00 GMT", Some(Duration::ZERO)),
            ("soon", None),
            ("-5", None),
        ];
        for (input, expected) in cases {
            assert_eq!(parse_retry_after(input), *expected, "{input:?}");
        }
        let future = jiff::Timestamp::now() + jiff::SignedDuration::from_secs(3600);
        let text = jiff::fmt::rfc2822::DateTimePrinter::new()
            .timestamp_to_rfc9110_string(&future)
            .expect("format a date");
        let got = parse_retry_after(&text).expect("an HTTP date parses");
        assert!(
            got > Duration::from_secs(3590) && got <= Duration::from_secs(3600),
            "{got:?}"
        );
    }
}
