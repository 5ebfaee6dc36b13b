//! Header blocks: the message's (mail-builder writes Subject, Date, Message-ID and the
//! Content-Type values; addresses are written here, see [`Mailbox::header_value`]) and each
//! attachment part's.

use mail_builder::headers::Header;
use mail_builder::headers::content_type::ContentType;
use mail_builder::headers::date::Date;
use mail_builder::headers::message_id::MessageId;
use mail_builder::headers::text::Text;

use crate::attachment::Attachment;
use crate::error::ComposeError;
use crate::params::{is_plain, quoted, rfc2231};

/// An address as given: `addr@example.com` or `Display Name <addr@example.com>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Mailbox {
    pub name: Option<String>,
    pub address: String,
}

impl Mailbox {
    /// Parses `text`; refuses line breaks and brackets inside the address.
    pub fn parse(text: &str) -> Result<Mailbox, ComposeError> {
        let bad = || ComposeError::InvalidAddress(text.to_string());
        if text.contains(['\r', '\n']) {
            return Err(bad());
        }
        let text = text.trim();
        let (name, address) = match (text.rfind('<'), text.ends_with('>')) {
            (Some(open), true) => {
                let name = without_controls(&unquote(text[..open].trim()));
                let name = name.trim();
                let name = (!name.is_empty()).then(|| name.to_string());
                (name, text[open + 1..text.len() - 1].trim())
            }
            _ => (None, text),
        };
        if address.is_empty() || address.contains(['<', '>', ' ', ',']) || !address.contains('@') {
            return Err(bad());
        }
        Ok(Mailbox {
            name,
            address: address.to_string(),
        })
    }

    /// `"Name" <addr>`, `=?utf-8?B?...?= <addr>` (RFC 2047 words, never inside quotes, which
    /// RFC 2047 forbids and mail-builder does), or `<addr>`.
    fn header_value(&self) -> String {
        match &self.name {
            None => format!("<{}>", self.address),
            Some(name) if is_plain(name) => format!("{} <{}>", quoted(name), self.address),
            Some(name) => format!("{} <{}>", encoded_words(name), self.address),
        }
    }
}

/// The bare address of `text` (`addr` or `Name <addr>`), for the SMTP envelope.
pub fn envelope_address(text: &str) -> Result<String, ComposeError> {
    Mailbox::parse(text).map(|m| m.address)
}

/// A display name as typed: `"Front \"Desk\""` is `Front "Desk"`; unquoted text stays.
fn unquote(name: &str) -> String {
    let Some(inner) = name.strip_prefix('"').and_then(|n| n.strip_suffix('"')) else {
        return name.to_string();
    };
    let mut out = String::with_capacity(inner.len());
    let mut escaped = false;
    for c in inner.chars() {
        if escaped || c != '\\' {
            out.push(c);
            escaped = false;
        } else {
            escaped = true;
        }
    }
    out
}

/// `text` with every control character (line breaks, tabs, NUL, ...) turned into a space.
fn without_controls(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

fn write_header(out: &mut Vec<u8>, name: &str, value: &impl Header) {
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b": ");
    // Writing into a Vec cannot fail.
    let _ = value.write_header(&mut *out, name.len() + 2);
}

/// Base64 encoded words of at most 75 characters, split between characters, folded.
fn encoded_words(text: &str) -> String {
    use base64::Engine as _;
    const MAX_BYTES: usize = 45; // 60 base64 characters, 72 with `=?utf-8?B?` and `?=`
    let mut words = Vec::new();
    let mut chunk = String::new();
    for c in text.chars() {
        if chunk.len() + c.len_utf8() > MAX_BYTES {
            words.push(std::mem::take(&mut chunk));
        }
        chunk.push(c);
    }
    words.push(chunk);
    words
        .iter()
        .map(|w| {
            format!(
                "=?utf-8?B?{}?=",
                base64::engine::general_purpose::STANDARD.encode(w)
            )
        })
        .collect::<Vec<_>>()
        .join("\r\n ")
}

/// `Name: mailbox, mailbox` with one mailbox per line after the first.
fn write_mailboxes(out: &mut Vec<u8>, name: &str, list: &[&Mailbox]) {
    let values: Vec<String> = list.iter().map(|m| m.header_value()).collect();
    out.extend_from_slice(format!("{name}: {}\r\n", values.join(",\r\n ")).as_bytes());
}

/// The message's header block, the blank line included.
pub(crate) struct TopHeaders<'a> {
    pub from: &'a Mailbox,
    pub to: &'a [Mailbox],
    pub cc: &'a [Mailbox],
    pub subject: &'a str,
    pub date: i64,
    pub message_id: &'a str,
    pub boundary: &'a str,
}

