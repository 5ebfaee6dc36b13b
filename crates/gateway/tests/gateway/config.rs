//! The config file: every key of the documented example, defaults, the embedded default
//! config written on first start, and the summary that never shows a password.

use std::path::Path;
use std::time::Duration;

use scanrelay_gateway::config::{self, ParseOptions};
use scanrelay_gateway::settings::{FromPolicy, TlsMinVersion};
use scanrelay_proto::TlsMode;

fn parse(text: &str) -> Result<config::Loaded, config::ConfigError> {
    config::parse_str(
        text,
        Path::new("/etc/scanrelay/config.toml"),
        Path::new("/var/lib/scanrelay"),
        &ParseOptions::default(),
    )
}

const FULL: &str = r#"
[listen]
smtp = "0.0.0.0:2525"
smtps = "0.0.0.0:2465"
allow_networks = ["192.168.1.0/24", "10.20.0.5"]
max_message_size = "35 MiB"
allow_plaintext_auth = true
hostname = "relay.office.test"
max_connections = 300
max_recipients = 20
command_timeout = "2m"
data_timeout = "15m"
max_auth_failures = 3
auth_lockout = "1h"
max_connections_per_ip = 8
unauthenticated_timeout = "20s"
max_session_time = "45m"

[[device]]
username = "mfp-3f"
password = "short-pass-3f"

[[device]]
username = "mfp-1f"
password = "short-pass-1f"

[upstream]
provider = "gmail"
username = "scanner@example.com"
password = "abcd efgh ijkl mnop"
from_policy = "rewrite"
max_connections = 2

[delivery]
retry_min = "30s"
retry_max = "2h"
max_age = "3d"
admin_notify = "it@example.com"

[spool]
dir = "spool-here"
"#;

#[test]
fn every_documented_key_parses() {
    let loaded = parse(FULL).unwrap();
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    let s = loaded.settings;
    assert_eq!(s.listen.smtp, Some("0.0.0.0:2525".parse().unwrap()));
    assert_eq!(s.listen.smtps, Some("0.0.0.0:2465".parse().unwrap()));
    let nets: Vec<String> = s
        .listen
        .allow_networks
        .iter()
        .map(|n| n.to_string())
        .collect();
    assert_eq!(nets, ["192.168.1.0/24", "10.20.0.5/32"]);
    assert_eq!(s.listen.max_message_size, 35 * 1024 * 1024);
    assert!(s.listen.allow_plaintext_auth);
    assert_eq!(s.listen.hostname, "relay.office.test");
    assert_eq!(s.listen.max_connections, 300);
    assert_eq!(s.listen.max_recipients, 20);
    assert_eq!(s.listen.command_timeout, Duration::from_secs(120));
    assert_eq!(s.listen.data_timeout, Duration::from_secs(900));
    assert_eq!(s.listen.max_auth_failures, 3);
    assert_eq!(s.listen.auth_lockout, Duration::from_secs(3600));
    assert_eq!(s.listen.max_connections_per_ip, 8);
    assert_eq!(s.listen.unauthenticated_timeout, Duration::from_secs(20));
    assert_eq!(s.listen.max_session_time, Duration::from_secs(45 * 60));
    assert_eq!(s.devices.len(), 2);
    assert_eq!(s.devices[1].username, "mfp-1f");
    let up = s.upstreams.into_iter().next().unwrap();
    assert_eq!(
        (up.server.as_str(), up.port, up.tls),
        ("smtp.gmail.com", 587, TlsMode::StartTls)
    );
    assert_eq!(up.provider.as_deref(), Some("gmail"));
    assert_eq!(up.username.as_deref(), Some("scanner@example.com"));
    // Spaces out, as `scanrelay check` sends it: Google shows app passwords in groups.
    assert_eq!(up.password.as_deref(), Some("abcdefghijklmnop"));
    assert_eq!(up.from_policy, FromPolicy::Rewrite);
    assert_eq!(up.max_connections, 2);
    assert_eq!(up.helo, "relay.office.test");
    assert_eq!(s.delivery.retry_min, Duration::from_secs(30));
    assert_eq!(s.delivery.retry_max, Duration::from_secs(7200));
    assert_eq!(s.delivery.max_age, Duration::from_secs(3 * 86400));
    assert_eq!(s.delivery.admin_notify.as_deref(), Some("it@example.com"));
    assert_eq!(s.spool_dir, Path::new("/etc/scanrelay/spool-here"));
    assert_eq!(s.data_dir, Path::new("/var/lib/scanrelay"));
}

