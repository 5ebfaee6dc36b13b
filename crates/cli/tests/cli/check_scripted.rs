//! `check` against scripted servers replaying provider behaviour that the real Postfix peer
//! cannot produce (captured replies from fixtures/provider-replies.jsonl), and TLS failures.

use scanrelay_test_support::{CertChoice, Script, ScriptedSmtpServer, SilentServer, scenarios};

use crate::scanrelay;

const PASSWORD: &str = "correct horse battery";
const TOKEN: &str = "ya29.test-token-QWERTY123456";

async fn check(server: &ScriptedSmtpServer, extra: &[&str]) -> crate::Run {
    let port = server.port().to_string();
    let ca = server.ca_pem_path().to_string_lossy().into_owned();
    let mut args = vec![
        "check",
        "--server",
        "127.0.0.1",
        "--port",
        &port,
        "--ca-file",
        &ca,
    ];
    args.extend_from_slice(&["--timeout", "5", "--helo", "mfp.example.test", "--json"]);
    args.extend_from_slice(extra);
    let run = scanrelay(&args, &[("PW", PASSWORD), ("TOK", TOKEN)]).await;
    run.assert_no_secrets(&[PASSWORD, TOKEN]);
    run
}

#[tokio::test]
async fn gmail_normal_password_needs_an_app_password() {
    let server = ScriptedSmtpServer::start(scenarios::gmail_app_password_required()).await;
    let run = check(
        &server,
        &[
            "--provider",
            "gmail",
            "--tls",
            "starttls",
            "--user",
            "office@gmail.com",
            "--password-env",
            "PW",
        ],
    )
    .await;
    server.finish().await.expect("script followed");
    assert_eq!(run.cause(), "auth.app_password_required", "{}", run.stdout);
    assert_eq!(run.code, 14);
    let v = run.json();
    assert_eq!(v["provider"], "gmail");
    assert!(
        !v["warnings"].as_array().unwrap().is_empty(),
        "a non-app password is warned about"
    );
    assert!(
        v["fix"].as_str().unwrap().contains("2-Step"),
        "{}",
        v["fix"]
    );
}

#[tokio::test]
async fn m365_smtp_auth_disabled_for_the_tenant() {
    let server = ScriptedSmtpServer::start(scenarios::m365_smtp_auth_disabled()).await;
    let run = check(
        &server,
        &[
            "--provider",
            "m365",
            "--tls",
            "starttls",
            "--user",
            "scan@contoso.example",
            "--password-env",
            "PW",
        ],
    )
    .await;
    let log = server.finish().await.expect("script followed");
    assert!(
        log.received.iter().any(|l| l == "AUTH LOGIN"),
        "LOGIN chosen from LOGIN XOAUTH2: {:?}",
        log.received
    );
    assert_eq!(run.cause(), "auth.smtp_auth_disabled", "{}", run.stdout);
    assert!(
        run.json()["fix"]
            .as_str()
            .unwrap()
            .contains("SmtpClientAuthenticationDisabled")
    );
}

