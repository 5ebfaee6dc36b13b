//! `from_policy = rewrite`: the message goes out from the upstream account.
//!
//! Providers such as Gmail, Naver and Microsoft 365 refuse (or silently rewrite) a `From`
//! that is not the authenticated account. So the gateway replaces `From` by the account,
//! keeping the device's display name (`"Scanner 3F" <account>`), and moves the original
//! `From` into `Reply-To` (unless the message already has one), so replies still reach the
//! person who scanned.
//!
//! Only the header block is touched, and it is rewritten as bytes:
//! [`rewrite_from_header`] is a pure function (bytes in, bytes out), and
//! [`read_header_block`] reads just the header block (at most [`MAX_HEADER_BLOCK`] bytes)
//! from the spooled file so that the body can be streamed after it unchanged.
//! Header names are compared case-insensitively, folded lines are handled, and the line
//! ending of the input (CRLF, or bare LF) is kept.

use std::io;

use tokio::io::{AsyncRead, AsyncReadExt};

pub use crate::header::header_end;
use crate::header::{split_fields, unfold};

/// The longest header block the rewrite reads (256 KiB). Real scan mails have a few hundred
/// bytes of headers; anything longer is refused rather than held in memory.
pub const MAX_HEADER_BLOCK: usize = 256 * 1024;

/// The start of a message up to and including the blank line that ends its header block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderBlock {
    /// The header block, blank line included (all bytes if the message has no body).
    pub head: Vec<u8>,
    /// Bytes read past the header block: the start of the body.
    pub rest: Vec<u8>,
}