#[test]
fn empty_file_gives_safe_defaults() {
    let s = parse("").unwrap().settings;
    assert_eq!(s.listen.smtp, Some("127.0.0.1:2525".parse().unwrap()));
    assert_eq!(s.listen.smtps, None);
    let nets: Vec<String> = s
        .listen
        .allow_networks
        .iter()
        .map(|n| n.to_string())
        .collect();
    assert_eq!(nets, ["127.0.0.0/8", "::1/128"]);
    assert_eq!(s.listen.max_message_size, 35_000_000);
    assert!(!s.listen.allow_plaintext_auth);
    assert_eq!(s.listen.max_connections, 200);
    assert_eq!(s.listen.max_recipients, 100);
    assert_eq!(s.listen.command_timeout, Duration::from_secs(300));
    assert_eq!(s.listen.data_timeout, Duration::from_secs(600));
    assert_eq!(s.listen.max_auth_failures, 5);
    assert_eq!(s.listen.auth_lockout, Duration::from_secs(900));
    assert_eq!(s.listen.max_connections_per_ip, 20);
    assert_eq!(s.listen.unauthenticated_timeout, Duration::from_secs(30));
    assert_eq!(s.listen.max_session_time, Duration::from_secs(30 * 60));
    assert!(s.devices.is_empty());
    assert!(s.upstreams.is_empty());
    assert_eq!(s.spool_dir, Path::new("/var/lib/scanrelay/spool"));
}

#[test]
fn generic_upstream_with_password_file_and_implicit_tls() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("pw"), "s3cret\n").unwrap();
    let text = "[upstream]\nserver = \"mail.example.test\"\ntls = \"implicit\"\nusername = \"u@example.test\"\npassword_file = \"pw\"\n";
    let loaded = config::parse_str(
        text,
        &dir.path().join("scanrelay.toml"),
        dir.path(),
        &ParseOptions::default(),
    )
    .unwrap();
    let up = loaded.settings.upstreams.into_iter().next().unwrap();
    assert_eq!((up.port, up.tls), (465, TlsMode::Implicit));
    assert_eq!(up.password.as_deref(), Some("s3cret"));
    assert_eq!(up.from_policy, FromPolicy::Rewrite);
    assert_eq!(up.max_connections, 3);
}

#[test]
fn anonymous_upstream_keeps_the_sender() {
    let up = parse("[upstream]\nserver = \"10.0.0.25\"\nport = 25\ntls = \"none\"\n")
        .unwrap()
        .settings
        .upstreams
        .into_iter()
        .next()
        .unwrap();
    assert_eq!((up.port, up.tls), (25, TlsMode::None));
    assert_eq!(up.from_policy, FromPolicy::Keep);
    assert!(up.username.is_none() && up.password.is_none());
}

#[test]
fn long_device_password_warns_with_key_and_line() {
    let text =
        "[[device]]\nusername = \"mfp\"\npassword = \"this-password-is-longer-than-twenty\"\n";
    let loaded = parse(text).unwrap();
    assert_eq!(loaded.warnings.len(), 1);
    let w = &loaded.warnings[0];
    assert_eq!(w.key.as_deref(), Some("device[0].password"));
    assert_eq!(w.line, Some(3));
    assert!(
        w.to_string()
            .starts_with("/etc/scanrelay/config.toml: line 3: device[0].password: ")
    );
    assert!(
        !w.to_string().contains("this-password"),
        "warning leaks the password: {w}"
    );
}

