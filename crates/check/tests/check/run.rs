//! `run` against scripted servers with an observer: the events arrive while the check runs, in
//! order, one per step of the transcript and nothing else, with the secret scrubbed; the extra
//! looks are announced; the implicit-TLS mismatch keeps its evidence in the live step too.

use std::time::Duration;

use scanrelay_check::{
    CheckEvent, CheckRequest, Lang, Observer, Outcome, Plan, Probe, Secret, StepEvent, TlsMode,
    run, translate,
};
use scanrelay_client::{ClientError, StepName};
use scanrelay_test_support::{
    CertChoice, Script, ScriptedSmtpServer, SilentServer, Step, scenarios,
};
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

const PASSWORD: &str = "correct horse battery";

fn request(port: u16, tls: TlsMode) -> CheckRequest {
    CheckRequest {
        server: Some("127.0.0.1".into()),
        port: Some(port),
        tls: Some(tls),
        helo: Some("mfp.example.test".into()),
        timeout: Duration::from_secs(3),
        ..CheckRequest::default()
    }
}

/// Starts `plan` on its own task (the future must be `Send`), with a channel observer.
fn spawn(
    plan: Plan,
) -> (
    tokio::task::JoinHandle<Outcome>,
    UnboundedReceiver<CheckEvent>,
) {
    let (tx, rx) = unbounded_channel();
    let observer: Observer = std::sync::Arc::new(move |event| {
        let _ = tx.send(event);
    });
    (
        tokio::spawn(async move { run(&plan, Some(observer)).await }),
        rx,
    )
}

/// Every event, once the check is over (the channel closes: the outcome keeps no observer).
async fn drain(mut rx: UnboundedReceiver<CheckEvent>) -> Vec<CheckEvent> {
    let mut events = Vec::new();
    while let Some(e) = tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .expect("the channel closes when the check is done")
    {
        events.push(e);
    }
    events
}

fn steps(events: &[CheckEvent]) -> Vec<&StepEvent> {
    events
        .iter()
        .filter_map(|e| match e {
            CheckEvent::Step(s) => Some(s),
            _ => None,
        })
        .collect()
}

/// The step events are the transcript: same order, names, status, times, notes and lines.
fn assert_events_match(events: &[CheckEvent], outcome: &Outcome, lang: Lang) {
    let live = steps(events);
    let kept = &outcome.facts.steps;
    assert_eq!(live.len(), kept.len(), "{live:#?}\n{kept:#?}");
    for (i, (e, s)) in live.iter().zip(kept).enumerate() {
        assert_eq!(e.index, i);
        assert_eq!((e.step, e.ok, e.ms), (s.step, s.ok, s.ms), "step {i}");
        assert_eq!(e.exchange, s.exchange, "step {i}");
        assert_eq!(
            e.note,
            s.note.as_deref().map(|n| translate(n, lang)),
            "step {i}"
        );
        assert_eq!(e.label, scanrelay_check::step_label(s.step, lang));
    }
}

#[tokio::test]
async fn events_arrive_in_order_and_are_the_transcript() {
    let server = ScriptedSmtpServer::start(scenarios::gmail_app_password_required()).await;
    let plan = CheckRequest {
        provider: Some("gmail".into()),
        user: Some("office@gmail.com".into()),
        secret: Some(Secret::Password(PASSWORD.into())),
        ca_file: Some(server.ca_pem_path().to_path_buf()),
        lang: Lang::Ko,
        ..request(server.port(), TlsMode::StartTls)
    }
    .plan()
    .unwrap();
    let (handle, rx) = spawn(plan);
    let outcome = handle.await.expect("the check task");
    server.finish().await.expect("script followed");
    let events = drain(rx).await;
    assert_eq!(outcome.cause.as_str(), "auth.app_password_required");
    assert_eq!(outcome.exit_status(), 14);
    assert_events_match(&events, &outcome, Lang::Ko);
    let auth = steps(&events)
        .into_iter()
        .find(|s| s.step == StepName::Auth)
        .expect("an auth step");
    assert!(!auth.ok);
    assert!(
        auth.exchange.iter().any(|l| l.contains("<redacted>")),
        "{auth:?}"
    );
    assert_eq!(auth.label, "로그인(AUTH)");
}

#[tokio::test]
async fn steps_are_reported_while_the_check_still_runs() {
    // The server greets, then never answers EHLO: the check waits a full second for it.
    let script = Script::new([
        Step::send("220 slow.example.test ESMTP"),
        Step::expect("EHLO "),
        Step::Silent(Duration::from_secs(3)),
    ]);
    let server = ScriptedSmtpServer::start(script).await;
    let plan = CheckRequest {
        timeout: Duration::from_secs(1),
        ..request(server.port(), TlsMode::None)
    }
    .plan()
    .unwrap();
    let (handle, mut rx) = spawn(plan);
    for want in ["dns", "connect", "banner"] {
        match rx.recv().await {
            Some(CheckEvent::Step(s)) => assert_eq!(s.step.as_str(), want),
            other => panic!("{other:?}"),
        }
    }
    assert!(
        !handle.is_finished(),
        "the banner is reported before the EHLO wait ends"
    );
    let outcome = handle.await.unwrap();
    assert!(
        matches!(
            outcome.error,
            Some(ClientError::Timeout {
                step: StepName::Ehlo,
                ..
            })
        ),
        "{:?}",
        outcome.error
    );
    let _ = server.finish().await;
}

