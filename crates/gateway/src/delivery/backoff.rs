//! Retry delays: validated, capped, jittered exponential backoff (in the spirit of
//! linkerd2-proxy's `exp-backoff`).
//!
//! After the `n`-th failed attempt (`n >= 1`) the delay is drawn uniformly from
//! `[max(min, upper(n) / 2), upper(n)]` where `upper(n) = min(max, min * 2^n)`. So every delay
//! lies in `[min, max]`, the upper bound never decreases with `n`, and messages that failed
//! together (an upstream outage) spread out instead of retrying in lock-step.

use std::time::Duration;

use rand::Rng;

/// Why a backoff configuration was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BackoffError {
    /// `retry_min` is zero: a failing upstream would be hammered in a busy loop.
    #[error("the shortest retry delay must be longer than zero")]
    ZeroMin,
    /// `retry_min` is longer than `retry_max`.
    #[error("the shortest retry delay ({min:?}) is longer than the longest ({max:?})")]
    MinAboveMax {
        /// The shortest delay.
        min: Duration,
        /// The longest delay.
        max: Duration,
    },
}

/// A validated exponential backoff between `min` and `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    min: Duration,
    max: Duration,
}

impl Backoff {
    /// A backoff from `min` (first retry) growing to at most `max`.
    pub fn new(min: Duration, max: Duration) -> Result<Backoff, BackoffError> {
        if min.is_zero() {
            return Err(BackoffError::ZeroMin);
        }
        if min > max {
            return Err(BackoffError::MinAboveMax { min, max });
        }
        Ok(Backoff { min, max })
    }

    /// The shortest delay.
    pub fn min(&self) -> Duration {
        self.min
    }

    /// The longest delay.
    pub fn max(&self) -> Duration {
        self.max
    }

    /// The largest delay [`Backoff::delay`] can return after `attempt` failed attempts.
    /// Non-decreasing in `attempt`; `attempt` 0 is treated as 1.
    pub fn upper_bound(&self, attempt: u32) -> Duration {
        let factor = 1u32 << attempt.clamp(1, 31);
        self.min
            .checked_mul(factor)
            .map_or(self.max, |d| d.min(self.max))
    }

    /// The smallest delay [`Backoff::delay`] can return after `attempt` failed attempts.
    pub fn lower_bound(&self, attempt: u32) -> Duration {
        (self.upper_bound(attempt) / 2).max(self.min)
    }

    /// A jittered delay before the next attempt, after `attempt` failed attempts (1 for the
    /// first failure). Always within `[min, max]`.
    pub fn delay(&self, attempt: u32) -> Duration {
        self.delay_with(attempt, &mut rand::rng())
    }

    /// [`Backoff::delay`] with the random source given (for reproducible tests).
    pub fn delay_with(&self, attempt: u32, rng: &mut impl Rng) -> Duration {
        let (low, high) = (self.lower_bound(attempt), self.upper_bound(attempt));
        if low >= high {
            return high;
        }
        let nanos = rng.random_range(low.as_nanos()..=high.as_nanos());
        Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX)).clamp(low, high)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn rejects_bad_bounds() {
        assert_eq!(Backoff::new(secs(0), secs(1)), Err(BackoffError::ZeroMin));
        assert!(matches!(
            Backoff::new(secs(10), secs(1)),
            Err(BackoffError::MinAboveMax { .. })
        ));
        assert!(Backoff::new(secs(1), secs(1)).is_ok());
    }

    #[test]
    fn grows_then_caps() {
        let b = Backoff::new(secs(60), secs(3600)).unwrap();
        assert_eq!(b.upper_bound(1), secs(120));
        assert_eq!(b.upper_bound(2), secs(240));
        assert_eq!(b.upper_bound(6), secs(3600));
        assert_eq!(b.upper_bound(u32::MAX), secs(3600));
        assert_eq!(b.lower_bound(1), secs(60));
        assert_eq!(b.lower_bound(u32::MAX), secs(1800));
    }

    #[test]
    fn huge_durations_do_not_overflow() {
        let b = Backoff::new(Duration::MAX / 2, Duration::MAX).unwrap();
        assert_eq!(b.upper_bound(40), Duration::MAX);
        let d = b.delay(40);
        assert!(d >= Duration::MAX / 2);
    }

    proptest::proptest! {
        #[test]
        fn delay_within_bounds(
            min_ms in 1u64..10_000_000,
            extra_ms in 0u64..100_000_000,
            attempt in 0u32..200,
            seed in proptest::prelude::any::<u64>(),
        ) {
            use rand::SeedableRng;
            let (min, max) = (Duration::from_millis(min_ms), Duration::from_millis(min_ms + extra_ms));
            let b = Backoff::new(min, max).unwrap();
            let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
            let d = b.delay_with(attempt, &mut rng);
            proptest::prop_assert!(min <= d && d <= max, "{d:?} outside [{min:?}, {max:?}]");
            proptest::prop_assert!(b.lower_bound(attempt) <= d && d <= b.upper_bound(attempt));
            proptest::prop_assert!(b.upper_bound(attempt) <= b.upper_bound(attempt + 1));
        }
    }
}
