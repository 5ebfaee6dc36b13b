//! Header values the splitter reads: `Content-Type` / `Content-Disposition` with their
//! parameters, file names in every form MFPs send them (RFC 2231 with continuations, RFC 2047
//! encoded-words, raw UTF-8 or EUC-KR), and charset decoding.
//!
//! RFC 2231 continuations are reassembled as bytes before any charset decoding: only section 0
//! carries the charset, and a multibyte character may be split across sections
//! (`filename*0*=euc-kr''%BD%BA%C4; filename*1*=%B5...`). Decoding each section on its own
//! (as mail-parser 0.11 does) turns such names into U+FFFD.

use encoding_rs::{EUC_KR, Encoding, UTF_8};

use super::decode::{TransferEncoding, decode_all};

/// A parsed structured header value: the main value (lowercased) and its parameters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HeaderValue {
    /// `type/subtype` or the disposition type, lowercased, without comments.
    pub value: String,
    /// Parameters in order: lowercased name, raw value bytes (quotes and escapes removed).
    pub params: Vec<(String, Vec<u8>)>,
}

impl HeaderValue {
    /// Parses `value; name=value; name="quoted value"`, leniently: a parameter without `=` is
    /// skipped, a quoted string that never closes runs to the end.
    pub fn parse(raw: &[u8]) -> HeaderValue {
        let mut pieces = split_params(raw).into_iter();
        let first = pieces.next().unwrap_or_default();
        let value = String::from_utf8_lossy(&strip_comments(&first))
            .trim()
            .to_ascii_lowercase();
        let params = pieces.filter_map(|piece| parse_param(&piece)).collect();
        HeaderValue { value, params }
    }

    /// The raw bytes of the first parameter called `name` (lowercase).
    pub fn param(&self, name: &str) -> Option<&[u8]> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_slice())
    }

    /// The decoded value of parameter `name` in any of its forms: RFC 2231 extended
    /// (`name*`), RFC 2231 continuations (`name*0`, `name*0*`, ...), or plain (`name`, which
    /// may hold RFC 2047 encoded-words or raw 8-bit text).
    pub fn decoded_param(&self, name: &str) -> Option<String> {
        let extended = format!("{name}*");
        if let Some(value) = self.param(&extended) {
            return Some(decode_extended(value));
        }
        if let Some(joined) = self.continuations(name) {
            return Some(joined);
        }
        self.param(name).map(decode_word_text)
    }

    fn continuations(&self, name: &str) -> Option<String> {
        let mut sections: Vec<(u32, bool, &[u8])> = Vec::new();
        let prefix = format!("{name}*");
        for (key, value) in &self.params {
            let Some(rest) = key.strip_prefix(&prefix) else {
                continue;
            };
            let (digits, encoded) = match rest.strip_suffix('*') {
                Some(d) => (d, true),
                None => (rest, false),
            };
            if let Ok(n) = digits.parse::<u32>()
                && !digits.is_empty()
                && digits.bytes().all(|b| b.is_ascii_digit())
            {
                sections.push((n, encoded, value));
            }
        }
        if sections.is_empty() {
            return None;
        }
        sections.sort_by_key(|s| s.0);
        let mut charset: Option<&'static Encoding> = None;
        let mut bytes = Vec::new();
        for (index, (n, encoded, value)) in sections.iter().enumerate() {
            if *n as usize != index {
                break; // a gap: RFC 2231 says the sections after it are ignored
            }
            if *encoded {
                let value = if *n == 0 {
                    let (label, rest) = split_charset(value);
                    charset = label.and_then(|l| Encoding::for_label(l.trim().as_bytes()));
                    rest
                } else {
                    value
                };
                bytes.extend(percent_decode(value));
            } else {
                bytes.extend_from_slice(value);
            }
        }
        Some(match charset {
            Some(encoding) => decode_with(encoding, &bytes),
            None => decode_word_text(&bytes),
        })
    }
}

