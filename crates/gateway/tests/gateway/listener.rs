//! The listener with real device-like clients run as child processes: swaks, curl (SMTP
//! upload) and Python smtplib. Each message must land in the spool byte for byte; refused
//! relays must leave the spool empty.

use crate::listener_support::*;

/// A complete message with CRLF line ends, as a scanner would send it.
const MESSAGE: &str = "From: Scanner <scan@mfp.test>\r\n\
To: Office <office@example.test>\r\n\
Subject: Scan 0001\r\n\
Date: Tue, 02 Jan 2024 15:04:05 +0000\r\n\
Message-ID: <scan-0001@mfp.test>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: text/plain\r\n\
\r\n\
page one\r\n\
.leading dot line\r\n\
last line\r\n";

fn write_message(dir: &std::path::Path) -> String {
    let path = dir.join("message.eml");
    std::fs::write(&path, MESSAGE).unwrap();
    path.to_str().unwrap().to_string()
}

#[tokio::test]
async fn curl_upload_lands_in_spool_with_exact_bytes() {
    let t = TestGateway::start(|_| {}).await;
    let file = write_message(t.dir.path());
    let url = format!("smtp://{}/device.test", t.smtp());
    let out = run(
        "curl",
        &[
            "-sS",
            &url,
            "--mail-from",
            "scan@mfp.test",
            "--mail-rcpt",
            "office@example.test",
            "-T",
            &file,
        ],
    )
    .await;
    assert!(out.status.success(), "curl failed: {}", text(&out));
    let (entry, body) = t.only_message().await;
    assert_eq!(without_received(&body), MESSAGE.as_bytes());
    assert_eq!(entry.envelope.mail_from, "scan@mfp.test");
    assert_eq!(entry.envelope.rcpt_to, ["office@example.test"]);
    assert_eq!(entry.envelope.helo, "device.test");
    assert!(entry.envelope.client_addr.starts_with("127.0.0.1:"));
    assert_eq!(entry.envelope.size, body.len() as u64);
    assert_eq!(t.tmp_files(), 0);
}

#[tokio::test]
async fn swaks_plain_device_lands_in_spool_with_exact_bytes() {
    let t = TestGateway::start(|_| {}).await;
    let file = write_message(t.dir.path());
    let server = t.smtp().to_string();
    let out = run(
        "swaks",
        &[
            "--server",
            &server,
            "--from",
            "scan@mfp.test",
            "--to",
            "office@example.test",
            "--data",
            &file,
        ],
    )
    .await;
    assert!(out.status.success(), "swaks failed: {}", text(&out));
    assert!(
        text(&out).contains("250 2.0.0 OK: queued as "),
        "{}",
        text(&out)
    );
    let (_, body) = t.only_message().await;
    // swaks always writes CRLF before the terminating dot, even after a final CRLF: that
    // empty line is part of what it sent.
    let sent = format!("{MESSAGE}\r\n");
    assert_eq!(without_received(&body), sent.as_bytes());
}

#[tokio::test]
async fn python_smtplib_device_lands_in_spool_with_exact_bytes() {
    let t = TestGateway::start(|_| {}).await;
    let file = write_message(t.dir.path());
    let script = format!(
        "import smtplib\n\
         s = smtplib.SMTP('127.0.0.1', {port}, local_hostname='pydevice.test')\n\
         s.sendmail('scan@mfp.test', ['office@example.test', 'bcc@example.test'], open({file:?}, 'rb').read())\n\
         s.quit()\n",
        port = t.smtp().port(),
    );
    let out = run("python3", &["-c", &script]).await;
    assert!(out.status.success(), "smtplib failed: {}", text(&out));
    let (entry, body) = t.only_message().await;
    assert_eq!(without_received(&body), MESSAGE.as_bytes());
    assert_eq!(
        entry.envelope.rcpt_to,
        ["office@example.test", "bcc@example.test"]
    );
    assert_eq!(entry.envelope.helo, "pydevice.test");
}

