//! [`SmtpUpstream`] against the scripted SMTP server on 127.0.0.1: what goes on the wire
//! (MAIL FROM with SIZE and BODY, the rewritten message), session reuse with RSET, size
//! refusal before MAIL FROM, partial recipient refusal, and session failures. Real time,
//! loopback only.

use std::sync::Arc;
use std::time::Duration;

use scanrelay_diagnose::Cause;
use scanrelay_gateway::delivery::{
    DeliveryError, MemoryBody, OutgoingMessage, SmtpUpstream, Upstream,
};
use scanrelay_gateway::settings::{FromPolicy, UpstreamSettings};
use scanrelay_proto::TlsMode;
use scanrelay_spool::MessageId;
use scanrelay_test_support::{Script, ScriptedSmtpServer, Step};

use crate::delivery_support::{
    Running, delivery_settings, entries, scan_mail, spool_message, temp_spool,
};

const ACCOUNT: &str = "office.scanner@gmail.com";

pub(crate) fn upstream_settings(port: u16, account: Option<&str>) -> UpstreamSettings {
    UpstreamSettings {
        name: "default".to_string(),
        kind: scanrelay_gateway::settings::UpstreamKind::Smtp,
        oauth: None,
        pacing: Default::default(),
        provider: None,
        server: "127.0.0.1".to_string(),
        port,
        tls: TlsMode::None,
        username: account.map(str::to_string),
        password: account.map(|_| "abcd efgh ijkl mnop".to_string()),
        ca_file: None,
        from_policy: if account.is_some() {
            FromPolicy::Rewrite
        } else {
            FromPolicy::Keep
        },
        max_connections: 1,
        helo: "gw.office.lan".to_string(),
        timeout: Duration::from_secs(10),
    }
}

fn greeting(ehlo_keywords: &str) -> Vec<Step> {
    vec![
        Step::send("220 smtp.scripted.test ESMTP ready"),
        Step::expect("EHLO gw.office.lan"),
        Step::send(format!("250-smtp.scripted.test\n{ehlo_keywords}")),
    ]
}

fn login() -> Vec<Step> {
    vec![
        Step::expect("AUTH PLAIN "),
        Step::send("235 2.7.0 Accepted"),
    ]
}

fn transaction(mail_from: &str, rcpt: &str) -> Vec<Step> {
    vec![
        Step::expect_exact(mail_from),
        Step::send("250 2.1.0 OK"),
        Step::expect_exact(format!("RCPT TO:<{rcpt}>")),
        Step::send("250 2.1.5 OK"),
        Step::expect_exact("DATA"),
        Step::send("354 Go ahead"),
        Step::ExpectData,
        Step::send("250 2.0.0 OK queued as 1234"),
    ]
}

fn outgoing(from: &str, rcpts: &[&str], body: &[u8]) -> OutgoingMessage {
    OutgoingMessage {
        id: "00063f8a1c2b3d4e-9f3a61c0d2e4b7a1"
            .parse::<MessageId>()
            .unwrap(),
        mail_from: from.to_string(),
        rcpt_to: rcpts.iter().map(|r| r.to_string()).collect(),
        size: body.len() as u64,
        body: Arc::new(MemoryBody::new(body.to_vec())),
    }
}

