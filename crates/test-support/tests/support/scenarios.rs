//! The canned provider scenarios, driven the way scanrelay's client drives them.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use scanrelay_test_support::fixtures::provider_reply;
use scanrelay_test_support::{ScriptedSmtpServer, assert_no_secrets, bytes_contain, scenarios};

use crate::client::*;

/// Banner, EHLO, STARTTLS, EHLO again; returns the TLS client and the second EHLO reply.
async fn starttls_prelude(server: &ScriptedSmtpServer, banner: &str) -> (Client, Vec<String>) {
    let mut client = Client::connect(server.addr()).await;
    assert_eq!(client.reply().await, [banner]);
    let ehlo = client.cmd("EHLO scanner.example").await;
    assert!(contains(&ehlo, "250-STARTTLS"), "{ehlo:?}");
    assert!(
        !ehlo.iter().any(|l| l.contains("AUTH")),
        "no AUTH before TLS: {ehlo:?}"
    );
    assert!(client.cmd("STARTTLS").await[0].starts_with("220 2.0.0"));
    let mut client = client
        .starttls(server.pki().client_config(), "localhost")
        .await;
    let ehlo = client.cmd("EHLO scanner.example").await;
    (client, ehlo)
}

#[tokio::test]
async fn scenario_gmail_app_password_required() {
    let server = ScriptedSmtpServer::start(scenarios::gmail_app_password_required()).await;
    let (mut client, ehlo) = starttls_prelude(&server, scenarios::GMAIL_BANNER).await;
    assert!(contains(&ehlo, "250-SIZE 35882577"));
    assert!(contains(
        &ehlo,
        "250-AUTH LOGIN PLAIN XOAUTH2 PLAIN-CLIENTTOKEN OAUTHBEARER XOAUTH"
    ));
    let payload = B64.encode("\0someone@gmail.com\0normal-password");
    let reply = client.cmd(&format!("AUTH PLAIN {payload}")).await;
    assert_eq!(
        reply,
        reply_lines(&provider_reply("gmail", "auth", "auth.app_password_required").reply)
    );
    assert_eq!(
        reply[0],
        "534-5.7.9 Application-specific password required. Learn more at"
    );
    client.cmd("QUIT").await;
    let log = server.finish().await.expect("scenario satisfied");
    assert_eq!(log.received.last().map(String::as_str), Some("QUIT"));
}

