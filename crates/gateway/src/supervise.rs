//! Keeps a background task (the delivery scheduler) running.
//!
//! The listener answers `250` for as long as the process lives, so if delivery ended by
//! accident (a panic in the scheduler's loop, e.g. on an envelope nobody foresaw) mail would
//! pile up in the spool unnoticed. [`supervise`] runs the task, and when it ends while no stop
//! was asked for, logs an error and starts it again after a pause that doubles up to a minute.
//! After [`MAX_RESTARTS`] failures in a row (a run of [`HEALTHY_RUN`] or more resets the
//! count) it gives up with a final error and marks the [`Health`] it was given as stopped:
//! the listener then answers `451 4.3.2` instead of accepting mail that nothing would deliver
//! (the spool keeps what it already has until the next start).

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

/// Restarts in a row before giving up.
pub(crate) const MAX_RESTARTS: u32 = 10;
/// The pause before the first restart; it doubles with each failure in a row.
const FIRST_PAUSE: Duration = Duration::from_secs(1);
/// The longest pause between restarts.
const LONGEST_PAUSE: Duration = Duration::from_secs(60);
/// A run at least this long counts as healthy: the failure count starts over.
const HEALTHY_RUN: Duration = Duration::from_secs(600);

/// Whether delivery is running, shared by the supervisor (which marks it stopped when it gives
/// up) and the listener (which then refuses new mail), with a count of the refusals.
#[derive(Debug, Default)]
pub struct Health {
    stopped: AtomicBool,
    refused: AtomicU64,
}

impl Health {
    /// Whether delivery has stopped for good.
    pub fn delivery_stopped(&self) -> bool {
        self.stopped.load(Ordering::SeqCst)
    }

    /// Counts a message refused because delivery stopped.
    pub fn count_refusal(&self) {
        self.refused.fetch_add(1, Ordering::Relaxed);
    }

    /// Messages refused because delivery stopped.
    pub fn refusals(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }

    fn mark_stopped(&self) {
        self.stopped.store(true, Ordering::SeqCst);
    }

    /// Test seam: delivery stopped for good, as when the supervisor gives up.
    #[doc(hidden)]
    pub fn mark_stopped_for_tests(&self) {
        self.mark_stopped();
    }
}

/// Runs `start()` as a task until `stop` becomes `true` (or its sender is dropped), starting
/// it again when it ends or panics on its own; marks `health` stopped when it gives up.
/// `what` names it in the log.
pub(crate) async fn supervise<F, Fut>(
    what: &'static str,
    mut start: F,
    stop: watch::Receiver<bool>,
    health: Arc<Health>,
) where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let mut failures = 0u32;
    loop {
        let started = Instant::now();
        let ended = tokio::spawn(start()).await;
        if stopping(&stop) {
            return;
        }
        match ended {
            Ok(()) => tracing::error!("{what} stopped unexpectedly"),
            Err(e) => tracing::error!(error = %e, "{what} failed"),
        }
        if started.elapsed() >= HEALTHY_RUN {
            failures = 0;
        }
        failures += 1;
        if failures > MAX_RESTARTS {
            tracing::error!(
                "{what} failed {MAX_RESTARTS} times in a row and is not restarted again: new \
                 mail is refused with 451 (devices keep it and try again) and the spool keeps \
                 what it has until scanrelay is restarted"
            );
            health.mark_stopped();
            return;
        }
        let pause = FIRST_PAUSE
            .saturating_mul(1 << (failures - 1).min(16))
            .min(LONGEST_PAUSE);
        tracing::error!(restart = failures, ?pause, "restarting {what}");
        let mut stop = stop.clone();
        tokio::select! {
            () = tokio::time::sleep(pause) => {}
            _ = stop.wait_for(|&s| s) => return,
        }
    }
}

/// Whether a stop was asked for (or can no longer be: the sender is gone).
fn stopping(stop: &watch::Receiver<bool>) -> bool {
    *stop.borrow() || stop.has_changed().is_err()
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicU32;

    use super::*;

    /// Runs a task that fails `failures` times (panics or returns at once), then runs until
    /// stopped; returns how often it was started and whether `supervise` returned by itself.
    async fn run(failures: u32, panics: bool) -> (u32, bool) {
        let starts = Arc::new(AtomicU32::new(0));
        let (stop_tx, stop) = watch::channel(false);
        let (counter, task_stop) = (starts.clone(), stop.clone());
        let start = move || {
            let n = counter.fetch_add(1, Ordering::SeqCst);
            let mut stop = task_stop.clone();
            async move {
                if n < failures {
                    assert!(!panics, "delivery task panicked (injected)");
                    return;
                }
                let _ = stop.wait_for(|&s| s).await;
            }
        };
        let health = Arc::new(Health::default());
        let task = tokio::spawn(supervise("test task", start, stop, health.clone()));
        tokio::time::sleep(Duration::from_secs(3600)).await;
        let gave_up = task.is_finished();
        assert_eq!(
            health.delivery_stopped(),
            gave_up,
            "stopped exactly when it gave up"
        );
        let _ = stop_tx.send(true);
        tokio::time::timeout(Duration::from_secs(1), task)
            .await
            .expect("stops promptly")
            .unwrap();
        (starts.load(Ordering::SeqCst), gave_up)
    }

    #[tokio::test(start_paused = true)]
    async fn a_scheduler_that_ends_unexpectedly_is_restarted_with_backoff_then_given_up() {
        let cases = [
            // (failures, panics, expected starts, gave up)
            (0, false, 1, false),
            (1, true, 2, false),
            (3, false, 4, false),
            (MAX_RESTARTS, true, MAX_RESTARTS + 1, false),
            (u32::MAX, true, MAX_RESTARTS + 1, true),
            (u32::MAX, false, MAX_RESTARTS + 1, true),
        ];
        for (failures, panics, starts, gave_up) in cases {
            let got = run(failures, panics).await;
            assert_eq!(
                got,
                (starts, gave_up),
                "{failures} failures, panics: {panics}"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn restarts_pause_longer_each_time() {
        let times = Arc::new(std::sync::Mutex::new(Vec::new()));
        let (_stop_tx, stop) = watch::channel(false);
        let seen = times.clone();
        let start = move || {
            seen.lock().unwrap().push(Instant::now());
            async {}
        };
        let began = Instant::now();
        supervise("test task", start, stop, Arc::default()).await;
        let offsets: Vec<u64> = times
            .lock()
            .unwrap()
            .iter()
            .map(|t| (*t - began).as_secs())
            .collect();
        assert_eq!(offsets, [0, 1, 3, 7, 15, 31, 63, 123, 183, 243, 303]);
    }
}