async fn wait_until_empty(spool: &scanrelay_spool::Spool) {
    for _ in 0..1000 {
        if entries(spool).await.is_empty() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the spool did not empty: {:#?}", entries(spool).await);
}

/// What the provider must receive for `scan_mail("\"Scanner 3F\" <scan@office.lan>")` sent
/// from ACCOUNT: From rewritten, the device's From in Reply-To, everything else unchanged.
const REWRITTEN: &str = "From: \"Scanner 3F\" <office.scanner@gmail.com>\r\n\
    Reply-To: \"Scanner 3F\" <scan@office.lan>\r\n\
    To: boss@example.com\r\nSubject: Scan 3F\r\nMessage-ID: <1@mfp>\r\n\
    MIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\nscanned page\r\n.leading dot\r\n";

#[tokio::test]
async fn rewritten_message_goes_out_with_size_and_8bitmime_over_one_reused_session() {
    let mail_from = format!(
        "MAIL FROM:<{ACCOUNT}> SIZE={} BODY=8BITMIME",
        REWRITTEN.len()
    );
    let mut steps =
        greeting("250-SIZE 35882577\n250-8BITMIME\n250-AUTH LOGIN PLAIN\n250 ENHANCEDSTATUSCODES");
    steps.extend(login());
    steps.extend(transaction(&mail_from, "boss@example.com"));
    steps.extend([Step::expect_exact("RSET"), Step::send("250 2.0.0 OK")]);
    steps.extend(transaction(&mail_from, "boss@example.com"));
    steps.push(Step::ExpectQuitOrClose);
    let server = ScriptedSmtpServer::start(Script::new(steps)).await;

    let t = temp_spool().await;
    let body = scan_mail("\"Scanner 3F\" <scan@office.lan>");
    for _ in 0..2 {
        spool_message(&t.spool, "scan@office.lan", &["boss@example.com"], &body).await;
    }
    let upstream = SmtpUpstream::new(&upstream_settings(server.port(), Some(ACCOUNT))).unwrap();
    let running = Running::start(&t.spool, Some(Arc::new(upstream)), delivery_settings());
    wait_until_empty(&t.spool).await;
    running.stop().await;

    let log = server.finish().await.unwrap_or_else(|why| panic!("{why}"));
    assert_eq!(log.connections, 1, "the second message reused the session");
    assert_eq!(log.messages.len(), 2);
    for message in &log.messages {
        assert_eq!(String::from_utf8_lossy(message), REWRITTEN);
    }
    assert_eq!(log.received.last().map(String::as_str), Some("QUIT"));
}

#[tokio::test]
async fn oversize_message_is_refused_before_mail_from() {
    let mut steps = greeting("250-SIZE 1000\n250 8BITMIME");
    steps.push(Step::ExpectQuitOrClose);
    let server = ScriptedSmtpServer::start(Script::new(steps)).await;
    let upstream = SmtpUpstream::new(&upstream_settings(server.port(), None)).unwrap();

    let body = vec![b'x'; 1001];
    let err = upstream
        .deliver(outgoing("scan@office.lan", &["boss@example.com"], &body))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            DeliveryError::TooLarge {
                size: 1001,
                limit: 1000
            }
        ),
        "{err}"
    );
    assert!(err.is_permanent());
    assert_eq!(err.cause(), Cause::MessageTooLarge);
    upstream.close_idle().await;
    let log = server.finish().await.unwrap_or_else(|why| panic!("{why}"));
    assert!(
        !log.received.iter().any(|l| l.starts_with("MAIL")),
        "{:?}",
        log.received
    );
}

#[tokio::test]
async fn refused_recipient_is_reported_and_the_others_get_the_message() {
    let mut steps = greeting("250 SIZE 0");
    steps.extend([
        Step::expect_exact("MAIL FROM:<scan@office.lan> SIZE=7"),
        Step::send("250 2.1.0 OK"),
        Step::expect_exact("RCPT TO:<nobody@example.com>"),
        Step::send("550-5.1.1 The email account that you tried to reach does not exist.\n550 5.1.1 https://support.google.com/mail/?p=NoSuchUser"),
        Step::expect_exact("RCPT TO:<boss@example.com>"),
        Step::send("250 2.1.5 OK"),
        Step::expect_exact("DATA"),
        Step::send("354 Go ahead"),
        Step::ExpectData,
        Step::send("250 2.0.0 OK"),
        Step::ExpectQuitOrClose,
    ]);
    let server = ScriptedSmtpServer::start(Script::new(steps)).await;
    let upstream = SmtpUpstream::new(&upstream_settings(server.port(), None)).unwrap();

    let report = upstream
        .deliver(outgoing(
            "scan@office.lan",
            &["nobody@example.com", "boss@example.com"],
            b"hi\r\n.\r\n",
        ))
        .await
        .unwrap();
    assert_eq!(report.accepted, ["boss@example.com"]);
    assert_eq!(report.refused.len(), 1);
    let refusal = &report.refused[0];
    assert_eq!(refusal.rcpt, "nobody@example.com");
    assert!(!refusal.is_transient());
    assert_eq!(refusal.cause, Cause::RecipientRejected);
    assert_eq!(
        refusal.response.as_ref().unwrap().lines(),
        [
            "550-5.1.1 The email account that you tried to reach does not exist.",
            "550 5.1.1 https://support.google.com/mail/?p=NoSuchUser"
        ]
    );
    upstream.close_idle().await;
    let log = server.finish().await.unwrap_or_else(|why| panic!("{why}"));
    assert_eq!(
        log.messages,
        [b"hi\r\n.\r\n".to_vec()],
        "dot-stuffed on the wire, intact here"
    );
}

