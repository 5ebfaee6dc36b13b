//! Server replies: parsing (client side) and the wire form (server side).
//!
//! A reply is one or more lines `CODE-text` ... `CODE text` (RFC 5321 §4.2). The parser is
//! incremental: [`ReplyParser::parse`] takes whatever bytes have arrived and either returns a
//! complete [`Reply`] with the number of bytes it used, or `None` to ask for more.

use std::fmt;

/// The longest reply line accepted, including CRLF. RFC 5321 §4.5.3.1.5 says 512, but real
/// servers (Gmail, Microsoft 365) send longer explanatory lines, so allow generous slack.
pub const MAX_REPLY_LINE: usize = 4096;
/// The most lines one reply may have before it is treated as garbage.
pub const MAX_REPLY_LINES: usize = 256;

/// An RFC 3463 enhanced status code such as `5.7.8`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EnhancedCode {
    /// 2, 4 or 5.
    pub class: u8,
    /// The subject (0-999).
    pub subject: u16,
    /// The detail (0-999).
    pub detail: u16,
}

impl EnhancedCode {
    /// Parses `class.subject.detail` at the start of `text`, returning the code and the rest of
    /// the text with leading blanks removed.
    pub fn parse_prefix(text: &str) -> Option<(EnhancedCode, &str)> {
        let end = text.find([' ', '\t']).unwrap_or(text.len());
        let code = EnhancedCode::parse(&text[..end])?;
        Some((code, text[end..].trim_start()))
    }

    /// Parses exactly `class.subject.detail`.
    pub fn parse(s: &str) -> Option<EnhancedCode> {
        let mut parts = s.split('.');
        let class = parts.next()?;
        let subject = parts.next()?;
        let detail = parts.next()?;
        if parts.next().is_some() || class.len() != 1 {
            return None;
        }
        let class: u8 = class.parse().ok()?;
        if !matches!(class, 2 | 4 | 5) {
            return None;
        }
        Some(EnhancedCode {
            class,
            subject: parse_component(subject)?,
            detail: parse_component(detail)?,
        })
    }
}

fn parse_component(s: &str) -> Option<u16> {
    if s.is_empty() || s.len() > 3 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

impl fmt::Display for EnhancedCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.class, self.subject, self.detail)
    }
}

/// The first digit of a reply code (RFC 5321 §4.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// 2yz: the action was completed.
    PositiveCompletion,
    /// 3yz: the server wants more (334 in AUTH, 354 for DATA).
    PositiveIntermediate,
    /// 4yz: failed for now; the same request may work later.
    TransientNegative,
    /// 5yz: failed; repeating the same request will fail again.
    PermanentNegative,
}

/// A complete server reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The three-digit code.
    pub code: u16,
    /// The text of each line, without the `CODE-` / `CODE ` prefix.
    pub lines: Vec<String>,
}

impl Reply {
    /// A reply with one line.
    pub fn new(code: u16, text: impl Into<String>) -> Reply {
        Reply {
            code,
            lines: vec![text.into()],
        }
    }

    /// A reply with several lines.
    pub fn multi(code: u16, lines: impl IntoIterator<Item = impl Into<String>>) -> Reply {
        let mut lines: Vec<String> = lines.into_iter().map(Into::into).collect();
        if lines.is_empty() {
            lines.push(String::new());
        }
        Reply { code, lines }
    }

    /// The class of the reply.
    pub fn severity(&self) -> Severity {
        match self.code / 100 {
            2 => Severity::PositiveCompletion,
            3 => Severity::PositiveIntermediate,
            4 => Severity::TransientNegative,
            _ => Severity::PermanentNegative,
        }
    }

    /// 2yz.
    pub fn is_success(&self) -> bool {
        self.severity() == Severity::PositiveCompletion
    }

    /// 4yz: worth retrying later.
    pub fn is_transient(&self) -> bool {
        self.severity() == Severity::TransientNegative
    }

    /// 5yz (and anything outside 2xx-4xx): retrying will not help.
    pub fn is_permanent(&self) -> bool {
        self.severity() == Severity::PermanentNegative
    }

    /// The enhanced status code at the start of the first line, if any.
    pub fn enhanced(&self) -> Option<EnhancedCode> {
        let first = self.lines.first()?;
        EnhancedCode::parse_prefix(first).map(|(code, _)| code)
    }

    /// The text of all lines joined with `\n`, each without its enhanced status code.
    pub fn text(&self) -> String {
        let stripped: Vec<&str> = self
            .lines
            .iter()
            .map(|line| match EnhancedCode::parse_prefix(line) {
                Some((_, rest)) => rest,
                None => line.as_str(),
            })
            .collect();
        stripped.join("\n")
    }

