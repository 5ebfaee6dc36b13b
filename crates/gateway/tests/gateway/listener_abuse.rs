//! Regressions from review of the listener, over in-memory streams on tokio's paused clock:
//! connection hogging by one client outside `allow_networks`, session time limits, what a
//! failed AUTH logs, and bytes a device could use to smuggle header lines.

use std::net::SocketAddr;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use scanrelay_gateway::delivery::rewrite::{read_header_block, rewrite_from_header};
use scanrelay_proto::dot::stuff_all;
use tokio::io::DuplexStream;
use tokio::time::Instant;

use crate::listener_support::*;
use crate::log_capture::Logs;

fn peer(text: &str) -> SocketAddr {
    text.parse().unwrap()
}

/// Connects as `peer` and returns the client with the first reply.
async fn connect(t: &TestGateway, from: &str) -> (Raw<DuplexStream>, String) {
    let mut c = Raw::new(t.gw.connect_in_memory(peer(from), false));
    let greeting = c.reply().await;
    (c, greeting)
}

#[tokio::test(start_paused = true)]
async fn one_client_outside_allow_networks_cannot_hold_every_connection_slot() {
    let t = TestGateway::start(|s| {
        s.listen.max_connections = 20;
        s.listen.max_connections_per_ip = 3;
    })
    .await;
    let mut held = Vec::new();
    // (client, greeting): the fourth from one address (or one IPv6 /64) is refused; other
    // addresses and clients in allow_networks (127.0.0.0/8 here) are not limited per address.
    let cases = [
        ("203.0.113.9:1", "220"),
        ("203.0.113.9:2", "220"),
        ("[::ffff:203.0.113.9]:3", "220"),
        (
            "203.0.113.9:4",
            "421 4.7.0 Too many connections from your address",
        ),
        ("203.0.113.10:1", "220"),
        ("[2001:db8:1:2::1]:1", "220"),
        ("[2001:db8:1:2::2]:1", "220"),
        ("[2001:db8:1:2:ffff::3]:1", "220"),
        (
            "[2001:db8:1:2::4]:1",
            "421 4.7.0 Too many connections from your address",
        ),
        ("[2001:db8:1:3::1]:1", "220"),
    ];
    for (from, code) in cases {
        let (c, greeting) = connect(&t, from).await;
        assert!(greeting.starts_with(code), "{from}: {greeting}");
        held.push(c);
    }
    for port in 1..=8 {
        let (c, greeting) = connect(&t, &format!("127.0.0.1:{port}")).await;
        expect_code(&greeting, "220");
        held.push(c);
    }
    // A slot of the full address frees up when one of its connections ends.
    let mut first = held.remove(0);
    expect_code(&first.cmd("QUIT").await, "221");
    assert_eq!(first.reply().await, "");
    tokio::time::sleep(Duration::from_millis(10)).await;
    let (_again, greeting) = connect(&t, "203.0.113.9:5").await;
    expect_code(&greeting, "220");
}

#[tokio::test(start_paused = true)]
async fn an_idle_client_outside_allow_networks_is_dropped_before_auth_after_30s() {
    let t = TestGateway::start(|s| {
        s.listen.allow_plaintext_auth = true;
        s.devices = vec![device("mfp-3f", "pw-3f")];
    })
    .await;
    let good = format!("AUTH PLAIN {}", B64.encode("\0mfp-3f\0pw-3f"));
    // (client, authenticates, how long it may then stay idle)
    let cases = [
        ("203.0.113.9:1", false, 30),
        ("203.0.113.9:2", true, 300),
        ("127.0.0.1:1", false, 300),
    ];
    for (from, auth, idle) in cases {
        let (mut c, greeting) = connect(&t, from).await;
        expect_code(&greeting, "220");
        let started = Instant::now();
        expect_code(&c.cmd("EHLO mfp").await, "250");
        if auth {
            expect_code(&c.cmd(&good).await, "235");
        }
        let started_idle = Instant::now();
        expect_code(&c.reply().await, "421 4.4.2");
        assert_eq!(started_idle.elapsed(), Duration::from_secs(idle), "{from}");
        assert!(started.elapsed() >= Duration::from_secs(idle));
    }
}

