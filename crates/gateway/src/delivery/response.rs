//! [`Response`]: what an upstream answered, whatever its transport: an SMTP reply, or an HTTP
//! status with the Graph error code and message. The spool, `queue show` and failure notices
//! store and show it the same way for both.

use std::fmt;

use scanrelay_proto::Reply;

/// An upstream's answer to one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response {
    /// An SMTP reply.
    Smtp(Reply),
    /// An HTTP response (Microsoft Graph), with the error code and message of its body.
    Http {
        /// The HTTP status.
        status: u16,
        /// The error code, e.g. `ErrorAccessDenied`.
        code: Option<String>,
        /// The error message.
        message: Option<String>,
    },
}

impl Response {
    /// Whether a later try may succeed without anyone changing anything: SMTP 4xx, HTTP 429
    /// and 5xx.
    pub fn is_transient(&self) -> bool {
        match self {
            Response::Smtp(reply) => reply.is_transient(),
            Response::Http { status, .. } => *status == 429 || *status >= 500,
        }
    }

    /// The answer as lines for people: the SMTP reply's wire lines, or
    /// `HTTP 403 ErrorAccessDenied: Access is denied.`
    pub fn lines(&self) -> Vec<String> {
        match self {
            Response::Smtp(reply) => reply.wire_lines(),
            Response::Http { .. } => vec![self.to_string()],
        }
    }

    /// The RFC 3463 enhanced status code, when the answer carries one (SMTP only).
    pub fn enhanced(&self) -> Option<String> {
        match self {
            Response::Smtp(reply) => reply.enhanced().map(|c| c.to_string()),
            Response::Http { .. } => None,
        }
    }

    /// Whether the enhanced code (or, for HTTP, the status) says "permanent".
    pub fn is_permanent_code(&self) -> bool {
        match self {
            Response::Smtp(reply) => reply.enhanced().is_some_and(|c| c.class == 5),
            Response::Http { status, .. } => (400..500).contains(status) && *status != 429,
        }
    }

    /// RFC 3464 `Diagnostic-Code` value: `smtp; 550 5.7.1 ...` or `x-http; 403 ...`.
    pub fn diagnostic_code(&self) -> String {
        match self {
            Response::Smtp(reply) => format!("smtp; {}", reply.wire_lines().join(" ")),
            Response::Http { .. } => format!("x-http; {}", self.http_text()),
        }
    }

    /// The SMTP reply, when it is one.
    pub fn smtp(&self) -> Option<&Reply> {
        match self {
            Response::Smtp(reply) => Some(reply),
            Response::Http { .. } => None,
        }
    }

    fn http_text(&self) -> String {
        let Response::Http {
            status,
            code,
            message,
        } = self
        else {
            return String::new();
        };
        let mut text = status.to_string();
        if let Some(code) = code {
            text.push(' ');
            text.push_str(code);
        }
        if let Some(message) = message {
            text.push_str(": ");
            text.push_str(message);
        }
        text
    }
}

impl fmt::Display for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Response::Smtp(reply) => f.write_str(&reply.wire_lines().join(" / ")),
            Response::Http { .. } => write!(f, "HTTP {}", self.http_text()),
        }
    }
}

impl From<Reply> for Response {
    fn from(reply: Reply) -> Self {
        Response::Smtp(reply)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn http(status: u16, code: &str) -> Response {
        Response::Http {
            status,
            code: Some(code.into()),
            message: Some("Access is denied.".into()),
        }
    }

    #[test]
    fn http_answers_read_like_replies() {
        let r = http(403, "ErrorAccessDenied");
        assert_eq!(
            r.to_string(),
            "HTTP 403 ErrorAccessDenied: Access is denied."
        );
        assert_eq!(
            r.diagnostic_code(),
            "x-http; 403 ErrorAccessDenied: Access is denied."
        );
        assert!(!r.is_transient() && r.is_permanent_code());
        for status in [429, 500, 503, 504] {
            assert!(http(status, "x").is_transient(), "{status}");
        }
    }

    #[test]
    fn smtp_answers_keep_their_lines() {
        let reply = Reply::new(550, "5.7.1 no relay");
        let r = Response::from(reply);
        assert_eq!(r.lines(), ["550 5.7.1 no relay"]);
        assert_eq!(r.enhanced().as_deref(), Some("5.7.1"));
        assert_eq!(r.diagnostic_code(), "smtp; 550 5.7.1 no relay");
    }
}
