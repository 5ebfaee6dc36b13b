//! `scanrelay queue list/show/retry` on a spool prepared in the test (no gateway running):
//! the queue explains itself (cause with summary and fix in the chosen language, local times
//! with their UTC offset, "held" rather than "now" for held mail, each reply once) and
//! `retry --all` leaves failed messages and failure notices alone unless asked.

use std::time::{SystemTime, UNIX_EPOCH};

use scanrelay_diagnose::{Cause, Lang, advise};
use scanrelay_gateway::delivery::dsn::DSN_CLIENT_ADDR;
use scanrelay_spool::{Delivery, Envelope, MessageId, RcptState, RcptStatus, Spool, State};

use crate::{Run, scanrelay};

const REJECT: &str = "550 5.7.1 <boss@example.com>: Recipient address rejected: not here";

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A data directory with a spool made by the spool crate, as the gateway leaves it.
struct Queue {
    dir: tempfile::TempDir,
    spool: Spool,
}

impl Queue {
    async fn new() -> Queue {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::open(dir.path().join("spool")).await.unwrap();
        Queue { dir, spool }
    }

    /// Commits a message from `from` (empty: a failure notice of the gateway) and gives it
    /// the delivery state `set` makes.
    async fn add(&self, from: &str, set: impl FnOnce(&mut Delivery)) -> MessageId {
        let body = b"Subject: scan\r\n\r\npage\r\n";
        let mut incoming = self.spool.begin().await.unwrap();
        incoming.write(body).await.unwrap();
        let envelope = Envelope {
            mail_from: from.to_string(),
            rcpt_to: vec!["boss@example.com".to_string()],
            received_at: now() - 600,
            client_addr: if from.is_empty() {
                DSN_CLIENT_ADDR.to_string()
            } else {
                "192.0.2.7:51234".to_string()
            },
            helo: "mfp-3f".to_string(),
            auth_user: None,
            size: body.len() as u64,
            route: None,
            tls: None,
        };
        let id = incoming.commit(envelope).await.unwrap();
        self.spool.rewrite_state_for_tests(&id, set).await.unwrap();
        id
    }

    async fn run(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let d = self.dir.path().to_string_lossy().into_owned();
        let mut all = vec!["queue", "--data-dir", &d];
        all.extend_from_slice(args);
        scanrelay(&all, env).await
    }

    async fn state(&self, id: &MessageId) -> Delivery {
        self.spool.load(id).await.unwrap().delivery
    }
}

fn refused(d: &mut Delivery) {
    d.state = State::Deferred;
    d.attempts = 1;
    d.last_attempt = Some(now() - 60);
    d.next_attempt = now() + 270;
    d.last_cause = Some("connect.refused".to_string());
    d.last_error = Some("cannot open a session: connection to 127.0.0.1:9 refused".to_string());
    d.per_rcpt = vec![status(RcptState::Deferred, None)];
}

fn rejected(d: &mut Delivery) {
    d.state = State::Failed;
    d.attempts = 1;
    d.last_attempt = Some(now() - 60);
    d.last_reply = Some(REJECT.to_string());
    d.last_cause = Some("recipient.rejected".to_string());
    d.last_error = Some(format!("recipient refused: {REJECT}"));
    d.per_rcpt = vec![status(RcptState::Failed, Some(REJECT))];
}

fn held(d: &mut Delivery) {
    d.state = State::Waiting;
    d.last_error = Some("no upstream configured: add an [upstream] section".to_string());
}

fn status(state: RcptState, reply: Option<&str>) -> RcptStatus {
    RcptStatus {
        rcpt: "boss@example.com".to_string(),
        state,
        reply: reply.map(str::to_string),
    }
}

fn line<'a>(text: &'a str, label: &str) -> &'a str {
    text.lines()
        .find(|l| l.starts_with(label))
        .unwrap_or_else(|| panic!("no `{label}` line in:\n{text}"))
}

