//! Dates as the gateway writes them: RFC 5322 in header fields (`Date:`, `Received:`), RFC
//! 3339 in the log (`2024-01-02T15:04:05Z`), never bare Unix seconds where people read them.
//! Both from Unix seconds, in UTC; the one place the calendar is computed.

/// `Tue, 02 Jan 2024 15:04:05 +0000` (RFC 5322 §3.3), in UTC.
pub(crate) fn rfc5322_date(unix: u64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = unix / 86_400;
    let secs = unix % 86_400;
    let (y, m, d) = civil_from_days(days as i64);
    format!(
        "{}, {d:02} {} {y} {:02}:{:02}:{:02} +0000",
        DAYS[(days % 7) as usize],
        MONTHS[(m - 1) as usize],
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// Days since 1970-01-01 to (year, month, day); Howard Hinnant's algorithm.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// `2024-01-02T15:04:05Z` (RFC 3339), in UTC: for times in log fields.
pub(crate) fn rfc3339(unix: u64) -> String {
    let days = unix / 86_400;
    let secs = unix % 86_400;
    let (y, m, d) = civil_from_days(days as i64);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        // (unix seconds, RFC 5322, RFC 3339)
        let cases = [
            (0, "Thu, 01 Jan 1970 00:00:00 +0000", "1970-01-01T00:00:00Z"),
            (
                1_704_207_845,
                "Tue, 02 Jan 2024 15:04:05 +0000",
                "2024-01-02T15:04:05Z",
            ),
            (
                951_782_400,
                "Tue, 29 Feb 2000 00:00:00 +0000",
                "2000-02-29T00:00:00Z",
            ),
            (
                4_102_444_799,
                "Thu, 31 Dec 2099 23:59:59 +0000",
                "2099-12-31T23:59:59Z",
            ),
        ];
        for (unix, rfc5322, rfc3339_text) in cases {
            assert_eq!(rfc5322_date(unix), rfc5322, "{unix}");
            assert_eq!(rfc3339(unix), rfc3339_text, "{unix}");
        }
    }
}
