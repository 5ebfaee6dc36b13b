//! Deadlines on tokio's clock that cannot overflow.
//!
//! `Instant + Duration` panics when the sum is not representable, and several waits come from
//! outside the code: configured durations (`retry_max = "1000000000d"` parses) and times stored
//! in the spool. A panic in the scheduler's loop would stop delivery while the listener keeps
//! accepting mail, so every such deadline goes through [`after`].

use std::time::Duration;

use tokio::time::Instant;

/// The longest wait [`after`] schedules: far enough to mean "not soon", near enough to add.
pub(crate) const LONGEST: Duration = Duration::from_secs(365 * 24 * 3600);

/// `Instant::now() + wait`, with `wait` capped at [`LONGEST`]; never panics.
pub(crate) fn after(wait: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(wait.min(LONGEST)).unwrap_or(now)
}

/// Seconds since the Unix epoch on the system clock (0 if the clock is before it).
pub(crate) fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn huge_waits_are_capped_not_a_panic() {
        let now = Instant::now();
        let cases = [
            (Duration::ZERO, Duration::ZERO),
            (Duration::from_secs(60), Duration::from_secs(60)),
            (Duration::from_secs(u64::MAX), LONGEST),
            (Duration::MAX, LONGEST),
        ];
        for (wait, expect) in cases {
            assert_eq!(after(wait) - now, expect, "{wait:?}");
        }
    }
}