/// Decodes an RFC 2231 extended value `charset'language'percent-encoded`.
fn decode_extended(value: &[u8]) -> String {
    let (label, rest) = split_charset(value);
    let bytes = percent_decode(rest);
    match label.and_then(|l| Encoding::for_label(l.trim().as_bytes())) {
        Some(encoding) => decode_with(encoding, &bytes),
        None => decode_raw(&bytes),
    }
}

/// Splits `charset'language'rest`; a value without two quotes has no charset.
fn split_charset(value: &[u8]) -> (Option<String>, &[u8]) {
    let mut quotes = value.iter().enumerate().filter(|(_, b)| **b == b'\'');
    match (quotes.next(), quotes.next()) {
        (Some((first, _)), Some((second, _))) => {
            let label = String::from_utf8_lossy(&value[..first]).into_owned();
            let label = (!label.is_empty()).then_some(label);
            (label, &value[second + 1..])
        }
        _ => (None, value),
    }
}

fn percent_decode(value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len());
    let mut i = 0;
    while i < value.len() {
        if value[i] == b'%'
            && i + 2 < value.len()
            && value[i + 1].is_ascii_hexdigit()
            && value[i + 2].is_ascii_hexdigit()
        {
            let hex = std::str::from_utf8(&value[i + 1..i + 3]).unwrap_or("00");
            out.push(u8::from_str_radix(hex, 16).unwrap_or(0));
            i += 3;
        } else {
            out.push(value[i]);
            i += 1;
        }
    }
    out
}

/// Decodes bytes in a charset, replacing what is invalid.
pub fn decode_with(encoding: &'static Encoding, bytes: &[u8]) -> String {
    encoding.decode_without_bom_handling(bytes).0.into_owned()
}

/// Decodes raw 8-bit header text: UTF-8 when it is valid UTF-8, otherwise EUC-KR (what
/// Korean MFPs send when they send raw 8-bit names at all).
pub fn decode_raw(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_string(),
        Err(_) => decode_with(EUC_KR, bytes),
    }
}