    /// Each line as it goes on the wire, without CRLF (`250-SIZE 1000`, `250 OK`).
    pub fn wire_lines(&self) -> Vec<String> {
        let last = self.lines.len().saturating_sub(1);
        self.lines
            .iter()
            .enumerate()
            .map(|(i, line)| {
                let sep = if i == last { ' ' } else { '-' };
                // An empty last line still carries its space: RFC 4954 requires `334 SP`.
                format!("{}{}{}", self.code, sep, line)
            })
            .collect()
    }
}

/// The wire form, CRLF included.
impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for line in self.wire_lines() {
            write!(f, "{line}\r\n")?;
        }
        Ok(())
    }
}

/// Why bytes from the server are not a reply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplyError {
    /// A line does not start with a three-digit code.
    #[error("not an SMTP reply: {line:?}")]
    Syntax {
        /// The offending line, lossily decoded and truncated.
        line: String,
    },
    /// The lines of one reply carry different codes.
    #[error("reply lines disagree on the code: {first} then {then}")]
    CodeMismatch {
        /// The code of the first line.
        first: u16,
        /// The differing code.
        then: u16,
    },
    /// A line is longer than [`MAX_REPLY_LINE`].
    #[error("reply line longer than {MAX_REPLY_LINE} bytes")]
    LineTooLong,
    /// More than [`MAX_REPLY_LINES`] lines.
    #[error("reply with more than {MAX_REPLY_LINES} lines")]
    TooManyLines,
}

impl ReplyError {
    /// The bytes that did not parse, for a transcript.
    pub fn line(&self) -> Option<&str> {
        match self {
            ReplyError::Syntax { line } => Some(line),
            _ => None,
        }
    }
}

/// Incremental reply parser.
#[derive(Debug, Default, Clone, Copy)]
pub struct ReplyParser;

impl ReplyParser {
    /// Parses one reply from the start of `buf`. `Ok(None)` means more bytes are needed.
    /// Lines may end in CRLF or a bare LF (some servers and proxies send that).
    pub fn parse(buf: &[u8]) -> Result<Option<(Reply, usize)>, ReplyError> {
        let mut pos = 0;
        let mut code = None;
        let mut lines = Vec::new();
        loop {
            let Some(nl) = buf[pos..].iter().position(|&b| b == b'\n') else {
                if buf.len() - pos > MAX_REPLY_LINE {
                    return Err(ReplyError::LineTooLong);
                }
                check_partial(&buf[pos..])?;
                return Ok(None);
            };
            if nl + 1 > MAX_REPLY_LINE {
                return Err(ReplyError::LineTooLong);
            }
            let raw = &buf[pos..pos + nl];
            let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
            pos += nl + 1;
            let (line_code, last, text) = split_line(raw)?;
            match code {
                None => code = Some(line_code),
                Some(first) if first != line_code => {
                    return Err(ReplyError::CodeMismatch {
                        first,
                        then: line_code,
                    });
                }
                Some(_) => {}
            }
            lines.push(text);
            if last {
                let code = line_code;
                return Ok(Some((Reply { code, lines }, pos)));
            }
            if lines.len() >= MAX_REPLY_LINES {
                return Err(ReplyError::TooManyLines);
            }
        }
    }
}

/// Rejects the start of a line that no further bytes could turn into a reply line (a TLS
/// record, an HTTP or POP3 greeting), so the caller need not wait for a newline or a timeout.
fn check_partial(partial: &[u8]) -> Result<(), ReplyError> {
    let bad = partial.iter().take(4).enumerate().any(|(i, &b)| match i {
        0 => !(b'2'..=b'5').contains(&b),
        1 | 2 => !b.is_ascii_digit(),
        _ => b != b' ' && b != b'-' && b != b'\r',
    });
    if bad {
        return Err(ReplyError::Syntax {
            line: String::from_utf8_lossy(&partial[..partial.len().min(120)]).into_owned(),
        });
    }
    Ok(())
}

/// Splits `250-text` into (250, false, "text"); `250 text` or `250` into (250, true, ...).
fn split_line(raw: &[u8]) -> Result<(u16, bool, String), ReplyError> {
    let syntax = || ReplyError::Syntax {
        line: String::from_utf8_lossy(&raw[..raw.len().min(120)]).into_owned(),
    };
    if raw.len() < 3 || !raw[..3].iter().all(u8::is_ascii_digit) || !(b'2'..=b'5').contains(&raw[0])
    {
        return Err(syntax());
    }
    let code =
        u16::from(raw[0] - b'0') * 100 + u16::from(raw[1] - b'0') * 10 + u16::from(raw[2] - b'0');
    let (last, rest) = match raw.get(3) {
        None => (true, &raw[3..3]),
        Some(b' ') => (true, &raw[4..]),
        Some(b'-') => (false, &raw[4..]),
        Some(_) => return Err(syntax()),
    };
    Ok((code, last, String::from_utf8_lossy(rest).into_owned()))
}
