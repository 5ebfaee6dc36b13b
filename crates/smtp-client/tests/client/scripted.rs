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
