//! Invalid configs: each error names the file, the line and the key path. Table-driven.

use std::path::Path;

use scanrelay_gateway::config::{self, ParseOptions};

/// `(config text, line, key, a fragment of the message)`.
const CASES: &[(&str, usize, &str, &str)] = &[
    // Unknown keys and tables.
    (
        "[listen]\nsmtp = \"127.0.0.1:2525\"\nallow_network = []\n",
        3,
        "listen.allow_network",
        "unknown field `allow_network`",
    ),
    (
        "[lsten]\nsmtp = \"x\"\n",
        1,
        "lsten",
        "unknown field `lsten`",
    ),
    (
        "[upstream]\nserver = \"a\"\npasswd = \"x\"\n",
        3,
        "upstream.passwd",
        "unknown field `passwd`",
    ),
    (
        "[[device]]\nusername = \"a\"\npassword = \"b\"\npin = 1\n",
        4,
        "device[0].pin",
        "unknown field `pin`",
    ),
    // Bad values.
    (
        "\n[upstream]\nserver = \"smtp.example.com\"\nport = 587\n\n\ntls = \"ssl3\"\n",
        7,
        "upstream.tls",
        "unknown TLS mode `ssl3`",
    ),
    (
        "[upstream]\nserver = \"a\"\nport = 70000\n",
        3,
        "upstream.port",
        "",
    ),
    (
        "[upstream]\nserver = \"a\"\nfrom_policy = \"replace\"\n",
        3,
        "upstream.from_policy",
        "unknown variant `replace`",
    ),
    (
        "[listen]\nmax_message_size = \"35 parsecs\"\n",
        2,
        "listen.max_message_size",
        "unknown size unit",
    ),
    (
        "[listen]\nmax_message_size = -5\n",
        2,
        "listen.max_message_size",
        "negative",
    ),
    (
        "[listen]\ncommand_timeout = \"5 fortnights\"\n",
        2,
        "listen.command_timeout",
        "unknown duration unit",
    ),
    (
        "[listen]\nallow_plaintext_auth = \"yes\"\n",
        2,
        "listen.allow_plaintext_auth",
        "expected a boolean",
    ),
    (
        "[[device]]\nusername = \"a\"\n",
        1,
        "device[0]",
        "missing field `password`",
    ),
    // Semantic rules.
    (
        "[listen]\nsmtp = \"not an address\"\n",
        2,
        "listen.smtp",
        "is not an address",
    ),
    (
        "[listen]\nsmtp = \"127.0.0.1:0\"\n",
        2,
        "listen.smtp",
        "port 0",
    ),
    (
        "[listen]\nallow_networks = [\"10.0.0.0/8\", \"192.168.1.300/24\"]\n",
        2,
        "listen.allow_networks[1]",
        "is not a network",
    ),
    ("[listen]\nsmtp = \"\"\n", 2, "listen.smtp", "no listener"),
    (
        "[listen]\nmax_connections = 0\n",
        2,
        "listen.max_connections",
        "greater than 0",
    ),
    (
        "[listen]\ntls_cert = \"/nonexistent/cert.pem\"\n",
        2,
        "listen.tls_cert",
        "tls_key is not",
    ),
    (
        "[listen]\ntls_cert = \"/nonexistent/c.pem\"\ntls_key = \"/nonexistent/k.pem\"\n",
        2,
        "listen.tls_cert",
        "no such file",
    ),
    (
        "[[device]]\nusername = \"a\"\npassword = \"\"\n",
        3,
        "device[0].password",
        "must not be empty",
    ),
    (
        "[[device]]\nusername = \"a\"\npassword = \"x\"\n[[device]]\nusername = \"a\"\npassword = \"y\"\n",
        5,
        "device[1].username",
        "listed twice",
    ),
    (
        "[upstream]\nprovider = \"gmial\"\n",
        2,
        "upstream.provider",
        "unknown provider \"gmial\"",
    ),
    ("[upstream]\nport = 587\n", 1, "upstream.server", "missing"),
    (
        "[upstream]\nserver = \"a\"\nusername = \"u\"\npassword = \"p\"\npassword_file = \"/x\"\n",
        5,
        "upstream.password_file",
        "both password and password_file",
    ),
    (
        "[upstream]\nserver = \"a\"\nusername = \"u\"\n",
        3,
        "upstream.username",
        "needs a password",
    ),
    (
        "[upstream]\nserver = \"a\"\nusername = \"u\"\npassword_file = \"/nonexistent/pw\"\n",
        4,
        "upstream.password_file",
        "cannot read",
    ),
    (
        "[upstream]\nserver = \"a\"\nport = 0\n",
        3,
        "upstream.port",
        "port 0",
    ),
    (
        "[upstream]\nserver = \"a\"\nusername = \"scanner\"\npassword = \"p\"\nfrom_policy = \"rewrite\"\n",
        5,
        "upstream.from_policy",
        "must be a mail address",
    ),
    (
        "[delivery]\nretry_min = \"2h\"\nretry_max = \"1h\"\n",
        2,
        "delivery.retry_min",
        "longer than retry_max",
    ),
    (
        "[delivery]\nadmin_notify = \"it-department\"\n",
        2,
        "delivery.admin_notify",
        "not a mail address",
    ),
    (
        "[delivery]\nmax_age = \"0s\"\n",
        2,
        "delivery.max_age",
        "longer than 0",
    ),
    // Not TOML at all.
    ("[listen\nsmtp = 1\n", 1, "", ""),
];

