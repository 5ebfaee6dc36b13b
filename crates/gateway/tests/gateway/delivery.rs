//! The scheduler with an in-process upstream, on tokio's paused clock: retries, bounces,
//! holding without an upstream, the concurrency cap and partial recipient refusal. None of
//! these tests sleeps for real.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use scanrelay_diagnose::Stage;
use scanrelay_diagnose::reply_cause;
use scanrelay_gateway::delivery::Response;
use scanrelay_gateway::delivery::{Backoff, DeliveryReport, RecipientFailure, Upstream};
use scanrelay_spool::{Event, RcptState, State};

use crate::delivery_support::{
    BASE, FakeUpstream, Running, TempSpool, accept_all, contains, delivery_settings, entries,
    eventually, refused, reply, scan_mail, spool_message, spool_scan, temp_spool,
};

const DAY: Duration = Duration::from_secs(24 * 3600);

#[tokio::test(start_paused = true)]
async fn temporary_refusals_back_off_then_deliver() {
    let wall = std::time::Instant::now();
    let t = temp_spool().await;
    let fake = Arc::new(FakeUpstream::new(&t.spool, |call| {
        if call.n < 2 {
            refused(
                Stage::Data,
                "451 4.3.0 Mail server temporarily rejected message",
            )
        } else {
            accept_all(call)
        }
    }));
    spool_scan(&t.spool).await;
    let running = Running::start(&t.spool, Some(fake.clone()), delivery_settings());
    eventually("the message is delivered", DAY, || async {
        entries(&t.spool).await.is_empty()
    })
    .await;
    running.stop().await;

    let calls = fake.calls();
    assert_eq!(calls.len(), 3);
    let attempts: Vec<u32> = calls.iter().map(|c| c.attempts_before).collect();
    assert_eq!(
        attempts,
        [0, 1, 2],
        "attempts recorded in the spool before each try"
    );
    let backoff = Backoff::new(Duration::from_secs(60), Duration::from_secs(3600)).unwrap();
    let slack = Duration::from_secs(1); // the spool stores whole seconds
    for (n, pair) in calls.windows(2).enumerate() {
        let gap = pair[1].at - pair[0].at;
        let attempt = n as u32 + 1;
        assert!(
            gap + slack >= backoff.lower_bound(attempt)
                && gap <= backoff.upper_bound(attempt) + slack,
            "gap {gap:?} after failure {attempt} outside the backoff"
        );
    }
    assert!(
        wall.elapsed() < Duration::from_secs(5),
        "the test slept for real"
    );
}

#[tokio::test(start_paused = true)]
async fn permanent_refusal_fails_and_bounces_with_the_reply_and_cause() {
    let t = temp_spool().await;
    let fake = Arc::new(FakeUpstream::new(&t.spool, |call| {
        if call.mail_from.is_empty() {
            accept_all(call)
        } else {
            refused(
                Stage::Mail,
                "550 5.7.1 The sender address is unauthorized abc123 - nsmtp",
            )
        }
    }));
    let id = spool_scan(&t.spool).await;
    let running = Running::start(&t.spool, Some(fake.clone()), delivery_settings());
    eventually("the bounce is sent", DAY, || async {
        !fake.bounces().is_empty()
    })
    .await;
    running.stop().await;

    let entries = entries(&t.spool).await;
    assert_eq!(
        entries.len(),
        1,
        "the failed message stays, the bounce was delivered"
    );
    let d = &entries[0].delivery;
    assert_eq!(entries[0].id, id);
    assert_eq!(d.state, State::Failed);
    assert_eq!(d.attempts, 1);
    assert_eq!(
        d.last_reply.as_deref(),
        Some("550 5.7.1 The sender address is unauthorized abc123 - nsmtp")
    );
    assert_eq!(d.last_cause.as_deref(), Some("sender.not_allowed"));

    let bounces = fake.bounces();
    assert_eq!(bounces.len(), 1);
    let dsn = &bounces[0];
    assert_eq!(dsn.rcpt_to, ["scan@office.lan"]);
    for needle in [
        "Content-Type: multipart/report; report-type=\"delivery-status\"",
        "Final-Recipient: rfc822; boss@example.com",
        "Action: failed",
        "Status: 5.7.1",
        "Diagnostic-Code: smtp; 550 5.7.1 The sender address is unauthorized abc123 - nsmtp",
        "X-Scanrelay-Cause: sender.not_allowed",
        "Subject: Scan 3F",
    ] {
        assert!(
            contains(&dsn.body, needle),
            "bounce lacks {needle:?}:\n{}",
            String::from_utf8_lossy(&dsn.body)
        );
    }
}

