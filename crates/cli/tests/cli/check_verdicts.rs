//! Check verdicts that fit the situation (issue 6, item 6): a server that is not SMTP, AUTH
//! missing on an already encrypted connection, a private CA, a report without any TLS
//! session, and a pass that needs `--ca-file`. Scripted servers where a real one cannot be
//! made to behave so; the real Dovecot POP3 and Postfix ports where it can.

use scanrelay_test_support::{CertChoice, Script, ScriptedSmtpServer, Step, peers};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::advice_claims::{false_claims, known};
use crate::scanrelay;

const PASSWORD: &str = "correct horse battery";

/// `scanrelay check` against 127.0.0.1:`port` with `extra` flags (password in `PW`).
async fn check_port(port: u16, extra: &[&str]) -> crate::Run {
    let port = port.to_string();
    let mut args = vec!["check", "--server", "127.0.0.1", "--port", &port];
    args.extend_from_slice(&["--helo", "mfp.example.test"]);
    if !extra.contains(&"--timeout") {
        args.extend_from_slice(&["--timeout", "2"]);
    }
    args.extend_from_slice(extra);
    let run = scanrelay(&args, &[("PW", PASSWORD)]).await;
    run.assert_no_secrets(&[PASSWORD]);
    run
}

/// What a human report claims that the build lacks, in its own words (protocol lines and
/// certificate names, such as `CN=scanrelay test CA`, are values, not claims).
fn report_claims(report: &str, known: &crate::advice_claims::Known) -> Vec<String> {
    let prose: Vec<&str> = report
        .lines()
        .filter(|l| {
            let l = l.trim_start();
            !["S: ", "C: ", "certificate #", "issuer:", "names:", "valid:"]
                .iter()
                .any(|p| l.starts_with(p))
        })
        .collect();
    false_claims(&prose.join("\n"), known)
}

/// Both forms of one check: JSON and the English report.
async fn both(server: impl Fn() -> Script, extra: &[&str]) -> (crate::Run, crate::Run) {
    let mut runs = Vec::new();
    for json in [true, false] {
        let s = ScriptedSmtpServer::start(server()).await;
        let ca = s.ca_pem_path().to_string_lossy().into_owned();
        let mut args = vec!["--ca-file", ca.as_str()];
        args.extend_from_slice(extra);
        if json {
            args.push("--json");
        }
        runs.push(check_port(s.port(), &args).await);
        let _ = s.finish().await;
    }
    let human = runs.pop().expect("human run");
    (runs.pop().expect("json run"), human)
}

/// A POP3 or SSH greeting was `unknown` with "read the server's full reply" advice.
#[tokio::test]
async fn a_pop3_or_ssh_greeting_is_not_smtp() {
    let known = known().await;
    for greeting in [
        "+OK POP3 server ready <1896.697170952@pop.example>",
        "SSH-2.0-OpenSSH_9.6",
    ] {
        let script = || Script::new([Step::send(greeting), Step::ExpectQuitOrClose]);
        let (json, human) = both(script, &["--tls", "starttls"]).await;
        assert_eq!(json.cause(), "connect.not_smtp", "{}", json.stdout);
        assert_eq!(json.code, 13, "{}", json.stdout);
        let fix = json.json()["fix"].as_str().unwrap().to_string();
        for port in ["110", "995", "143", "993", "587", "465"] {
            assert!(fix.contains(port), "{port} in {fix}");
        }
        assert!(
            human.stdout.contains("[connect.not_smtp]"),
            "{}",
            human.stdout
        );
        let claims = report_claims(&human.stdout, &known);
        assert!(claims.is_empty(), "{claims:?}\n{}", human.stdout);
    }
}