#[tokio::test]
async fn a_dead_idle_session_is_replaced_by_a_new_one() {
    let mut first = greeting("250 8BITMIME");
    first.extend(transaction(
        "MAIL FROM:<scan@office.lan> BODY=8BITMIME",
        "boss@example.com",
    ));
    first.push(Step::Close);
    let mut second = greeting("250 8BITMIME");
    second.extend(transaction(
        "MAIL FROM:<scan@office.lan> BODY=8BITMIME",
        "boss@example.com",
    ));
    second.push(Step::ExpectQuitOrClose);
    let server =
        ScriptedSmtpServer::start_each(vec![Script::new(first), Script::new(second)]).await;
    let upstream = SmtpUpstream::new(&upstream_settings(server.port(), None)).unwrap();

    for _ in 0..2 {
        upstream
            .deliver(outgoing(
                "scan@office.lan",
                &["boss@example.com"],
                b"hello\r\n",
            ))
            .await
            .unwrap();
    }
    assert_eq!(upstream.idle_sessions(), 1);
    upstream.close_idle().await;
    let log = server.finish().await.unwrap_or_else(|why| panic!("{why}"));
    assert_eq!(log.connections, 2);
    assert_eq!(log.messages.len(), 2);
}

#[tokio::test]
async fn temporary_refusal_at_mail_from_keeps_the_session() {
    let mut steps = greeting("250 8BITMIME");
    steps.extend([
        Step::expect_exact("MAIL FROM:<scan@office.lan> BODY=8BITMIME"),
        Step::send("451 4.7.0 Temporary server error. Please try again later"),
        Step::expect_exact("RSET"),
        Step::send("250 2.0.0 OK"),
    ]);
    steps.extend(transaction(
        "MAIL FROM:<scan@office.lan> BODY=8BITMIME",
        "boss@example.com",
    ));
    steps.push(Step::ExpectQuitOrClose);
    let server = ScriptedSmtpServer::start(Script::new(steps)).await;
    let upstream = SmtpUpstream::new(&upstream_settings(server.port(), None)).unwrap();

    let err = upstream
        .deliver(outgoing(
            "scan@office.lan",
            &["boss@example.com"],
            b"hello\r\n",
        ))
        .await
        .unwrap_err();
    assert!(err.is_transient(), "{err}");
    assert_eq!(
        err.response().unwrap().lines(),
        ["451 4.7.0 Temporary server error. Please try again later"]
    );
    upstream
        .deliver(outgoing(
            "scan@office.lan",
            &["boss@example.com"],
            b"hello\r\n",
        ))
        .await
        .unwrap();
    upstream.close_idle().await;
    let log = server.finish().await.unwrap_or_else(|why| panic!("{why}"));
    assert_eq!(log.connections, 1);
}

#[tokio::test]
async fn rejected_login_is_a_session_error_that_is_retried_not_bounced() {
    let mut steps = greeting("250 AUTH PLAIN LOGIN");
    steps.extend([
        Step::expect("AUTH PLAIN "),
        Step::send("535-5.7.8 Username and Password not accepted. For more information, go to\n535 5.7.8  https://support.google.com/mail/?p=BadCredentials - gsmtp"),
        Step::ExpectQuitOrClose,
    ]);
    let server = ScriptedSmtpServer::start(Script::new(steps)).await;
    let upstream = SmtpUpstream::new(&upstream_settings(server.port(), Some(ACCOUNT))).unwrap();

    let err = upstream
        .deliver(outgoing(ACCOUNT, &["boss@example.com"], b"hello\r\n"))
        .await
        .unwrap_err();
    assert!(matches!(err, DeliveryError::Session { .. }), "{err}");
    assert!(err.is_transient(), "configuration errors soft-bounce");
    assert_eq!(err.cause(), Cause::AuthBadCredentials);
    assert!(
        !err.to_string().contains("abcd efgh"),
        "no password in errors: {err}"
    );
    assert_eq!(upstream.idle_sessions(), 0);
    drop(server);
}

