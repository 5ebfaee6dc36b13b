//! Limits, failures and life cycle: AUTH failure throttling and timeouts (paused time, over
//! in-memory streams), a full disk, the connection cap, shutdown, and the TLS certificate.

use std::io::ErrorKind;
use std::net::SocketAddr;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use tokio::time::Instant;

use crate::listener_support::*;

fn peer(text: &str) -> SocketAddr {
    text.parse().unwrap()
}

#[tokio::test(start_paused = true)]
async fn auth_failures_are_slowed_then_the_address_is_locked_out() {
    let t = TestGateway::start(|s| {
        s.listen.allow_networks = vec!["10.0.0.0/8".parse().unwrap()];
        s.listen.allow_plaintext_auth = true;
        s.devices = vec![device("mfp-3f", "pw-3f")];
    })
    .await;
    let bad = format!("AUTH PLAIN {}", B64.encode("\0mfp-3f\0wrong"));
    let good = format!("AUTH PLAIN {}", B64.encode("\0mfp-3f\0pw-3f"));
    let mut c = Raw::new(t.gw.connect_in_memory(peer("192.0.2.50:40000"), false));
    expect_code(&c.reply().await, "220");
    expect_code(&c.cmd("EHLO mfp").await, "250");
    for failure in 1..=5u64 {
        let started = Instant::now();
        expect_code(&c.cmd(&bad).await, "535 5.7.8");
        assert_eq!(
            started.elapsed(),
            Duration::from_secs(failure),
            "delay of failure {failure}"
        );
    }
    expect_code(
        &c.reply().await,
        "421 4.7.0 Too many authentication failures",
    );
    assert_eq!(c.reply().await, "", "closed after the 421");

    // The address stays refused, even with the right password, on any connection.
    let mut again = Raw::new(t.gw.connect_in_memory(peer("192.0.2.50:40001"), false));
    expect_code(
        &again.reply().await,
        "421 4.7.0 Too many authentication failures",
    );
    // Another address is not affected.
    let mut other = Raw::new(t.gw.connect_in_memory(peer("192.0.2.51:40000"), false));
    expect_code(&other.reply().await, "220");
    expect_code(&other.cmd("EHLO mfp").await, "250");
    expect_code(&other.cmd(&good).await, "235");

    tokio::time::advance(Duration::from_secs(15 * 60 + 1)).await;
    let mut later = Raw::new(t.gw.connect_in_memory(peer("192.0.2.50:40002"), false));
    expect_code(&later.reply().await, "220");
    expect_code(&later.cmd("EHLO mfp").await, "250");
    expect_code(&later.cmd(&good).await, "235");
}

#[tokio::test(start_paused = true)]
async fn unauthenticated_client_outside_allow_list_is_refused_in_memory() {
    let t = TestGateway::start(|s| s.devices = vec![device("mfp-3f", "pw-3f")]).await;
    let mut c = Raw::new(t.gw.connect_in_memory(peer("203.0.113.9:5000"), false));
    expect_code(&c.reply().await, "220");
    expect_code(&c.cmd("EHLO outsider").await, "250");
    expect_code(&c.cmd("MAIL FROM:<a@evil.test>").await, "250");
    expect_code(&c.cmd("RCPT TO:<b@example.test>").await, "530 5.7.0");
    assert!(t.messages().await.is_empty());
}

#[tokio::test(start_paused = true)]
async fn idle_client_gets_421_timeout() {
    let t = TestGateway::start(|_| {}).await;
    let mut c = Raw::new(t.gw.connect_in_memory(peer("127.0.0.1:5000"), false));
    expect_code(&c.reply().await, "220");
    let started = Instant::now();
    expect_code(&c.reply().await, "421 4.4.2");
    assert_eq!(started.elapsed(), Duration::from_secs(300));
}

#[tokio::test(start_paused = true)]
async fn stalled_data_gets_421_timeout_and_nothing_is_queued() {
    let t = TestGateway::start(|_| {}).await;
    let mut c = Raw::new(t.gw.connect_in_memory(peer("127.0.0.1:5000"), false));
    expect_code(&c.reply().await, "220");
    expect_code(&c.cmd("EHLO mfp").await, "250");
    expect_code(&c.cmd("MAIL FROM:<a@mfp.test>").await, "250");
    expect_code(&c.cmd("RCPT TO:<b@example.test>").await, "250");
    expect_code(&c.cmd("DATA").await, "354");
    c.send("Subject: half\r\n\r\nhalf a scan").await;
    let started = Instant::now();
    expect_code(&c.reply().await, "421 4.4.2");
    assert_eq!(started.elapsed(), Duration::from_secs(600));
    assert!(t.messages().await.is_empty());
    tokio::task::yield_now().await;
    assert_eq!(t.tmp_files(), 0);
}

