//! The file name parameters of an attachment's headers: RFC 2231 `filename*` (percent-encoded
//! UTF-8, in continued sections when long, the charset on the first section only) and the
//! quoted ASCII form when the name needs no encoding.

use std::fmt::Write as _;

/// How many characters of encoded value one section carries (keeps header lines short).
const SECTION_LEN: usize = 60;

/// Whether `name` can go into a quoted-string as it is.
pub(crate) fn is_plain(name: &str) -> bool {
    name.bytes().all(|b| (0x20..0x7f).contains(&b))
}

/// `"value"` with `\` and `"` escaped.
pub(crate) fn quoted(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// RFC 2231 `attribute-char`: any ASCII printable except space, `*`, `'`, `%` and tspecials.
fn is_attribute_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$&+-.^_`{|}~".contains(&b)
}

/// The percent-encoded UTF-8 of `value`, one token per character: sections never split a
/// character, which RFC 2231 allows but some decoders (mail-parser 0.11) get wrong.
fn encoded_tokens(value: &str) -> Vec<String> {
    value
        .chars()
        .map(|c| {
            let mut utf8 = [0u8; 4];
            c.encode_utf8(&mut utf8)
                .bytes()
                .map(|b| {
                    if is_attribute_char(b) {
                        (b as char).to_string()
                    } else {
                        format!("%{b:02X}")
                    }
                })
                .collect()
        })
        .collect()
}

/// The RFC 2231 parameter `name*=utf-8''...`, or `name*0*=utf-8''...; name*1*=...` folded
/// over several lines when long. Returned without the leading `; `, lines joined by
/// `;\r\n `.
pub(crate) fn rfc2231(name: &str, value: &str) -> String {
    let mut sections: Vec<String> = vec![String::new()];
    for token in encoded_tokens(value) {
        if sections
            .last()
            .is_some_and(|s| s.len() + token.len() > SECTION_LEN)
        {
            sections.push(String::new());
        }
        if let Some(last) = sections.last_mut() {
            last.push_str(&token);
        }
    }
    if sections.len() == 1 {
        return format!("{name}*=utf-8''{}", sections[0]);
    }
    let mut out = String::new();
    for (i, section) in sections.iter().enumerate() {
        if i > 0 {
            out.push_str(";\r\n ");
        }
        let charset = if i == 0 { "utf-8''" } else { "" };
        let _ = write!(out, "{name}*{i}*={charset}{section}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_name_parameters() {
        let table: &[(&str, &str)] = &[
            ("scan.pdf", "filename*=utf-8''scan.pdf"),
            ("스캔.pdf", "filename*=utf-8''%EC%8A%A4%EC%BA%94.pdf"),
            ("a b;c\"d.pdf", "filename*=utf-8''a%20b%3Bc%22d.pdf"),
            (
                "스캔 문서 2026년 12월 5일 회의록.pdf",
                "filename*0*=utf-8''%EC%8A%A4%EC%BA%94%20%EB%AC%B8%EC%84%9C%202026%EB%85%84%2012;\r\n \
                 filename*1*=%EC%9B%94%205%EC%9D%BC%20%ED%9A%8C%EC%9D%98%EB%A1%9D.pdf",
            ),
        ];
        for (value, want) in table {
            assert_eq!(rfc2231("filename", value), *want, "{value}");
        }
    }

    #[test]
    fn quoting() {
        assert_eq!(quoted(r#"a"b\c"#), r#""a\"b\\c""#);
        assert!(is_plain("scan 1.pdf"));
        assert!(!is_plain("스캔.pdf"));
        assert!(!is_plain("a\tb"));
    }
}
