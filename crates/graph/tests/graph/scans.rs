//! Deterministic test scans: multipart/mixed messages as MFPs write them, with seeded
//! attachment bytes and file names in the encodings MFPs use.

use base64::Engine as _;

/// How an attachment's file name is written.
#[derive(Clone, Copy, Debug)]
pub enum NameForm {
    /// `filename*=UTF-8''%EC...`
    Rfc2231Utf8,
    /// `filename*0*=euc-kr''%BD%BA%C4; filename*1*=%B5...` (charset on section 0 only,
    /// characters split across sections).
    Rfc2231EucKrSplit,
    /// `filename="=?UTF-8?B?...?= =?UTF-8?B?...?="` (two encoded-words).
    Rfc2047,
    /// `filename="plain.pdf"`.
    Plain,
}

/// One attachment of a test scan.
#[derive(Clone, Debug)]
pub struct Att {
    pub name: String,
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
    pub form: NameForm,
}

impl Att {
    pub fn new(
        name: &str,
        content_type: &'static str,
        len: usize,
        seed: u64,
        form: NameForm,
    ) -> Att {
        Att {
            name: name.to_string(),
            content_type,
            bytes: seeded(len, seed),
            form,
        }
    }
}

/// `len` pseudo-random bytes from `seed` (xorshift64*), starting like a PDF.
pub fn seeded(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        out.extend_from_slice(&state.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
    }
    out.truncate(len);
    let head = b"%PDF-1.4\n";
    let n = head.len().min(len);
    out[..n].copy_from_slice(&head[..n]);
    out
}

/// A scan: headers, a text body (in a nested multipart/alternative when `alternative`), the
/// attachments in base64 with 76-character lines.
pub fn scan(to: &[&str], subject: &str, atts: &[Att], alternative: bool) -> Vec<u8> {
    let mut m = String::new();
    m.push_str("From: Scanner <scanner@contoso.example>\r\n");
    m.push_str(&format!("To: {}\r\n", to.join(", ")));
    m.push_str(&format!("Subject: {subject}\r\n"));
    m.push_str("Date: Fri, 04 Dec 2026 10:00:00 +0900\r\nMessage-ID: <scan-1@mfp.example>\r\n");
    m.push_str(
        "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"=_outer_42\"\r\n\r\n",
    );
    m.push_str("This is a multi-part message in MIME format.\r\n");
    m.push_str("--=_outer_42\r\n");
    if alternative {
        m.push_str("Content-Type: multipart/alternative; boundary=\"=_alt_7\"\r\n\r\n");
        m.push_str(
            "--=_alt_7\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n스캔한 문서입니다.\r\n",
        );
        m.push_str("--=_alt_7\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>스캔한 문서입니다.</p>\r\n");
        m.push_str("--=_alt_7--\r\n");
    } else {
        m.push_str("Content-Type: text/plain; charset=utf-8\r\n\r\n스캔한 문서입니다.\r\n");
    }
    let mut out = m.into_bytes();
    for att in atts {
        out.extend_from_slice(b"--=_outer_42\r\n");
        out.extend_from_slice(part_header(att).as_bytes());
        out.extend_from_slice(b"Content-Transfer-Encoding: base64\r\n\r\n");
        let encoded = base64::engine::general_purpose::STANDARD.encode(&att.bytes);
        for line in encoded.as_bytes().chunks(76) {
            out.extend_from_slice(line);
            out.extend_from_slice(b"\r\n");
        }
    }
    out.extend_from_slice(b"--=_outer_42--\r\n");
    out
}

/// The `Content-Type` and `Content-Disposition` lines for an attachment.
pub fn part_header(att: &Att) -> String {
    let ct = att.content_type;
    match att.form {
        NameForm::Plain => format!(
            "Content-Type: {ct}; name=\"{0}\"\r\nContent-Disposition: attachment; filename=\"{0}\"\r\n",
            att.name
        ),
        NameForm::Rfc2231Utf8 => format!(
            "Content-Type: {ct}\r\nContent-Disposition: attachment;\r\n filename*=UTF-8''{}\r\n",
            pct(att.name.as_bytes())
        ),
        NameForm::Rfc2231EucKrSplit => {
            let (bytes, _, _) = encoding_rs::EUC_KR.encode(&att.name);
            let mut header = format!("Content-Type: {ct}\r\nContent-Disposition: attachment");
            // Five bytes per section: every Hangul syllable (two bytes) ends up split.
            for (i, chunk) in bytes.chunks(5).enumerate() {
                let charset = if i == 0 { "euc-kr''" } else { "" };
                header.push_str(&format!(";\r\n filename*{i}*={charset}{}", pct(chunk)));
            }
            header.push_str("\r\n");
            header
        }
        NameForm::Rfc2047 => {
            let chars: Vec<char> = att.name.chars().collect();
            let (a, b) = chars.split_at(chars.len() / 2);
            let word = |s: &[char]| {
                let text: String = s.iter().collect();
                format!(
                    "=?UTF-8?B?{}?=",
                    base64::engine::general_purpose::STANDARD.encode(text.as_bytes())
                )
            };
            format!(
                "Content-Type: {ct}; name=\"{0} {1}\"\r\nContent-Disposition: attachment;\r\n filename=\"{0} {1}\"\r\n",
                word(a),
                word(b)
            )
        }
    }
}

fn pct(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._".contains(b) {
                (*b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
