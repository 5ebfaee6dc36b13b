//! Latency percentiles (nearest-rank) over nanosecond samples, reported in milliseconds.

use serde::{Deserialize, Serialize};

/// Percentiles of a set of latency samples, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Latency {
    /// Number of samples.
    pub count: usize,
    /// Smallest sample.
    pub min_ms: f64,
    /// Arithmetic mean.
    pub mean_ms: f64,
    /// Median (nearest rank).
    pub p50_ms: f64,
    /// 95th percentile (nearest rank).
    pub p95_ms: f64,
    /// 99th percentile (nearest rank).
    pub p99_ms: f64,
    /// Largest sample.
    pub max_ms: f64,
}

/// Summarizes samples given in nanoseconds (may be negative for clock skew); `None` if empty.
pub fn summarize_ns(samples: &[i128]) -> Option<Latency> {
    if samples.is_empty() {
        return None;
    }
    let mut sorted = samples.to_vec();
    sorted.sort_unstable();
    let ms = |ns: i128| round3(ns as f64 / 1e6);
    let sum: i128 = sorted.iter().sum();
    Some(Latency {
        count: sorted.len(),
        min_ms: ms(sorted[0]),
        mean_ms: ms(sum / sorted.len() as i128),
        p50_ms: ms(nearest_rank(&sorted, 50.0)),
        p95_ms: ms(nearest_rank(&sorted, 95.0)),
        p99_ms: ms(nearest_rank(&sorted, 99.0)),
        max_ms: ms(sorted[sorted.len() - 1]),
    })
}

/// The nearest-rank percentile `p` (0..=100] of a non-empty sorted slice.
fn nearest_rank(sorted: &[i128], p: f64) -> i128 {
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Rounds to three decimals (microsecond resolution when the unit is milliseconds).
pub fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let samples: Vec<i128> = (1..=100).map(|i| i * 1_000_000).collect();
        let l = summarize_ns(&samples).unwrap();
        assert_eq!(l.count, 100);
        assert_eq!(l.p50_ms, 50.0);
        assert_eq!(l.p95_ms, 95.0);
        assert_eq!(l.p99_ms, 99.0);
        assert_eq!(l.max_ms, 100.0);
        assert_eq!(l.min_ms, 1.0);
    }

    #[test]
    fn single_sample_and_empty() {
        let l = summarize_ns(&[2_500_000]).unwrap();
        assert_eq!((l.p50_ms, l.p99_ms, l.max_ms), (2.5, 2.5, 2.5));
        assert!(summarize_ns(&[]).is_none());
    }
}
