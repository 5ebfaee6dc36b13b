//! MIME parameter values by hand: RFC 2231 (`filename*=`, continuations `filename*0*=`,
//! `filename*1=`), raw 8-bit names, and quoted strings.
//!
//! Why by hand: mail-parser 0.11 decodes each continuation section on its own, so a name
//! whose charset is declared on section 0 only (as RFC 2231 §4.1 prescribes) or whose
//! multibyte character is split across sections comes out as U+FFFD
//! (`filename*0*=euc-kr''%BD%BA%C4%B5; filename*1*=%20%B9%AE%BC%AD.pdf` must be
//! `스캔 문서.pdf`). Here every section is percent-decoded to bytes, the bytes are joined, and
//! the whole is decoded once with section 0's charset (encoding_rs). Names in RFC 2047
//! encoded words (`"=?UTF-8?B?...?="`) are left to mail-parser, which decodes those right.

use encoding_rs::{Encoding, UTF_8};

/// One parameter as written: its name (lower case) and its value bytes (quotes removed,
/// backslash escapes resolved).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    /// The name, lower case, with any `*N` / `*` suffix.
    pub name: String,
    /// The value bytes.
    pub value: Vec<u8>,
}

/// The unfolded value of header `name` in a header block, if present (the first one).
pub fn header_value(block: &[u8], name: &str) -> Option<Vec<u8>> {
    let mut found: Option<Vec<u8>> = None;
    for line in block.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            if found.is_some() {
                break;
            }
            continue;
        }
        let folded = line[0] == b' ' || line[0] == b'\t';
        match (&mut found, folded) {
            (Some(value), true) => value.extend_from_slice(line),
            (Some(_), false) => break,
            (None, false) => {
                let Some(colon) = line.iter().position(|&b| b == b':') else {
                    continue;
                };
                if line[..colon]
                    .trim_ascii()
                    .eq_ignore_ascii_case(name.as_bytes())
                {
                    found = Some(line[colon + 1..].to_vec());
                }
            }
            (None, true) => {}
        }
    }
    found
}

/// The parameters after the first `;` of a structured header value.
pub fn parse_params(value: &[u8]) -> Vec<Param> {
    let mut params = Vec::new();
    let mut i = skip_value(value, 0);
    while i < value.len() {
        while i < value.len() && (value[i] == b';' || value[i].is_ascii_whitespace()) {
            i += 1;
        }
        let start = i;
        while i < value.len() && value[i] != b'=' && value[i] != b';' {
            i += 1;
        }
        if i >= value.len() || value[i] == b';' {
            continue;
        }
        let name = String::from_utf8_lossy(value[start..i].trim_ascii()).to_ascii_lowercase();
        i += 1;
        while i < value.len() && (value[i] == b' ' || value[i] == b'\t') {
            i += 1;
        }
        let (raw, next) = read_value(value, i);
        i = next;
        if !name.is_empty() {
            params.push(Param { name, value: raw });
        }
    }
    params
}

/// Skips the leading `type/subtype` or disposition (up to the first `;` outside quotes).
fn skip_value(value: &[u8], mut i: usize) -> usize {
    let mut quoted = false;
    while i < value.len() {
        match value[i] {
            b'"' => quoted = !quoted,
            b';' if !quoted => return i,
            _ => {}
        }
        i += 1;
    }
    i
}

/// A quoted string (escapes resolved) or a token, and the index after it.
fn read_value(value: &[u8], mut i: usize) -> (Vec<u8>, usize) {
    let mut out = Vec::new();
    if value.get(i) == Some(&b'"') {
        i += 1;
        while i < value.len() && value[i] != b'"' {
            if value[i] == b'\\' && i + 1 < value.len() {
                i += 1;
            }
            out.push(value[i]);
            i += 1;
        }
        return (out, i + 1);
    }
    while i < value.len() && value[i] != b';' {
        out.push(value[i]);
        i += 1;
    }
    (out.trim_ascii_end().to_vec(), i)
}

/// Parameter `name` (e.g. `filename`) decoded, when it is written in a form this module
/// owns: RFC 2231 (`name*`, `name*0`, `name*0*`...) or a plain value with 8-bit bytes (UTF-8,
/// else EUC-KR as Korean mailers send it). `None` for an absent or plain ASCII value: those
/// (RFC 2047 encoded words included) are mail-parser's.
pub fn decode_param(params: &[Param], name: &str) -> Option<String> {
    let extended = format!("{name}*");
    if let Some(p) = params.iter().find(|p| p.name == extended) {
        let (charset, rest) = split_charset(&p.value);
        return Some(decode_bytes(&percent_decode(rest), charset));
    }
    if let Some(joined) = continuations(params, name) {
        return Some(joined);
    }
    let plain = params.iter().find(|p| p.name == name)?;
    if plain.value.is_ascii() {
        return None;
    }
    Some(decode_bytes(&plain.value, None))
}

/// Sections `name*0`, `name*1`... (each `*N*` percent-encoded, `*N` as is), joined as bytes and
/// decoded once with the charset of section 0.
fn continuations(params: &[Param], name: &str) -> Option<String> {
    let mut bytes = Vec::new();
    let mut charset = None;
    for n in 0.. {
        let plain = format!("{name}*{n}");
        let encoded = format!("{plain}*");
        let section = if let Some(p) = params.iter().find(|p| p.name == encoded) {
            let value = if n == 0 {
                let (cs, rest) = split_charset(&p.value);
                charset = cs;
                rest
            } else {
                &p.value[..]
            };
            percent_decode(value)
        } else if let Some(p) = params.iter().find(|p| p.name == plain) {
            p.value.clone()
        } else {
            break;
        };
        bytes.extend_from_slice(&section);
        if n >= 1000 {
            break;
        }
    }
    (charset.is_some() || !bytes.is_empty()).then(|| decode_bytes(&bytes, charset))
}

/// `charset'language'rest` → (`charset`, `rest`); without two quotes, no charset.
fn split_charset(value: &[u8]) -> (Option<&str>, &[u8]) {
    let mut quotes = value.iter().enumerate().filter(|(_, b)| **b == b'\'');
    match (quotes.next(), quotes.next()) {
        (Some((first, _)), Some((second, _))) => {
            let charset = std::str::from_utf8(&value[..first])
                .ok()
                .filter(|c| !c.is_empty());
            (charset, &value[second + 1..])
        }
        _ => (None, value),
    }
}

/// `%XX` decoded; a `%` not followed by two hex digits stays as it is.
pub fn percent_decode(value: &[u8]) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(value.len());
    let mut i = 0;
    while i < value.len() {
        if value[i] == b'%'
            && i + 2 < value.len()
            && let (Some(h), Some(l)) = (hex(value[i + 1]), hex(value[i + 2]))
        {
            out.push(h << 4 | l);
            i += 3;
            continue;
        }
        out.push(value[i]);
        i += 1;
    }
    out
}

/// Bytes in `charset` (a label encoding_rs knows: `utf-8`, `euc-kr`, `ks_c_5601-1987`, ...).
/// Without a known charset: UTF-8 when valid, else EUC-KR (the usual legacy Korean one).
fn decode_bytes(bytes: &[u8], charset: Option<&str>) -> String {
    let encoding = charset.and_then(|c| Encoding::for_label(c.trim().as_bytes()));
    let encoding = match encoding {
        Some(e) => e,
        None if std::str::from_utf8(bytes).is_ok() => UTF_8,
        None => encoding_rs::EUC_KR,
    };
    encoding.decode_without_bom_handling(bytes).0.into_owned()
}
