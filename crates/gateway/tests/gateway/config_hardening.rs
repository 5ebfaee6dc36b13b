//! Config regressions from review: wrongly typed passwords must not be echoed, IPv4-mapped
//! allow-list entries must match, and `serve` must clean a Google app password as `check` does.

use std::net::SocketAddr;
use std::path::Path;

use scanrelay_gateway::config::{self, ParseOptions};

use crate::listener_support::{Raw, TestGateway, expect_code};

fn parse_in(dir: &Path, text: &str) -> Result<config::Loaded, config::ConfigError> {
    config::parse_str(
        text,
        &dir.join("scanrelay.toml"),
        dir,
        &ParseOptions::default(),
    )
}

#[test]
fn a_password_of_the_wrong_type_is_not_echoed_in_the_error() {
    let upstream = "[upstream]\nserver = \"smtp.example.com\"\nusername = \"u@example.com\"\n";
    let device = "[[device]]\nusername = \"mfp\"\n";
    // (value as written, what must not show)
    let values = [
        ("73918264", "73918264"),
        ("7391.8264", "7391"),
        ("true", "true"),
        ("[\"73918264\"]", "73918264"),
        ("{ secret = \"73918264\" }", "73918264"),
    ];
    for (value, secret) in values {
        // (text, line, key)
        let cases = [
            (
                format!("{upstream}password = {value}\n"),
                4,
                "upstream.password",
            ),
            (
                format!("{upstream}password_file = {value}\n"),
                4,
                "upstream.password_file",
            ),
            (
                format!("{device}password = {value}\n"),
                3,
                "device[0].password",
            ),
        ];
        for (text, line, key) in cases {
            let dir = tempfile::tempdir().unwrap();
            let err = parse_in(dir.path(), &text).expect_err(&text);
            let shown = err.to_string();
            assert!(!shown.contains(secret), "{text:?} echoed: {shown}");
            let problem = err.problem().expect("located");
            assert_eq!(
                (problem.line, problem.key.as_deref()),
                (Some(line), Some(key)),
                "{shown}"
            );
            assert!(
                problem.message.starts_with("must be a quoted string"),
                "{shown}"
            );
        }
    }
    // Other keys keep serde's message, which helps.
    let dir = tempfile::tempdir().unwrap();
    let err = parse_in(dir.path(), "[listen]\nmax_connections = \"many\"\n").unwrap_err();
    assert!(err.to_string().contains("many"), "{err}");
}

#[test]
fn serve_cleans_a_google_app_password_like_check_does() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("app-pw"), "abcd efgh ijkl mnop\n").unwrap();
    let head = "[upstream]\nusername = \"scanner@example.com\"\n";
    // (provider, password line, password sent, warning on this key)
    let cases = [
        (
            "gmail",
            "password = \"abcd efgh ijkl mnop\"",
            "abcdefghijklmnop",
            None,
        ),
        (
            "gmail",
            "password_file = \"app-pw\"",
            "abcdefghijklmnop",
            None,
        ),
        (
            "workspace",
            "password = \" abcd\tefgh ijkl mnop \"",
            "abcdefghijklmnop",
            None,
        ),
        (
            "gmail",
            "password = \"hunter2 x\"",
            "hunter2x",
            Some("upstream.password"),
        ),
        (
            "m365",
            "password = \"pass with spaces\"",
            "pass with spaces",
            None,
        ),
    ];
    for (provider, line, sent, warning) in cases {
        let text = format!("{head}provider = \"{provider}\"\n{line}\n");
        let loaded = parse_in(dir.path(), &text).unwrap_or_else(|e| panic!("{text}: {e}"));
        let up = loaded.settings.upstreams.into_iter().next().unwrap();
        assert_eq!(up.password.as_deref(), Some(sent), "{text}");
        let keys: Vec<_> = loaded.warnings.iter().map(|w| w.key.as_deref()).collect();
        assert_eq!(
            keys,
            warning.map(Some).into_iter().collect::<Vec<_>>(),
            "{text}"
        );
        for w in &loaded.warnings {
            assert_eq!(w.line, Some(4), "{w}");
            assert!(w.message.contains("app password"), "{w}");
            assert!(
                !w.to_string().contains("hunter2"),
                "warning leaks the password: {w}"
            );
        }
    }
}

#[tokio::test]
async fn ipv4_mapped_allow_network_entries_match_ipv4_clients() {
    let dir = tempfile::tempdir().unwrap();
    let text = "[listen]\nallow_networks = [\"::ffff:192.168.1.0/120\", \"::ffff:10.9.9.9\"]\n";
    let nets = parse_in(dir.path(), text)
        .unwrap()
        .settings
        .listen
        .allow_networks;
    let shown: Vec<String> = nets.iter().map(ToString::to_string).collect();
    assert_eq!(shown, ["192.168.1.0/24", "10.9.9.9/32"]);

    let t = TestGateway::start(|s| s.listen.allow_networks = nets).await;
    let clients = [
        ("192.168.1.77:4000", "250"),
        ("[::ffff:192.168.1.77]:4000", "250"),
        ("10.9.9.9:4000", "250"),
        ("192.168.2.1:4000", "550"),
    ];
    for (peer, code) in clients {
        let peer: SocketAddr = peer.parse().unwrap();
        let mut c = Raw::new(t.gw.connect_in_memory(peer, false));
        expect_code(&c.reply().await, "220");
        expect_code(&c.cmd("EHLO mfp").await, "250");
        expect_code(&c.cmd("MAIL FROM:<scan@office.lan>").await, "250");
        let reply = c.cmd("RCPT TO:<boss@example.com>").await;
        assert!(reply.starts_with(code), "{peer}: {reply}");
    }
}
