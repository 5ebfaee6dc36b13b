//! Times in queue output: the spool stores Unix seconds; people read the local date and time
//! with its UTC offset plus "in 4m" / "5m ago", machines read RFC 3339 in UTC.
//!
//! The local time zone comes from `TZ` or `/etc/localtime` through `jiff` (std has no time zone
//! support; jiff reads the system's zone data itself, with no unsafe calls into libc and no
//! trouble on a multi-threaded runtime).

use std::time::{SystemTime, UNIX_EPOCH};

use jiff::Timestamp;
use jiff::tz::TimeZone;

/// "Now" and the zone to show times in.
#[derive(Debug, Clone)]
pub struct Clock {
    /// Seconds since the Unix epoch.
    pub now: u64,
    tz: TimeZone,
}

impl Clock {
    /// The system's clock and time zone.
    pub fn system() -> Clock {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Clock::at(now, TimeZone::system())
    }

    /// A fixed clock (tests).
    pub fn at(now: u64, tz: TimeZone) -> Clock {
        Clock { now, tz }
    }

    /// `2026-12-04 17:06:18 +01:00`: local date and time with the UTC offset.
    pub fn local(&self, unix: u64) -> String {
        match timestamp(unix) {
            Some(ts) => ts
                .to_zoned_datetime(self.tz.clone())
                .strftime("%Y-%m-%d %H:%M:%S %:z")
                .to_string(),
            None => format!("@{unix}"),
        }
    }

    /// The local time followed by how far it is from now: `... (in 4m)`, `... (5m ago)`.
    pub fn local_and_relative(&self, unix: u64) -> String {
        format!("{} ({})", self.local(unix), self.relative(unix))
    }

    /// `in 4m`, `2h05m ago`, `now` (within a second).
    pub fn relative(&self, unix: u64) -> String {
        if unix == self.now {
            return "now".to_string();
        }
        let (secs, future) = if unix > self.now {
            (unix - self.now, true)
        } else {
            (self.now - unix, false)
        };
        let span = span(secs);
        if future {
            format!("in {span}")
        } else {
            format!("{span} ago")
        }
    }
}

/// RFC 3339 in UTC, e.g. `2026-12-04T16:06:18Z`, for JSON; `None` for a time out of range.
pub fn rfc3339(unix: u64) -> Option<String> {
    crate::dates::checked(unix).map(|_| crate::dates::rfc3339(unix))
}

fn timestamp(unix: u64) -> Option<Timestamp> {
    crate::dates::checked(unix)
}

/// `45s`, `4m`, `2h05m`, `3d04h`: the two largest units, rounded down.
fn span(secs: u64) -> String {
    match secs {
        0..60 => format!("{secs}s"),
        60..3600 => format!("{}m", secs / 60),
        3600..86_400 => format!("{}h{:02}m", secs / 3600, (secs % 3600) / 60),
        _ => format!("{}d{:02}h", secs / 86_400, (secs % 86_400) / 3600),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_796_400_138; // 2026-12-04T16:02:18Z

    #[test]
    fn relative_times() {
        let clock = Clock::at(NOW, TimeZone::UTC);
        for (at, want) in [
            (NOW, "now"),
            (NOW + 45, "in 45s"),
            (NOW + 299, "in 4m"),
            (NOW + 2 * 3600 + 5 * 60, "in 2h05m"),
            (NOW + 3 * 86_400 + 4 * 3600 + 59, "in 3d04h"),
            (NOW - 300, "5m ago"),
            (NOW - 1, "1s ago"),
        ] {
            assert_eq!(clock.relative(at), want, "{at}");
        }
    }

    #[test]
    fn local_time_carries_the_offset() {
        let utc = Clock::at(NOW, TimeZone::UTC);
        assert_eq!(utc.local(NOW), "2026-12-04 16:02:18 +00:00");
        let seoul = Clock::at(NOW, TimeZone::fixed(jiff::tz::offset(9)));
        assert_eq!(
            seoul.local_and_relative(NOW + 240),
            "2026-12-05 01:06:18 +09:00 (in 4m)"
        );
        assert_eq!(rfc3339(NOW).as_deref(), Some("2026-12-04T16:02:18Z"));
    }
}
