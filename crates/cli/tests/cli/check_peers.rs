//! `check` against the real Postfix submission (STARTTLS) and implicit-TLS ports, with SASL
//! through Dovecot, started by `scripts/peers`.

use scanrelay_test_support::{Peers, peers};

use crate::{closed_port, scanrelay};

fn base_args(p: &Peers, port: u16, tls: &str) -> Vec<String> {
    vec![
        "check".into(),
        "--server".into(),
        p.host.clone(),
        "--port".into(),
        port.to_string(),
        "--tls".into(),
        tls.into(),
        "--helo".into(),
        "device.example.test".into(),
        "--timeout".into(),
        "5".into(),
    ]
}

fn with(mut args: Vec<String>, more: &[&str]) -> Vec<String> {
    args.extend(more.iter().map(|s| s.to_string()));
    args
}

async fn run_check(p: &Peers, args: Vec<String>, password: &str) -> crate::Run {
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = scanrelay(&refs, &[("PEER_PASSWORD", password)]).await;
    run.assert_no_secrets(&[password, &p.password]);
    run
}

fn authed(p: &Peers, port: u16, tls: &str) -> Vec<String> {
    let ca = p.ca.to_string_lossy().into_owned();
    with(
        base_args(p, port, tls),
        &[
            "--ca-file",
            &ca,
            "--user",
            &p.user,
            "--password-env",
            "PEER_PASSWORD",
            "--json",
        ],
    )
}

#[tokio::test]
async fn starttls_submission_with_auth_succeeds() {
    let Some(p) = peers() else { return };
    let run = run_check(&p, authed(&p, p.submission_port, "starttls"), &p.password).await;
    let v = run.json();
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(v["ok"], true);
    let steps: Vec<&str> = v["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step"].as_str().unwrap())
        .collect();
    for want in [
        "dns",
        "connect",
        "banner",
        "ehlo",
        "starttls",
        "tls",
        "ehlo_again",
        "auth",
        "quit",
    ] {
        assert!(steps.contains(&want), "missing step {want} in {steps:?}");
    }
    assert!(v["tls"]["verified"].as_bool().unwrap());
    assert!(v["tls"]["version"].as_str().unwrap().starts_with("TLSv1."));
    assert!(v["server"]["banner"].as_str().unwrap().starts_with("220 "));
    let auth = v["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["step"] == "auth")
        .unwrap();
    assert!(
        auth["sent"][0].as_str().unwrap().contains("<redacted>"),
        "{auth}"
    );
}

#[tokio::test]
async fn implicit_tls_port_with_auth_succeeds() {
    let Some(p) = peers() else { return };
    let run = run_check(&p, authed(&p, p.smtps_port, "implicit"), &p.password).await;
    assert_eq!(run.code, 0, "{}", run.stdout);
    let v = run.json();
    assert_eq!(v["ok"], true);
    assert!(
        v["steps"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["step"] != "starttls")
    );
}

#[tokio::test]
async fn wrong_password_is_bad_credentials() {
    let Some(p) = peers() else { return };
    let wrong = "not-the-password-42";
    let run = run_check(&p, authed(&p, p.submission_port, "starttls"), wrong).await;
    assert_eq!(run.cause(), "auth.bad_credentials", "{}", run.stdout);
    assert_eq!(run.code, 14);
}

#[tokio::test]
async fn without_ca_file_the_test_ca_is_untrusted() {
    let Some(p) = peers() else { return };
    let args = with(
        base_args(&p, p.submission_port, "starttls"),
        &[
            "--user",
            &p.user,
            "--password-env",
            "PEER_PASSWORD",
            "--json",
        ],
    );
    let run = run_check(&p, args, &p.password).await;
    assert_eq!(run.cause(), "tls.certificate_untrusted", "{}", run.stdout);
    assert_eq!(run.code, 12);
    let v = run.json();
    assert!(
        !v["tls"]["chain"].as_array().unwrap().is_empty(),
        "chain recorded despite failure"
    );
    assert_eq!(v["tls"]["verified"], false);
}

#[tokio::test]
async fn starttls_mode_on_the_implicit_port_is_a_mode_mismatch() {
    let Some(p) = peers() else { return };
    let run = run_check(&p, authed(&p, p.smtps_port, "starttls"), &p.password).await;
    assert_eq!(run.cause(), "tls.mode_mismatch", "{}", run.stdout);
    assert_eq!(run.code, 12);
}

#[tokio::test]
async fn implicit_mode_on_the_starttls_port_is_a_mode_mismatch() {
    let Some(p) = peers() else { return };
    let run = run_check(&p, authed(&p, p.submission_port, "implicit"), &p.password).await;
    assert_eq!(run.cause(), "tls.mode_mismatch", "{}", run.stdout);
    assert!(
        run.json()["error"].as_str().unwrap().contains("220"),
        "{}",
        run.stdout
    );
}

#[tokio::test]
async fn closed_port_is_connect_refused() {
    let port = closed_port().to_string();
    let run = scanrelay(
        &[
            "check",
            "--server",
            "127.0.0.1",
            "--port",
            &port,
            "--tls",
            "starttls",
            "--json",
        ],
        &[],
    )
    .await;
    assert_eq!(run.cause(), "connect.refused", "{}", run.stdout);
    assert_eq!(run.code, 11);
}

