//! The POP3 listeners with Python's poplib as the device: POP-before-SMTP (smtplib then sends
//! without AUTH, delivered to the real Postfix peer), the login lockout shared with SMTP AUTH,
//! STLS and POP3S, plaintext refused before STLS, and the device mailbox (UIDL, TOP, RETR
//! byte-exact, DELE only after QUIT).

use std::net::SocketAddr;
use std::time::Duration;

use scanrelay_gateway::control::events::EventKind;
use scanrelay_gateway::settings::{DeviceAccount, Settings, UpstreamSettings};
use scanrelay_proto::TlsMode;

use crate::listener_support::{Raw, TestGateway, device, expect_code, run, text};

const DEVICE: &str = "mfp-3f";
const PASSWORD: &str = "pw-3f-secret";
const MAILBOX: &str = "scan-3f@gw.test";

/// POP3 and POP3S on port 0, one device with a mailbox, loopback NOT allow-listed (so the
/// device must log in to send), unless `trusted`.
fn pop_settings(s: &mut Settings, trusted: bool) {
    s.listen.pop3 = Some("127.0.0.1:0".parse().unwrap());
    s.listen.pop3s = Some("127.0.0.1:0".parse().unwrap());
    if !trusted {
        s.listen.allow_networks = vec!["192.0.2.0/24".parse().unwrap()];
    }
    s.devices = vec![DeviceAccount {
        mailbox_address: Some(MAILBOX.to_string()),
        ..device(DEVICE, PASSWORD)
    }];
}

/// The Python prelude: the gateway's ports and a TLS context that trusts its certificate.
fn prelude(t: &TestGateway) -> String {
    let port = |a: Option<SocketAddr>| a.map_or(0, |a| a.port());
    format!(
        "import poplib, smtplib, ssl, sys\n\
         POP3, POP3S, SMTP = {}, {}, {}\n\
         ctx = ssl.create_default_context(cafile={:?})\n\
         ctx.check_hostname = False\n",
        port(t.gw.pop3_addr()),
        port(t.gw.pop3s_addr()),
        t.smtp().port(),
        t.gw.cert().cert_path.display().to_string(),
    )
}