impl TopHeaders<'_> {
    pub fn write(&self, out: &mut Vec<u8>) {
        write_mailboxes(out, "From", &[self.from]);
        if !self.to.is_empty() {
            write_mailboxes(out, "To", &self.to.iter().collect::<Vec<_>>());
        }
        if !self.cc.is_empty() {
            write_mailboxes(out, "Cc", &self.cc.iter().collect::<Vec<_>>());
        }
        if !self.subject.is_empty() {
            // mail-builder writes a line break in plain text as it is: it would end the header.
            let subject = without_controls(self.subject);
            write_header(out, "Subject", &Text::new(subject));
        }
        write_header(out, "Date", &Date::new(self.date));
        write_header(out, "Message-ID", &MessageId::new(self.message_id));
        out.extend_from_slice(b"MIME-Version: 1.0\r\n");
        let content_type = ContentType::new("multipart/mixed").attribute("boundary", self.boundary);
        write_header(out, "Content-Type", &content_type);
        out.extend_from_slice(b"\r\n");
    }
}

/// The headers of an attachment part, the blank line included: Content-Type with the RFC
/// 2047 `name=` (what Outlook reads), Content-Disposition with the RFC 2231 `filename*`
/// (what Gmail, Naver and every RFC-reading client prefer), and base64.
pub(crate) fn attachment_headers(att: &Attachment, out: &mut Vec<u8>) {
    // `Attachment::from_path` cleans names already; a caller may have built one by hand.
    let name: String = att.file_name.chars().filter(|c| !c.is_control()).collect();
    let mime_type: String = att
        .content_type
        .chars()
        .filter(|c| c.is_ascii_graphic())
        .collect();
    write_attachment_type(out, &mime_type, &name);
    out.extend_from_slice(b"Content-Disposition: attachment;");
    if is_plain(&name) && name.len() <= PLAIN_NAME_MAX {
        out.extend_from_slice(b" filename=");
        out.extend_from_slice(quoted(&name).as_bytes());
    } else {
        out.extend_from_slice(b"\r\n ");
        out.extend_from_slice(rfc2231("filename", &name).as_bytes());
    }
    out.extend_from_slice(b"\r\nContent-Transfer-Encoding: base64\r\n\r\n");
}

/// The longest name written as a plain quoted string; longer ones are encoded, which folds.
const PLAIN_NAME_MAX: usize = 200;

/// `Content-Type: TYPE; PARAM="VALUE"...; name="NAME"`, written here rather than by
/// mail-builder, which puts a non-ASCII name in one encoded word however long it is (a
/// 250-character name made a 1,021-octet line; RFC 5322 allows 998, RFC 2047 words 75). A name
/// that is not short plain ASCII becomes encoded words of at most 75 characters, folded inside
/// the quoted string as Thunderbird writes them. Parameters given with the type
/// ("image/tiff; application=faxbw" for I-Fax) come first.
fn write_attachment_type(out: &mut Vec<u8>, mime_type: &str, name: &str) {
    let mut parts = mime_type.split(';');
    let mut head = format!("Content-Type: {}", parts.next().unwrap_or_default());
    for param in parts {
        if let Some((key, value)) = param.split_once('=') {
            head.push_str(&format!("; {key}={}", quoted(value.trim_matches('"'))));
        }
    }
    let value = if is_plain(name) && name.len() <= PLAIN_NAME_MAX {
        quoted(name)
    } else {
        format!("\"{}\"", encoded_words(name))
    };
    let first_line = value.split("\r\n").next().unwrap_or_default();
    let fits = head.len() + "; name=".len() + first_line.len() <= 78;
    let separator = if fits { "; " } else { ";\r\n\t" };
    out.extend_from_slice(format!("{head}{separator}name={value}\r\n").as_bytes());
}

/// The text part (headers, blank line, body), its transfer encoding chosen by mail-builder.
/// Line breaks are normalised first: mail-builder turns LF into CRLF but would keep a bare CR.
pub(crate) fn text_part(body: &str, out: &mut Vec<u8>) {
    let body = body.replace("\r\n", "\n").replace('\r', "\n");
    let part = mail_builder::mime::MimePart::new("text/plain", body);
    let _ = part.write_part(&mut *out);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mailboxes() {
        let ok: &[(&str, Option<&str>, &str)] = &[
            ("a@example.com", None, "a@example.com"),
            ("  a@example.com ", None, "a@example.com"),
            (
                "스캐너 <scan@example.com>",
                Some("스캐너"),
                "scan@example.com",
            ),
            (
                "\"Front Desk\" <desk@example.com>",
                Some("Front Desk"),
                "desk@example.com",
            ),
            ("<b@example.com>", None, "b@example.com"),
            (
                r#""Front \"Desk\"" <d@example.com>"#,
                Some(r#"Front "Desk""#),
                "d@example.com",
            ),
            (r#""a\\b" <d@example.com>"#, Some(r"a\b"), "d@example.com"),
            (
                "Line\tTab <d@example.com>",
                Some("Line Tab"),
                "d@example.com",
            ),
        ];
        for (text, name, address) in ok {
            let m = Mailbox::parse(text).unwrap();
            assert_eq!(m.name.as_deref(), *name, "{text}");
            assert_eq!(m.address, *address, "{text}");
        }
        for bad in [
            "",
            "no-at-sign",
            "a@b\r\nRCPT TO:<x@y>",
            "a b@c",
            "x <a@b",
            "a@b,c@d",
        ] {
            assert!(Mailbox::parse(bad).is_err(), "{bad:?} accepted");
        }
    }
}