#[tokio::test(start_paused = true)]
async fn repeated_temporary_refusals_expire_and_bounce() {
    let t = temp_spool().await;
    let fake = Arc::new(FakeUpstream::new(&t.spool, |call| {
        if call.mail_from.is_empty() {
            accept_all(call)
        } else {
            refused(Stage::Rcpt, "421 4.7.0 Try again later, closing connection")
        }
    }));
    let mut settings = delivery_settings();
    settings.max_age = Duration::from_secs(3600);
    settings.retry_max = Duration::from_secs(600);
    settings.admin_notify = Some("admin@office.lan".to_string());
    spool_scan(&t.spool).await;
    let running = Running::start(&t.spool, Some(fake.clone()), settings);
    eventually("the bounce is sent", DAY, || async {
        !fake.bounces().is_empty()
    })
    .await;
    running.stop().await;

    let entries = entries(&t.spool).await;
    assert_eq!(entries.len(), 1);
    let d = &entries[0].delivery;
    assert_eq!(d.state, State::Failed);
    assert!(d.attempts > 2, "retried several times: {}", d.attempts);
    assert!(
        d.last_attempt.unwrap() > BASE + 3600,
        "gave up only after max_age"
    );
    let bounces = fake.bounces();
    assert_eq!(bounces.len(), 1);
    assert_eq!(bounces[0].rcpt_to, ["scan@office.lan", "admin@office.lan"]);
    assert!(contains(&bounces[0].body, "Status: 5.4.7"));
    assert!(contains(
        &bounces[0].body,
        "Diagnostic-Code: smtp; 421 4.7.0 Try again later, closing connection"
    ));
}