#[tokio::test(start_paused = true)]
async fn a_session_ends_after_max_session_time_however_busy() {
    let t = TestGateway::start(|s| s.listen.max_session_time = Duration::from_secs(1800)).await;
    let (mut c, greeting) = connect(&t, "127.0.0.1:1").await;
    expect_code(&greeting, "220");
    let started = Instant::now();
    // A NOOP every 250 s keeps the command timeout (300 s) from ever firing.
    loop {
        match tokio::time::timeout(Duration::from_secs(250), c.reply()).await {
            Ok(reply) => {
                expect_code(&reply, "421 4.4.2 gw.test Session time limit exceeded");
                break;
            }
            Err(_) => expect_code(&c.cmd("NOOP").await, "250"),
        }
    }
    assert_eq!(started.elapsed(), Duration::from_secs(1800));
    assert_eq!(c.reply().await, "", "closed");
}

#[tokio::test(start_paused = true)]
async fn failed_auth_never_logs_the_attempted_user_name() {
    let logs = Logs::start();
    let t = TestGateway::start(|s| {
        s.listen.allow_plaintext_auth = true;
        s.devices = vec![device("mfp-3f", "pw-3f")];
    })
    .await;
    // (user, password, known device name logged)
    let cases = [
        ("Swapped-Secret-91", "mfp-3f", None),
        ("mfp-3f", "wrong-pw", Some("mfp-3f")),
        (&*"x".repeat(300), "pw", None),
    ];
    for (user, password, device) in cases {
        let (mut c, greeting) = connect(&t, "203.0.113.9:1").await;
        expect_code(&greeting, "220");
        expect_code(&c.cmd("EHLO mfp").await, "250");
        let auth = format!("AUTH PLAIN {}", B64.encode(format!("\0{user}\0{password}")));
        expect_code(&c.cmd(&auth).await, "535");
        let text = logs.text();
        let line = text
            .lines()
            .rfind(|l| l.contains("AUTH failed"))
            .expect("logged");
        assert!(!line.contains(user) || Some(user) == device, "{line}");
        assert!(!line.contains(password), "{line}");
        assert!(
            line.contains(&format!("known_device={}", device.is_some())),
            "{line}"
        );
        if let Some(name) = device {
            assert!(line.contains(&format!("device=\"{name}\"")), "{line}");
        }
    }
    assert!(!logs.text().contains("Swapped-Secret-91"));
}

#[tokio::test]
async fn a_bare_cr_cannot_smuggle_a_second_from_past_the_rewrite() {
    let t = TestGateway::start(|_| {}).await;
    let (mut c, greeting) = connect(&t, "127.0.0.1:1").await;
    expect_code(&greeting, "220");
    expect_code(&c.cmd("EHLO mfp").await, "250");
    expect_code(&c.cmd("MAIL FROM:<dev@office.lan>").await, "250");
    expect_code(&c.cmd("RCPT TO:<boss@example.com>").await, "250");
    expect_code(&c.cmd("DATA").await, "354");
    c.send("From: dev@office.lan\r\nX-A: 1\rFrom: ceo@bank.example\r\nSubject: s\r\n\r\nbody\r\n")
        .await;
    expect_code(&c.cmd(".").await, "250");
    let (_, body) = t.only_message().await;
    assert!(
        !body.windows(2).any(|w| w[0] == b'\r' && w[1] != b'\n'),
        "a bare CR reached the spool"
    );
    // What the upstream gets with from_policy = rewrite: one From, the account.
    let block = read_header_block(&mut body.as_slice(), 64 * 1024)
        .await
        .unwrap();
    let head = rewrite_from_header(&block.head, "office.scanner@gmail.com");
    let wire = String::from_utf8(stuff_all(&head)).unwrap();
    let froms: Vec<&str> = wire.lines().filter(|l| l.starts_with("From:")).collect();
    assert_eq!(froms, ["From: <office.scanner@gmail.com>"], "{wire}");
    assert!(!wire.contains("ceo@bank.example"), "{wire}");
}

#[tokio::test]
async fn helo_with_control_characters_is_refused_and_never_stored() {
    let t = TestGateway::start(|_| {}).await;
    let (mut c, greeting) = connect(&t, "127.0.0.1:1").await;
    expect_code(&greeting, "220");
    expect_code(&c.cmd("EHLO evil\rX-Inj: 1").await, "501 5.5.4");
    expect_code(&c.cmd("HELO evil\x1b[2J").await, "501 5.5.4");
    expect_code(&c.cmd("EHLO scanner_3F").await, "250");
    expect_code(&c.cmd("MAIL FROM:<scan@office.lan>").await, "250");
    expect_code(&c.cmd("RCPT TO:<boss@example.com>").await, "250");
    expect_code(&c.cmd("DATA").await, "354");
    c.send("Subject: s\r\n\r\nx\r\n").await;
    expect_code(&c.cmd(".").await, "250");
    let (entry, _) = t.only_message().await;
    assert_eq!(entry.envelope.helo, "scanner_3F");
}