#[tokio::test]
async fn dry_run_mail_rcpt_sends_nothing_and_send_test_delivers() {
    let Some(p) = peers() else { return };
    let to = p.user2.clone();
    let before = p.maildir_messages(&to).len();
    let args = with(
        authed(&p, p.submission_port, "starttls"),
        &["--from", &p.user, "--to", &to],
    );
    let run = run_check(&p, args.clone(), &p.password).await;
    assert_eq!(run.code, 0, "{}", run.stdout);
    let steps: Vec<String> = run.json()["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step"].as_str().unwrap().to_string())
        .collect();
    assert!(
        steps.contains(&"rset".to_string()) && !steps.contains(&"data".to_string()),
        "{steps:?}"
    );
    assert_eq!(
        p.maildir_messages(&to).len(),
        before,
        "a dry run delivers nothing"
    );
    let sent = run_check(&p, with(args, &["--send-test"]), &p.password).await;
    assert_eq!(sent.code, 0, "{}", sent.stdout);
    assert_eq!(sent.json()["sent_test"], true);
    let delivered = p
        .wait_for_message(
            &to,
            |m| String::from_utf8_lossy(m).contains("Message-ID: <scanrelay-check-"),
            std::time::Duration::from_secs(20),
        )
        .await;
    assert!(delivered.is_some(), "the test message reached the Maildir");
}

#[tokio::test]
async fn human_report_in_english_and_korean() {
    let Some(p) = peers() else { return };
    let ca = p.ca.to_string_lossy().into_owned();
    let base = with(
        base_args(&p, p.submission_port, "starttls"),
        &[
            "--ca-file",
            &ca,
            "--user",
            &p.user,
            "--password-env",
            "PEER_PASSWORD",
        ],
    );
    let en = run_check(&p, base.clone(), &p.password).await;
    assert_eq!(en.code, 0, "{}", en.stdout);
    assert!(
        en.stdout.contains("Result: OK") && en.stdout.contains("C: EHLO device.example.test"),
        "{}",
        en.stdout
    );
    assert!(en.stdout.contains("S: 220 "), "{}", en.stdout);
    let ko = run_check(&p, with(base, &["--lang", "ko"]), "wrong-password-123").await;
    assert_eq!(ko.code, 14);
    assert!(
        ko.stdout.contains("결과: 실패") && ko.stdout.contains("auth.bad_credentials"),
        "{}",
        ko.stdout
    );
}

#[tokio::test]
async fn cram_md5_and_a_password_file_work_against_dovecot() {
    let Some(p) = peers() else { return };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pw");
    std::fs::write(&file, format!("{}\n", p.password)).unwrap();
    let ca = p.ca.to_string_lossy().into_owned();
    let f = file.to_string_lossy().into_owned();
    let args = with(
        base_args(&p, p.submission_port, "starttls"),
        &[
            "--ca-file",
            &ca,
            "--user",
            &p.user,
            "--password-file",
            &f,
            "--auth",
            "cram-md5",
            "--json",
        ],
    );
    let run = run_check(&p, args, &p.password).await;
    assert_eq!(run.code, 0, "{}", run.stdout);
    let auth = run.json()["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["step"] == "auth")
        .cloned()
        .unwrap();
    assert_eq!(auth["sent"][0], "AUTH CRAM-MD5");
    assert_eq!(auth["sent"][1], "<redacted>");
}

#[tokio::test]
async fn plaintext_port_without_starttls_mode_reports_starttls_required() {
    let Some(p) = peers() else { return };
    let args = with(
        base_args(&p, p.submission_port, "none"),
        &[
            "--user",
            &p.user,
            "--password-env",
            "PEER_PASSWORD",
            "--json",
        ],
    );
    let run = run_check(&p, args, &p.password).await;
    assert_eq!(run.cause(), "tls.starttls_required", "{}", run.stdout);
    assert_eq!(run.code, 12);
}

#[tokio::test]
async fn a_rejected_recipient_is_diagnosed_at_rcpt() {
    let Some(p) = peers() else { return };
    let args = with(
        authed(&p, p.submission_port, "starttls"),
        &["--to", &p.reject_rcpt],
    );
    let run = run_check(&p, args, &p.password).await;
    assert_eq!(run.code, 15, "{}", run.stdout);
    let failed = run.json()["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["ok"] == false)
        .cloned()
        .unwrap();
    assert_eq!(failed["step"], "rcpt");
}

#[tokio::test]
async fn at_a_terminal_the_password_is_asked_for_without_echo() {
    let Some(p) = peers() else { return };
    let ca = p.ca.to_string_lossy().into_owned();
    let port = p.submission_port.to_string();
    let (code, shown, err) = crate::gateway_support::run_tool(
        "python3",
        &[
            &crate::gateway_support::py("pty_prompt.py"),
            "PEER_PASSWORD",
            "--",
            env!("CARGO_BIN_EXE_scanrelay"),
            "check",
            "--server",
            &p.host,
            "--port",
            &port,
            "--tls",
            "starttls",
            "--ca-file",
            &ca,
            "--user",
            &p.user,
        ],
        &[("PEER_PASSWORD", &p.password)],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    assert!(shown.contains("SMTP password (not shown):"), "{shown}");
    assert!(shown.trim_end().ends_with("EXIT 0"), "{shown}");
    scanrelay_test_support::assert_no_secrets(&shown, &[&p.password]);
}

#[tokio::test]
async fn a_short_timeout_still_recognises_the_implicit_tls_port() {
    let Some(p) = peers() else { return };
    let ca = p.ca.to_string_lossy().into_owned();
    let port = p.smtps_port.to_string();
    let run = crate::scanrelay(
        &[
            "check",
            "--server",
            &p.host,
            "--port",
            &port,
            "--tls",
            "starttls",
            "--ca-file",
            &ca,
            "--timeout",
            "2",
            "--json",
        ],
        &[],
    )
    .await;
    assert_eq!(run.cause(), "tls.mode_mismatch", "{}", run.stdout);
}
