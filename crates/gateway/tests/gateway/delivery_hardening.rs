//! Regressions from review of the delivery side, on tokio's paused clock: absurd stored times,
//! a spool that fails right after the upstream took a message, damaged messages, the order of
//! bounce and `Failed`, and a bounded drain at shutdown.

use std::io::ErrorKind;
use std::sync::Arc;
use std::time::Duration;

use scanrelay_diagnose::{Stage, reply_cause};
use scanrelay_gateway::delivery::Response;
use scanrelay_gateway::delivery::{DRAIN_GRACE, DeliveryReport, RecipientFailure};
use scanrelay_spool::{MessageId, RcptState, Spool, State};
use tokio::time::Instant;

use crate::delivery_support::{
    FakeUpstream, Running, accept_all, delivery_settings, entries, eventually, reply, scan_mail,
    spool_message, temp_spool,
};
use crate::log_capture::Logs;

const DAY: Duration = Duration::from_secs(24 * 3600);

/// Rewrites a message's envelope file by hand, as damage or an operator's editor would.
fn edit_envelope(spool: &Spool, id: &MessageId, edit: impl FnOnce(&mut serde_json::Value)) {
    let path = spool.dir().join("env").join(format!("{id}.json"));
    let text = std::fs::read(&path).unwrap_or_else(|_| {
        // Spool format 2: until its first state change, a message's envelope is in the header
        // block of its message file (a magic line, then JSON padded to 4096 bytes).
        let file = std::fs::read(spool.body_path(id)).unwrap();
        let block = &file[..4096];
        let start = block.iter().position(|&b| b == b'\n').unwrap() + 1;
        block[start..].trim_ascii_end().to_vec()
    });
    let mut json: serde_json::Value = serde_json::from_slice(&text).unwrap();
    edit(&mut json["delivery"]);
    std::fs::write(&path, serde_json::to_vec(&json).unwrap()).unwrap();
}

async fn one_message(spool: &Spool, to: &[&str]) -> MessageId {
    spool_message(spool, "scan@office.lan", to, &scan_mail("scan@office.lan")).await
}

#[tokio::test(start_paused = true)]
async fn absurd_stored_times_neither_stop_delivery_nor_hide_a_message_for_years() {
    let t = temp_spool().await;
    let fake = Arc::new(FakeUpstream::new(&t.spool, accept_all));
    let max = u64::MAX;
    // (state, next_attempt, last_attempt, attempts) as found in a crafted envelope file.
    let cases = [
        ("queued", max, None, 0),
        ("deferred", max, Some(max), u32::MAX),
        ("sending", 0, Some(max), 3),
        ("sending", 0, Some(max - 30), 0),
        ("deferred", 0, Some(0), 1),
    ];
    let mut crafted = Vec::new();
    for (state, next, last, attempts) in cases {
        let id = one_message(&t.spool, &["boss@example.com"]).await;
        edit_envelope(&t.spool, &id, |d| {
            d["state"] = state.into();
            d["next_attempt"] = next.into();
            d["last_attempt"] = last.into();
            d["attempts"] = attempts.into();
        });
        crafted.push(id);
    }
    let running = Running::start(&t.spool, Some(fake.clone()), delivery_settings());
    let normal = one_message(&t.spool, &["boss@example.com"]).await;
    running.handle.wake();
    eventually(
        "a normal message still goes out",
        Duration::from_secs(60),
        || async { t.spool.load(&normal).await.is_err() },
    )
    .await;
    // Absurd future times count as at most a day away.
    tokio::time::sleep(DAY + Duration::from_secs(120)).await;
    assert!(
        entries(&t.spool).await.is_empty(),
        "crafted messages went out"
    );
    // The scheduler task did not panic: it stops normally.
    running.stop().await;
    assert_eq!(fake.calls().len(), cases.len() + 1);
}

