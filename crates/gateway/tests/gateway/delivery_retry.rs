//! An operator's `scanrelay queue retry` ([`Event::Retried`]) as the scheduler sees it:
//! the failed recipients are really tried again, a new failure notice is sent only when that
//! try fails again for good, and a bounce is never bounced. Paused tokio time throughout.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use scanrelay_diagnose::{Stage, reply_cause};
use scanrelay_gateway::delivery::Response;
use scanrelay_gateway::delivery::{
    Clock, DeliveryError, DeliveryReport, RecipientFailure, TokioClock,
};
use scanrelay_spool::{Event, MessageId, Spool, State};

use crate::delivery_support::{
    BASE, Call, FakeUpstream, Running, accept_all, delivery_settings, entries, eventually, refused,
    reply, scan_mail, spool_message, spool_scan, temp_spool,
};

const DAY: Duration = Duration::from_secs(24 * 3600);

/// What the upstream answers to the original message, in order (bounces are accepted unless
/// `refuse_bounces`). Each answer is one of `"550"` (every recipient refused for good),
/// `"451"` (the message deferred), `"250"` (accepted), or `"550 a, 451 b"` (per recipient).
fn scripted(
    spool: &Spool,
    answers: &[&'static str],
    refuse_bounces: bool,
) -> (Arc<FakeUpstream>, Arc<Mutex<VecDeque<&'static str>>>) {
    let script = Arc::new(Mutex::new(answers.iter().copied().collect::<VecDeque<_>>()));
    let left = script.clone();
    let fake = FakeUpstream::new(spool, move |call| {
        if call.mail_from.is_empty() {
            return if refuse_bounces {
                refused(Stage::Rcpt, "550 5.1.1 no such user")
            } else {
                accept_all(call)
            };
        }
        let answer = left.lock().unwrap().pop_front().expect("a scripted answer");
        answer_with(answer, call)
    });
    (Arc::new(fake), script)
}

fn answer_with(answer: &str, call: &Call) -> Result<DeliveryReport, DeliveryError> {
    match answer {
        "550" => refused(Stage::Rcpt, "550 5.1.1 no such user"),
        "451" => refused(Stage::Data, "451 4.3.0 try later"),
        "250" => accept_all(call),
        "550 a, 451 b" => {
            let refusal = |rcpt: &str, text: &str| {
                let reply = reply(text);
                RecipientFailure {
                    rcpt: rcpt.to_string(),
                    cause: reply_cause(Stage::Rcpt, &reply, None),
                    response: Some(Response::from(reply)),
                }
            };
            Ok(DeliveryReport {
                accepted: Vec::new(),
                refused: vec![
                    refusal("a@example.com", "550 5.1.1 no such user"),
                    refusal("b@example.com", "450 4.2.1 mailbox busy"),
                ],
                response: None,
            })
        }
        other => panic!("unknown scripted answer {other}"),
    }
}

/// `scanrelay queue retry ID` (which retries failed recipients too) at wall time `now`.
async fn operator_retry(spool: &Spool, id: &MessageId, now: u64, failed_too: bool) {
    spool
        .apply(id, Event::Retried { now, failed_too })
        .await
        .expect("retry");
}

async fn state(spool: &Spool, id: &MessageId) -> State {
    spool.load(id).await.expect("still queued").delivery.state
}

/// Regression (issue 6, item 5): a retried message older than `max_age` that meets a
/// temporary failure was given up on at once and a second failure notice sent, although
/// nothing had failed for good. Now the retry starts a new `max_age`.
#[tokio::test(start_paused = true)]
async fn a_retried_old_message_is_deferred_not_bounced_again_until_it_fails_again() {
    let t = temp_spool().await;
    let (fake, script) = scripted(&t.spool, &["550", "451", "550"], false);
    let mut settings = delivery_settings();
    settings.max_age = Duration::from_secs(3600);
    let id = spool_scan(&t.spool).await;
    let clock = TokioClock::starting_at(BASE);
    let running = Running::start(&t.spool, Some(fake.clone()), settings);
    eventually("the message failed", DAY, || async {
        state(&t.spool, &id).await == State::Failed
    })
    .await;
    assert_eq!(fake.bounces().len(), 1, "one failure notice");

    tokio::time::sleep(Duration::from_secs(3 * 3600)).await;
    operator_retry(&t.spool, &id, clock.unix_now(), true).await;
    eventually("the retry met the temporary failure", DAY, || async {
        script.lock().unwrap().len() == 1 && state(&t.spool, &id).await == State::Deferred
    })
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(state(&t.spool, &id).await, State::Deferred);
    assert_eq!(fake.bounces().len(), 1, "no notice for a temporary failure");

    eventually("the retried message failed again", DAY, || async {
        state(&t.spool, &id).await == State::Failed
    })
    .await;
    running.stop().await;
    assert_eq!(
        fake.bounces().len(),
        2,
        "a real second failure is a new event with its own notice"
    );
    let originals = fake.calls().iter().filter(|c| c.id == id).count();
    assert_eq!(originals, 3, "tried once, then twice after the retry");
}

#[tokio::test(start_paused = true)]
async fn retry_tries_the_failed_recipients_again_only_when_asked() {
    let t = temp_spool().await;
    let (fake, _) = scripted(&t.spool, &["550 a, 451 b", "451", "250"], false);
    let rcpts = ["a@example.com", "b@example.com"];
    let body = scan_mail("scan@office.lan");
    let id = spool_message(&t.spool, "scan@office.lan", &rcpts, &body).await;
    let clock = TokioClock::starting_at(BASE);
    let running = Running::start(&t.spool, Some(fake.clone()), delivery_settings());
    eventually("a failed, b deferred", DAY, || async {
        state(&t.spool, &id).await == State::Deferred
    })
    .await;
    assert_eq!(fake.bounces().len(), 1, "a notice about a");

    operator_retry(&t.spool, &id, clock.unix_now(), false).await;
    eventually("b tried again", DAY, || async { fake.calls().len() == 3 }).await;
    operator_retry(&t.spool, &id, clock.unix_now(), true).await;
    eventually("delivered to both", DAY, || async {
        entries(&t.spool).await.is_empty()
    })
    .await;
    running.stop().await;

    let to_original: Vec<Vec<String>> = fake
        .calls()
        .into_iter()
        .filter(|c| c.id == id)
        .map(|c| c.rcpt_to)
        .collect();
    assert_eq!(to_original[1], ["b@example.com"], "failed ones left alone");
    assert_eq!(to_original[2], rcpts, "failed ones retried when asked");
    assert_eq!(fake.bounces().len(), 1, "no second notice");
}

#[tokio::test(start_paused = true)]
async fn a_retried_bounce_that_fails_again_is_not_bounced() {
    let t = temp_spool().await;
    let (fake, _) = scripted(&t.spool, &["550"], true);
    let mut settings = delivery_settings();
    settings.admin_notify = Some("admin@office.lan".to_string());
    let id = spool_scan(&t.spool).await;
    let clock = TokioClock::starting_at(BASE);
    let running = Running::start(&t.spool, Some(fake.clone()), settings);
    eventually("the original and its bounce failed", DAY, || async {
        let all = entries(&t.spool).await;
        all.len() == 2 && all.iter().all(|e| e.delivery.state == State::Failed)
    })
    .await;
    let bounce = entries(&t.spool)
        .await
        .into_iter()
        .find(|e| e.id != id)
        .expect("the bounce")
        .id;
    operator_retry(&t.spool, &bounce, clock.unix_now(), true).await;
    eventually(
        "the bounce was sent again and failed again",
        DAY,
        || async { fake.bounces().len() == 2 && state(&t.spool, &bounce).await == State::Failed },
    )
    .await;
    tokio::time::sleep(Duration::from_secs(3600)).await;
    running.stop().await;
    assert_eq!(entries(&t.spool).await.len(), 2, "no notice about a notice");
    assert_eq!(fake.bounces().len(), 2);
}
