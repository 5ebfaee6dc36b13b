//! The admin console's keys in `[listen]`: `web`, `metrics_allow`, `web_tls`, and the rule that
//! a console reachable from other hosts needs an admin password first.

use std::path::Path;

use scanrelay_gateway::config::{self, ADMIN_PASSWORD_FILE, ParseOptions};

fn parse_in(text: &str, data_dir: &Path) -> Result<config::Loaded, config::ConfigError> {
    config::parse_str(
        text,
        Path::new("/etc/scanrelay/config.toml"),
        data_dir,
        &ParseOptions::default(),
    )
}

fn parse(text: &str) -> Result<config::Loaded, config::ConfigError> {
    parse_in(text, Path::new("/nonexistent/scanrelay-data"))
}

fn error(text: &str) -> String {
    parse(text).expect_err("an error").to_string()
}

#[test]
fn console_defaults_to_loopback_8025() {
    let web = parse("").unwrap().settings.listen.web;
    assert_eq!(web.addr, Some("127.0.0.1:8025".parse().unwrap()));
    let nets: Vec<String> = web.metrics_allow.iter().map(|n| n.to_string()).collect();
    assert_eq!(nets, ["127.0.0.0/8", "::1/128"]);
    assert!(!web.tls);
}

#[test]
fn console_keys_parse() {
    let cases = [
        ("web = \"\"", None),
        ("web = \"[::1]\"", Some("[::1]:8025")),
        ("web = \"127.0.0.1:9000\"", Some("127.0.0.1:9000")),
        ("web = \"localhost:9001\"", Some("127.0.0.1:9001")),
    ];
    for (line, want) in cases {
        let web = parse(&format!("[listen]\n{line}\n"))
            .unwrap()
            .settings
            .listen
            .web;
        assert_eq!(web.addr, want.map(|a| a.parse().unwrap()), "{line}");
    }
    let text =
        "[listen]\nmetrics_allow = [\"10.0.0.7\", \"::ffff:192.168.5.0/120\"]\nweb_tls = true\n";
    let web = parse(text).unwrap().settings.listen.web;
    let nets: Vec<String> = web.metrics_allow.iter().map(|n| n.to_string()).collect();
    assert_eq!(nets, ["10.0.0.7/32", "192.168.5.0/24"]);
    assert!(web.tls);
}

#[test]
fn console_key_errors_name_the_key_and_line() {
    let cases = [
        (
            "[listen]\nweb = \"somewhere\"\n",
            "line 2: listen.web: \"somewhere\" is not an address",
        ),
        (
            "[listen]\nweb = \"127.0.0.1:0\"\n",
            "line 2: listen.web: port 0 is not allowed",
        ),
        (
            "[listen]\n\nmetrics_allow = [\"127.0.0.1\", \"lan\"]\n",
            "line 3: listen.metrics_allow[1]: \"lan\" is not a network",
        ),
        (
            "[listen]\nweb_tls = \"yes\"\n",
            "listen.web_tls: expected true or false",
        ),
        (
            "[listen]\nweb = 8025\n",
            "listen.web: expected an address and port in quotes",
        ),
    ];
    for (text, want) in cases {
        let err = error(text);
        assert!(err.contains(want), "{text:?}: {err}");
    }
}

/// Until a password is set, the console offers a one-time setup link to whoever reaches it:
/// a LAN address is refused until then.
#[test]
fn a_lan_console_needs_an_admin_password_first() {
    let dir = tempfile::tempdir().unwrap();
    let text = "[listen]\nsmtp = \"127.0.0.1:2525\"\nweb = \"0.0.0.0:8025\"\n";
    let err = parse_in(text, dir.path()).expect_err("refused").to_string();
    for want in [
        "line 3: listen.web: refusing to start",
        "no admin password is set",
        "scanrelay admin set-password",
        ADMIN_PASSWORD_FILE,
    ] {
        assert!(err.contains(want), "{want}: {err}");
    }
    let file = dir.path().join(ADMIN_PASSWORD_FILE);
    std::fs::write(&file, "\n").unwrap();
    assert!(
        parse_in(text, dir.path()).is_err(),
        "an empty file is no password"
    );
    std::fs::write(
        &file,
        "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo\n",
    )
    .unwrap();
    let web = parse_in(text, dir.path()).unwrap().settings.listen.web;
    assert_eq!(web.addr, Some("0.0.0.0:8025".parse().unwrap()));
    // Loopback needs none.
    let text = "[listen]\nweb = \"[::1]:8025\"\n";
    assert!(parse_in(text, Path::new("/nonexistent")).is_ok());
}

#[test]
fn the_default_config_turns_the_console_on_at_loopback() {
    assert!(config::DEFAULT_CONFIG.contains("\nweb = \"127.0.0.1:8025\"\n"));
    assert!(config::DEFAULT_CONFIG.contains("# metrics_allow = [\"127.0.0.0/8\", \"::1/128\"]"));
    assert!(config::DEFAULT_CONFIG.contains("# web_tls = false"));
    let loaded = parse(config::DEFAULT_CONFIG).unwrap();
    assert_eq!(
        loaded.settings.listen.web.addr,
        Some("127.0.0.1:8025".parse().unwrap())
    );
}
