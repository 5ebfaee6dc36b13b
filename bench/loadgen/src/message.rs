//! The benchmark message: per-message headers (with a unique `X-Bench-Id`) in front of one
//! body generated once and shared by every client. Two shapes:
//!
//! * [`Shape::Plain`]: a single `application/pdf` part whose body is `--size` bytes of
//!   base64-like lines (the SMTP relay cases: only the byte count matters).
//! * [`Shape::Scan`]: a real scan mail, `multipart/mixed` with a short text part and a PDF-like
//!   file of `--size` bytes (`%PDF-1.4` ... `%%EOF`) attached in base64 (76-character lines),
//!   for upstreams that read the MIME structure (Microsoft Graph uploads the attachment on
//!   its own). The file's size and FNV-1a fingerprint let the delivery check verify that it
//!   arrived byte-identical.

use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};

/// Header that carries `<run id>-<message number>`; the delivery check looks for it.
pub const BENCH_ID_HEADER: &str = "X-Bench-Id";

/// Base64 line length used by MIME encoders (and by scanners that attach PDFs).
const LINE_CHARS: usize = 76;
const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Parses a size such as `100KB`, `10MB`, `1MiB`, `512` (bytes). KB/MB/GB are decimal
/// (1000-based), KiB/MiB/GiB binary.
pub fn parse_size(text: &str) -> Result<u64> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let n: u64 = digits
        .parse()
        .with_context(|| format!("size {text:?}: expected a number with an optional unit"))?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1_000,
        "m" | "mb" => 1_000_000,
        "g" | "gb" => 1_000_000_000,
        "kib" => 1 << 10,
        "mib" => 1 << 20,
        "gib" => 1 << 30,
        other => bail!("size {text:?}: unknown unit {other:?} (B, KB, MB, GB, KiB, MiB, GiB)"),
    };
    n.checked_mul(mult)
        .with_context(|| format!("size {text:?} is too large"))
}

/// Generates `size` bytes of CRLF-terminated lines of base64 characters (76 per line, never a
/// leading dot, so no dot-stuffing is needed). At least one short line for tiny sizes.
pub fn generate_body(size: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(size.max(3));
    let mut rng = 0x9E37_79B9_7F4A_7C15_u64;
    let mut remaining = size.max(3);
    while remaining >= 3 {
        let mut chars = LINE_CHARS.min(remaining - 2);
        let left = remaining - chars - 2;
        if (1..3).contains(&left) {
            chars -= 2; // never leave a remainder too short for "x\r\n"
        }
        for _ in 0..chars {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            out.push(ALPHABET[(rng >> 58) as usize]);
        }
        out.extend_from_slice(b"\r\n");
        remaining -= chars + 2;
    }
    out
}

/// What a message looks like (see the module documentation).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Shape {
    /// One application/pdf part of `--size` base64-like bytes.
    Plain,
    /// multipart/mixed: a text part and a `--size`-byte PDF-like attachment in base64.
    Scan,
}

/// The MIME boundary of [`Shape::Scan`] messages (no base64 line can equal it).
const BOUNDARY: &str = "=_scanrelay_bench_7f3a";

/// A generated body (everything after the header block) and, for a scan, its attachment.
#[derive(Debug, Clone)]
pub struct Body {
    /// The bytes after the header block, in SMTP form (CRLF lines, ending with CRLF).
    pub bytes: Vec<u8>,
    /// The attached file's size, for [`Shape::Scan`].
    pub attachment_bytes: Option<u64>,
    /// FNV-1a (64 bits) of the attached file, for [`Shape::Scan`].
    pub attachment_fnv1a64: Option<u64>,
}

