//! Regressions for the three attacks that broke the listener (issue 6, item 11), replayed over
//! real loopback TCP on tokio's paused clock. Every client binds its own source address in
//! 127.0.0.0/8 before connecting (Linux routes all of 127/8 to `lo`), so the gateway sees
//! distinct hosts: the allow-listed device is 127.0.0.2, attackers are 127.0.0.10 and up.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpSocket, TcpStream};
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::listener_support::*;

/// The allow-listed office device.
const DEVICE: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 2);

/// A TCP connection to `to` from the source address `from` (any port).
async fn connect_from(from: Ipv4Addr, to: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::new(IpAddr::V4(from), 0)).unwrap();
    socket.connect(to).await.unwrap()
}

/// An attacker's address: 127.0.0.10 and up.
fn attacker(n: u8) -> Ipv4Addr {
    Ipv4Addr::new(127, 0, 0, 10 + n)
}

/// Settings of the attacked gateway: the defaults that matter (200 slots, 20 per outside
/// address, 30 s to authenticate), one allow-listed device address, two device accounts, AUTH
/// without TLS (so the test needs no TLS client).
fn attacked(s: &mut scanrelay_gateway::settings::Settings) {
    s.listen.allow_networks = vec!["127.0.0.2/32".parse().unwrap()];
    s.listen.max_connections = 200;
    s.listen.max_connections_per_ip = 20;
    s.listen.unauthenticated_timeout = Duration::from_secs(30);
    s.listen.max_session_time = Duration::from_secs(1800);
    s.listen.allow_plaintext_auth = true;
    s.devices = vec![device("mfp-a", "pw-a"), device("mfp-b", "pw-b")];
}

/// Connects from `from` and reads the first reply: the greeting, or the refusal.
async fn open_from(from: Ipv4Addr, to: SocketAddr) -> (TcpStream, String) {
    let mut stream = connect_from(from, to).await;
    let mut buf = [0u8; 512];
    let n = stream.read(&mut buf).await.unwrap_or(0);
    (stream, String::from_utf8_lossy(&buf[..n]).into_owned())
}

/// Sends one byte a second on an admitted connection until the gateway closes it (or
/// `give_up` passed); returns how long that took.
async fn drip(mut stream: TcpStream, give_up: Duration) -> Duration {
    let started = Instant::now();
    let mut buf = [0u8; 512];
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    while started.elapsed() < give_up {
        tokio::select! {
            read = stream.read(&mut buf) => match read {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            },
            _ = tick.tick() => {
                if stream.write_all(b"E").await.is_err() {
                    break;
                }
            }
        }
    }
    started.elapsed()
}

/// Regression (issue 6, item 11, "connection slots"): 15 outside addresses × 20 connections
/// that drip one byte a second held all 200 slots, and the allow-listed device got `421 Too many
/// connections` for as long as the attack lasted; each dripping connection lived until the 30
/// min session cap because every byte restarted the 30 s pre-AUTH timeout.
#[tokio::test(start_paused = true)]
async fn dripping_outsiders_cannot_lock_an_allow_listed_device_out() {
    let t = TestGateway::start(attacked).await;
    let addr = t.smtp();
    let give_up = Duration::from_secs(120);
    // One connection after the other, so the listen backlog never overflows (a dropped SYN is
    // retried after a second of real time, while paused time races ahead).
    let mut attack = JoinSet::new();
    let mut admitted = 0;
    for host in 0..15 {
        for _ in 0..20 {
            let (stream, greeting) = open_from(attacker(host), addr).await;
            if greeting.starts_with("220") {
                admitted += 1;
                attack.spawn(drip(stream, give_up));
            }
        }
    }
    tokio::time::sleep(Duration::from_secs(5)).await;

    let mut c = Raw::new(connect_from(DEVICE, addr).await);
    expect_code(&c.reply().await, "220");
    send_scan(&mut c).await;

    let mut longest = Duration::ZERO;
    while let Some(lasted) = attack.join_next().await {
        longest = longest.max(lasted.unwrap());
    }
    assert_eq!(
        admitted, 150,
        "unauthenticated outsiders may hold 150 of the 200 slots"
    );
    assert!(
        longest <= Duration::from_secs(31),
        "a dripping connection lived {longest:?}: bytes must not extend the 30 s to authenticate"
    );
    assert_eq!(t.messages().await.len(), 1);
}

/// Regression (issue 6, item 11, "connection slots", the deadline half): the 30 s a client
/// outside `allow_networks` has to authenticate is a deadline from the moment it connected, not
/// an idle timeout that each byte starts over.
#[tokio::test(start_paused = true)]
async fn a_dripping_outsider_is_closed_30s_after_it_connected() {
    let t = TestGateway::start(attacked).await;
    let (stream, greeting) = open_from(attacker(0), t.smtp()).await;
    expect_code(&greeting, "220");
    let lasted = drip(stream, Duration::from_secs(120)).await;
    assert_eq!(lasted.as_secs(), 30, "closed after {lasted:?}");
}