/// The upstream accepts; the spool then refuses envelope writes for `outage`.
fn accept_then_break_the_spool(spool: &Spool, outage: Duration) -> Arc<FakeUpstream> {
    let broken = spool.clone();
    Arc::new(FakeUpstream::new(spool, move |call| {
        if call.n == 0 {
            broken.fail_envelope_writes_with(Some(ErrorKind::Other));
            let healed = broken.clone();
            tokio::spawn(async move {
                tokio::time::sleep(outage).await;
                healed.fail_envelope_writes_with(None);
            });
        }
        accept_all(call)
    }))
}

#[tokio::test(start_paused = true)]
async fn a_failed_outcome_write_after_a_successful_transaction_does_not_resend() {
    // A short outage is ridden out by retrying the write; a long one by remembering the
    // delivered recipients until the next attempt can write them.
    for outage in [Duration::from_secs(1), Duration::from_secs(150)] {
        let t = temp_spool().await;
        let fake = accept_then_break_the_spool(&t.spool, outage);
        one_message(&t.spool, &["a@example.com", "b@example.com"]).await;
        let running = Running::start(&t.spool, Some(fake.clone()), delivery_settings());
        eventually("the message is removed", DAY, || async {
            entries(&t.spool).await.is_empty()
        })
        .await;
        running.stop().await;
        assert_eq!(
            fake.calls().len(),
            1,
            "sent once despite a {outage:?} outage"
        );
    }
}

/// `a@` accepted, `b@` refused for good, on the first call; bounces are accepted.
fn accept_a_refuse_b(
    call: &crate::delivery_support::Call,
) -> Result<DeliveryReport, scanrelay_gateway::delivery::DeliveryError> {
    if call.mail_from.is_empty() {
        return accept_all(call);
    }
    let no_such_user = reply("550 5.1.1 No such user");
    Ok(DeliveryReport {
        accepted: call
            .rcpt_to
            .iter()
            .filter(|r| r.starts_with("a@"))
            .cloned()
            .collect(),
        refused: vec![RecipientFailure {
            rcpt: "b@example.com".to_string(),
            cause: reply_cause(Stage::Rcpt, &no_such_user, None),
            response: Some(Response::from(no_such_user)),
        }],
        response: Some(Response::from(reply("250 2.0.0 OK"))),
    })
}

#[tokio::test(start_paused = true)]
async fn a_failure_notice_is_queued_before_the_message_is_marked_failed() {
    let t = temp_spool().await;
    let fake = Arc::new(FakeUpstream::new(&t.spool, accept_a_refuse_b));
    let id = one_message(&t.spool, &["a@example.com", "b@example.com"]).await;
    // The bounce cannot be written (its body write fails): the message must not be `Failed`
    // without its notice, and `a@` must not get the message twice meanwhile.
    t.spool.fail_body_writes_with(Some(ErrorKind::StorageFull));
    let running = Running::start(&t.spool, Some(fake.clone()), delivery_settings());
    eventually("the accepted recipient is recorded", DAY, || async {
        let entry = t.spool.load(&id).await.unwrap();
        entry
            .delivery
            .per_rcpt
            .iter()
            .any(|s| s.rcpt == "a@example.com" && s.state == RcptState::Delivered)
    })
    .await;
    tokio::time::sleep(Duration::from_secs(10)).await;
    let entry = t.spool.load(&id).await.unwrap();
    assert_ne!(
        entry.delivery.state,
        State::Failed,
        "failed without a notice"
    );
    assert_eq!(entries(&t.spool).await.len(), 1, "no bounce yet");

    t.spool.fail_body_writes_with(None);
    eventually("bounced, then failed", DAY, || async {
        !fake.bounces().is_empty()
            && t.spool.load(&id).await.unwrap().delivery.state == State::Failed
    })
    .await;
    running.stop().await;
    let to_a = fake
        .calls()
        .iter()
        .filter(|c| c.rcpt_to.contains(&"a@example.com".to_string()))
        .count();
    assert_eq!(to_a, 1, "a@ got the message once");
}