/// Runs `body` after the prelude; returns stdout, asserting the script succeeded.
async fn py(t: &TestGateway, body: &str) -> String {
    let script = format!("{}{body}", prelude(t));
    let out = run("python3", &["-c", &script]).await;
    assert!(out.status.success(), "python failed: {}", text(&out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A poplib login over STLS (`stls`) or in plain text; prints the reply or the error.
fn login(stls: bool, password: &str) -> String {
    let tls = if stls { "p.stls(ctx); " } else { "" };
    format!(
        "p = None\n\
         try:\n    p = poplib.POP3('127.0.0.1', POP3); {tls}\
         p.user({DEVICE:?}); print(p.pass_({password:?}).decode())\n\
         except poplib.error_proto as e:\n    print('ERR', e)\n\
         try:\n    p.quit()\nexcept Exception:\n    pass\n"
    )
}

/// An smtplib send from `source` (an address on the loopback), without AUTH; prints
/// `SENT` or the refusal.
fn send_from(source: &str, rcpt: &str, subject: &str) -> String {
    format!(
        "try:\n    s = smtplib.SMTP('127.0.0.1', SMTP, source_address=({source:?}, 0))\n    \
         s.sendmail('mfp@office.test', [{rcpt:?}], 'Subject: {subject}\\r\\n\\r\\nscan\\r\\n')\n    \
         print('SENT'); s.quit()\n\
         except smtplib.SMTPException as e:\n    print('REFUSED', e)\n"
    )
}

fn peer_upstream(p: &scanrelay_test_support::Peers) -> UpstreamSettings {
    let mut up = crate::delivery_smtp::upstream_settings(p.submission_port, Some(&p.user));
    up.server = p.cert_host.clone();
    up.tls = TlsMode::StartTls;
    up.password = Some(p.password.clone());
    up.ca_file = Some(p.ca.clone());
    up.from_policy = scanrelay_gateway::settings::FromPolicy::Keep;
    up
}

#[tokio::test]
async fn pop_before_smtp_lets_that_address_send_without_auth_and_no_other() {
    let p = scanrelay_test_support::require_peers!();
    let t = TestGateway::start(|s| {
        pop_settings(s, false);
        s.listen.allow_plaintext_auth = true;
        s.listen.pop_before_smtp = Some(Duration::from_secs(600));
        s.upstreams = vec![peer_upstream(&p)];
    })
    .await;
    let subject = format!("pop-before-smtp-{}", t.smtp().port());
    let before = py(&t, &send_from("127.0.0.1", &p.user2, "early")).await;
    assert!(
        before.starts_with("REFUSED") && before.contains("530"),
        "{before}"
    );
    let logged_in = py(&t, &login(false, PASSWORD)).await;
    assert!(logged_in.starts_with("+OK"), "{logged_in}");
    let sent = py(&t, &send_from("127.0.0.1", &p.user2, &subject)).await;
    assert_eq!(sent.trim(), "SENT");
    let other = py(&t, &send_from("127.0.0.2", &p.user2, "other")).await;
    assert!(
        other.starts_with("REFUSED") && other.contains("530"),
        "{other}"
    );
    let delivered = p
        .wait_for_message(
            &p.user2,
            |m| scanrelay_test_support::bytes_contain(m, &subject),
            Duration::from_secs(60),
        )
        .await;
    assert!(delivered.is_some(), "delivered to the Postfix peer");
    let devices = t.gw.handle().devices();
    let seen = devices
        .iter()
        .find(|d| d.addr.to_string() == "127.0.0.1")
        .unwrap();
    assert_eq!(seen.auth_user.as_deref(), Some(DEVICE));
    assert_eq!(seen.auth_mechanism.as_deref(), Some("POP-before-SMTP"));
}

/// The window closes on tokio's clock: driven over in-memory connections with paused time.
#[tokio::test(start_paused = true)]
async fn the_pop_before_smtp_window_closes_after_its_time() {
    let t = TestGateway::start(|s| {
        pop_settings(s, false);
        s.listen.allow_plaintext_auth = true;
        s.listen.pop_before_smtp = Some(Duration::from_secs(600));
    })
    .await;
    let device: SocketAddr = "198.51.100.7:40000".parse().unwrap();
    let neighbour: SocketAddr = "198.51.100.8:40000".parse().unwrap();
    let mut pop = Raw::new(t.gw.connect_pop3_in_memory(device, false));
    assert!(pop.reply().await.starts_with("+OK"));
    assert!(pop.cmd(&format!("USER {DEVICE}")).await.starts_with("+OK"));
    assert!(
        pop.cmd(&format!("PASS {PASSWORD}"))
            .await
            .starts_with("+OK")
    );
    assert!(pop.cmd("QUIT").await.starts_with("+OK"));
    // (client, seconds later, RCPT reply)
    let cases = [
        (device, 0, "250"),
        (neighbour, 0, "530"),
        (device, 590, "250"),
        (device, 11, "530"),
    ];
    for (client, later, code) in cases {
        tokio::time::advance(Duration::from_secs(later)).await;
        let mut smtp = Raw::new(t.gw.connect_in_memory(client, false));
        assert!(smtp.reply().await.starts_with("220"));
        assert!(smtp.cmd("EHLO mfp").await.starts_with("250"));
        assert!(
            smtp.cmd("MAIL FROM:<mfp@office.test>")
                .await
                .starts_with("250")
        );
        expect_code(&smtp.cmd("RCPT TO:<someone@example.com>").await, code);
    }
}

#[tokio::test]
async fn failed_pop3_logins_lock_out_smtp_auth() {
    let t = TestGateway::start(|s| {
        pop_settings(s, false);
        s.listen.allow_plaintext_auth = true;
        s.listen.max_auth_failures = 2;
    })
    .await;
    for _ in 0..2 {
        let out = py(&t, &login(false, "wrong")).await;
        assert!(out.starts_with("ERR") && out.contains("[AUTH]"), "{out}");
    }
    let mut smtp = Raw::connect(t.smtp()).await;
    expect_code(&smtp.reply().await, "421");
    let failures: Vec<_> =
        t.gw.handle()
            .recent_events()
            .into_iter()
            .filter_map(|e| match e.kind {
                EventKind::AuthFailed {
                    listener, device, ..
                } => Some((listener, device)),
                _ => None,
            })
            .collect();
    let pop3 = ("pop3".to_string(), Some(DEVICE.to_string()));
    assert_eq!(failures, vec![pop3.clone(), pop3]);
    // And POP3 itself refuses the address now, the right password included.
    let out = py(&t, &login(false, PASSWORD)).await;
    assert!(out.contains("Too many failed logins"), "{out}");
}

#[tokio::test]
async fn failed_smtp_auth_locks_out_pop3_logins() {
    let t = TestGateway::start(|s| {
        pop_settings(s, true);
        s.listen.allow_plaintext_auth = true;
        s.listen.max_auth_failures = 2;
    })
    .await;
    let script = "for _ in range(2):\n    s = smtplib.SMTP('127.0.0.1', SMTP)\n    \
                  try:\n        s.login('mfp-3f', 'wrong')\n    \
                  except smtplib.SMTPAuthenticationError as e:\n        print('AUTH', e.smtp_code)\n";
    let out = py(&t, script).await;
    // smtplib tries each offered mechanism: the wrong password is refused (535) until the
    // address is locked, then AUTH says it is locked (454) without checking the password.
    assert_eq!(out.matches("AUTH ").count(), 2, "{out}");
    assert!(out.contains("AUTH 454"), "{out}");
    let out = py(&t, &login(false, PASSWORD)).await;
    assert!(out.starts_with("ERR") && out.contains("[AUTH]"), "{out}");
}

#[tokio::test]
async fn plaintext_login_is_refused_before_stls_and_accepted_after_and_over_pop3s() {
    let t = TestGateway::start(|s| pop_settings(s, true)).await;
    let plain = py(&t, &login(false, PASSWORD)).await;
    assert!(plain.contains("not allowed before STLS"), "{plain}");
    let stls = py(&t, &login(true, PASSWORD)).await;
    assert!(stls.starts_with("+OK"), "{stls}");
    let script = "p = poplib.POP3('127.0.0.1', POP3)\nprint(sorted(p.capa()))\n\
                  p.stls(ctx)\nprint(sorted(p.capa()))\n\
                  q = poplib.POP3_SSL('127.0.0.1', POP3S, context=ctx)\n\
                  print(q.sock.version())\nq.user('mfp-3f'); print(q.pass_('pw-3f-secret').decode())\n\
                  print(q.stat()); q.quit()\n";
    let out = py(&t, script).await;
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[0].contains("'STLS'") && !lines[0].contains("'USER'"),
        "{out}"
    );
    assert!(
        !lines[1].contains("'STLS'") && lines[1].contains("'USER'"),
        "{out}"
    );
    assert!(lines[2].starts_with("TLSv1."), "{out}");
    assert!(lines[3].starts_with("+OK"), "{out}");
    assert_eq!(lines[4], "(0, 0)", "the device's mailbox is empty");
}

/// The message the device's mailbox gets: dot lines and a CRLF body to survive stuffing.
const MESSAGE: &str = "From: fax@office.test\r\nDate: Sat, 05 Dec 2026 05:00:00 +0000\r\n\
                       Message-ID: <ifax-1@office.test>\r\nSubject: I-Fax page 1\r\n\r\nline 1\r\n.\r\n..two dots\r\nlast line\r\n";

#[tokio::test]
async fn the_device_mailbox_serves_uidl_top_retr_and_deletes_only_after_quit() {
    let t = TestGateway::start(|s| pop_settings(s, true)).await;
    let script = format!(
        "s = smtplib.SMTP('127.0.0.1', SMTP)\n\
         s.sendmail('fax@office.test', [{MAILBOX:?}], {MESSAGE:?})\n\
         print(s.sendmail('fax@office.test', [{MAILBOX:?}, 'x@example.com'], {MESSAGE:?}))\n\
         s.quit()\n"
    );
    let out = py(&t, &script).await;
    assert!(
        out.contains("'x@example.com': (452"),
        "the other recipient goes separately: {out}"
    );
    assert!(
        t.messages().await.is_empty(),
        "the queue holds no mailbox mail"
    );
    let stored = mailbox_files(&t);
    assert_eq!(stored.len(), 2, "two messages kept");
    let first = stored_body(&t, &stored[0]).await;
    assert!(
        first.ends_with(MESSAGE.as_bytes()),
        "stored as sent, with a Received: line"
    );
    let session = "p = poplib.POP3('127.0.0.1', POP3)\np.stls(ctx)\n\
                   p.user('mfp-3f'); p.pass_('pw-3f-secret')\n";
    // A dropped connection after DELE deletes nothing.
    py(&t, &format!("{session}p.dele(1)\np.sock.close()\n")).await;
    let out = py(
        &t,
        &format!(
            "{session}print(p.stat())\nprint(p.list()[1])\nprint(p.uidl()[1])\n\
             sys.stdout.buffer.write(b'\\r\\n'.join(p.top(1, 1)[1]) + b'\\n')\n\
             sys.stdout.buffer.write(b'\\r\\n'.join(p.retr(1)[1]) + b'\\r\\n')\n\
             print(); print(p.dele(1)); p.rset(); print(p.dele(1)); print(p.quit())\n"
        ),
    )
    .await;
    let size = first.len();
    let id1 = file_id(&stored[0]);
    assert!(out.starts_with(&format!("(2, {})", size * 2)), "{out}");
    assert!(
        out.contains(&format!("[b'1 {size}', b'2 {size}']")),
        "{out}"
    );
    assert!(out.contains(&format!("b'1 {id1}'")), "{out}");
    let top_end = "Subject: I-Fax page 1\r\n\r\nline 1\n";
    assert!(
        out.contains(top_end),
        "TOP 1 1 gives the header and one line: {out}"
    );
    // poplib strips the stuffing dots and the line ends: RETR joined is the file.
    let retr = String::from_utf8_lossy(&first).into_owned();
    assert!(out.contains(&retr), "RETR byte-exact: {out}");
    assert!(out.contains("1 messages deleted"), "{out}");
    let after = mailbox_files(&t);
    assert_eq!(after.len(), 1, "DELE then QUIT removed it");
    assert_ne!(file_id(&after[0]), id1);
    let out = py(
        &t,
        &format!("{session}print(p.stat()); print(p.uidl()[1])\n"),
    )
    .await;
    assert!(out.starts_with(&format!("(1, {size})")), "{out}");
    assert!(
        !out.contains(&id1),
        "a second session does not see it: {out}"
    );
}

/// `<spool>/mailbox/msg/*.eml`, sorted (acceptance order).
fn mailbox_files(t: &TestGateway) -> Vec<std::path::PathBuf> {
    let dir = t.gw.settings().spool_dir.join("mailbox/msg");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
}

/// The message as kept in the mailbox spool (after the spool's own header block), read
/// through the spool as the POP3 server reads it.
async fn stored_body(t: &TestGateway, path: &std::path::Path) -> Vec<u8> {
    use tokio::io::AsyncReadExt;
    let dir = t.gw.settings().spool_dir.join("mailbox");
    let spool = scanrelay_spool::Spool::open_existing(dir).await.unwrap();
    let id = file_id(path).parse().unwrap();
    let mut body = Vec::new();
    let mut file = spool.open_body(&id).await.unwrap();
    file.read_to_end(&mut body).await.unwrap();
    body
}

fn file_id(path: &std::path::Path) -> String {
    path.file_stem().unwrap().to_string_lossy().into_owned()
}

#[tokio::test]
async fn a_reload_applies_pop_before_smtp_and_mailboxes_and_reports_the_pop3_address() {
    let t = TestGateway::start(|s| pop_settings(s, true)).await;
    let handle = t.gw.handle();
    let mut new = (*handle.settings()).clone();
    new.listen.pop3 = Some("127.0.0.1:1".parse().unwrap());
    new.listen.pop3s = None;
    new.listen.pop_before_smtp = Some(Duration::from_secs(300));
    new.devices[0].mailbox_address = Some("other-box@gw.test".to_string());
    let report = handle.reload(new).await.expect("reload");
    assert_eq!(
        report.applied,
        vec![
            "listen.pop_before_smtp".to_string(),
            "device accounts".to_string()
        ]
    );
    assert_eq!(
        report.needs_restart,
        vec!["listen.pop3".to_string(), "listen.pop3s".to_string()]
    );
    let running = handle.settings();
    assert_eq!(running.listen.pop3, t.gw.settings().listen.pop3);
    assert_eq!(running.listen.pop3s, t.gw.settings().listen.pop3s);
    assert_eq!(
        running.listen.pop_before_smtp,
        Some(Duration::from_secs(300))
    );
}

/// Shutdown closes POP3 sessions at once (without UPDATE), and a client outside
/// `allow_networks` that does not log in in time is closed: tokio's clock, paused.
#[tokio::test(start_paused = true)]
async fn pop3_sessions_end_at_the_login_deadline_and_at_shutdown() {
    let t = TestGateway::start(|s| pop_settings(s, false)).await;
    let outsider: SocketAddr = "198.51.100.7:40000".parse().unwrap();
    let mut late = Raw::new(t.gw.connect_pop3_in_memory(outsider, false));
    assert!(late.reply().await.starts_with("+OK"));
    tokio::time::advance(Duration::from_secs(31)).await;
    let closing = late.reply().await;
    assert!(closing.starts_with("-ERR [SYS/TEMP]"), "{closing}");
    assert_eq!(late.reply().await, "", "closed");
    let mut idle = Raw::new(t.gw.connect_pop3_in_memory(outsider, false));
    assert!(idle.reply().await.starts_with("+OK"));
    let TestGateway { gw, dir: _dir } = t;
    let stop = tokio::spawn(gw.shutdown());
    let closing = idle.reply().await;
    assert!(closing.contains("shutting down"), "{closing}");
    stop.await.unwrap();
}