#[tokio::test]
async fn full_disk_gets_452_and_loses_nothing() {
    let t = TestGateway::start(|_| {}).await;
    let mut c = Raw::connect(t.smtp()).await;
    let reply = c
        .send_mail(
            "a@mfp.test",
            &["b@example.test"],
            "Subject: 1\r\n\r\nfirst\r\n",
        )
        .await;
    expect_code(&reply, "250");

    t.gw.spool().fail_writes_with(Some(ErrorKind::StorageFull));
    for content in [
        "Subject: 2\r\n\r\nsmall\r\n".to_string(),
        format!("Subject: 3\r\n\r\n{}\r\n", "y".repeat(300_000)),
    ] {
        expect_code(&c.cmd("MAIL FROM:<a@mfp.test>").await, "250");
        expect_code(&c.cmd("RCPT TO:<b@example.test>").await, "250");
        expect_code(&c.cmd("DATA").await, "354");
        c.send(&content).await;
        expect_code(&c.cmd(".").await, "452 4.3.1");
    }
    t.gw.spool().fail_envelope_writes_with(None);
    t.gw.spool()
        .fail_writes_with(Some(ErrorKind::PermissionDenied));
    expect_code(&c.cmd("MAIL FROM:<a@mfp.test>").await, "250");
    expect_code(&c.cmd("RCPT TO:<b@example.test>").await, "250");
    expect_code(&c.cmd("DATA").await, "354");
    c.send("Subject: 4\r\n\r\nx\r\n").await;
    expect_code(&c.cmd(".").await, "451 4.3.0");

    t.gw.spool().fail_writes_with(None);
    expect_code(&c.cmd("MAIL FROM:<a@mfp.test>").await, "250");
    expect_code(&c.cmd("RCPT TO:<b@example.test>").await, "250");
    expect_code(&c.cmd("DATA").await, "354");
    c.send("Subject: 5\r\n\r\nlast\r\n").await;
    expect_code(&c.cmd(".").await, "250");
    let all = t.messages().await;
    assert_eq!(all.len(), 2, "the first and the last message");
    assert_eq!(t.tmp_files(), 0);
}