/// Regression (issue 6, item 4): `show` printed only the cause code, `next try: now` for held
/// mail, UTC-less epoch-derived times, recipient states as `Deferred`, and a failed
/// recipient's reply three times.
#[tokio::test]
async fn show_explains_the_cause_in_the_chosen_language_with_local_times() {
    let q = Queue::new().await;
    let deferred = q.add("scan@office.lan", refused).await;
    let failed = q.add("scan@office.lan", rejected).await;
    let waiting = q.add("scan@office.lan", held).await;
    let seoul = [("TZ", "Asia/Seoul")];

    let show = q
        .run(&["show", "--lang", "ko", deferred.as_str()], &seoul)
        .await;
    assert_eq!(show.code, 0, "{}", show.stderr);
    let ko = advise(Cause::ConnectRefused, None, Lang::Ko);
    let cause = line(&show.stdout, "cause:");
    assert!(
        cause.contains("connect.refused") && cause.contains(&ko.summary),
        "{cause}"
    );
    assert!(
        line(&show.stdout, "fix:").contains(&ko.fix),
        "{}",
        show.stdout
    );
    let next = line(&show.stdout, "next try:");
    assert!(
        next.contains("+09:00") && next.ends_with("(in 4m)"),
        "{next}"
    );
    assert!(
        line(&show.stdout, "received:").contains("+09:00 (10m ago)"),
        "{}",
        show.stdout
    );
    assert!(
        show.stdout.contains("boss@example.com  deferred"),
        "{}",
        show.stdout
    );

    let show = q.run(&["show", failed.as_str()], &[]).await;
    assert_eq!(
        show.stdout.matches("550 5.7.1").count(),
        1,
        "reply once:\n{}",
        show.stdout
    );
    let en = advise(Cause::RecipientRejected, None, Lang::En);
    assert!(
        line(&show.stdout, "cause:").contains(&en.summary),
        "{}",
        show.stdout
    );
    assert!(
        !show.stdout.contains("Failed"),
        "state names in lower case: {}",
        show.stdout
    );

    let show = q.run(&["show", waiting.as_str()], &[]).await;
    assert_eq!(
        line(&show.stdout, "next try:"),
        "next try:    held (no upstream)"
    );
}

#[tokio::test]
async fn list_and_json_carry_the_cause_and_rfc3339_times() {
    let q = Queue::new().await;
    let deferred = q.add("scan@office.lan", refused).await;
    q.add("scan@office.lan", held).await;
    let list = q.run(&["list"], &[]).await;
    assert_eq!(list.code, 0, "{}", list.stderr);
    for l in list.stdout.lines() {
        assert!(!l.trim_end().ends_with(':'), "dangling `last:` line: {l:?}");
    }
    assert!(
        list.stdout
            .contains("last: connect.refused: cannot open a session"),
        "{}",
        list.stdout
    );
    assert!(
        list.stdout.contains(" held "),
        "held mail is not due `now`: {}",
        list.stdout
    );

    let v = q
        .run(&["show", "--json", deferred.as_str()], &[])
        .await
        .json();
    assert_eq!(v["delivery"]["state"], "deferred", "stored keys kept: {v}");
    assert_eq!(v["cause"], "connect.refused");
    let en = advise(Cause::ConnectRefused, None, Lang::En);
    assert_eq!(v["summary"], en.summary.as_str());
    assert_eq!(v["fix"], en.fix.as_str());
    for key in ["received_time", "last_attempt_time", "next_attempt_time"] {
        let t = v[key].as_str().unwrap_or_else(|| panic!("{key} in {v}"));
        assert!(
            t.len() == 20 && t.as_bytes()[10] == b'T' && t.ends_with('Z'),
            "{key}: {t}"
        );
    }
    let all = q.run(&["list", "--json"], &[]).await.json();
    let held = all
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["state"] == "waiting")
        .unwrap();
    assert_eq!(held["next_try"], "held");
    assert_eq!(held["next_attempt_time"], serde_json::Value::Null);
}

/// Regression (issue 6, item 5): `retry --all` re-queued failed messages and the gateway's
/// own failure notices (so each failed again and made another notice).
#[tokio::test]
async fn retry_all_leaves_out_failed_messages_and_notices_unless_asked() {
    let q = Queue::new().await;
    let deferred = q.add("scan@office.lan", refused).await;
    let failed = q.add("scan@office.lan", rejected).await;
    let notice = q.add("", refused).await;
    let run = q.run(&["retry", "--all"], &[]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains(&format!("{deferred}: will be retried now")),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("left out 1 failed message and 1 failure notice")
            && run.stdout.contains("--include-failed"),
        "{}",
        run.stdout
    );
    assert_eq!(q.state(&deferred).await.state, State::Queued);
    assert_eq!(q.state(&failed).await.state, State::Failed, "left alone");
    assert_eq!(q.state(&notice).await.state, State::Deferred, "left alone");

    let run = q.run(&["retry", "--all", "--include-failed"], &[]).await;
    assert_eq!(
        run.stdout.matches("will be retried now").count(),
        3,
        "{}",
        run.stdout
    );
    let d = q.state(&failed).await;
    assert_eq!(d.state, State::Queued);
    assert_eq!(
        d.per_rcpt[0].state,
        RcptState::Pending,
        "failed recipient tried again"
    );
    assert_eq!(
        d.per_rcpt[0].reply.as_deref(),
        Some(REJECT),
        "its reply kept"
    );
    assert!(d.retried_at.is_some());
}

