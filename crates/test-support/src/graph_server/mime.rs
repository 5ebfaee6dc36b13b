//! The fake Graph's own reading of a MIME message: recipients, subject and attachments as
//! Graph would store them. It uses mail-parser (the message is in memory here), with its own
//! RFC 2231 reassembly because mail-parser 0.11 decodes each continuation section on its own
//! (a charset named only on section 0, or a multibyte character split across sections,
//! comes out as U+FFFD).

use encoding_rs::Encoding;
use mail_parser::{HeaderName, MessageParser, MessagePart, MimeHeaders};

/// An attachment as the fake Graph stored it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredAttachment {
    /// Its decoded file name.
    pub name: String,
    /// `type/subtype`.
    pub content_type: String,
    /// Its decoded bytes.
    pub bytes: Vec<u8>,
}

/// What the fake Graph read from a MIME message.
#[derive(Clone, Debug, Default)]
pub(crate) struct ParsedMime {
    pub subject: Option<String>,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub bcc: Vec<String>,
    pub attachments: Vec<StoredAttachment>,
}

pub(crate) fn parse(raw: &[u8]) -> Result<ParsedMime, String> {
    let message = MessageParser::default()
        .parse(raw)
        .ok_or_else(|| "the body is not a MIME message".to_string())?;
    if message.headers().is_empty() {
        return Err("the MIME message has no header fields".to_string());
    }
    let list = |addr: Option<&mail_parser::Address<'_>>| -> Vec<String> {
        addr.map(|a| {
            a.iter()
                .filter_map(|x| x.address().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
    };
    let attachments = message
        .attachments()
        .map(|part| stored(raw, part))
        .collect();
    Ok(ParsedMime {
        subject: message.subject().map(str::to_string),
        to: list(message.to()),
        cc: list(message.cc()),
        bcc: list(message.bcc()),
        attachments,
    })
}

fn stored(raw: &[u8], part: &MessagePart<'_>) -> StoredAttachment {
    let content_type = part
        .content_type()
        .map(|ct| match ct.subtype() {
            Some(sub) => format!("{}/{}", ct.ctype(), sub),
            None => ct.ctype().to_string(),
        })
        .unwrap_or_else(|| "application/octet-stream".to_string())
        .to_ascii_lowercase();
    let name = rfc2231_name(raw, part)
        .or_else(|| rfc2047_name(raw, part))
        .or_else(|| part.attachment_name().map(str::to_string))
        .unwrap_or_default();
    StoredAttachment {
        name,
        content_type,
        bytes: attachment_bytes(raw, part),
    }
}

/// The decoded bytes of an attachment. mail-parser turns a text part into a (lossy) string;
/// Graph stores a file attachment's bytes, so text parts are decoded here from the raw body.
fn attachment_bytes(raw: &[u8], part: &MessagePart<'_>) -> Vec<u8> {
    if !part.is_text() {
        return part.contents().to_vec();
    }
    let body = raw
        .get(part.offset_body as usize..part.offset_end as usize)
        .unwrap_or_default();
    let base64 = part
        .content_transfer_encoding()
        .is_some_and(|e| e.eq_ignore_ascii_case("base64"));
    if !base64 {
        return part.contents().to_vec();
    }
    let clean: Vec<u8> = body
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    base64::Engine::decode(&base64::engine::general_purpose::STANDARD, clean)
        .unwrap_or_else(|_| part.contents().to_vec())
}

/// The file name from RFC 2231 parameters (`filename*`, `filename*0*`, ..., or `name*...`),
/// reassembled as bytes and decoded once with section 0's charset.
fn rfc2231_name(raw: &[u8], part: &MessagePart<'_>) -> Option<String> {
    for (header, param) in [
        (HeaderName::ContentDisposition, "filename"),
        (HeaderName::ContentType, "name"),
    ] {
        let Some(h) = part.headers().iter().find(|h| h.name == header) else {
            continue;
        };
        let value = raw.get(h.offset_start as usize..h.offset_end as usize)?;
        if let Some(name) = join_sections(&String::from_utf8_lossy(value), param) {
            return Some(name);
        }
    }
    None
}

/// A quoted file name made of RFC 2047 encoded-words, decoded with the white space between
/// adjacent words dropped (mail-parser 0.11 keeps it inside quoted parameters).
fn rfc2047_name(raw: &[u8], part: &MessagePart<'_>) -> Option<String> {
    for (header, param) in [
        (HeaderName::ContentDisposition, "filename=\""),
        (HeaderName::ContentType, "name=\""),
    ] {
        let Some(h) = part.headers().iter().find(|h| h.name == header) else {
            continue;
        };
        let value =
            String::from_utf8_lossy(raw.get(h.offset_start as usize..h.offset_end as usize)?)
                .replace(['\r', '\n'], "");
        let lower = value.to_ascii_lowercase();
        let Some(at) = lower.find(param) else {
            continue;
        };
        let quoted = &value[at + param.len()..];
        let quoted = &quoted[..quoted.find('"').unwrap_or(quoted.len())];
        if quoted.trim_start().starts_with("=?") {
            return decode_words(quoted.trim());
        }
    }
    None
}

/// Decodes a run of encoded-words `=?charset?B|Q?text?=` separated by white space.
fn decode_words(text: &str) -> Option<String> {
    let mut out = String::new();
    for word in text.split_whitespace() {
        let inner = word.strip_prefix("=?")?.strip_suffix("?=")?;
        let mut it = inner.splitn(3, '?');
        let (charset, kind, payload) = (it.next()?, it.next()?, it.next()?);
        let bytes = match kind {
            "B" | "b" => {
                base64::Engine::decode(&base64::engine::general_purpose::STANDARD, payload).ok()?
            }
            "Q" | "q" => percent_decode(payload.replace('_', " ").replace('=', "%").as_bytes()),
            _ => return None,
        };
        let encoding = Encoding::for_label(charset.as_bytes()).unwrap_or(encoding_rs::UTF_8);
        out.push_str(&encoding.decode_without_bom_handling(&bytes).0);
    }
    Some(out)
}

fn join_sections(value: &str, param: &str) -> Option<String> {
    let unfolded = value.replace(['\r', '\n'], "");
    let mut sections: Vec<(u32, bool, String)> = Vec::new();
    for piece in unfolded.split(';') {
        let Some((key, val)) = piece.split_once('=') else {
            continue;
        };
        let key = key.trim().to_ascii_lowercase();
        let Some(rest) = key.strip_prefix(param).and_then(|r| r.strip_prefix('*')) else {
            continue;
        };
        let val = val.trim().trim_matches('"').to_string();
        if rest.is_empty() {
            sections.push((0, true, val));
        } else {
            let (digits, encoded) = match rest.strip_suffix('*') {
                Some(d) => (d, true),
                None => (rest, false),
            };
            sections.push((digits.parse().ok()?, encoded, val));
        }
    }
    if sections.is_empty() {
        return None;
    }
    sections.sort_by_key(|s| s.0);
    let mut charset = None;
    let mut bytes = Vec::new();
    for (n, encoded, val) in &sections {
        let mut val = val.as_str();
        if *n == 0 && *encoded {
            let mut it = val.splitn(3, '\'');
            if let (Some(cs), Some(_lang), Some(rest)) = (it.next(), it.next(), it.next()) {
                charset = Encoding::for_label(cs.trim().as_bytes());
                val = rest;
            }
        }
        if *encoded {
            bytes.extend(percent_decode(val.as_bytes()));
        } else {
            bytes.extend_from_slice(val.as_bytes());
        }
    }
    let encoding = charset.unwrap_or(encoding_rs::UTF_8);
    Some(encoding.decode_without_bom_handling(&bytes).0.into_owned())
}

/// `%XX` decoding (also used for path segments).
pub(crate) fn percent_decode(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        let hex = input
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (input[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}