/// `tls_min_version`: "1.2" by default; below it with the generated (ECDSA) certificate a
/// warning says old devices may need an RSA one, which a configured certificate silences.
#[test]
fn tls_min_version_defaults_to_1_2_and_warns_about_the_generated_certificate() {
    let loaded = parse("[listen]\nsmtp = \"127.0.0.1:2525\"\n").unwrap();
    assert_eq!(
        loaded.settings.listen.tls_min_version,
        TlsMinVersion::Tls1_2
    );
    for (text, want) in [
        ("1.0", TlsMinVersion::Tls1_0),
        ("1.1", TlsMinVersion::Tls1_1),
    ] {
        let config = format!("[listen]\nsmtp = \"127.0.0.1:2525\"\ntls_min_version = \"{text}\"\n");
        let loaded = parse(&config).unwrap();
        assert_eq!(loaded.settings.listen.tls_min_version, want);
        assert_eq!(loaded.warnings.len(), 1, "{:?}", loaded.warnings);
        let w = &loaded.warnings[0];
        assert_eq!(w.key.as_deref(), Some("listen.tls_min_version"));
        assert_eq!(w.line, Some(3));
        assert!(
            w.message.contains("ECDSA") && w.message.contains("RSA"),
            "{w}"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    for name in ["cert.pem", "key.pem"] {
        std::fs::write(dir.path().join(name), "x").unwrap();
    }
    let config = format!(
        "[listen]\ntls_cert = \"{0}/cert.pem\"\ntls_key = \"{0}/key.pem\"\ntls_min_version = \"1.0\"\n",
        dir.path().display()
    );
    let loaded = parse(&config).unwrap();
    assert_eq!(
        loaded.settings.listen.tls_min_version,
        TlsMinVersion::Tls1_0
    );
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
}

#[test]
fn port_zero_only_with_the_test_option() {
    let text = "[listen]\nsmtp = \"127.0.0.1:0\"\n";
    assert!(parse(text).is_err());
    let opts = ParseOptions {
        allow_port_zero: true,
    };
    let loaded = config::parse_str(text, Path::new("t.toml"), Path::new("/d"), &opts).unwrap();
    assert_eq!(loaded.settings.listen.smtp.unwrap().port(), 0);
}

#[test]
fn summary_shows_the_setup_but_no_password() {
    let s = parse(FULL).unwrap().settings;
    let text = config::summary(&s);
    for want in [
        "0.0.0.0:2525",
        "192.168.1.0/24",
        "mfp-3f",
        "smtp.gmail.com:587",
        "scanner@example.com",
        "rewrite",
        "it@example.com",
    ] {
        assert!(text.contains(want), "summary lacks {want}:\n{text}");
    }
    for secret in ["short-pass-3f", "short-pass-1f", "abcd efgh ijkl mnop"] {
        assert!(!text.contains(secret), "summary shows a password:\n{text}");
    }
    let none = config::summary(&parse("").unwrap().settings);
    assert!(none.contains("mail is accepted and held"), "{none}");
}

#[test]
fn default_config_is_written_on_first_start_and_parses() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (settings, written) = config::load_or_init(&data, None).unwrap();
    let path = data.join("scanrelay.toml");
    assert_eq!(written.as_deref(), Some(path.as_path()));
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        config::DEFAULT_CONFIG
    );
    assert!(
        settings.upstreams.is_empty(),
        "no upstream active in the default"
    );
    assert_eq!(
        settings.listen.smtp,
        Some("127.0.0.1:2525".parse().unwrap())
    );
    assert_eq!(settings.spool_dir, data.join("spool"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&data).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
    }
    // Second start: the file is there and is used as it is.
    std::fs::write(&path, "[listen]\nsmtp = \"127.0.0.1:2626\"\n").unwrap();
    let (settings, written) = config::load_or_init(&data, None).unwrap();
    assert!(written.is_none());
    assert_eq!(settings.listen.smtp.unwrap().port(), 2626);
}

#[test]
fn an_explicit_config_path_must_exist() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.toml");
    let err = config::load_or_init(dir.path(), Some(&missing)).unwrap_err();
    assert!(err.to_string().contains("nope.toml"), "{err}");
    assert!(!dir.path().join("scanrelay.toml").exists());
}

#[test]
fn default_config_commented_examples_parse_when_uncommented() {
    // Every commented `key = value` line of [listen] is valid when enabled.
    let enabled: String = config::DEFAULT_CONFIG
        .lines()
        .take_while(|l| !l.starts_with("# [[device]]"))
        .map(|l| match l.strip_prefix("# ") {
            Some(rest) if rest.contains(" = ") && !rest.contains("tls_") => rest,
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n");
    let s = parse(&enabled).unwrap().settings;
    assert_eq!(s.listen.smtps, Some("127.0.0.1:2465".parse().unwrap()));
    assert_eq!(s.listen.hostname, "scanrelay.office.example");
    assert_eq!(s.listen.pop3, Some("127.0.0.1:2110".parse().unwrap()));
    assert_eq!(s.listen.pop3s, Some("127.0.0.1:2995".parse().unwrap()));
    assert_eq!(s.listen.pop_before_smtp, Some(Duration::from_secs(600)));
}

#[test]
fn pop3_keys_parse_and_useless_ones_are_warned_about() {
    let text = "[listen]\npop3 = \"0.0.0.0\"\npop3s = \"[::1]\"\npop_before_smtp = \"90s\"\n\n\
                [[device]]\nusername = \"mfp\"\npassword = \"pw\"\nmailbox_address = \" box@gw.test \"\n";
    let loaded = parse(text).unwrap();
    let s = &loaded.settings;
    assert_eq!(s.listen.pop3, Some("0.0.0.0:2110".parse().unwrap()));
    assert_eq!(s.listen.pop3s, Some("[::1]:2995".parse().unwrap()));
    assert_eq!(s.listen.pop_before_smtp, Some(Duration::from_secs(90)));
    assert_eq!(s.devices[0].mailbox_address.as_deref(), Some("box@gw.test"));
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    // (config, key warned about, line, fragment)
    let cases = [
        (
            "[listen]\npop3 = \"127.0.0.1:2110\"\n",
            "listen.pop3",
            2,
            "nobody can log in",
        ),
        (
            "[[device]]\nusername = \"mfp\"\npassword = \"pw\"\nmailbox_address = \"b@gw.test\"\n",
            "device[0].mailbox_address",
            4,
            "no POP3 listener",
        ),
    ];
    for (text, key, line, fragment) in cases {
        let loaded = parse(text).unwrap();
        assert_eq!(loaded.warnings.len(), 1, "{text}: {:?}", loaded.warnings);
        let w = &loaded.warnings[0];
        assert_eq!(w.key.as_deref(), Some(key));
        assert_eq!(w.line, Some(line));
        assert!(w.message.contains(fragment), "{}", w.message);
    }
}
