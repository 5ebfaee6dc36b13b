//! The real-peer environment: parsing, the loopback guard, Maildir discovery and polling.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use scanrelay_test_support::{Peers, assert_no_secrets, bytes_contain, require_peers};
use tokio::net::TcpStream;

use crate::client::*;

fn peer_vars(root: &Path) -> HashMap<String, String> {
    let mut vars: HashMap<String, String> = [
        ("HOST", "127.0.0.1"),
        ("SMTP_PORT", "2525"),
        ("SUBMISSION_PORT", "2587"),
        ("SMTPS_PORT", "2465"),
        ("POP3_PORT", "2110"),
        ("POP3S_PORT", "2995"),
        ("RELAY_PORT", "2526"),
        ("CA", "/tmp/ca.pem"),
        ("CERT_HOST", "mail.example.test"),
        ("USER", "alice@example.test"),
        ("PASSWORD", "alice-secret"),
        ("USER2", "bob@example.test"),
        ("PASSWORD2", "bob-secret"),
        ("TEMPFAIL_RCPT", "tempfail@example.test"),
        ("REJECT_RCPT", "reject@example.test"),
    ]
    .into_iter()
    .map(|(k, v)| (format!("SCANRELAY_PEER_{k}"), v.to_string()))
    .collect();
    vars.insert(
        "SCANRELAY_PEER_MAILDIR_ROOT".into(),
        root.display().to_string(),
    );
    vars
}

fn from_map(vars: &HashMap<String, String>) -> Option<Peers> {
    Peers::from_vars(|name| vars.get(name).cloned())
}

#[test]
fn peers_are_read_from_the_variables() {
    let vars = peer_vars(Path::new("/tmp/maildirs"));
    let peers = from_map(&vars).expect("peers described");
    assert_eq!(peers.host, "127.0.0.1");
    assert_eq!(
        [
            peers.smtp_port,
            peers.submission_port,
            peers.smtps_port,
            peers.pop3_port,
            peers.pop3s_port,
            peers.relay_port
        ],
        [2525, 2587, 2465, 2110, 2995, 2526]
    );
    assert_eq!(peers.user2, "bob@example.test");
    assert_eq!(peers.reject_rcpt, "reject@example.test");
    assert_no_secrets(&format!("{peers:?}"), &["alice-secret", "bob-secret"]);
}

#[test]
fn peers_are_absent_without_a_host_unless_required() {
    assert_eq!(from_map(&HashMap::new()), None);
    let required: HashMap<String, String> =
        [("SCANRELAY_REQUIRE_PEERS".to_string(), "1".to_string())].into();
    let message =
        std::panic::catch_unwind(|| from_map(&required)).expect_err("required peers missing");
    let text = message
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default();
    assert!(
        text.contains("SCANRELAY_REQUIRE_PEERS=1") && text.contains("scripts/peers"),
        "{text}"
    );
}

#[test]
#[should_panic(expected = "missing: SCANRELAY_PEER_RELAY_PORT, SCANRELAY_PEER_CERT_HOST")]
fn a_partial_peer_environment_names_what_is_missing() {
    let mut vars = peer_vars(Path::new("/tmp"));
    vars.remove("SCANRELAY_PEER_RELAY_PORT");
    vars.remove("SCANRELAY_PEER_CERT_HOST");
    from_map(&vars);
}

#[test]
#[should_panic(expected = "not a loopback address")]
fn a_peer_host_beyond_loopback_is_refused() {
    let mut vars = peer_vars(Path::new("/tmp"));
    vars.insert("SCANRELAY_PEER_HOST".into(), "smtp.gmail.com".into());
    from_map(&vars);
}

fn deliver(dir: &Path, sub: &str, name: &str, body: &str) {
    let dir = dir.join(sub);
    std::fs::create_dir_all(&dir).expect("create maildir");
    std::fs::create_dir_all(dir.parent().unwrap().join("tmp")).expect("create tmp");
    std::fs::write(dir.join(name), body).expect("write message");
}

#[test]
fn maildir_messages_finds_the_user_in_common_layouts() {
    let layouts = [
        "alice",
        "example.test/alice",
        "alice@example.test",
        "example.test/alice/Maildir",
    ];
    for layout in layouts {
        let root = tempfile::tempdir().expect("tempdir");
        let user_dir = root.path().join(layout);
        deliver(&user_dir, "new", "1.msg", "one");
        deliver(&user_dir, "cur", "2.msg:2,S", "two");
        deliver(
            &root.path().join("example.test/bob"),
            "new",
            "3.msg",
            "bob's",
        );
        let peers = from_map(&peer_vars(root.path())).unwrap();
        let found = peers.maildir_messages("alice@example.test");
        assert_eq!(found.len(), 2, "{layout}: {found:?}");
        assert_eq!(
            peers.maildir_messages("alice"),
            found,
            "{layout}: by local part"
        );
        assert!(peers.maildir_messages("carol@example.test").is_empty());
    }
}

#[tokio::test]
async fn wait_for_message_polls_until_a_match_arrives() {
    let root = tempfile::tempdir().expect("tempdir");
    let peers = from_map(&peer_vars(root.path())).unwrap();
    let user_dir = root.path().join("example.test/alice");
    deliver(&user_dir, "new", "old.msg", "Subject: old\r\n");
    let writer = {
        let user_dir = user_dir.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(250)).await;
            deliver(&user_dir, "new", "new.msg", "Subject: token-42\r\n");
        })
    };
    let wanted = |m: &[u8]| bytes_contain(m, "token-42");
    let (path, bytes) = peers
        .wait_for_message("alice@example.test", wanted, Duration::from_secs(5))
        .await
        .expect("message arrives");
    assert!(path.ends_with("new/new.msg"));
    assert_eq!(bytes, b"Subject: token-42\r\n");
    writer.await.unwrap();
    let none = peers.wait_for_message(
        "alice",
        |m| bytes_contain(m, "never"),
        Duration::from_millis(200),
    );
    assert_eq!(none.await, None);
}

#[tokio::test]
async fn real_peers_environment_is_usable() {
    let peers = require_peers!();
    assert!(
        peers.ca.is_file(),
        "SCANRELAY_PEER_CA {:?} is not a file",
        peers.ca
    );
    assert!(
        peers.maildir_root.is_dir(),
        "maildir root {:?}",
        peers.maildir_root
    );
    let addr = format!("{}:{}", peers.host, peers.smtp_port);
    let tcp = TcpStream::connect(&addr)
        .await
        .expect("the peer's SMTP port accepts connections");
    let mut client = Client {
        io: Box::new(tcp),
        buf: Vec::new(),
    };
    let banner = client.reply().await;
    assert!(banner[0].starts_with("220 "), "{banner:?}");
    client.cmd("QUIT").await;
}