#[tokio::test]
async fn connections_over_the_cap_get_421() {
    let t = TestGateway::start(|s| s.listen.max_connections = 2).await;
    let mut a = Raw::connect(t.smtp()).await;
    let mut b = Raw::connect(t.smtp()).await;
    expect_code(&a.reply().await, "220");
    expect_code(&b.reply().await, "220");
    let mut c = Raw::connect(t.smtp()).await;
    assert_eq!(
        c.reply().await,
        "421 4.7.0 Too many connections, try again later\r\n"
    );
    drop(a);
    let mut ok = false;
    for _ in 0..50 {
        let mut d = Raw::connect(t.smtp()).await;
        if d.reply().await.starts_with("220") {
            ok = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(ok, "a slot frees up when a connection closes");
}

#[tokio::test]
async fn shutdown_lets_the_open_transaction_finish() {
    let TestGateway { gw, dir } = TestGateway::start(|_| {}).await;
    let addr = gw.smtp_addr().unwrap();
    let mut idle = Raw::connect(addr).await;
    expect_code(&idle.reply().await, "220");
    expect_code(&idle.cmd("EHLO idle").await, "250");
    let mut busy = Raw::connect(addr).await;
    expect_code(&busy.reply().await, "220");
    expect_code(&busy.cmd("EHLO busy").await, "250");
    expect_code(&busy.cmd("MAIL FROM:<a@mfp.test>").await, "250");
    expect_code(&busy.cmd("RCPT TO:<b@example.test>").await, "250");
    expect_code(&busy.cmd("DATA").await, "354");
    busy.send("Subject: in flight\r\n\r\npart one\r\n").await;

    let stopping = tokio::spawn(gw.shutdown());
    expect_code(&idle.reply().await, "421 4.3.2");
    busy.send("part two\r\n").await;
    expect_code(&busy.cmd(".").await, "250");
    expect_code(&busy.reply().await, "421 4.3.2");
    tokio::time::timeout(Duration::from_secs(10), stopping)
        .await
        .unwrap()
        .unwrap();
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "no longer listening"
    );

    let spool = scanrelay_spool::Spool::open(dir.path().join("spool"))
        .await
        .unwrap();
    assert_eq!(spool.list().await.unwrap().len(), 1);
}

#[tokio::test]
async fn self_signed_certificate_is_generated_once_and_its_fingerprint_served() {
    let dir = tempfile::tempdir().unwrap();
    let gw = scanrelay_gateway::Gateway::start(settings(dir.path()))
        .await
        .unwrap();
    let cert = gw.cert().clone();
    assert!(cert.generated);
    assert_eq!(cert.cert_path, dir.path().join("tls/cert.pem"));
    assert_eq!(cert.fingerprint.len(), 95, "{}", cert.fingerprint);
    assert!(gw.banner().contains(&cert.fingerprint));
    assert!(gw.banner().contains("no upstream configured"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(dir.path().join("tls/key.pem"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let script = format!(
        "import ssl, hashlib\n\
         pem = ssl.get_server_certificate(('127.0.0.1', {port}))\n\
         print(':'.join('%02X' % b for b in hashlib.sha256(ssl.PEM_cert_to_DER_cert(pem)).digest()))\n",
        port = gw.smtps_addr().unwrap().port()
    );
    let out = run("python3", &["-c", &script]).await;
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        cert.fingerprint,
        "{}",
        text(&out)
    );
    gw.shutdown().await;

    let again = scanrelay_gateway::Gateway::start(settings(dir.path()))
        .await
        .unwrap();
    assert!(!again.cert().generated);
    assert_eq!(again.cert().fingerprint, cert.fingerprint);
    again.shutdown().await;
}

#[tokio::test]
async fn configured_certificate_is_used() {
    let pki = scanrelay_test_support::TestPki::new();
    let t = TestGateway::start(|s| {
        s.listen.tls_cert = Some(pki.leaf().cert_pem_path().to_path_buf());
        s.listen.tls_key = Some(pki.leaf().key_pem_path().to_path_buf());
    })
    .await;
    assert!(!t.gw.cert().generated);
    assert_eq!(t.gw.cert().cert_path, pki.leaf().cert_pem_path());
    assert!(!t.dir.path().join("tls").exists());
}

#[tokio::test]
async fn auth_is_offered_only_after_tls_by_default() {
    let t = TestGateway::start(|s| s.devices = vec![device("mfp-3f", "pw-3f")]).await;
    let mut c = Raw::connect(t.smtp()).await;
    expect_code(&c.reply().await, "220");
    let ehlo = c.cmd("EHLO mfp").await;
    assert!(ehlo.contains("STARTTLS"), "{ehlo}");
    assert!(!ehlo.contains("AUTH"), "AUTH offered in clear text: {ehlo}");
    let plain = format!("AUTH PLAIN {}", B64.encode("\0mfp-3f\0pw-3f"));
    expect_code(&c.cmd(&plain).await, "538 5.7.11");
}

#[tokio::test]
async fn a_port_in_use_is_reported_with_its_key() {
    let first = TestGateway::start(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let mut s = settings(dir.path());
    s.listen.smtp = Some(first.smtp());
    let err = scanrelay_gateway::Gateway::start(s).await.unwrap_err();
    let shown = err.to_string();
    assert!(
        shown.contains("listen.smtp") && shown.contains(&first.smtp().to_string()),
        "{shown}"
    );
}

#[tokio::test]
async fn with_an_upstream_configured_the_banner_names_it() {
    let t = TestGateway::start(|s| {
        s.upstreams = vec![scanrelay_gateway::settings::UpstreamSettings {
            name: "default".to_string(),
            kind: scanrelay_gateway::settings::UpstreamKind::Smtp,
            oauth: None,
            pacing: Default::default(),
            provider: None,
            server: "127.0.0.1".to_string(),
            port: 1,
            tls: scanrelay_proto::TlsMode::None,
            username: None,
            password: None,
            ca_file: None,
            from_policy: scanrelay_gateway::settings::FromPolicy::Keep,
            max_connections: 1,
            helo: HOST.to_string(),
            timeout: Duration::from_secs(5),
        }];
    })
    .await;
    let banner = t.gw.banner();
    assert!(
        banner.contains("upstream default: 127.0.0.1:1 (none)"),
        "{banner}"
    );
    assert!(!banner.contains("no upstream configured"), "{banner}");
}