#[tokio::test]
async fn scenario_gmail_xoauth2_rejected() {
    let server = ScriptedSmtpServer::start(scenarios::gmail_xoauth2_rejected()).await;
    let (mut client, _) = starttls_prelude(&server, scenarios::GMAIL_BANNER).await;
    let token = B64.encode("user=someone@gmail.com\x01auth=Bearer ya29.expired\x01\x01");
    let challenge = client.cmd(&format!("AUTH XOAUTH2 {token}")).await;
    assert_eq!(challenge, [scenarios::GMAIL_XOAUTH2_ERROR_CHALLENGE]);
    let json = B64.decode(&challenge[0][4..]).expect("base64 JSON");
    assert!(bytes_contain(&json, r#""status":"401""#));
    let reply = client.cmd("").await;
    assert_eq!(
        reply[1],
        "535 5.7.8  https://support.google.com/mail/?p=BadCredentials i5sm8565805wrv.34 - gsmtp"
    );
    client.close().await;
    let log = server.finish().await.expect("scenario satisfied");
    assert_eq!(log.received.last().map(String::as_str), Some(""));
}

#[tokio::test]
async fn scenario_m365_smtp_auth_disabled() {
    let server = ScriptedSmtpServer::start(scenarios::m365_smtp_auth_disabled()).await;
    let (mut client, ehlo) = starttls_prelude(&server, scenarios::M365_BANNER).await;
    assert!(contains(&ehlo, "250-AUTH LOGIN XOAUTH2"));
    assert_eq!(client.cmd("AUTH LOGIN").await, ["334 VXNlcm5hbWU6"]);
    assert_eq!(
        client.cmd(&B64.encode("user@contoso.com")).await,
        ["334 UGFzc3dvcmQ6"]
    );
    let reply = client.cmd(&B64.encode("hunter2-secret")).await;
    assert!(reply[0].starts_with(
        "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled"
    ));
    assert_eq!(
        reply,
        reply_lines(&provider_reply("microsoft", "auth", "auth.smtp_auth_disabled").reply)
    );
    client.cmd("QUIT").await;
    let log = server.finish().await.expect("scenario satisfied");
    let result = std::panic::catch_unwind(|| {
        assert_no_secrets(&log.received.join("\n"), &["hunter2-secret"])
    });
    assert!(
        result.is_err(),
        "the raw client's LOGIN answer is in the log, base64-encoded"
    );
}

#[tokio::test]
async fn scenario_m365_send_ok() {
    let server = ScriptedSmtpServer::start(scenarios::m365_send_ok()).await;
    let (mut client, _) = starttls_prelude(&server, scenarios::M365_BANNER).await;
    client.cmd("AUTH LOGIN").await;
    client.cmd(&B64.encode("user@contoso.com")).await;
    assert_eq!(
        client.cmd(&B64.encode("app-password")).await,
        ["235 2.7.0 Authentication successful"]
    );
    assert!(client.cmd("MAIL FROM:<scanner@contoso.com>").await[0].starts_with("250 2.1.0"));
    assert!(client.cmd("RCPT TO:<someone@contoso.com>").await[0].starts_with("250 2.1.5"));
    assert!(client.cmd("DATA").await[0].starts_with("354 "));
    client.send_raw(b"Subject: scan\r\n\r\nPDF\r\n.\r\n").await;
    assert!(client.reply().await[0].starts_with("250 2.0.0 OK"));
    client.cmd("QUIT").await;
    let log = server.finish().await.expect("scenario satisfied");
    assert_eq!(log.messages, [b"Subject: scan\r\n\r\nPDF\r\n".to_vec()]);
}

#[tokio::test]
async fn scenario_naver_sender_refused_over_implicit_tls() {
    let server = ScriptedSmtpServer::start(scenarios::naver_sender_refused()).await;
    let mut client =
        Client::connect_tls(server.addr(), server.pki().client_config(), "localhost").await;
    assert_eq!(client.reply().await, [scenarios::NAVER_BANNER]);
    let ehlo = client.cmd("EHLO scanner.example").await;
    assert_eq!(ehlo, reply_lines(scenarios::NAVER_EHLO));
    let auth = client
        .cmd(&format!("AUTH PLAIN {}", B64.encode("\0me\0pw")))
        .await;
    assert_eq!(auth, ["235 2.7.0 Accepted Emhh66c9Rn26pkBARTBxqQ - nsmtp"]);
    let mail = client.cmd("MAIL FROM:<someone-else@gmail.com>").await;
    assert_eq!(
        mail,
        ["554 5.7.1 The sender address is unauthorized e8elkxYhRzaLlkY-Ah049w - nsmtp"]
    );
    client.cmd("RSET").await;
    client.cmd("QUIT").await;
    server.finish().await.expect("scenario satisfied");
}

#[tokio::test]
async fn scenario_naver_send_ok() {
    let server = ScriptedSmtpServer::start(scenarios::naver_send_ok()).await;
    let mut client =
        Client::connect_tls(server.addr(), server.pki().client_config(), "127.0.0.1").await;
    client.reply().await;
    client.cmd("EHLO scanner.example").await;
    client
        .cmd(&format!("AUTH PLAIN {}", B64.encode("\0me\0pw")))
        .await;
    client.cmd("MAIL FROM:<me@naver.com>").await;
    client.cmd("RCPT TO:<you@example.test>").await;
    assert_eq!(client.cmd("DATA").await, ["354 Go ahead  - nsmtp"]);
    client.send_raw(b"x\r\n.\r\n").await;
    assert_eq!(client.reply().await, ["250 2.0.0 OK  - nsmtp"]);
    client.close().await;
    let log = server.finish().await.expect("scenario satisfied");
    assert_eq!(log.messages, [b"x\r\n".to_vec()]);
}

#[test]
fn scenario_banners_match_the_fixtures() {
    assert_eq!(
        provider_reply("microsoft", "connect", "ok").reply,
        scenarios::M365_BANNER
    );
    assert_eq!(
        provider_reply("naver", "connect", "ok").reply,
        scenarios::NAVER_BANNER
    );
}