#[tokio::test]
async fn a_secret_the_server_echoes_never_reaches_an_event() {
    let script = Script::new([
        Step::send("220 lan.example.test ESMTP"),
        Step::expect("EHLO "),
        Step::send("250-lan.example.test\n250 AUTH PLAIN"),
        Step::expect("AUTH PLAIN "),
        Step::send(format!("535 5.7.8 wrong password: {PASSWORD}")),
        Step::ExpectQuitOrClose,
    ]);
    let server = ScriptedSmtpServer::start(script).await;
    let plan = CheckRequest {
        user: Some("scan@lan.example.test".into()),
        secret: Some(Secret::Password(PASSWORD.into())),
        ..request(server.port(), TlsMode::None)
    }
    .plan()
    .unwrap();
    let (handle, rx) = spawn(plan);
    let outcome = handle.await.unwrap();
    server.finish().await.expect("script followed");
    let events = drain(rx).await;
    let text = serde_json::to_string(&events).unwrap();
    assert!(!text.contains(PASSWORD), "{text}");
    assert!(text.contains("wrong password: <redacted>"), "{text}");
    // The outcome itself keeps what the server said; the renderers scrub it.
    assert_eq!(outcome.cause.as_str(), "auth.bad_credentials");
}

#[tokio::test]
async fn the_ca_file_recheck_is_announced_and_its_steps_are_not_the_checks() {
    let pass = Script::new([
        Step::send("220 mail.example.test ESMTP"),
        Step::expect("EHLO "),
        Step::send("250 mail.example.test"),
        Step::ExpectQuitOrClose,
    ])
    .with_implicit_tls();
    let server =
        ScriptedSmtpServer::start_each(vec![pass, Script::tls_rejected(CertChoice::Valid)]).await;
    let plan = CheckRequest {
        ca_file: Some(server.ca_pem_path().to_path_buf()),
        ..request(server.port(), TlsMode::Implicit)
    }
    .plan()
    .unwrap();
    let (handle, rx) = spawn(plan);
    let outcome = handle.await.unwrap();
    server
        .finish()
        .await
        .expect("the second connection refused the certificate");
    let events = drain(rx).await;
    assert!(outcome.ok(), "{:?}", outcome.error);
    assert_eq!(outcome.trusted_only_with_ca_file, Some(true));
    assert_events_match(&events, &outcome, Lang::En);
    assert_eq!(
        events.last(),
        Some(&CheckEvent::Probe {
            probe: Probe::WithoutCaFile
        })
    );
}

#[tokio::test]
async fn a_silent_port_announces_the_http_probe() {
    let server = SilentServer::start().await;
    let plan = CheckRequest {
        timeout: Duration::from_secs(1),
        ..request(server.port(), TlsMode::StartTls)
    }
    .plan()
    .unwrap();
    let (handle, rx) = spawn(plan);
    let outcome = handle.await.unwrap();
    let events = drain(rx).await;
    assert_eq!(outcome.cause.as_str(), "connect.timeout");
    assert_eq!(outcome.exit_status(), 11);
    assert_events_match(&events, &outcome, Lang::En);
    assert!(events.contains(&CheckEvent::Probe {
        probe: Probe::HttpAnswer
    }));
}

/// Implicit TLS against a plaintext port: the TLS step's note is the evidence found by a
/// second look after the handshake failed. The live step must carry that note too (it was
/// written after the step had finished).
#[tokio::test]
async fn a_plaintext_port_checked_as_implicit_tls_reports_the_evidence_live() {
    let first = Script::new([
        Step::send("220 plain.example.test ESMTP"),
        Step::Silent(Duration::from_millis(500)),
    ]);
    let second = Script::new([
        Step::send("220 plain.example.test ESMTP"),
        Step::Silent(Duration::from_millis(500)),
    ]);
    let server = ScriptedSmtpServer::start_each(vec![first, second]).await;
    let plan = request(server.port(), TlsMode::Implicit).plan().unwrap();
    let (handle, rx) = spawn(plan);
    let outcome = handle.await.unwrap();
    let _ = server.finish().await;
    let events = drain(rx).await;
    assert_eq!(
        outcome.cause.as_str(),
        "tls.mode_mismatch",
        "{:?}",
        outcome.error
    );
    assert_events_match(&events, &outcome, Lang::En);
    let tls = steps(&events)
        .into_iter()
        .last()
        .expect("a tls step")
        .clone();
    assert!(
        tls.note
            .unwrap_or_default()
            .contains("plaintext SMTP greeting"),
        "{events:#?}"
    );
}
