//! The one source of wall-clock time for delivery state.
//!
//! Scheduling itself runs on tokio's clock (`tokio::time::Instant`, `sleep_until`), so tests
//! pause and advance it. The spool stores Unix seconds (`received_at`, `next_attempt`), which
//! come from a [`Clock`]: [`SystemClock`] in production, [`TokioClock`] in tests, where it
//! follows tokio's paused clock so both kinds of time move together.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

/// Wall-clock time in Unix seconds, as stored in the spool.
pub trait Clock: Send + Sync + fmt::Debug {
    /// Seconds since the Unix epoch, now.
    fn unix_now(&self) -> u64;
}

/// The system's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn unix_now(&self) -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    }
}

/// A wall clock derived from tokio's clock: `base` Unix seconds at creation, plus the tokio
/// time elapsed since. Under `tokio::time::pause()` it advances exactly with
/// `tokio::time::advance` and auto-advance.
#[derive(Debug, Clone, Copy)]
pub struct TokioClock {
    base_unix: u64,
    base: tokio::time::Instant,
}

impl TokioClock {
    /// A clock that reads `base_unix` now. Call inside a tokio runtime.
    pub fn starting_at(base_unix: u64) -> TokioClock {
        TokioClock {
            base_unix,
            base: tokio::time::Instant::now(),
        }
    }
}

impl Clock for TokioClock {
    fn unix_now(&self) -> u64 {
        self.base_unix + self.base.elapsed().as_secs()
    }
}