/// An outsider that authenticates leaves the outsiders' share of the slots to others (it still
/// counts against its address's limit).
#[tokio::test(start_paused = true)]
async fn an_authenticated_outsider_frees_its_place_in_the_outsiders_share() {
    let t = TestGateway::start(|s| {
        attacked(s);
        s.listen.max_connections = 4; // one slot reserved, three for outsiders before AUTH
    })
    .await;
    let addr = t.smtp();
    let mut first = session_from(attacker(0), addr).await;
    let _second = session_from(attacker(1), addr).await;
    let _third = session_from(attacker(2), addr).await;
    let (_, greeting) = open_from(attacker(3), addr).await;
    expect_code(&greeting, "421 4.7.0 Too many connections");
    expect_code(&first.cmd(&plain("mfp-a", "pw-a")).await, "235");
    let (_fourth, greeting) = open_from(attacker(3), addr).await;
    expect_code(&greeting, "220");
    // The authenticated one is past the deadline to authenticate, the others are not.
    tokio::time::sleep(Duration::from_secs(31)).await;
    expect_code(&first.cmd("NOOP").await, "250");
}

/// Connects from `from`, says EHLO, and returns the client (the greeting must be 220).
async fn session_from(from: Ipv4Addr, addr: SocketAddr) -> Raw<TcpStream> {
    let mut c = Raw::new(connect_from(from, addr).await);
    expect_code(&c.reply().await, "220");
    expect_code(&c.cmd("EHLO client").await, "250");
    c
}

/// EHLO and one message without AUTH, accepted.
async fn send_scan(c: &mut Raw<TcpStream>) {
    expect_code(&c.cmd("EHLO mfp").await, "250");
    expect_code(&c.cmd("MAIL FROM:<scan@office.lan>").await, "250");
    expect_code(&c.cmd("RCPT TO:<boss@example.com>").await, "250");
    expect_code(&c.cmd("DATA").await, "354");
    expect_code(&c.cmd("Subject: scan\r\n\r\nx\r\n.").await, "250");
}

fn plain(user: &str, password: &str) -> String {
    format!("AUTH PLAIN {}", B64.encode(format!("\0{user}\0{password}")))
}

/// Regression (issue 6, item 11, "lockout bypass"): a successful login cleared the address's
/// failure count, so anyone with one device's password could guess another device's password
/// about once a second, forever, by interleaving a good login.
#[tokio::test(start_paused = true)]
async fn a_good_login_does_not_reset_the_count_of_guesses_at_another_account() {
    let t = TestGateway::start(attacked).await;
    let addr = t.smtp();
    let guesser = attacker(20);
    let mut guesses = 0;
    for round in 1..=20 {
        let mut c = Raw::new(connect_from(guesser, addr).await);
        let greeting = c.reply().await;
        if !greeting.starts_with("220") {
            expect_code(&greeting, "421 4.7.0 Too many authentication failures");
            break;
        }
        expect_code(&c.cmd("EHLO guesser").await, "250");
        expect_code(
            &c.cmd(&plain("mfp-b", &format!("guess-{round}"))).await,
            "535",
        );
        guesses += 1;
        let next = c.cmd(&plain("mfp-a", "pw-a")).await;
        if next.starts_with("421") {
            break;
        }
        expect_code(&next, "235");
    }
    assert_eq!(
        guesses, 5,
        "guesses at mfp-b before the address was locked out"
    );
    // Still locked, even with the right password, on a new connection.
    let mut c = Raw::new(connect_from(guesser, addr).await);
    expect_code(
        &c.reply().await,
        "421 4.7.0 Too many authentication failures",
    );
}

/// Regression (issue 6, item 11, "allow-list lockout"): five failed AUTHs from an allow-listed
/// address (a device with a stale password) made that address get `421` at the banner for 15
/// minutes, so it could not send even without AUTH.
#[tokio::test(start_paused = true)]
async fn an_allow_listed_device_with_a_stale_password_can_still_send_without_auth() {
    let t = TestGateway::start(attacked).await;
    let addr = t.smtp();
    for _ in 0..5 {
        let mut c = session_from(DEVICE, addr).await;
        expect_code(&c.cmd(&plain("mfp-a", "stale")).await, "535");
    }
    tokio::time::sleep(Duration::from_secs(60)).await;

    let mut c = Raw::new(connect_from(DEVICE, addr).await);
    expect_code(&c.reply().await, "220");
    send_scan(&mut c).await;
    // AUTH itself stays locked for the address, even with the right password; the reply says
    // so (a temporary 454 naming the lockout) instead of calling the right password wrong.
    expect_code(&c.cmd("RSET").await, "250");
    let locked = c.cmd(&plain("mfp-a", "pw-a")).await;
    expect_code(&locked, "454");
    assert!(locked.contains("locked for 14 more minute(s)"), "{locked}");
    assert_eq!(t.messages().await.len(), 1);
}