/// The real Dovecot POP3 ports: plain with STARTTLS mode, plain with implicit TLS (was
/// `tls.mode_mismatch`, "SSL versus STARTTLS"), and POP3S with implicit TLS.
#[tokio::test]
async fn the_real_pop3_ports_are_not_smtp_in_every_tls_mode() {
    let Some(p) = peers() else { return };
    let ca = p.ca.to_string_lossy().into_owned();
    let cases = [
        (p.pop3_port, "starttls"),
        (p.pop3_port, "implicit"),
        (p.pop3s_port, "implicit"),
    ];
    for (port, mode) in cases {
        let run = check_port(port, &["--tls", mode, "--ca-file", &ca, "--json"]).await;
        assert_eq!(
            run.cause(),
            "connect.not_smtp",
            "{port} {mode}: {}",
            run.stdout
        );
        assert_eq!(run.code, 13);
    }
}

/// Answers the first request on each connection like a web server; says nothing first.
async fn web_server() -> (u16, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let task = tokio::spawn(async move {
        while let Ok((mut tcp, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 1024];
                if matches!(tcp.read(&mut buf).await, Ok(n) if n > 0) {
                    let _ = tcp.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n").await;
                }
            });
        }
    });
    (port, task)
}

/// A web server waits for the client's request, so the check saw only a banner timeout:
/// `connect.timeout`, "the port is blocked".
#[tokio::test]
async fn a_web_server_is_not_smtp_instead_of_a_timeout() {
    let (port, server) = web_server().await;
    let json = check_port(port, &["--tls", "starttls", "--timeout", "1", "--json"]).await;
    let human = check_port(port, &["--tls", "starttls", "--timeout", "1"]).await;
    server.abort();
    assert_eq!(json.cause(), "connect.not_smtp", "{}", json.stdout);
    assert_eq!(json.json()["http_answer"], "HTTP/1.1 400 Bad Request");
    assert!(
        human
            .stdout
            .contains("HEAD / HTTP/1.0) with HTTP/1.1 400 Bad Request"),
        "{}",
        human.stdout
    );
}

/// STARTTLS then an EHLO without AUTH: a relay port, where "turn on SSL/STARTTLS" (the
/// advice for a plain connection) is wrong because TLS is already on.
fn relay_port_without_auth() -> Script {
    Script::new([
        Step::send("220 relay.example.test ESMTP"),
        Step::expect("EHLO "),
        Step::send("250-relay.example.test\n250 STARTTLS"),
        Step::expect("STARTTLS"),
        Step::send("220 2.0.0 Ready to start TLS"),
        Step::StartTls,
        Step::expect("EHLO "),
        Step::send("250-relay.example.test\n250 8BITMIME"),
        Step::ExpectQuitOrClose,
    ])
}

#[tokio::test]
async fn auth_not_offered_after_starttls_does_not_say_turn_on_tls() {
    let args = [
        "--tls",
        "starttls",
        "--user",
        "scan@example.test",
        "--password-env",
        "PW",
    ];
    for lang in ["en", "ko"] {
        let mut extra = args.to_vec();
        extra.extend_from_slice(&["--lang", lang]);
        let (json, _) = both(relay_port_without_auth, &extra).await;
        assert_eq!(json.cause(), "auth.not_offered", "{}", json.stdout);
        let fix = json.json()["fix"].as_str().unwrap().to_string();
        assert!(!fix.contains("turn on SSL/STARTTLS"), "{fix}");
        assert!(!fix.contains("SSL허가를 켜"), "{fix}");
        assert!(fix.contains("587") && fix.contains("465"), "{fix}");
    }
}

/// The same against the real Postfix port 25 (no SASL there).
#[tokio::test]
async fn auth_not_offered_on_the_real_port_25_after_starttls() {
    let Some(p) = peers() else { return };
    let ca = p.ca.to_string_lossy().into_owned();
    let args = [
        "--tls",
        "starttls",
        "--ca-file",
        &ca,
        "--user",
        &p.user,
        "--password-env",
        "PW",
        "--json",
    ];
    let run = check_port(p.smtp_port, &args).await;
    assert_eq!(run.cause(), "auth.not_offered", "{}", run.stdout);
    let fix = run.json()["fix"].as_str().unwrap().to_string();
    assert!(
        fix.contains("already encrypted") && !fix.contains("turn on SSL"),
        "{fix}"
    );
}