#[tokio::test(start_paused = true)]
async fn without_upstream_mail_waits_then_goes_out_once_configured() {
    let t = temp_spool().await;
    spool_scan(&t.spool).await;
    let running = Running::start(&t.spool, None, delivery_settings());
    eventually("the message is held", DAY, || async {
        entries(&t.spool).await[0].delivery.state == State::Waiting
    })
    .await;
    tokio::time::sleep(Duration::from_secs(3600)).await;
    running.stop().await;
    let held = entries(&t.spool).await;
    assert_eq!(held.len(), 1, "nothing is lost");
    assert_eq!(held[0].delivery.state, State::Waiting);
    assert_eq!(held[0].delivery.attempts, 0);
    let note = held[0].delivery.last_error.as_deref().unwrap();
    assert!(
        note.starts_with("no upstream configured: add an [upstream] section to"),
        "{note}"
    );

    let fake = Arc::new(FakeUpstream::new(&t.spool, accept_all));
    let running = Running::start(&t.spool, Some(fake.clone()), delivery_settings());
    eventually("the held message is delivered", DAY, || async {
        entries(&t.spool).await.is_empty()
    })
    .await;
    running.stop().await;
    assert_eq!(fake.calls().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn never_more_deliveries_in_flight_than_the_upstream_allows() {
    let t = temp_spool().await;
    let fake =
        Arc::new(FakeUpstream::new(&t.spool, accept_all).with_limit(3, Duration::from_secs(10)));
    assert_eq!(fake.max_concurrency(), 3);
    for n in 0..20 {
        let from = format!("scan{n}@office.lan");
        spool_message(&t.spool, &from, &["boss@example.com"], &scan_mail(&from)).await;
    }
    let started = tokio::time::Instant::now();
    let running = Running::start(&t.spool, Some(fake.clone()), delivery_settings());
    eventually("all 20 are delivered", DAY, || async {
        entries(&t.spool).await.is_empty()
    })
    .await;
    running.stop().await;
    assert_eq!(fake.calls().len(), 20);
    assert_eq!(
        fake.peak.load(Ordering::SeqCst),
        3,
        "three at a time, not more, not fewer"
    );
    assert!(
        started.elapsed() >= Duration::from_secs(70),
        "20 messages, 3 at a time, 10 s each"
    );
}

#[tokio::test(start_paused = true)]
async fn partial_refusal_delivers_to_the_rest_and_bounces_only_the_refused() {
    let t = temp_spool().await;
    let fake = Arc::new(FakeUpstream::new(&t.spool, |call| {
        if call.mail_from.is_empty() || call.n > 0 {
            return accept_all(call);
        }
        let refusal = |rcpt: &str, text: &str| {
            let reply = reply(text);
            RecipientFailure {
                rcpt: rcpt.to_string(),
                cause: reply_cause(Stage::Rcpt, &reply, None),
                response: Some(Response::from(reply)),
            }
        };
        Ok(DeliveryReport {
            accepted: vec!["a@example.com".to_string()],
            refused: vec![
                refusal(
                    "b@example.com",
                    "550 5.1.1 The email account that you tried to reach does not exist",
                ),
                refusal("c@example.com", "450 4.2.1 Mailbox busy, try again later"),
            ],
            response: Some(Response::from(reply("250 2.0.0 OK"))),
        })
    }));
    let rcpts = ["a@example.com", "b@example.com", "c@example.com"];
    spool_message(
        &t.spool,
        "scan@office.lan",
        &rcpts,
        &scan_mail("scan@office.lan"),
    )
    .await;
    let running = Running::start(&t.spool, Some(fake.clone()), delivery_settings());
    eventually("c is retried and the bounce sent", DAY, || async {
        let calls = fake.calls();
        calls.iter().any(|c| c.rcpt_to == ["c@example.com"]) && !fake.bounces().is_empty()
    })
    .await;
    running.stop().await;

    let calls: Vec<_> = fake
        .calls()
        .into_iter()
        .filter(|c| !c.mail_from.is_empty())
        .collect();
    assert_eq!(calls[0].rcpt_to, rcpts);
    assert_eq!(
        calls[1].rcpt_to,
        ["c@example.com"],
        "only the deferred recipient is retried"
    );
    let bounce = &fake.bounces()[0];
    assert!(contains(
        &bounce.body,
        "Final-Recipient: rfc822; b@example.com"
    ));
    assert!(!contains(
        &bounce.body,
        "Final-Recipient: rfc822; a@example.com"
    ));
    assert!(!contains(
        &bounce.body,
        "Final-Recipient: rfc822; c@example.com"
    ));

    let entries = entries(&t.spool).await;
    assert_eq!(entries.len(), 1, "kept because one recipient failed");
    let per: Vec<(&str, RcptState)> = entries[0]
        .delivery
        .per_rcpt
        .iter()
        .map(|s| (s.rcpt.as_str(), s.state))
        .collect();
    assert_eq!(
        per,
        [
            ("a@example.com", RcptState::Delivered),
            ("b@example.com", RcptState::Failed),
            ("c@example.com", RcptState::Delivered),
        ]
    );
    assert_eq!(entries[0].delivery.state, State::Failed);
}

#[tokio::test(start_paused = true)]
async fn a_failing_bounce_is_not_bounced_again() {
    let t = temp_spool().await;
    let fake = Arc::new(FakeUpstream::new(&t.spool, |_| {
        refused(Stage::Rcpt, "550 5.1.1 no such user")
    }));
    let mut settings = delivery_settings();
    settings.admin_notify = Some("admin@office.lan".to_string());
    spool_message(
        &t.spool,
        "scan@office.lan",
        &["nobody@example.com"],
        &scan_mail("scan@office.lan"),
    )
    .await;
    let running = Running::start(&t.spool, Some(fake.clone()), settings);
    eventually("the original and its bounce have failed", DAY, || async {
        let all = entries(&t.spool).await;
        all.len() == 2 && all.iter().all(|e| e.delivery.state == State::Failed)
    })
    .await;
    tokio::time::sleep(Duration::from_secs(3 * 3600)).await;
    running.stop().await;
    assert_eq!(
        entries(&t.spool).await.len(),
        2,
        "no bounce about the bounce"
    );
    assert_eq!(fake.calls().len(), 2);
}

#[tokio::test(start_paused = true)]
async fn operator_retry_is_picked_up_by_the_rescan() {
    let t = temp_spool().await;
    let fake = Arc::new(FakeUpstream::new(&t.spool, |call| {
        if call.mail_from.is_empty() || call.n > 0 {
            accept_all(call)
        } else {
            refused(Stage::Data, "554 5.7.0 Message rejected")
        }
    }));
    let failing = spool_scan(&t.spool).await;
    let running = Running::start(&t.spool, Some(fake.clone()), delivery_settings());
    eventually("the message failed", DAY, || async {
        t.spool.load(&failing).await.unwrap().delivery.state == State::Failed
    })
    .await;
    // `scanrelay queue retry`: queued again, due now.
    t.spool
        .apply(
            &failing,
            Event::Retried {
                now: BASE,
                failed_too: true,
            },
        )
        .await
        .unwrap();
    eventually("the retried message is delivered", DAY, || async {
        t.spool.load(&failing).await.is_err()
    })
    .await;
    running.stop().await;
    let to_original: Vec<_> = fake
        .calls()
        .into_iter()
        .filter(|c| c.id == failing)
        .collect();
    assert_eq!(to_original.len(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_message_deleted_by_the_operator_is_skipped() {
    let t = temp_spool().await;
    let fake = Arc::new(FakeUpstream::new(&t.spool, |_| {
        refused(Stage::Data, "451 4.3.0 try later")
    }));
    let id = spool_scan(&t.spool).await;
    let running = Running::start(&t.spool, Some(fake.clone()), delivery_settings());
    eventually("the message is deferred", DAY, || async {
        t.spool.load(&id).await.unwrap().delivery.state == State::Deferred
    })
    .await;
    // `scanrelay queue delete` from another process.
    t.spool.remove(&id).await.unwrap();
    tokio::time::sleep(Duration::from_secs(3 * 3600)).await;
    running.stop().await;
    assert_eq!(fake.calls().len(), 1, "not tried again after deletion");
    assert!(entries(&t.spool).await.is_empty());
}

/// A scheduler over an empty spool that rescans only every hour, 10 s after its first scan.
async fn started_with_hourly_rescans() -> (TempSpool, Arc<FakeUpstream>, Running) {
    let t = temp_spool().await;
    let fake = Arc::new(FakeUpstream::new(&t.spool, accept_all));
    let mut settings = delivery_settings();
    settings.rescan_interval = Duration::from_secs(3600);
    let running = Running::start(&t.spool, Some(fake.clone()), settings);
    tokio::time::sleep(Duration::from_secs(10)).await;
    (t, fake, running)
}

#[tokio::test(start_paused = true)]
async fn wake_picks_up_a_new_message_before_the_next_rescan() {
    let (t, _fake, running) = started_with_hourly_rescans().await;
    let started = tokio::time::Instant::now();
    spool_scan(&t.spool).await;
    running.handle.wake();
    eventually("the new message is delivered", DAY, || async {
        entries(&t.spool).await.is_empty()
    })
    .await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "woken, not rescanned: {:?}",
        started.elapsed()
    );
    running.stop().await;
}

#[tokio::test(start_paused = true)]
async fn an_interrupted_attempt_waits_retry_min_before_it_is_resent() {
    let t = temp_spool().await;
    let fake = Arc::new(FakeUpstream::new(&t.spool, accept_all));
    let id = spool_scan(&t.spool).await;
    // The server stopped (or could not record the outcome) in the middle of an attempt.
    t.spool
        .apply(&id, Event::AttemptStarted { at: BASE })
        .await
        .unwrap();
    let started = tokio::time::Instant::now();
    let running = Running::start(&t.spool, Some(fake.clone()), delivery_settings());
    eventually("the message is delivered", DAY, || async {
        entries(&t.spool).await.is_empty()
    })
    .await;
    running.stop().await;
    let calls = fake.calls();
    assert_eq!(calls.len(), 1);
    assert!(
        calls[0].at - started >= Duration::from_secs(60),
        "resent too soon: {:?}",
        calls[0].at - started
    );
}

#[tokio::test(start_paused = true)]
async fn a_delivered_message_left_in_the_spool_is_removed_not_resent() {
    let t = temp_spool().await;
    let fake = Arc::new(FakeUpstream::new(&t.spool, accept_all));
    let id = spool_scan(&t.spool).await;
    t.spool
        .rewrite_state_for_tests(&id, |d| d.state = State::Delivered)
        .await
        .unwrap();
    let running = Running::start(&t.spool, Some(fake.clone()), delivery_settings());
    eventually("the leftover is removed", DAY, || async {
        entries(&t.spool).await.is_empty()
    })
    .await;
    running.stop().await;
    assert!(fake.calls().is_empty());
}

/// A message handed over by the listener is scheduled from its commit, without a rescan: a
/// message committed beside it but not announced waits for the next rescan (issue 10: a
/// rescan per accepted message made accepting quadratic in the backlog).
#[tokio::test(start_paused = true)]
async fn a_queued_message_is_scheduled_without_rescanning_the_spool() {
    let (t, fake, running) = started_with_hourly_rescans().await;
    let unannounced = spool_scan(&t.spool).await;
    let body = b"Subject: announced\r\n\r\nscan\r\n";
    let mut incoming = t.spool.begin().await.unwrap();
    incoming.write(body).await.unwrap();
    let mut envelope = t.spool.load(&unannounced).await.unwrap().envelope;
    envelope.size = body.len() as u64;
    let committed = incoming.commit_entry(envelope, None).await.unwrap();
    let announced = committed.item.id.clone();
    assert_eq!(committed.entry.delivery.state, State::Queued);
    running.handle.queued(committed);
    eventually("the announced message is delivered", DAY, || async {
        t.spool.load(&announced).await.is_err()
    })
    .await;
    assert_eq!(fake.calls().len(), 1, "only the announced one: no rescan");
    assert_eq!(fake.calls()[0].id, announced);
    tokio::time::sleep(Duration::from_secs(3600)).await;
    eventually("the next rescan finds the other", DAY, || async {
        entries(&t.spool).await.is_empty()
    })
    .await;
    running.stop().await;
    assert_eq!(fake.calls().len(), 2);
    assert_eq!(fake.calls()[1].id, unannounced);
}