/// The body of every message of a run: `size` bytes of body ([`Shape::Plain`]) or a
/// `size`-byte attachment ([`Shape::Scan`]).
pub fn generate(shape: Shape, size: usize) -> Body {
    match shape {
        Shape::Plain => Body {
            bytes: generate_body(size),
            attachment_bytes: None,
            attachment_fnv1a64: None,
        },
        Shape::Scan => {
            let file = pdf_like(size);
            let mut bytes = format!(
                "This is a multi-part message in MIME format.\r\n\
                 --{BOUNDARY}\r\n\
                 Content-Type: text/plain; charset=us-ascii\r\n\
                 Content-Transfer-Encoding: 7bit\r\n\
                 \r\n\
                 Scanned document (scanrelay benchmark).\r\n\
                 --{BOUNDARY}\r\n\
                 Content-Type: application/pdf; name=\"scan.pdf\"\r\n\
                 Content-Disposition: attachment; filename=\"scan.pdf\"\r\n\
                 Content-Transfer-Encoding: base64\r\n\
                 \r\n"
            )
            .into_bytes();
            base64_lines(&file, &mut bytes);
            bytes.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
            Body {
                bytes,
                attachment_bytes: Some(file.len() as u64),
                attachment_fnv1a64: Some(fnv1a64(&file)),
            }
        }
    }
}

/// `len` bytes that look like a PDF to a casual reader: `%PDF-1.4` header, pseudo-random
/// (incompressible, as scanned images are) content, `%%EOF` trailer.
pub fn pdf_like(len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len);
    let mut rng = 0x2545_F491_4F6C_DD1D_u64;
    while out.len() < len {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        out.extend_from_slice(&rng.to_le_bytes());
    }
    out.truncate(len);
    for (at, mark) in [
        (0, &b"%PDF-1.4\n"[..]),
        (len.saturating_sub(7), b"\n%%EOF\n"),
    ] {
        let n = mark.len().min(len - at);
        out[at..at + n].copy_from_slice(&mark[..n]);
    }
    out
}

/// Appends `data` in base64, 76 characters and CRLF per line (RFC 2045).
fn base64_lines(data: &[u8], out: &mut Vec<u8>) {
    let per_line = LINE_CHARS / 4 * 3;
    out.reserve(data.len() / 3 * 4 + data.len() / per_line * 2 + 8);
    for line in data.chunks(per_line) {
        for group in line.chunks(3) {
            let b = [
                group[0],
                *group.get(1).unwrap_or(&0),
                *group.get(2).unwrap_or(&0),
            ];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for i in 0..4 {
                if i <= group.len() {
                    out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]);
                } else {
                    out.push(b'=');
                }
            }
        }
        out.extend_from_slice(b"\r\n");
    }
}

/// FNV-1a, 64 bits (the benchmark's Graph server fingerprints what it received the same way).
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// What every message of a run shares.
#[derive(Debug, Clone)]
pub struct Envelope {
    /// Run id, the prefix of every `X-Bench-Id`.
    pub run_id: String,
    /// Envelope sender and From.
    pub from: String,
    /// Envelope recipient and To.
    pub to: String,
}

/// The subject of message `id`; the Graph delivery check reads the id back from it.
pub const SUBJECT_PREFIX: &str = "scanrelay bench ";

/// The header block (ending with the empty line) of message number `n`.
pub fn headers(env: &Envelope, shape: Shape, n: u64, now: SystemTime) -> String {
    let secs = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let id = format!("{}-{n}", env.run_id);
    let content = match shape {
        Shape::Plain => "Content-Type: application/pdf; name=\"scan.pdf\"\r\n\
                         Content-Disposition: attachment; filename=\"scan.pdf\"\r\n\
                         Content-Transfer-Encoding: base64\r\n"
            .to_string(),
        Shape::Scan => format!("Content-Type: multipart/mixed; boundary=\"{BOUNDARY}\"\r\n"),
    };
    format!(
        "From: Bench Scanner <{from}>\r\n\
         To: <{to}>\r\n\
         Subject: {SUBJECT_PREFIX}{id}\r\n\
         Date: {date}\r\n\
         Message-ID: <{id}@loadgen.example.test>\r\n\
         {BENCH_ID_HEADER}: {id}\r\n\
         MIME-Version: 1.0\r\n\
         {content}\
         \r\n",
        from = env.from,
        to = env.to,
        date = rfc5322_date(secs),
    )
}

