//! `establish` against the scripted server: STARTTLS as a type swap, TLS facts.

use scanrelay_client::{ClientConfig, Credentials, TlsMode, establish};
use scanrelay_test_support::{Script, ScriptedSmtpServer, Step};

#[tokio::test]
async fn establish_over_starttls_records_tls_facts() {
    let script = Script::new([
        Step::send("220 scripted ESMTP"),
        Step::expect("EHLO "),
        Step::send("250-scripted\n250-STARTTLS\n250 SIZE 100"),
        Step::expect("STARTTLS"),
        Step::send("220 2.0.0 Ready"),
        Step::StartTls,
        Step::expect("EHLO "),
        Step::send("250-scripted\n250 AUTH PLAIN LOGIN"),
        Step::expect("AUTH PLAIN "),
        Step::send("235 2.7.0 ok"),
        Step::ExpectQuitOrClose,
    ]);
    let server = ScriptedSmtpServer::start(script).await;
    let mut cfg = ClientConfig::new("127.0.0.1", server.port(), TlsMode::StartTls);
    cfg.ca_file = Some(server.ca_pem_path().to_path_buf());
    cfg.credentials = Some(Credentials::Password {
        user: "u".into(),
        password: "p4ssw0rd-x".into(),
    });
    let session = establish(&cfg)
        .await
        .map_err(|f| f.error)
        .expect("established");
    let tls = session.facts().tls.clone().expect("tls facts");
    assert!(tls.verified);
    assert!(tls.version.as_deref().unwrap_or("").starts_with("TLSv1."));
    assert!(!tls.chain.is_empty());
    let facts = session.quit().await;
    assert!(
        facts
            .steps
            .iter()
            .all(|s| !s.sent.iter().any(|l| l.contains("p4ssw0rd")))
    );
    server.finish().await.expect("script followed");
}

/// `ClientConfig::observer` hears of every step as it finishes: the same records, in order,
/// as the transcript the session returns, with the AUTH payload already redacted.
#[tokio::test]
async fn the_observer_hears_each_step_as_the_transcript_keeps_it() {
    use std::sync::{Arc, Mutex};

    use scanrelay_client::{StepObserver, StepRecord};

    let script = Script::new([
        Step::send("220 scripted ESMTP"),
        Step::expect("EHLO "),
        Step::send("250-scripted\n250-STARTTLS\n250 SIZE 100"),
        Step::expect("STARTTLS"),
        Step::send("220 2.0.0 Ready"),
        Step::StartTls,
        Step::expect("EHLO "),
        Step::send("250-scripted\n250 AUTH PLAIN LOGIN"),
        Step::expect("AUTH PLAIN "),
        Step::send("235 2.7.0 ok"),
        Step::ExpectQuitOrClose,
    ]);
    let server = ScriptedSmtpServer::start(script).await;
    let heard: Arc<Mutex<Vec<(usize, StepRecord)>>> = Arc::default();
    let sink = Arc::clone(&heard);
    let mut cfg = ClientConfig::new("127.0.0.1", server.port(), TlsMode::StartTls);
    assert!(format!("{cfg:?}").contains("observer: None"));
    cfg.observer = Some(StepObserver::new(move |index, record| {
        sink.lock().unwrap().push((index, record.clone()));
    }));
    assert!(format!("{cfg:?}").contains("observer: Some(StepObserver)"));
    cfg.ca_file = Some(server.ca_pem_path().to_path_buf());
    cfg.credentials = Some(Credentials::Password {
        user: "u".into(),
        password: "p4ssw0rd-x".into(),
    });
    let session = establish(&cfg)
        .await
        .map_err(|f| f.error)
        .expect("established");
    let before_quit = heard.lock().unwrap().len();
    assert_eq!(
        before_quit,
        session.facts().steps.len(),
        "heard before QUIT"
    );
    let facts = session.quit().await;
    server.finish().await.expect("script followed");
    let heard = heard.lock().unwrap();
    let names: Vec<&str> = heard.iter().map(|(_, r)| r.step.as_str()).collect();
    assert_eq!(
        names,
        [
            "dns",
            "connect",
            "banner",
            "ehlo",
            "starttls",
            "tls",
            "ehlo_again",
            "auth",
            "quit"
        ]
    );
    for (i, ((index, record), kept)) in heard.iter().zip(&facts.steps).enumerate() {
        assert_eq!(*index, i);
        assert_eq!(
            (record.step, record.ok, record.ms),
            (kept.step, kept.ok, kept.ms)
        );
        assert_eq!(
            (&record.exchange, &record.note),
            (&kept.exchange, &kept.note)
        );
    }
    let auth = &heard[7].1;
    assert_eq!(auth.sent, ["AUTH PLAIN <redacted>"], "{auth:?}");
}