/// The untrusted-certificate advice spoke only of the device; a private CA needs
/// `--ca-file` here and `ca_file` in the gateway.
#[tokio::test]
async fn untrusted_certificate_names_ca_file_and_the_device() {
    let known = known().await;
    let script = || Script::tls_rejected(CertChoice::Untrusted);
    let (json, human) = both(script, &["--tls", "implicit"]).await;
    assert_eq!(json.cause(), "tls.certificate_untrusted", "{}", json.stdout);
    let fix = json.json()["fix"].as_str().unwrap().to_string();
    for phrase in ["--ca-file", "`ca_file`", "[upstream]", "On the device"] {
        assert!(fix.contains(phrase), "{phrase} in {fix}");
    }
    let claims = report_claims(&human.stdout, &known);
    assert!(claims.is_empty(), "{claims:?}\n{}", human.stdout);
    assert!(
        human
            .stdout
            .contains("TLS: handshake not completed - certificate NOT verified"),
        "{}",
        human.stdout
    );
}

/// Without any TLS session the report printed `TLS: - - - certificate NOT verified`.
#[tokio::test]
async fn without_a_tls_session_the_report_says_no_tls() {
    let plain = || {
        Script::new([
            Step::send("220 lan-relay.example.test ESMTP"),
            Step::expect("EHLO "),
            Step::send("250 lan-relay.example.test"),
            Step::ExpectQuitOrClose,
        ])
    };
    let (_, human) = both(plain, &["--tls", "none"]).await;
    assert!(
        human
            .stdout
            .contains("TLS: no TLS (--tls none: the connection is not encrypted)"),
        "{}",
        human.stdout
    );
    let Some(p) = peers() else { return };
    let run = check_port(p.submission_port, &["--tls", "implicit"]).await;
    assert!(run.stdout.contains("[tls.mode_mismatch]"), "{}", run.stdout);
    assert!(!run.stdout.contains("- - -"), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("TLS: no TLS (the handshake did not complete"),
        "{}",
        run.stdout
    );
}

/// A pass that verified only through `--ca-file` said nothing about devices, which do not
/// have that CA. The second connection (without the CA file) must abort the handshake.
#[tokio::test]
async fn a_pass_that_needs_the_ca_file_says_a_device_will_not_trust_the_server() {
    let known = known().await;
    let pass = Script::new([
        Step::send("220 mail.example.test ESMTP"),
        Step::expect("EHLO "),
        Step::send("250 mail.example.test"),
        Step::ExpectQuitOrClose,
    ])
    .with_implicit_tls();
    for json in [true, false] {
        let server = ScriptedSmtpServer::start_each(vec![
            pass.clone(),
            Script::tls_rejected(CertChoice::Valid),
        ])
        .await;
        let ca = server.ca_pem_path().to_string_lossy().into_owned();
        let mut args = vec!["--tls", "implicit", "--ca-file", &ca];
        if json {
            args.push("--json");
        }
        let run = check_port(server.port(), &args).await;
        server
            .finish()
            .await
            .expect("the second connection, without the CA, refused the certificate");
        assert_eq!(run.code, 0, "{}", run.stdout);
        if json {
            assert_eq!(
                run.json()["trusted_only_with_ca_file"],
                true,
                "{}",
                run.stdout
            );
        } else {
            assert!(
                run.stdout
                    .contains("A device without this CA certificate will not trust the server"),
                "{}",
                run.stdout
            );
            let claims = report_claims(&run.stdout, &known);
            assert!(claims.is_empty(), "{claims:?}\n{}", run.stdout);
        }
    }
}

/// The real Postfix submission port with the peers' test CA.
#[tokio::test]
async fn the_real_submission_port_passes_only_with_the_test_ca() {
    let Some(p) = peers() else { return };
    let ca = p.ca.to_string_lossy().into_owned();
    let run = check_port(p.submission_port, &["--tls", "starttls", "--ca-file", &ca]).await;
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(
        run.stdout.contains("trusted only because of --ca-file"),
        "{}",
        run.stdout
    );
}