#[tokio::test]
async fn swaks_auth_login_over_starttls() {
    let t = TestGateway::start(|s| {
        s.listen.allow_networks = vec!["10.0.0.0/8".parse().unwrap()];
        s.devices = vec![device("mfp-3f", "scan-pass-1")];
    })
    .await;
    let server = t.smtp().to_string();
    let out = run(
        "swaks",
        &[
            "--server",
            &server,
            "--from",
            "scan@mfp.test",
            "--to",
            "office@example.test",
            "--tls",
            "--auth",
            "LOGIN",
            "--auth-user",
            "mfp-3f",
            "--auth-password",
            "scan-pass-1",
        ],
    )
    .await;
    let transcript = text(&out);
    assert!(out.status.success(), "swaks failed: {transcript}");
    assert!(transcript.contains("334 VXNlcm5hbWU6"), "{transcript}");
    assert!(transcript.contains("235 2.7.0"), "{transcript}");
    let (entry, body) = t.only_message().await;
    assert_eq!(entry.envelope.auth_user.as_deref(), Some("mfp-3f"));
    let received = String::from_utf8_lossy(&body[..200]).to_string();
    assert!(received.contains("with ESMTPSA"), "{received}");
}

#[tokio::test]
async fn python_smtplib_over_implicit_tls_with_auth_plain() {
    let t = TestGateway::start(|s| {
        s.listen.allow_networks = vec!["10.0.0.0/8".parse().unwrap()];
        s.devices = vec![device("mfp-1f", "pw-1f")];
    })
    .await;
    let script = format!(
        "import smtplib, ssl\n\
         ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE\n\
         s = smtplib.SMTP_SSL('127.0.0.1', {port}, context=ctx)\n\
         s.login('mfp-1f', 'pw-1f')\n\
         s.sendmail('scan@mfp.test', ['office@example.test'], b'Subject: tls\\r\\n\\r\\nhello\\r\\n')\n\
         s.quit()\n",
        port = t.smtps().port(),
    );
    let out = run("python3", &["-c", &script]).await;
    assert!(out.status.success(), "smtplib failed: {}", text(&out));
    let (entry, _) = t.only_message().await;
    assert_eq!(entry.envelope.auth_user.as_deref(), Some("mfp-1f"));
}

#[tokio::test]
async fn relay_from_outside_allow_list_without_auth_is_refused_and_nothing_queued() {
    let t = TestGateway::start(|s| {
        s.listen.allow_networks = vec!["10.0.0.0/8".parse().unwrap()];
        s.devices = vec![device("mfp-3f", "scan-pass-1")];
    })
    .await;
    let server = t.smtp().to_string();
    let out = run(
        "swaks",
        &[
            "--server",
            &server,
            "--from",
            "spam@evil.test",
            "--to",
            "victim@example.test",
        ],
    )
    .await;
    assert!(!out.status.success());
    assert!(text(&out).contains("530 5.7.0"), "{}", text(&out));

    let file = write_message(t.dir.path());
    let url = format!("smtp://{}/evil.test", t.smtp());
    let out = run(
        "curl",
        &[
            "-sS",
            &url,
            "--mail-from",
            "spam@evil.test",
            "--mail-rcpt",
            "victim@example.test",
            "-T",
            &file,
        ],
    )
    .await;
    assert!(!out.status.success(), "curl must fail: {}", text(&out));
    assert!(t.messages().await.is_empty());
    assert_eq!(t.tmp_files(), 0);
}