#[tokio::test]
async fn retry_by_id_tries_the_failed_recipients_again() {
    let q = Queue::new().await;
    let failed = q.add("scan@office.lan", rejected).await;
    let run = q.run(&["retry", failed.as_str()], &[]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("with its failed recipient"),
        "{}",
        run.stdout
    );
    let d = q.state(&failed).await;
    assert_eq!(
        (d.state, d.per_rcpt[0].state),
        (State::Queued, RcptState::Pending)
    );
    let bad = q
        .run(&["retry", "--include-failed", failed.as_str()], &[])
        .await;
    assert_eq!(
        bad.code, 2,
        "--include-failed goes with --all: {}",
        bad.stdout
    );
}

/// Regression (issue 7, item 0): `scanrelay queue` validated the whole config before opening
/// the spool, so an incident caused by a broken `[upstream]` also took `queue list` away.
/// Now a config that does not validate still gives its `[spool] dir` (with a warning), and
/// text stored from clients and upstreams (escape sequences, CR) is printed harmlessly.
#[tokio::test]
async fn the_queue_works_with_a_broken_upstream_and_prints_stored_text_safely() {
    let q = Queue::new().await;
    let id = q
        .add("scan@office.lan", |d| {
            refused(d);
            d.last_error = Some("evil \u{1b}[2J\u{1b}]0;pwned\u{7}\r\nforged line".to_string());
        })
        .await;
    let config = q.dir.path().join("broken.toml");
    std::fs::write(
        &config,
        "[spool]\ndir = \"spool\"\n\n[upstream]\nserver = \"smtp.example.com\"\nport = \"587\"\n",
    )
    .unwrap();
    let config = config.to_string_lossy().into_owned();
    for args in [vec!["list"], vec!["show", id.as_ref()]] {
        let mut all = vec!["queue", "--config", &config];
        all.extend(args.iter().copied());
        let run = scanrelay(&all, &[]).await;
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
        assert!(run.stdout.contains(id.as_ref()), "{args:?}: {}", run.stdout);
        assert!(
            run.stderr.contains("using only its [spool] dir"),
            "{}",
            run.stderr
        );
        assert!(
            !run.stdout.contains('\u{1b}')
                && !run.stdout.contains('\r')
                && !run.stdout.contains('\u{7}'),
            "control characters reached the terminal: {:?}",
            run.stdout
        );
        assert!(run.stdout.contains("forged line"), "{}", run.stdout);
    }
}

/// Paced mail says when it goes; mail held for a dead login says what happens next.
#[tokio::test]
async fn paced_and_login_held_mail_say_when_and_why() {
    let q = Queue::new().await;
    let paced = q
        .add("scan@office.lan", |d| {
            d.state = State::Paced;
            d.next_attempt = now() + 270; // "in 4m" for 30 s of a slow run (rounded down)
            d.last_cause = Some("pacing".into());
        })
        .await;
    let login = q
        .add("scan@office.lan", |d| {
            d.state = State::Waiting;
            d.hold = Some(scanrelay_spool::HoldReason::Login);
            d.last_error = Some("the grant was revoked: run scanrelay oauth login office".into());
        })
        .await;
    let show = q.run(&["show", paced.as_ref()], &[]).await;
    assert!(
        line(&show.stdout, "next try:").contains("pacing limit"),
        "{}",
        show.stdout
    );
    assert!(
        line(&show.stdout, "next try:").contains("in 4m"),
        "{}",
        show.stdout
    );
    let show = q.run(&["show", login.as_ref()], &[]).await;
    assert!(
        line(&show.stdout, "next try:").contains("OAuth2 login"),
        "{}",
        show.stdout
    );
    let list = q.run(&["list", "--json"], &[]).await;
    let v = list.json();
    let next: Vec<&str> = v
        .as_array()
        .or_else(|| v["messages"].as_array())
        .expect("a list")
        .iter()
        .map(|m| m["next_try"].as_str().unwrap_or(""))
        .collect();
    assert!(next.contains(&"paced") && next.contains(&"held"), "{v}");
}
