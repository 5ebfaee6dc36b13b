//! Several upstreams, each in its own lane (issue 7, item 0): one slow upstream never holds
//! another's mail, pacing makes mail wait as `paced` with the time it goes, an upstream's
//! "retry after" pauses its lane, a dead login holds mail (never bounced for it) until a new
//! login releases it, a setup problem holds mail until an operator retries, and a route to an
//! upstream that is gone falls back to the default. All on paused tokio time.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use scanrelay_diagnose::Cause;
use scanrelay_gateway::delivery::{DeliveryError, Pacing, Response, Upstream, Upstreams};
use scanrelay_spool::{Event, HoldReason, State};
use tokio::sync::watch;

use crate::delivery_support::{
    BASE, FakeUpstream, Running, accept_all, delivery_settings, entries, eventually, scan_mail,
    spool_routed, temp_spool,
};

const DAY: Duration = Duration::from_secs(24 * 3600);

async fn routed(spool: &scanrelay_spool::Spool, route: Option<&str>) -> scanrelay_spool::MessageId {
    let body = scan_mail("scan@office.lan");
    spool_routed(
        spool,
        "scan@office.lan",
        &["boss@example.com"],
        &body,
        route,
    )
    .await
}

#[tokio::test(start_paused = true)]
async fn a_slow_upstream_never_holds_another_upstreams_mail() {
    let t = temp_spool().await;
    let slow = Arc::new(
        FakeUpstream::new(&t.spool, accept_all)
            .named("slow")
            .with_limit(1, Duration::from_secs(3600)),
    );
    let fast = Arc::new(FakeUpstream::new(&t.spool, accept_all).named("fast"));
    for _ in 0..3 {
        routed(&t.spool, Some("slow")).await;
    }
    for _ in 0..3 {
        routed(&t.spool, Some("fast")).await;
    }
    let upstreams = Upstreams::new(
        vec![
            (slow.clone() as Arc<dyn Upstream>, Pacing::default()),
            (fast.clone() as Arc<dyn Upstream>, Pacing::default()),
        ],
        Some("slow".to_string()),
    );
    let running = Running::start_with(&t.spool, upstreams, delivery_settings());
    eventually(
        "the fast upstream's mail is delivered",
        Duration::from_secs(30),
        || async { fast.calls().len() == 3 },
    )
    .await;
    assert_eq!(
        (slow.peak.load(Ordering::SeqCst), slow.calls().len()),
        (1, 0),
        "the slow lane has one in flight, at its cap, and has finished none"
    );
    assert_eq!(
        entries(&t.spool).await.len(),
        3,
        "only the slow upstream's mail is left"
    );
    running.stop().await;
}

#[tokio::test(start_paused = true)]
async fn mail_over_the_pacing_limit_waits_as_paced_with_the_time_it_goes() {
    let t = temp_spool().await;
    let fake = Arc::new(FakeUpstream::new(&t.spool, accept_all));
    let mut ids = Vec::new();
    for _ in 0..5 {
        ids.push(routed(&t.spool, None).await);
    }
    let pacing = Pacing {
        per_minute: Some(2),
        per_day: None,
    };
    let upstreams = Upstreams::new(vec![(fake.clone() as Arc<dyn Upstream>, pacing)], None);
    let running = Running::start_with(&t.spool, upstreams, delivery_settings());
    eventually(
        "two delivered, three paced",
        Duration::from_secs(10),
        || async {
            let left = entries(&t.spool).await;
            left.len() == 3 && left.iter().all(|e| e.delivery.state == State::Paced)
        },
    )
    .await;
    let mut goes: Vec<u64> = entries(&t.spool)
        .await
        .iter()
        .map(|e| e.delivery.next_attempt)
        .collect();
    goes.sort_unstable();
    assert_eq!(goes, [BASE + 60, BASE + 60, BASE + 120], "when each goes");
    let paced = &entries(&t.spool).await[0].delivery;
    assert_eq!(paced.attempts, 0, "waiting for pacing is not an attempt");
    assert_eq!(paced.last_cause.as_deref(), Some("pacing"));
    eventually("all delivered", Duration::from_secs(600), || async {
        entries(&t.spool).await.is_empty()
    })
    .await;
    let calls = fake.calls();
    let start = calls[0].at;
    let offsets: Vec<u64> = calls.iter().map(|c| (c.at - start).as_secs()).collect();
    assert_eq!(offsets, [0, 0, 60, 60, 120]);
    running.stop().await;
}

