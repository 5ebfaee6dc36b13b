//! Dates as the gateway writes them: RFC 5322 in header fields (`Date:`, `Received:`), RFC
//! 3339 in the log and in JSON (`2024-01-02T15:04:05Z`), never bare Unix seconds where people
//! read them. Both from Unix seconds, in UTC, through jiff (the calendar is not hand-written).

use jiff::Timestamp;

/// `unix` as a timestamp, if it is one jiff can represent.
pub(crate) fn checked(unix: u64) -> Option<Timestamp> {
    Timestamp::from_second(i64::try_from(unix).ok()?).ok()
}

fn timestamp(unix: u64) -> Timestamp {
    checked(unix).unwrap_or(Timestamp::MAX)
}

/// `Tue, 02 Jan 2024 15:04:05 +0000` (RFC 5322 §3.3), in UTC.
pub(crate) fn rfc5322_date(unix: u64) -> String {
    timestamp(unix)
        .strftime("%a, %d %b %Y %H:%M:%S +0000")
        .to_string()
}

/// `2024-01-02T15:04:05Z` (RFC 3339), in UTC: for times in log fields.
pub(crate) fn rfc3339(unix: u64) -> String {
    timestamp(unix).strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
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
