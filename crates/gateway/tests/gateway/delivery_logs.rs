//! Logs that fit where they go (issue 6, item 8, the gateway's half): mail held for lack of an
//! upstream is one WARN at start and one an hour, and times in log fields are RFC 3339. On
//! tokio's paused clock, with the log-capture helper.

use std::time::Duration;

use scanrelay_spool::State;

use crate::delivery_support::{Running, delivery_settings, spool_scan, temp_spool};
use crate::log_capture::Logs;

const HOUR: Duration = Duration::from_secs(3600);

/// The captured lines at `level` that contain `needle`.
fn lines(logs: &Logs, level: &str, needle: &str) -> Vec<String> {
    logs.text()
        .lines()
        .filter(|l| l.starts_with(level) && l.contains(needle))
        .map(str::to_string)
        .collect()
}

/// Regression (issue 6, item 8): without an upstream every held message was a WARN of its
/// own, and then nothing more was said however long mail stayed held.
#[tokio::test(start_paused = true)]
async fn held_mail_is_one_warning_at_start_and_one_an_hour() {
    let t = temp_spool().await;
    for _ in 0..5 {
        spool_scan(&t.spool).await;
    }
    let logs = Logs::start();
    let running = Running::start(&t.spool, None, delivery_settings());
    tokio::time::sleep(HOUR / 2).await;
    // More mail arriving meanwhile does not make more warnings.
    spool_scan(&t.spool).await;
    running.handle.wake();
    tokio::time::sleep(2 * HOUR).await;
    running.stop().await;

    let warned = lines(&logs, "WARN", "no upstream configured");
    assert_eq!(warned.len(), 3, "at 0 h, 1 h and 2 h:\n{}", logs.text());
    assert!(warned[0].contains("held=5"), "{}", warned[0]);
    assert!(warned[1].contains("held=6"), "{}", warned[1]);
    for id in t.spool.list().await.unwrap() {
        assert_eq!(id.delivery.state, State::Waiting);
    }
}