#[tokio::test(start_paused = true)]
async fn an_upstreams_retry_after_pauses_its_lane() {
    let t = temp_spool().await;
    let throttled = Arc::new(AtomicBool::new(true));
    let flag = throttled.clone();
    let fake = Arc::new(FakeUpstream::new(&t.spool, move |call| {
        if flag.swap(false, Ordering::SeqCst) {
            return Err(DeliveryError::Rejected {
                stage: scanrelay_diagnose::Stage::Data,
                response: Response::Http {
                    status: 429,
                    code: Some("ApplicationThrottled".into()),
                    message: Some("Application is over its MailboxConcurrency limit.".into()),
                },
                cause: Cause::ServerTemporary,
                retry_after: Some(Duration::from_secs(600)),
            });
        }
        accept_all(call)
    }));
    let first = routed(&t.spool, None).await;
    let running = Running::start(&t.spool, Some(fake.clone()), delivery_settings());
    eventually("throttled once", Duration::from_secs(10), || async {
        fake.calls().len() == 1
    })
    .await;
    let d = t.spool.load(&first).await.unwrap().delivery;
    assert_eq!(d.state, State::Deferred);
    assert!(
        d.next_attempt >= BASE + 600,
        "retry after, not the 60 s backoff: {}",
        d.next_attempt
    );
    assert!(
        d.last_reply
            .as_deref()
            .unwrap()
            .contains("HTTP 429 ApplicationThrottled")
    );
    routed(&t.spool, None).await;
    running.handle.wake();
    tokio::time::sleep(Duration::from_secs(300)).await;
    assert_eq!(
        fake.calls().len(),
        1,
        "the paused lane starts nothing, not even new mail"
    );
    eventually(
        "both delivered after the pause",
        Duration::from_secs(900),
        || async { entries(&t.spool).await.is_empty() },
    )
    .await;
    let calls = fake.calls();
    assert!(calls[1].at - calls[0].at >= Duration::from_secs(600));
    running.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_dead_login_holds_mail_without_bouncing_until_a_new_login_releases_it() {
    let t = temp_spool().await;
    let dead = Arc::new(AtomicBool::new(true));
    let flag = dead.clone();
    let (logins, login_rx) = watch::channel(0u64);
    let fake = Arc::new(
        FakeUpstream::new(&t.spool, move |call| {
            if flag.load(Ordering::SeqCst) {
                return Err(DeliveryError::Credentials {
                    detail: "the refresh token was revoked: run scanrelay oauth login office"
                        .into(),
                    cause: Cause::Unknown,
                    needs_login: true,
                });
            }
            accept_all(call)
        })
        .with_logins(login_rx),
    );
    let mut settings = delivery_settings();
    settings.admin_notify = Some("admin@office.lan".into());
    settings.rescan_interval = Duration::from_secs(3600);
    let first = routed(&t.spool, None).await;
    let running = Running::start(&t.spool, Some(fake.clone()), settings);
    eventually("held for a login", Duration::from_secs(10), || async {
        let d = t.spool.load(&first).await.unwrap().delivery;
        d.state == State::Waiting && d.hold == Some(HoldReason::Login)
    })
    .await;
    let second = routed(&t.spool, None).await;
    running.handle.wake();
    // Six days: longer than max_age. Nothing is tried, nothing expires, nothing bounces.
    tokio::time::sleep(6 * DAY).await;
    assert_eq!(
        fake.calls().len(),
        1,
        "mail for a dead login is not tried again and again"
    );
    for id in [&first, &second] {
        let d = t.spool.load(id).await.unwrap().delivery;
        assert_eq!(
            (d.state, d.hold, d.attempts),
            (State::Waiting, Some(HoldReason::Login), 0)
        );
    }
    // No failure notice; one notice to the administrator, held with the rest (the only
    // upstream is the one whose login died), remembered so a restart sends no second one.
    let left = entries(&t.spool).await;
    assert_eq!(
        left.len(),
        3,
        "two held scans and the administrator's notice"
    );
    let notices: Vec<_> = left
        .iter()
        .filter(|e| e.envelope.mail_from.is_empty())
        .collect();
    assert_eq!(notices.len(), 1);
    assert_eq!(notices[0].envelope.rcpt_to, ["admin@office.lan"]);
    let marker = t.spool.dir().join("notices").join("default.login");
    assert!(marker.exists(), "the notice is remembered");
    // `scanrelay oauth login` stores a new grant: the source says so.
    dead.store(false, Ordering::SeqCst);
    logins.send(1).unwrap();
    eventually(
        "delivered by itself within a minute",
        Duration::from_secs(60),
        || async { entries(&t.spool).await.is_empty() },
    )
    .await;
    let sent_notices = fake.bounces();
    assert_eq!(
        sent_notices.len(),
        1,
        "exactly one notice, and no failure notice"
    );
    let body = decoded_text(&sent_notices[0].body);
    assert!(body.contains("can no longer log in to upstream"), "{body}");
    assert!(body.contains("kept in the queue, not returned"), "{body}");
    assert!(body.contains("scanrelay oauth login office"), "{body}");
    assert!(!body.contains("Undelivered"), "{body}");
    assert!(!marker.exists(), "a new login forgets the notice");
    running.stop().await;
}

#[tokio::test(start_paused = true)]
async fn mail_the_upstream_cannot_carry_as_set_up_waits_for_an_operator_retry() {
    let t = temp_spool().await;
    let fixed = Arc::new(AtomicBool::new(false));
    let flag = fixed.clone();
    let fake = Arc::new(FakeUpstream::new(&t.spool, move |call| {
        if !flag.load(Ordering::SeqCst) {
            return Err(DeliveryError::Held {
                detail: "too large for sendMail and the app may not create drafts".into(),
                cause: Cause::MessageTooLarge,
            });
        }
        accept_all(call)
    }));
    let id = routed(&t.spool, None).await;
    let running = Running::start(&t.spool, Some(fake.clone()), delivery_settings());
    eventually("held for its setup", Duration::from_secs(10), || async {
        t.spool.load(&id).await.unwrap().delivery.hold == Some(HoldReason::Setup)
    })
    .await;
    tokio::time::sleep(DAY).await;
    assert_eq!(fake.calls().len(), 1, "not retried blindly");
    fixed.store(true, Ordering::SeqCst);
    let now = BASE + DAY.as_secs();
    let retry = Event::Retried {
        now,
        failed_too: false,
    };
    t.spool.apply(&id, retry).await.unwrap();
    eventually(
        "delivered after the operator's retry",
        Duration::from_secs(30),
        || async { entries(&t.spool).await.is_empty() },
    )
    .await;
    running.stop().await;
}

#[tokio::test(start_paused = true)]
async fn mail_routed_to_an_upstream_no_longer_configured_goes_through_the_default() {
    let t = temp_spool().await;
    let fake = Arc::new(FakeUpstream::new(&t.spool, accept_all).named("office"));
    routed(&t.spool, Some("sales-2023")).await;
    routed(&t.spool, None).await;
    let running = Running::start(&t.spool, Some(fake.clone()), delivery_settings());
    eventually("both delivered", Duration::from_secs(10), || async {
        entries(&t.spool).await.is_empty()
    })
    .await;
    assert_eq!(fake.calls().len(), 2);
    running.stop().await;
}

/// The text of a single-part base64 message.
fn decoded_text(message: &[u8]) -> String {
    use base64::Engine as _;
    let text = String::from_utf8_lossy(message);
    let (_, body) = text.split_once("\r\n\r\n").expect("a body");
    let joined: String = body.split_whitespace().collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(joined)
        .expect("a base64 body");
    String::from_utf8(bytes).expect("UTF-8 text")
}
