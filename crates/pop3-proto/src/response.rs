//! Server responses: status lines (`+OK` / `-ERR`) with RFC 2449 §8 extended response codes,
//! SASL continuations (`+ base64`, RFC 5034), and the server's wire form of whole responses,
//! multi-line ones included.
//!
//! Parsing is per line (the client session splits lines and frames multi-line bodies with
//! [`crate::body::BodyDecoder`]). It is lenient where real servers differ harmlessly: status
//! indicators in any case, `+OK` with no text (Dovecot), blanks after the indicator. Text that
//! is not UTF-8 is decoded lossily and control characters become spaces, so a status text is
//! always safe to log.

use std::fmt;

/// The longest status or continuation line the client accepts, without its line ending.
/// RFC 2449 §4 says 512 octets with CRLF; this leaves slack for long SASL challenges, and stops
/// a hostile server that sends an endless line.
pub const MAX_STATUS_LINE: usize = 4096;

/// The longest extended response code accepted, brackets excluded.
const MAX_CODE: usize = 64;

/// `+OK` or `-ERR`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// `+OK`.
    Ok,
    /// `-ERR`.
    Err,
}

/// An extended response code (RFC 2449 §8, RFC 3206), the bracketed word after the status.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RespCode {
    /// `[AUTH]` (RFC 3206): the credentials are wrong or not allowed; retrying will not help.
    Auth,
    /// `[SYS/TEMP]` (RFC 3206): a temporary system problem; try again later.
    SysTemp,
    /// `[SYS/PERM]` (RFC 3206): a permanent system problem; a retry will fail too.
    SysPerm,
    /// `[IN-USE]` (RFC 2449): the maildrop is locked by another session; try again later.
    InUse,
    /// `[LOGIN-DELAY]` (RFC 2449): logged in too recently; try again after the delay.
    LoginDelay,
    /// Any other code, as sent (e.g. `UTF8`, `AUTH/EXPIRED`).
    Other(String),
}

impl RespCode {
    /// The code from the text between the brackets (case-insensitive for the known codes), or
    /// `None` if it is not a code: RFC 2449's `resp-level *("/" resp-level)` where a level is
    /// one or more printable ASCII characters other than `/` and `]`.
    pub fn parse(inner: &str) -> Option<RespCode> {
        let level_ok = |level: &str| {
            !level.is_empty() && level.bytes().all(|b| b.is_ascii_graphic() && b != b']')
        };
        if inner.len() > MAX_CODE || !inner.split('/').all(level_ok) {
            return None;
        }
        Some(match inner.to_ascii_uppercase().as_str() {
            "AUTH" => RespCode::Auth,
            "SYS/TEMP" => RespCode::SysTemp,
            "SYS/PERM" => RespCode::SysPerm,
            "IN-USE" => RespCode::InUse,
            "LOGIN-DELAY" => RespCode::LoginDelay,
            _ => RespCode::Other(inner.to_string()),
        })
    }

    /// The code without brackets.
    pub fn as_str(&self) -> &str {
        match self {
            RespCode::Auth => "AUTH",
            RespCode::SysTemp => "SYS/TEMP",
            RespCode::SysPerm => "SYS/PERM",
            RespCode::InUse => "IN-USE",
            RespCode::LoginDelay => "LOGIN-DELAY",
            RespCode::Other(code) => code,
        }
    }

    /// Whether the same request may work later: `SYS/TEMP`, `IN-USE`, `LOGIN-DELAY`.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            RespCode::SysTemp | RespCode::InUse | RespCode::LoginDelay
        )
    }

    /// Whether repeating the request will fail again: `AUTH`, `SYS/PERM`.
    pub fn is_permanent(&self) -> bool {
        matches!(self, RespCode::Auth | RespCode::SysPerm)
    }
}

impl fmt::Display for RespCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One `+OK` / `-ERR` line. The text never holds control characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StatusLine {
    status: Status,
    code: Option<RespCode>,
    text: String,
}

impl StatusLine {
    /// `+OK text`.
    pub fn ok(text: impl Into<String>) -> StatusLine {
        StatusLine::new(Status::Ok, None, text)
    }

    /// `-ERR text`.
    pub fn err(text: impl Into<String>) -> StatusLine {
        StatusLine::new(Status::Err, None, text)
    }

    /// `-ERR [code] text`.
    pub fn err_with(code: RespCode, text: impl Into<String>) -> StatusLine {
        StatusLine::new(Status::Err, Some(code), text)
    }

    /// A status line; control characters in `text` become spaces, and a code that is not
    /// valid RFC 2449 syntax is dropped (so the wire form is always one well-formed line).
    pub fn new(status: Status, code: Option<RespCode>, text: impl Into<String>) -> StatusLine {
        StatusLine {
            status,
            code: code.and_then(|code| RespCode::parse(code.as_str())),
            text: sanitize(&text.into()),
        }
    }

    /// `+OK` or `-ERR`.
    pub fn status(&self) -> Status {
        self.status
    }

    /// Whether it is `+OK`.
    pub fn is_ok(&self) -> bool {
        self.status == Status::Ok
    }

    /// The extended response code, if any.
    pub fn code(&self) -> Option<&RespCode> {
        self.code.as_ref()
    }

    /// The text after the status and code (may be empty).
    pub fn text(&self) -> &str {
        &self.text
    }

    /// A `-ERR` whose code says a retry may work (see [`RespCode::is_transient`]).
    pub fn is_transient(&self) -> bool {
        self.status == Status::Err && self.code.as_ref().is_some_and(RespCode::is_transient)
    }