#[test]
fn errors_name_the_key_and_the_line() {
    for &(text, line, key, fragment) in CASES {
        let err = config::parse_str(
            text,
            Path::new("config.toml"),
            Path::new("/data"),
            &ParseOptions::default(),
        )
        .expect_err(text);
        let problem = err
            .problem()
            .unwrap_or_else(|| panic!("{text}: not located: {err}"));
        assert_eq!(problem.line, Some(line), "line for {text:?}: {err}");
        assert_eq!(
            problem.key.as_deref().unwrap_or(""),
            key,
            "key for {text:?}: {err}"
        );
        assert!(
            problem.message.contains(fragment),
            "message for {text:?}: {err}"
        );
        let shown = err.to_string();
        let prefix = format!("config.toml: line {line}: ");
        assert!(shown.starts_with(&prefix), "{shown}");
        if !key.is_empty() {
            assert!(shown.starts_with(&format!("{prefix}{key}: ")), "{shown}");
        }
    }
}

#[test]
fn the_documented_example_error() {
    let text = "[listen]\nsmtp = \"127.0.0.1:2525\"\n\n[upstream]\nserver = \"smtp.gmail.com\"\nport = 587\ntls = \"ssl3\"\n";
    let err = config::parse_str(
        text,
        Path::new("config.toml"),
        Path::new("/d"),
        &ParseOptions::default(),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "config.toml: line 7: upstream.tls: unknown TLS mode `ssl3`: expected starttls, implicit or none"
    );
}

/// `(smtp listen address, allow_networks)` that would make an open relay.
const OPEN_RELAYS: &[(&str, &str)] = &[
    ("0.0.0.0:2525", "[\"0.0.0.0/0\"]"),
    ("[::]:2525", "[\"::/0\"]"),
    ("[::]:2525", "[\"0.0.0.0/0\", \"::1\"]"),
    ("192.168.1.10:2525", "[\"0.0.0.0/1\", \"128.0.0.0/1\"]"),
    ("0.0.0.0:2525", "[\"::ffff:0:0/96\"]"),
];

#[test]
fn open_relay_setups_are_refused_with_an_explanation() {
    for &(addr, nets) in OPEN_RELAYS {
        let text = format!("[listen]\nsmtp = \"{addr}\"\nallow_networks = {nets}\n");
        let err = config::parse_str(
            &text,
            Path::new("c.toml"),
            Path::new("/d"),
            &ParseOptions::default(),
        )
        .expect_err(&text);
        let shown = err.to_string();
        assert!(
            shown.starts_with("c.toml: line 3: listen.allow_networks: refusing to start"),
            "{shown}"
        );
        assert!(shown.contains("open relay"), "{shown}");
    }
}

#[test]
fn wide_allow_lists_are_fine_on_loopback_and_narrow_ones_anywhere() {
    let fine = [
        ("127.0.0.1:2525", "[\"0.0.0.0/0\"]"),
        ("0.0.0.0:2525", "[\"192.168.0.0/16\", \"10.0.0.0/8\"]"),
        ("[::]:2525", "[\"fd00::/8\", \"0.0.0.0/1\"]"),
    ];
    for (addr, nets) in fine {
        let text = format!("[listen]\nsmtp = \"{addr}\"\nallow_networks = {nets}\n");
        config::parse_str(
            &text,
            Path::new("c.toml"),
            Path::new("/d"),
            &ParseOptions::default(),
        )
        .unwrap_or_else(|e| panic!("{text}: {e}"));
    }
}

#[test]
fn smtps_exposure_is_checked_too() {
    let text = "[listen]\nsmtps = \"0.0.0.0:2465\"\nallow_networks = [\"0.0.0.0/0\"]\n";
    let err = config::parse_str(
        text,
        Path::new("c.toml"),
        Path::new("/d"),
        &ParseOptions::default(),
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("listen.smtps = \"0.0.0.0:2465\""),
        "{err}"
    );
}