#[tokio::test]
async fn relay_without_device_accounts_is_denied_with_550() {
    let t = TestGateway::start(|s| {
        s.listen.allow_networks = vec!["10.0.0.0/8".parse().unwrap()];
    })
    .await;
    let mut c = Raw::connect(t.smtp()).await;
    expect_code(&c.reply().await, "220");
    let ehlo = c.cmd("EHLO outsider.test").await;
    assert!(
        !ehlo.contains("AUTH"),
        "no AUTH without device accounts: {ehlo}"
    );
    expect_code(&c.cmd("MAIL FROM:<spam@evil.test>").await, "250");
    expect_code(&c.cmd("RCPT TO:<victim@example.test>").await, "550 5.7.1");
    let data = c.cmd("DATA").await;
    assert!(data.starts_with("503") || data.starts_with("554"), "{data}");
    c.send("Subject: x\r\n\r\nspam\r\n.\r\n").await;
    expect_code(&c.cmd("QUIT").await, "5");
    assert!(t.messages().await.is_empty());
}

#[tokio::test]
async fn oversized_message_gets_552_and_nothing_is_queued() {
    let t = TestGateway::start(|s| s.listen.max_message_size = 2_000).await;
    let big = format!("Subject: big\r\n\r\n{}\r\n", "x".repeat(10_000));
    let path = t.dir.path().join("big.eml");
    std::fs::write(&path, big).unwrap();
    let server = t.smtp().to_string();
    let out = run(
        "swaks",
        &[
            "--server",
            &server,
            "--from",
            "scan@mfp.test",
            "--to",
            "office@example.test",
            "--data",
            path.to_str().unwrap(),
        ],
    )
    .await;
    assert!(text(&out).contains("552 5.3.4"), "{}", text(&out));
    assert!(t.messages().await.is_empty());
    assert_eq!(t.tmp_files(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_concurrent_connections_are_all_queued() {
    let t = TestGateway::start(|s| s.listen.max_connections = 250).await;
    let addr = t.smtp();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..200 {
        tasks.spawn(async move {
            let mut c = Raw::connect(addr).await;
            let content = format!("Subject: n{i}\r\n\r\nmessage {i}\r\n");
            let reply = c
                .send_mail("scan@mfp.test", &["office@example.test"], &content)
                .await;
            c.cmd("QUIT").await;
            reply
        });
    }
    let mut ok = 0;
    while let Some(reply) = tasks.join_next().await {
        expect_code(&reply.unwrap(), "250 2.0.0 OK: queued as ");
        ok += 1;
    }
    assert_eq!(ok, 200);
    let all = t.messages().await;
    assert_eq!(all.len(), 200);
    let mut numbers: Vec<usize> = all
        .iter()
        .map(|(_, body)| {
            let text = String::from_utf8_lossy(body);
            let n = text.split("message ").nth(1).unwrap().trim();
            n.parse().unwrap()
        })
        .collect();
    numbers.sort_unstable();
    assert_eq!(numbers, (0..200).collect::<Vec<_>>());
}

/// Without an upstream a message is committed already held (issue 10): its header block says
/// so, so the scheduler has nothing to rewrite (it used to write an envelope file per message).
#[tokio::test]
async fn without_upstream_a_message_is_committed_held_in_one_write() {
    let t = TestGateway::start(|_| {}).await;
    let mut raw = Raw::connect(t.smtp()).await;
    let reply = raw
        .send_mail("scan@mfp.test", &["office@example.test"], MESSAGE)
        .await;
    expect_code(&reply, "250");
    let (entry, _) = t.only_message().await;
    assert_eq!(entry.delivery.state, scanrelay_spool::State::Waiting);
    assert_eq!(
        entry.delivery.hold,
        Some(scanrelay_spool::HoldReason::NoUpstream)
    );
    let note = entry.delivery.last_error.as_deref().unwrap_or_default();
    assert!(note.starts_with("no upstream configured"), "{note}");
    let header = std::fs::read(t.gw.spool().body_path(&entry.id)).unwrap();
    let header = String::from_utf8_lossy(&header[..4096]);
    assert!(
        header.contains(r#""state":"waiting""#) && header.contains(r#""hold":"no_upstream""#),
        "the committed header holds the state: {header}"
    );
}