/// `Thu, 01 Jan 1970 00:00:00 +0000` for a unix time (UTC).
pub fn rfc5322_date(unix_secs: u64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = unix_secs / 86_400;
    let rem = unix_secs % 86_400;
    let (y, m, d) = civil_from_days(days as i64);
    format!(
        "{}, {d:02} {} {y} {:02}:{:02}:{:02} +0000",
        DAYS[(days % 7) as usize],
        MONTHS[(m - 1) as usize],
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to (year, month 1..=12, day 1..=31), proleptic Gregorian
/// (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("100KB").unwrap(), 100_000);
        assert_eq!(parse_size("10MB").unwrap(), 10_000_000);
        assert_eq!(parse_size("1MiB").unwrap(), 1 << 20);
        assert_eq!(parse_size("512").unwrap(), 512);
        assert!(parse_size("ten").is_err());
        assert!(parse_size("5XB").is_err());
    }

    #[test]
    fn body_has_exact_size_and_safe_lines() {
        for size in [3, 4, 77, 78, 79, 80, 81, 156, 157, 100_000, 1_000_003] {
            let body = generate_body(size);
            assert_eq!(body.len(), size, "size {size}");
            assert!(body.ends_with(b"\r\n"));
            for line in body.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
                assert!(line.ends_with(b"\r"), "size {size}");
                assert!(line.len() >= 2 && line.len() <= LINE_CHARS + 1);
                assert_ne!(line[0], b'.');
            }
        }
    }

    #[test]
    fn dates() {
        assert_eq!(rfc5322_date(0), "Thu, 01 Jan 1970 00:00:00 +0000");
        assert_eq!(rfc5322_date(951_782_400), "Tue, 29 Feb 2000 00:00:00 +0000");
        assert_eq!(
            rfc5322_date(1_700_000_000),
            "Tue, 14 Nov 2023 22:13:20 +0000"
        );
    }

    #[test]
    fn headers_carry_the_bench_id() {
        let env = Envelope {
            run_id: "r1".into(),
            from: "a@example.test".into(),
            to: "b@example.test".into(),
        };
        for shape in [Shape::Plain, Shape::Scan] {
            let h = headers(&env, shape, 7, UNIX_EPOCH);
            assert!(h.contains("\r\nX-Bench-Id: r1-7\r\n"));
            assert!(h.contains("\r\nSubject: scanrelay bench r1-7\r\n"));
            assert!(h.ends_with("\r\n\r\n"));
        }
        assert!(headers(&env, Shape::Scan, 7, UNIX_EPOCH).contains("multipart/mixed"));
    }

    #[test]
    fn base64_matches_rfc4648_vectors() {
        for (data, want) in [
            ("", ""),
            ("f", "Zg==\r\n"),
            ("fo", "Zm8=\r\n"),
            ("foo", "Zm9v\r\n"),
            ("foob", "Zm9vYg==\r\n"),
            ("fooba", "Zm9vYmE=\r\n"),
            ("foobar", "Zm9vYmFy\r\n"),
        ] {
            let mut out = Vec::new();
            base64_lines(data.as_bytes(), &mut out);
            assert_eq!(String::from_utf8(out).unwrap(), want, "{data:?}");
        }
    }

    #[test]
    fn scan_body_is_multipart_with_the_file_in_76_character_lines() {
        for size in [1, 9, 57, 58, 1_000, 100_003] {
            let body = generate(Shape::Scan, size);
            assert_eq!(body.attachment_bytes, Some(size as u64));
            let file = pdf_like(size);
            assert_eq!(body.attachment_fnv1a64, Some(fnv1a64(&file)));
            let text = String::from_utf8(body.bytes.clone()).unwrap();
            assert!(text.ends_with(&format!("\r\n--{BOUNDARY}--\r\n")), "{size}");
            let (_, encoded) = text.split_once("base64\r\n\r\n").unwrap();
            let lines: Vec<&str> = encoded.split("\r\n").collect();
            let data_lines = &lines[..lines.len() - 2];
            assert!(
                data_lines
                    .iter()
                    .all(|l| l.len() <= 76 && !l.starts_with('.'))
            );
            let chars: usize = data_lines.iter().map(|l| l.len()).sum();
            assert_eq!(chars, size.div_ceil(3) * 4, "{size}");
        }
        let file = pdf_like(100);
        assert!(file.starts_with(b"%PDF-1.4\n") && file.ends_with(b"\n%%EOF\n"));
    }

    #[test]
    fn fnv1a64_known_values() {
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
    }
}