/// Why the header block could not be read.
#[derive(Debug, thiserror::Error)]
pub enum HeaderReadError {
    /// No blank line within the limit.
    #[error("the message's header block is longer than {limit} bytes")]
    TooLong {
        /// The limit in bytes.
        limit: usize,
    },
    /// Reading failed.
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// Reads from `reader` until the end of the header block, at most `limit` bytes of header.
pub async fn read_header_block<R: AsyncRead + Unpin>(
    reader: &mut R,
    limit: usize,
) -> Result<HeaderBlock, HeaderReadError> {
    let mut buf = Vec::with_capacity(8 * 1024);
    let mut chunk = vec![0u8; 8 * 1024];
    loop {
        if let Some(end) = header_end(&buf) {
            if end > limit {
                return Err(HeaderReadError::TooLong { limit });
            }
            let rest = buf.split_off(end);
            return Ok(HeaderBlock { head: buf, rest });
        }
        if buf.len() > limit {
            return Err(HeaderReadError::TooLong { limit });
        }
        let n = reader.read(&mut chunk).await?;
        if n == 0 {
            return Ok(HeaderBlock {
                head: buf,
                rest: Vec::new(),
            });
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// Rewrites a header block for `from_policy = rewrite`: `From` becomes `account` with the
/// original display name, and the original `From` goes to `Reply-To` unless there is one.
/// A message already from `account` is returned unchanged; a message without `From` gets
/// `From: <account>`. Everything else is kept byte for byte.
pub fn rewrite_from_header(head: &[u8], account: &str) -> Vec<u8> {
    let (fields, trailer) = split_fields(head);
    let eol: &[u8] = if head.windows(2).any(|w| w == b"\r\n") || head.is_empty() {
        b"\r\n"
    } else {
        b"\n"
    };
    let from = fields.iter().find(|f| f.is("from"));
    let original = from.map(|f| parse_first_mailbox(&unfold(f.raw_value())));
    if let Some(Mailbox {
        addr: Some(addr), ..
    }) = &original
        && addr.eq_ignore_ascii_case(account.as_bytes())
    {
        return head.to_vec();
    }
    let has_reply_to = fields.iter().any(|f| f.is("reply-to"));
    let display = original.and_then(|m| m.display);
    let mut out = Vec::with_capacity(head.len() + account.len() + 64);
    let mut from_written = false;
    for field in &fields {
        if !field.is("from") {
            out.extend_from_slice(field.raw);
            continue;
        }
        if from_written {
            continue; // a second From would make the message invalid
        }
        from_written = true;
        push_from(&mut out, display.as_deref(), account, eol);
        if !has_reply_to {
            out.extend_from_slice(b"Reply-To:");
            out.extend_from_slice(field.raw_value());
            if !field.raw.ends_with(b"\n") {
                out.extend_from_slice(eol);
            }
        }
    }
    if !from_written {
        push_from(&mut out, None, account, eol);
    }
    out.extend_from_slice(trailer);
    out
}

fn push_from(out: &mut Vec<u8>, display: Option<&[u8]>, account: &str, eol: &[u8]) {
    out.extend_from_slice(b"From: ");
    if let Some(name) = display {
        out.extend_from_slice(name);
        out.push(b' ');
    }
    out.push(b'<');
    out.extend_from_slice(account.as_bytes());
    out.push(b'>');
    out.extend_from_slice(eol);
}

/// The parts of the first mailbox of an address list that the rewrite needs.
#[derive(Debug, Default, PartialEq, Eq)]
struct Mailbox {
    /// The display name as it can be written before `<addr>` (raw phrase, or quoted).
    display: Option<Vec<u8>>,
    /// The address.
    addr: Option<Vec<u8>>,
}

/// Lexical position inside an address: quoted strings and (nested) comments hide delimiters.
#[derive(Default)]
struct Lexer {
    in_quote: bool,
    depth: u32,
    escaped: bool,
}

impl Lexer {
    /// Feeds one byte; returns whether it is at top level (outside quotes and comments) and
    /// is not itself part of a quote or comment delimiter pair.
    fn top_level(&mut self, b: u8) -> bool {
        if self.escaped {
            self.escaped = false;
            return false;
        }
        match b {
            b'\\' if self.in_quote || self.depth > 0 => self.escaped = true,
            b'"' if self.depth == 0 => self.in_quote = !self.in_quote,
            b'(' if !self.in_quote => self.depth += 1,
            b')' if !self.in_quote && self.depth > 0 => self.depth -= 1,
            _ => return !self.in_quote && self.depth == 0,
        }
        false
    }
}

/// The first mailbox of `value` (an unfolded `From` value).
fn parse_first_mailbox(value: &[u8]) -> Mailbox {
    let value = strip_group(value);
    let mut lexer = Lexer::default();
    let mut lt = None;
    let mut end = value.len();
    for (i, &b) in value.iter().enumerate() {
        if !lexer.top_level(b) {
            continue;
        }
        match b {
            b'<' if lt.is_none() => lt = Some(i),
            b',' if lt.is_none() => {
                end = i;
                break;
            }
            b'>' if lt.is_some() => {
                end = i;
                break;
            }
            _ => {}
        }
    }
    match lt {
        Some(lt) => {
            let display = value[..lt].trim_ascii();
            let addr = value[lt + 1..end].trim_ascii();
            Mailbox {
                display: (!display.is_empty()).then(|| display.to_vec()),
                addr: (!addr.is_empty()).then(|| addr.to_vec()),
            }
        }
        None => addr_spec_with_comment(&value[..end]),
    }
}

/// `Group: a@b, c@d;` -> `a@b, c@d`; anything else unchanged.
fn strip_group(value: &[u8]) -> &[u8] {
    let mut lexer = Lexer::default();
    for (i, &b) in value.iter().enumerate() {
        if lexer.top_level(b) {
            match b {
                b':' => return value[i + 1..].trim_ascii(),
                b'<' | b'@' | b',' => return value,
                _ => {}
            }
        }
    }
    value
}

/// `scan@office.lan (Scanner 3F)`: the address, and the comment as display name.
fn addr_spec_with_comment(text: &[u8]) -> Mailbox {
    let mut lexer = Lexer::default();
    let mut addr = Vec::new();
    let mut comment = Vec::new();
    for &b in text {
        let was_in_comment = lexer.depth > 0;
        if lexer.top_level(b) {
            if !b.is_ascii_whitespace() {
                addr.push(b);
            }
        } else if was_in_comment && lexer.depth > 0 {
            comment.push(b);
        }
    }
    let comment = comment.trim_ascii();
    Mailbox {
        display: (!comment.is_empty()).then(|| as_phrase(comment)),
        addr: (!addr.is_empty()).then_some(addr),
    }
}

/// A comment's text as a display name: as is when it is a plain phrase (atoms, which
/// includes encoded words), else as a quoted string.
fn as_phrase(text: &[u8]) -> Vec<u8> {
    let atext = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~ \t".contains(&b);
    if text.iter().all(|&b| atext(b) || b >= 0x80) {
        return text.to_vec();
    }
    let mut quoted = vec![b'"'];
    for &b in text {
        if b == b'"' || b == b'\\' {
            quoted.push(b'\\');
        }
        quoted.push(b);
    }
    quoted.push(b'"');
    quoted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_end_variants() {
        assert_eq!(header_end(b"A: b\r\n\r\nbody"), Some(8));
        assert_eq!(header_end(b"A: b\n\nbody"), Some(6));
        assert_eq!(header_end(b"\r\nbody"), Some(2));
        assert_eq!(header_end(b"A: b\r\nC: d\r\n"), None);
        assert_eq!(header_end(b""), None);
    }

    #[test]
    fn parses_mailbox_forms() {
        let cases: &[(&str, Option<&str>, Option<&str>)] = &[
            (
                "\"Scanner 3F\" <scan@x>",
                Some("\"Scanner 3F\""),
                Some("scan@x"),
            ),
            ("Scanner <scan@x>", Some("Scanner"), Some("scan@x")),
            ("<scan@x>", None, Some("scan@x")),
            ("scan@x", None, Some("scan@x")),
            ("scan@x (Scanner 3F)", Some("Scanner 3F"), Some("scan@x")),
            (
                "scan@x (Kim, \"3F\")",
                Some("\"Kim, \\\"3F\\\"\""),
                Some("scan@x"),
            ),
            ("\"A <b>, c\" <d@e>", Some("\"A <b>, c\""), Some("d@e")),
            ("a@b, c@d", None, Some("a@b")),
            ("Office: \"S\" <s@x>, t@x;", Some("\"S\""), Some("s@x")),
            ("", None, None),
        ];
        for (input, display, addr) in cases {
            let m = parse_first_mailbox(input.as_bytes());
            assert_eq!(m.display.as_deref(), display.map(str::as_bytes), "{input}");
            assert_eq!(m.addr.as_deref(), addr.map(str::as_bytes), "{input}");
        }
    }
}