#[tokio::test(start_paused = true)]
async fn damaged_messages_are_failed_or_left_alone_not_retried_for_ever() {
    let logs = Logs::start();
    let t = temp_spool().await;
    let fake = Arc::new(FakeUpstream::new(&t.spool, accept_all));
    let no_body = one_message(&t.spool, &["boss@example.com"]).await;
    // A state change gives it an envelope file (spool format 2), which outlives the damage.
    t.spool
        .rewrite_state_for_tests(&no_body, |_| {})
        .await
        .unwrap();
    std::fs::remove_file(t.spool.body_path(&no_body)).unwrap();
    let garbled = one_message(&t.spool, &["boss@example.com"]).await;
    let garbled_path = t.spool.dir().join("env").join(format!("{garbled}.json"));
    // JSON, but not an envelope: damage, left alone. (Text that is not JSON at all reads as
    // a state change cut short by a power loss, and the committed header is used instead.)
    std::fs::write(&garbled_path, b"{\"not\": \"an envelope\"}").unwrap();

    let running = Running::start(&t.spool, Some(fake.clone()), delivery_settings());
    eventually("the message without body is failed", DAY, || async {
        t.spool.load(&no_body).await.unwrap().delivery.state == State::Failed
    })
    .await;
    tokio::time::sleep(Duration::from_secs(3600)).await;
    let entry = t.spool.load(&no_body).await.unwrap();
    assert!(
        entry
            .delivery
            .last_error
            .unwrap()
            .contains("body file missing")
    );
    assert!(fake.calls().is_empty());
    // An hour of rescans (every 5 s) logged the unreadable envelope once, not 720 times.
    assert_eq!(logs.count("unreadable envelope"), 1, "{}", logs.text());

    // Repaired by hand: picked up by the next rescan and delivered.
    edit_repaired(&t.spool, &garbled, &no_body);
    eventually("the repaired message goes out", DAY, || async {
        t.spool.load(&garbled).await.is_err()
    })
    .await;
    running.stop().await;
    assert_eq!(fake.calls().len(), 1);
}

/// Writes a valid envelope for `garbled` (a copy of `template`'s, queued).
fn edit_repaired(spool: &Spool, garbled: &MessageId, template: &MessageId) {
    let env = spool.dir().join("env");
    let text = std::fs::read(env.join(format!("{template}.json"))).unwrap();
    let mut json: serde_json::Value = serde_json::from_slice(&text).unwrap();
    json["delivery"] = serde_json::json!({"state": "queued", "attempts": 0, "next_attempt": 0});
    std::fs::write(
        env.join(format!("{garbled}.json")),
        serde_json::to_vec(&json).unwrap(),
    )
    .unwrap();
}

#[tokio::test(start_paused = true)]
async fn shutdown_abandons_a_delivery_still_running_after_the_grace_period() {
    let t = temp_spool().await;
    let slow = FakeUpstream::new(&t.spool, accept_all).with_limit(3, Duration::from_secs(600));
    let fake = Arc::new(slow);
    let id = one_message(&t.spool, &["boss@example.com"]).await;
    let running = Running::start(&t.spool, Some(fake.clone()), delivery_settings());
    eventually(
        "the attempt is under way",
        Duration::from_secs(60),
        || async { t.spool.load(&id).await.unwrap().delivery.state == State::Sending },
    )
    .await;
    let stopping = Instant::now();
    running.stop().await;
    let took = stopping.elapsed();
    assert!(
        took >= DRAIN_GRACE && took < DRAIN_GRACE + Duration::from_secs(6),
        "{took:?}"
    );
    assert_eq!(
        t.spool.load(&id).await.unwrap().delivery.state,
        State::Sending,
        "left to be retried after the next start"
    );
    assert!(fake.calls().is_empty(), "the upstream never finished");
}