/// Decodes text that may hold RFC 2047 encoded-words (`=?charset?B|Q?text?=`). Adjacent
/// encoded-words in the same charset are joined as bytes before decoding, since senders
/// split a multibyte character between two words; white space between encoded-words is
/// dropped; other text is decoded raw.
pub fn decode_word_text(raw: &[u8]) -> String {
    let mut out = String::new();
    let mut pending: Option<(&'static Encoding, Vec<u8>)> = None;
    let mut gap: &[u8] = b"";
    let mut rest = raw;
    while !rest.is_empty() {
        if let Some((encoding, bytes, used)) = encoded_word(rest) {
            match &mut pending {
                Some((enc, buf)) if *enc == encoding => buf.extend_from_slice(&bytes),
                _ => {
                    flush(&mut out, &mut pending);
                    pending = Some((encoding, bytes));
                }
            }
            gap = b"";
            rest = &rest[used..];
            continue;
        }
        let next = find_next_word(rest);
        let text = &rest[..next];
        rest = &rest[next..];
        let only_space = text
            .iter()
            .all(|b| *b == b' ' || *b == b'\t' || *b == b'\r' || *b == b'\n');
        if only_space && pending.is_some() && !rest.is_empty() && encoded_word(rest).is_some() {
            gap = text;
            continue;
        }
        flush(&mut out, &mut pending);
        out.push_str(&decode_raw(gap));
        gap = b"";
        out.push_str(&decode_raw(text));
    }
    flush(&mut out, &mut pending);
    out
}

fn flush(out: &mut String, pending: &mut Option<(&'static Encoding, Vec<u8>)>) {
    if let Some((encoding, bytes)) = pending.take() {
        out.push_str(&decode_with(encoding, &bytes));
    }
}

/// Where the next possible encoded-word starts (at least one byte on).
fn find_next_word(text: &[u8]) -> usize {
    (1..text.len())
        .find(|&i| text[i..].starts_with(b"=?"))
        .unwrap_or(text.len())
}

/// Parses one encoded-word at the start of `text`: its charset, decoded bytes and length.
fn encoded_word(text: &[u8]) -> Option<(&'static Encoding, Vec<u8>, usize)> {
    let body = text.strip_prefix(b"=?")?;
    let q1 = body.iter().position(|b| *b == b'?')?;
    let charset = std::str::from_utf8(&body[..q1]).ok()?;
    let charset = charset.split('*').next().unwrap_or(charset); // RFC 2231 language suffix
    let encoding = Encoding::for_label(charset.trim().as_bytes()).unwrap_or(UTF_8);
    let kind = *body.get(q1 + 1)?;
    if body.get(q1 + 2) != Some(&b'?') {
        return None;
    }
    let payload_start = q1 + 3;
    let end = body[payload_start..].windows(2).position(|w| w == b"?=")?;
    let payload = &body[payload_start..payload_start + end];
    if payload
        .iter()
        .any(|b| *b == b' ' || *b == b'\t' || *b == b'\r' || *b == b'\n')
    {
        return None;
    }
    let bytes = match kind.to_ascii_uppercase() {
        b'B' => decode_all(TransferEncoding::Base64, payload),
        b'Q' => {
            let spaced: Vec<u8> = payload
                .iter()
                .map(|b| if *b == b'_' { b' ' } else { *b })
                .collect();
            decode_all(TransferEncoding::QuotedPrintable, &spaced)
        }
        _ => return None,
    };
    Some((encoding, bytes, 2 + payload_start + end + 2))
}

/// Splits a header value at `;` outside quoted strings and comments.
fn split_params(raw: &[u8]) -> Vec<Vec<u8>> {
    let mut pieces = vec![Vec::new()];
    let mut quoted = false;
    let mut escaped = false;
    let mut depth = 0u32;
    for &b in raw {
        let current = pieces.last_mut().expect("never empty");
        if escaped {
            escaped = false;
            current.push(b);
            continue;
        }
        match b {
            b'\\' if quoted || depth > 0 => escaped = true,
            b'"' if depth == 0 => quoted = !quoted,
            b'(' if !quoted => depth += 1,
            b')' if !quoted && depth > 0 => depth -= 1,
            b';' if !quoted && depth == 0 => {
                pieces.push(Vec::new());
                continue;
            }
            _ => {}
        }
        pieces.last_mut().expect("never empty").push(b);
    }
    pieces
}

/// `name=value` or `name="quoted"`: the lowercased name and the unquoted value.
fn parse_param(piece: &[u8]) -> Option<(String, Vec<u8>)> {
    let eq = piece.iter().position(|b| *b == b'=')?;
    let name = String::from_utf8_lossy(&strip_comments(&piece[..eq]))
        .trim()
        .to_ascii_lowercase();
    if name.is_empty() {
        return None;
    }
    let value = trim_space(&piece[eq + 1..]);
    Some((name, unquote(value)))
}

fn unquote(value: &[u8]) -> Vec<u8> {
    let Some(inner) = value.strip_prefix(b"\"") else {
        return trim_space(&strip_comments(value)).to_vec();
    };
    let mut out = Vec::with_capacity(inner.len());
    let mut escaped = false;
    for &b in inner {
        if escaped {
            out.push(b);
            escaped = false;
        } else if b == b'\\' {
            escaped = true;
        } else if b == b'"' {
            break;
        } else {
            out.push(b);
        }
    }
    out
}

/// Removes `(comments)` outside quoted strings.
fn strip_comments(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    let mut depth = 0u32;
    let mut quoted = false;
    for &b in raw {
        match b {
            b'"' if depth == 0 => {
                quoted = !quoted;
                out.push(b);
            }
            b'(' if !quoted => depth += 1,
            b')' if !quoted && depth > 0 => depth -= 1,
            _ if depth == 0 => out.push(b),
            _ => {}
        }
    }
    out
}

fn trim_space(raw: &[u8]) -> &[u8] {
    let is_space = |b: &u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n');
    let start = raw.iter().position(|b| !is_space(b)).unwrap_or(raw.len());
    let end = raw
        .iter()
        .rposition(|b| !is_space(b))
        .map_or(start, |e| e + 1);
    &raw[start..end]
}