#[tokio::test]
async fn xoauth2_error_challenge_round_trip() {
    let server = ScriptedSmtpServer::start(scenarios::gmail_xoauth2_rejected()).await;
    let run = check(
        &server,
        &[
            "--provider",
            "gmail",
            "--tls",
            "starttls",
            "--user",
            "office@gmail.com",
            "--auth",
            "xoauth2",
            "--token-env",
            "TOK",
        ],
    )
    .await;
    server
        .finish()
        .await
        .expect("client answered the 334 JSON challenge with an empty line");
    assert_eq!(run.cause(), "auth.oauth_token_rejected", "{}", run.stdout);
    let auth = run.json()["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["step"] == "auth")
        .cloned()
        .unwrap();
    assert!(
        auth["note"].as_str().unwrap_or("").contains("401"),
        "{auth}"
    );
}

#[tokio::test]
async fn naver_implicit_tls_refuses_a_foreign_sender() {
    let server = ScriptedSmtpServer::start(scenarios::naver_sender_refused()).await;
    let run = check(
        &server,
        &[
            "--provider",
            "naver",
            "--tls",
            "implicit",
            "--user",
            "office",
            "--password-env",
            "PW",
            "--from",
            "scanner@example.com",
            "--to",
            "boss@example.com",
        ],
    )
    .await;
    server.finish().await.expect("script followed");
    assert_eq!(run.cause(), "sender.not_allowed", "{}", run.stdout);
    assert_eq!(run.code, 15);
    assert!(run.json()["fix"].as_str().unwrap().contains("naver.com"));
}

#[tokio::test]
async fn a_silent_server_is_a_connect_timeout() {
    let server = SilentServer::start().await;
    let port = server.port().to_string();
    let run = scanrelay(
        &[
            "check",
            "--server",
            "127.0.0.1",
            "--port",
            &port,
            "--tls",
            "starttls",
            "--timeout",
            "1",
            "--json",
        ],
        &[],
    )
    .await;
    assert_eq!(run.cause(), "connect.timeout", "{}", run.stdout);
    assert_eq!(run.code, 11);
}

#[tokio::test]
async fn certificate_for_another_host_is_a_hostname_mismatch() {
    let server = ScriptedSmtpServer::start(Script::tls_rejected(CertChoice::WrongHost)).await;
    let run = check(&server, &["--tls", "implicit"]).await;
    assert_eq!(run.cause(), "tls.hostname_mismatch", "{}", run.stdout);
    let chain = run.json()["tls"]["chain"].clone();
    assert!(chain.to_string().contains("other.example"), "{chain}");
}

#[tokio::test]
async fn expired_certificate_is_reported_as_expired() {
    let server = ScriptedSmtpServer::start(Script::tls_rejected(CertChoice::Expired)).await;
    let run = check(&server, &["--tls", "implicit"]).await;
    assert_eq!(run.cause(), "tls.certificate_expired", "{}", run.stdout);
}

#[tokio::test]
async fn password_never_appears_even_in_korean_human_output() {
    let server = ScriptedSmtpServer::start(scenarios::gmail_app_password_required()).await;
    let port = server.port().to_string();
    let ca = server.ca_pem_path().to_string_lossy().into_owned();
    let run = scanrelay(
        &[
            "check",
            "--provider",
            "gmail",
            "--server",
            "127.0.0.1",
            "--port",
            &port,
            "--ca-file",
            &ca,
            "--user",
            "office@gmail.com",
            "--password-env",
            "PW",
            "--lang",
            "ko",
        ],
        &[("PW", PASSWORD)],
    )
    .await;
    let _ = server.finish().await;
    run.assert_no_secrets(&[PASSWORD, "correcthorsebattery"]);
    assert!(run.stdout.contains("앱 비밀번호"), "{}", run.stdout);
    assert!(run.stdout.contains("<redacted>"), "{}", run.stdout);
}

#[tokio::test]
async fn a_gmail_app_password_is_sent_without_its_spaces() {
    use scanrelay_test_support::Step;
    use scanrelay_test_support::scenarios::{
        GMAIL_BANNER, GMAIL_EHLO_AFTER_TLS, GMAIL_EHLO_BEFORE_TLS, GMAIL_STARTTLS_READY,
    };
    // base64("\0office@gmail.com\0abcdefghijklmnop"): the app password with its spaces removed.
    let plain = "AG9mZmljZUBnbWFpbC5jb20AYWJjZGVmZ2hpamtsbW5vcA==";
    let script = Script::new([
        Step::send(GMAIL_BANNER),
        Step::expect("EHLO "),
        Step::send(GMAIL_EHLO_BEFORE_TLS),
        Step::expect("STARTTLS"),
        Step::send(GMAIL_STARTTLS_READY),
        Step::StartTls,
        Step::expect("EHLO "),
        Step::send(GMAIL_EHLO_AFTER_TLS),
        Step::expect_exact(format!("AUTH PLAIN {plain}")),
        Step::send("235 2.7.0 Accepted"),
        Step::ExpectQuitOrClose,
    ]);
    let server = ScriptedSmtpServer::start(script).await;
    let port = server.port().to_string();
    let ca = server.ca_pem_path().to_string_lossy().into_owned();
    let app_password = "abcd efgh ijkl mnop";
    let run = scanrelay(
        &[
            "check",
            "--provider",
            "gmail",
            "--server",
            "127.0.0.1",
            "--port",
            &port,
            "--ca-file",
            &ca,
            "--user",
            "office@gmail.com",
            "--password-env",
            "PW",
            "--json",
        ],
        &[("PW", app_password)],
    )
    .await;
    server
        .finish()
        .await
        .expect("AUTH PLAIN carried the password without spaces");
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(
        run.json()["warnings"].as_array().unwrap().is_empty(),
        "a real app password is not warned about"
    );
    run.assert_no_secrets(&[app_password, "abcdefghijklmnop"]);
}

#[tokio::test]
async fn plain_text_after_a_starttls_220_is_a_handshake_failure_not_a_mode_mismatch() {
    use scanrelay_test_support::Step;
    let script = Script::new([
        Step::send("220 odd.example ESMTP"),
        Step::expect("EHLO "),
        Step::send("250-odd.example\n250 STARTTLS"),
        Step::expect("STARTTLS"),
        Step::send("220 2.0.0 Ready"),
        Step::send("250 but no TLS here"),
        Step::ExpectQuitOrClose,
    ]);
    let server = ScriptedSmtpServer::start(script).await;
    let run = check(&server, &["--tls", "starttls"]).await;
    let _ = server.finish().await;
    assert_eq!(run.cause(), "tls.handshake_failed", "{}", run.stdout);
}

#[tokio::test]
async fn json_mode_prints_one_object_even_for_bad_arguments() {
    let run = scanrelay(&["check", "--json", "--provider", "nope"], &[]).await;
    assert_eq!(run.code, 2);
    let v = run.json();
    assert_eq!(v["ok"], false);
    assert!(
        v["error"].as_str().unwrap().contains("unknown provider"),
        "{v}"
    );
    let run = scanrelay(&["explain", "--json", "--stage", "nonsense", "550 x"], &[]).await;
    assert_eq!(run.code, 2);
    assert!(run.json()["error"].as_str().unwrap().contains("stage"));
}

#[tokio::test]
async fn the_users_mistakes_are_usage_errors_not_server_diagnoses() {
    let cases: &[&[&str]] = &[
        &[
            "check",
            "--server",
            "127.0.0.1",
            "--ca-file",
            "/nonexistent/ca.pem",
        ],
        &[
            "check",
            "--server",
            "127.0.0.1",
            "--user",
            "u@x",
            "--token-env",
            "TOK",
            "--auth",
            "plain",
        ],
        &[
            "check",
            "--server",
            "127.0.0.1",
            "--user",
            "u@x",
            "--token-env",
            "TOK",
            "--password-env",
            "PW",
        ],
    ];
    for args in cases {
        let run = scanrelay(args, &[("TOK", TOKEN), ("PW", PASSWORD)]).await;
        assert_eq!(run.code, 2, "{args:?}: {}{}", run.stdout, run.stderr);
        run.assert_no_secrets(&[PASSWORD, TOKEN]);
    }
}