#[test]
fn rewrite_needs_a_username_that_is_an_address() {
    let mut settings = upstream_settings(25, Some("naverid"));
    assert!(SmtpUpstream::new(&settings).is_err());
    settings.username = None;
    assert!(SmtpUpstream::new(&settings).is_err());
    settings.from_policy = FromPolicy::Keep;
    let upstream = SmtpUpstream::new(&settings).unwrap();
    assert_eq!(upstream.rewrite_sender(), None);
    assert!(
        !format!("{upstream:?}").contains("abcd"),
        "Debug shows no password"
    );
}

/// Regression (issue 7, item 0): the upstream connection ran `check`'s TLS-mode probe. On a
/// greeting slower than 2 s it opened a second connection and sent a TLS ClientHello before
/// the server had spoken, which a postscreen-protected relay (port 25, the Workspace SMTP
/// relay) counts as a pregreet violation. A delivering client opens exactly one connection
/// and waits for the greeting. (Real time: the probe is a real second TCP connection.)
#[tokio::test]
async fn a_slow_greeting_gets_one_patient_connection_not_a_tls_probe() {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let connections = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = connections.clone();
    tokio::spawn(async move {
        loop {
            let (mut socket, _) = listener.accept().await.unwrap();
            let n = counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            tokio::spawn(async move {
                if n > 0 {
                    return; // a second connection: the probe; say nothing
                }
                tokio::time::sleep(Duration::from_millis(2600)).await;
                let (read, mut write) = socket.split();
                let mut lines = BufReader::new(read).lines();
                write
                    .write_all(b"220 relay.example ESMTP\r\n")
                    .await
                    .unwrap();
                while let Ok(Some(line)) = lines.next_line().await {
                    let reply: &[u8] = match line.split(' ').next().unwrap_or("") {
                        "EHLO" => b"250 relay.example\r\n",
                        "DATA" => b"354 go\r\n",
                        "QUIT" => b"221 bye\r\n",
                        "." => b"250 2.0.0 queued\r\n",
                        "MAIL" | "RCPT" | "RSET" => b"250 OK\r\n",
                        _ => continue,
                    };
                    write.write_all(reply).await.unwrap();
                }
            });
        }
    });
    let upstream = SmtpUpstream::new(&upstream_settings(port, None)).unwrap();
    let body = scan_mail("scan@office.lan");
    let msg = outgoing("scan@office.lan", &["boss@example.com"], &body);
    let report = upstream.deliver(msg).await.expect("delivered");
    assert_eq!(report.accepted, ["boss@example.com"]);
    assert_eq!(
        connections.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "exactly one connection: no TLS-mode probe from a delivering client"
    );
}

/// Regression (issue 7, item 0): the CA file and the system trust store were read again for
/// every upstream connection, on a runtime thread. They are read once, when the upstream is
/// built: a CA file removed afterwards does not matter until the next start or reload.
#[tokio::test]
async fn the_ca_file_is_read_once_when_the_upstream_is_built() {
    let mut steps = vec![
        Step::send("220 relay.example ESMTP"),
        Step::expect("EHLO"),
        Step::send("250-relay.example\n250 STARTTLS"),
        Step::expect_exact("STARTTLS"),
        Step::send("220 2.0.0 go ahead"),
        Step::StartTls,
        Step::expect("EHLO"),
        Step::send("250 relay.example"),
    ];
    steps.extend(transaction(
        "MAIL FROM:<scan@office.lan>",
        "boss@example.com",
    ));
    steps.push(Step::ExpectQuitOrClose);
    let server = ScriptedSmtpServer::start(Script::new(steps)).await;
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("private-ca.pem");
    std::fs::copy(server.ca_pem_path(), &ca).unwrap();
    let mut settings = upstream_settings(server.port(), None);
    settings.tls = TlsMode::StartTls;
    settings.server = "localhost".to_string();
    settings.ca_file = Some(ca.clone());
    let upstream = SmtpUpstream::new(&settings).unwrap();
    std::fs::remove_file(&ca).unwrap();
    let body = scan_mail("scan@office.lan");
    let msg = outgoing("scan@office.lan", &["boss@example.com"], &body);
    let report = upstream
        .deliver(msg)
        .await
        .expect("verified with the CA read at start");
    assert_eq!(report.accepted, ["boss@example.com"]);
    upstream.close_idle().await;
    server.finish().await.expect("script");
}
