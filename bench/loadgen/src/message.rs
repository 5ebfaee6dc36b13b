//! The benchmark message: per-message headers (with a unique `X-Bench-Id`) in front of one
//! base64-like body generated once and shared by every client.

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

/// The header block (ending with the empty line) of message number `n`.
pub fn headers(env: &Envelope, n: u64, now: SystemTime) -> String {
    let secs = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let id = format!("{}-{n}", env.run_id);
    format!(
        "From: Bench Scanner <{from}>\r\n\
         To: <{to}>\r\n\
         Subject: scanrelay bench {id}\r\n\
         Date: {date}\r\n\
         Message-ID: <{id}@loadgen.example.test>\r\n\
         {BENCH_ID_HEADER}: {id}\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: application/pdf; name=\"scan.pdf\"\r\n\
         Content-Disposition: attachment; filename=\"scan.pdf\"\r\n\
         Content-Transfer-Encoding: base64\r\n\
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
        let h = headers(&env, 7, UNIX_EPOCH);
        assert!(h.contains("\r\nX-Bench-Id: r1-7\r\n"));
        assert!(h.ends_with("\r\n\r\n"));
    }
}