    /// A `-ERR` whose code says a retry will fail (see [`RespCode::is_permanent`]).
    pub fn is_permanent(&self) -> bool {
        self.status == Status::Err && self.code.as_ref().is_some_and(RespCode::is_permanent)
    }

    /// Parses a status line without its line ending.
    pub fn parse(line: &[u8]) -> Result<StatusLine, ResponseError> {
        match ResponseLine::parse(line)? {
            ResponseLine::Status(status) => Ok(status),
            ResponseLine::Continuation(_) => Err(ResponseError::syntax(line)),
        }
    }

    /// Splits `[CODE] text` (after the status indicator and its blank).
    fn from_text(status: Status, text: &str) -> StatusLine {
        // Sanitised first, so that a control character turned into a space is trimmed the
        // same way as a space: the wire form then parses back to the same value.
        let text = sanitize(text);
        let text = text.trim_start_matches(' ');
        if let Some(rest) = text.strip_prefix('[')
            && let Some(end) = rest.find(']')
            && let Some(code) = RespCode::parse(&rest[..end])
        {
            return StatusLine::new(status, Some(code), rest[end + 1..].trim_start_matches(' '));
        }
        StatusLine::new(status, None, text)
    }
}

/// The wire form, CRLF included: `+OK`, `-ERR [SYS/TEMP] text`.
impl fmt::Display for StatusLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.status {
            Status::Ok => "+OK",
            Status::Err => "-ERR",
        })?;
        if let Some(code) = &self.code {
            write!(f, " [{code}]")?;
        }
        if !self.text.is_empty() {
            write!(f, " {}", self.text)?;
        }
        f.write_str("\r\n")
    }
}

/// Lossless for printable text; every control character becomes a space.
fn sanitize(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// One line from the server outside a multi-line body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResponseLine {
    /// `+OK ...` or `-ERR ...`.
    Status(StatusLine),
    /// `+ base64` (RFC 5034): a SASL challenge; the text may be empty.
    Continuation(String),
}

impl ResponseLine {
    /// Parses a line without its line ending. The length limit is the caller's.
    pub fn parse(line: &[u8]) -> Result<ResponseLine, ResponseError> {
        let text = String::from_utf8_lossy(line);
        let upper = |n: usize| text.get(..n).map(str::to_ascii_uppercase);
        let after = |n: usize| {
            let rest = &text[n..];
            (rest.is_empty() || rest.starts_with([' ', '\t'])).then_some(rest)
        };
        if upper(3).as_deref() == Some("+OK")
            && let Some(rest) = after(3)
        {
            return Ok(ResponseLine::Status(StatusLine::from_text(
                Status::Ok,
                rest,
            )));
        }
        if upper(4).as_deref() == Some("-ERR")
            && let Some(rest) = after(4)
        {
            return Ok(ResponseLine::Status(StatusLine::from_text(
                Status::Err,
                rest,
            )));
        }
        if text.starts_with('+')
            && let Some(rest) = after(1)
        {
            return Ok(ResponseLine::Continuation(
                sanitize(rest).trim_matches(' ').to_string(),
            ));
        }
        Err(ResponseError::syntax(line))
    }
}

/// Why a line from the server is not a response line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResponseError {
    /// Neither `+OK`, `-ERR` nor `+ `.
    #[error("not a POP3 response: {line:?}")]
    Syntax {
        /// The line, lossily decoded and cut to 120 bytes.
        line: String,
    },
}

impl ResponseError {
    fn syntax(line: &[u8]) -> ResponseError {
        ResponseError::Syntax {
            line: sanitize(&String::from_utf8_lossy(&line[..line.len().min(120)])),
        }
    }
}

/// A whole response as the server writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response {
    /// One status line.
    Single(StatusLine),
    /// A status line, then lines (dot-stuffed on the wire), then `.`.
    Multi(StatusLine, Vec<String>),
    /// `+ base64`: a SASL challenge.
    Continuation(String),
}

impl Response {
    /// A multi-line response; control characters in the lines become spaces, so nothing in
    /// them can end a line or the response early.
    pub fn multi(status: StatusLine, lines: impl IntoIterator<Item = String>) -> Response {
        Response::Multi(status, lines.into_iter().map(|l| sanitize(&l)).collect())
    }

    /// The status line (`None` for a continuation).
    pub fn status(&self) -> Option<&StatusLine> {
        match self {
            Response::Single(status) | Response::Multi(status, _) => Some(status),
            Response::Continuation(_) => None,
        }
    }

    /// Whether it is `+OK` (a continuation is not).
    pub fn is_ok(&self) -> bool {
        self.status().is_some_and(StatusLine::is_ok)
    }
}

impl From<StatusLine> for Response {
    fn from(status: StatusLine) -> Response {
        Response::Single(status)
    }
}

/// The wire form, CRLF included; a multi-line response ends with `.CRLF`.
impl fmt::Display for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Response::Single(status) => write!(f, "{status}"),
            Response::Multi(status, lines) => {
                write!(f, "{status}")?;
                for line in lines {
                    let stuff = if line.starts_with('.') { "." } else { "" };
                    write!(f, "{stuff}{}\r\n", sanitize(line))?;
                }
                f.write_str(".\r\n")
            }
            Response::Continuation(text) => write!(f, "+ {}\r\n", sanitize(text)),
        }
    }
}
