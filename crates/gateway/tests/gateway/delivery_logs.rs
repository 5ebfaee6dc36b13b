//! Logs that fit where they go (issue 6, item 8, the gateway's half): mail held for lack of an
//! upstream is one WARN at start and one an hour, and times in log fields are RFC 3339. On
//! tokio's paused clock, with the log-capture helper.

use std::sync::Arc;
use std::time::Duration;

use scanrelay_diagnose::Stage;
use scanrelay_spool::State;

use crate::delivery_support::{
    FakeUpstream, Running, delivery_settings, eventually, refused, spool_scan, temp_spool,
};
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

/// Regression (issue 6, item 8): the next attempt of a deferred message was logged in Unix
/// seconds (`next_attempt=1700000060`).
#[tokio::test(start_paused = true)]
async fn the_next_attempt_is_logged_as_rfc3339() {
    let t = temp_spool().await;
    let fake = Arc::new(FakeUpstream::new(&t.spool, |_| {
        refused(Stage::Data, "451 4.3.0 try later")
    }));
    let id = spool_scan(&t.spool).await;
    let logs = Logs::start();
    let running = Running::start(&t.spool, Some(fake.clone()), delivery_settings());
    eventually("the message is deferred", HOUR, || async {
        t.spool.load(&id).await.unwrap().delivery.state == State::Deferred
    })
    .await;
    running.stop().await;

    let deferred = lines(&logs, "WARN", "delivery deferred");
    let line = deferred.first().expect("a deferral is logged");
    let value = line
        .split(' ')
        .find_map(|field| field.strip_prefix("next_attempt="))
        .unwrap_or_else(|| panic!("no next_attempt in {line}"));
    // The tests' clock starts at 1_700_000_000 (2023-11-14T22:13:20Z); the first retry is a
    // minute or two later.
    assert!(
        value.len() == 20 && value.starts_with("2023-11-14T22:1") && value.ends_with('Z'),
        "next_attempt={value} is not an RFC 3339 time: {line}"
    );
}
