//! Invalid configs: each error names the file, the line and the key path, says what is
//! expected in words with an example, and a file that cannot be read says so once.
//! Table-driven.

use std::error::Error as _;
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
        "expected a port number 1-65535",
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
        "found -5",
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
        "expected true or false",
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
    // POP3 and device mailboxes.
    (
        "[listen]\nsmtp = \"127.0.0.1:2525\"\npop3 = \"nowhere:110\"\n",
        3,
        "listen.pop3",
        "is not an address",
    ),
    (
        "[listen]\npop3s = \"127.0.0.1:0\"\n",
        2,
        "listen.pop3s",
        "port 0 is not allowed",
    ),
    (
        "[listen]\nsmtp = \"127.0.0.1:2525\"\npop_before_smtp = \"10m\"\n",
        3,
        "listen.pop_before_smtp",
        "needs a POP3 listener",
    ),
    (
        "[listen]\npop3 = \"127.0.0.1:2110\"\npop_before_smtp = \"0s\"\n",
        3,
        "listen.pop_before_smtp",
        "longer than 0",
    ),
    (
        "[[device]]\nusername = \"a\"\npassword = \"b\"\nmailbox_address = \"scan-box\"\n",
        4,
        "device[0].mailbox_address",
        "not a mail address",
    ),
    (
        "[[device]]\nusername = \"a\"\npassword = \"b\"\nmailbox_address = \"box@gw.test\"\n\n\
         [[device]]\nusername = \"c\"\npassword = \"d\"\nmailbox_address = \"BOX@gw.test\"\n",
        9,
        "device[1].mailbox_address",
        "already the mailbox of device \"a\"",
    ),
    (
        "[listen]\nsmtp = \"127.0.0.1:2525\"\n\ntls_min_version = \"1.3\"\n",
        4,
        "listen.tls_min_version",
        "unknown TLS version `1.3`: expected \"1.0\", \"1.1\" or \"1.2\"",
    ),
    (
        "[listen]\ntls_min_version = \"TLSv1\"\n",
        2,
        "listen.tls_min_version",
        "unknown TLS version `TLSv1`",
    ),
    (
        "[listen]\ntls_min_version = 1.0\n",
        2,
        "listen.tls_min_version",
        "expected \"1.0\", \"1.1\" or \"1.2\" in quotes, e.g. \"1.0\"",
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

/// `(key path, TOML value of the wrong type, what the message must say)`: every typed key a
/// user is likely to get wrong (ports, addresses, durations, sizes, booleans, counts, lists,
/// paths, names, sections), each answered in words with an example and what was found.
const TYPE_ERRORS: &[(&str, &str, &str)] = &[
    (
        "upstream.port",
        "\"587\"",
        "expected a port number 1-65535, e.g. 587; found \"587\" (write numbers and true/false \
         without quotes)",
    ),
    (
        "upstream.port",
        "70000",
        "expected a port number 1-65535, e.g. 587; found 70000",
    ),
    (
        "upstream.port",
        "-25",
        "expected a port number 1-65535, e.g. 587; found -25",
    ),
    (
        "listen.smtp",
        "2525",
        "expected an address and port in quotes, e.g. \"0.0.0.0:2525\"; found 2525",
    ),
    (
        "listen.smtps",
        "true",
        "expected an address and port in quotes, e.g. \"0.0.0.0:2465\"; found true",
    ),
    (
        "listen.allow_networks",
        "\"192.168.1.0/24\"",
        "expected a list of networks in quotes, e.g. [\"192.168.1.0/24\", \"10.0.0.5\"]; found \
         \"192.168.1.0/24\"",
    ),
    (
        "listen.allow_networks",
        "[192]",
        "expected a network in quotes, e.g. \"192.168.1.0/24\"; found 192",
    ),
    (
        "listen.max_message_size",
        "true",
        "expected a size, e.g. \"35MB\" or a number of bytes; found true",
    ),
    (
        "listen.max_message_size",
        "-1",
        "expected a size, e.g. \"35MB\" or a number of bytes; found -1",
    ),
    (
        "listen.allow_plaintext_auth",
        "\"true\"",
        "expected true or false, e.g. true; found \"true\" (write numbers and true/false without \
         quotes)",
    ),
    (
        "listen.allow_plaintext_auth",
        "1",
        "expected true or false, e.g. true; found 1",
    ),
    (
        "listen.max_connections",
        "\"200\"",
        "expected a whole number greater than 0, e.g. 200; found \"200\" (write numbers and \
         true/false without quotes)",
    ),
    (
        "listen.max_connections_per_ip",
        "2.5",
        "expected a whole number greater than 0, e.g. 20; found 2.5",
    ),
    (
        "listen.max_recipients",
        "-1",
        "expected a whole number greater than 0, e.g. 100; found -1",
    ),
    (
        "listen.max_auth_failures",
        "5000000000",
        "expected a whole number greater than 0, e.g. 5; found 5000000000",
    ),
    (
        "listen.command_timeout",
        "true",
        "expected a duration, e.g. \"5m\" or a number of seconds; found true",
    ),
    (
        "listen.data_timeout",
        "[10]",
        "expected a duration, e.g. \"10m\" or a number of seconds; found a list",
    ),
    (
        "listen.auth_lockout",
        "-15",
        "expected a duration, e.g. \"15m\" or a number of seconds; found -15",
    ),
    (
        "listen.unauthenticated_timeout",
        "1.5",
        "expected a duration, e.g. \"30s\" or a number of seconds; found 1.5",
    ),
    (
        "listen.max_session_time",
        "false",
        "expected a duration, e.g. \"30m\" or a number of seconds; found false",
    ),
    (
        "listen.tls_cert",
        "true",
        "expected a file path in quotes, e.g. \"/etc/scanrelay/cert.pem\"; found true",
    ),
    (
        "listen.hostname",
        "1",
        "expected a host name in quotes, e.g. \"scanrelay.office.example\"; found 1",
    ),
    (
        "upstream.server",
        "1",
        "expected a host name in quotes, e.g. \"smtp.example.com\"; found 1",
    ),
    (
        "upstream.tls",
        "true",
        "expected \"starttls\", \"implicit\" or \"none\", e.g. \"starttls\"; found true",
    ),
    (
        "upstream.from_policy",
        "true",
        "expected \"rewrite\" or \"keep\", e.g. \"keep\"",
    ),
    (
        "upstream.username",
        "42",
        "expected a user name in quotes, e.g. \"scanner@example.com\"; found 42",
    ),
    (
        "upstream.max_connections",
        "\"3\"",
        "expected a whole number greater than 0, e.g. 3; found \"3\" (write numbers and \
         true/false without quotes)",
    ),
    (
        "upstream.timeout",
        "true",
        "expected a duration, e.g. \"2m\" or a number of seconds; found true",
    ),
    (
        "upstream.ca_file",
        "1",
        "expected a file path in quotes, e.g. \"/etc/scanrelay/internal-ca.pem\"; found 1",
    ),
    (
        "delivery.retry_min",
        "-3",
        "expected a duration, e.g. \"1m\" or a number of seconds; found -3",
    ),
    (
        "delivery.max_age",
        "true",
        "expected a duration, e.g. \"5d\" or a number of seconds; found true",
    ),
    (
        "delivery.admin_notify",
        "1",
        "expected a mail address in quotes, e.g. \"it@example.com\"; found 1",
    ),
    (
        "spool.dir",
        "1",
        "expected a directory path in quotes, e.g. \"/var/spool/scanrelay\"; found 1",
    ),
];

/// Regression (issue 6, item 9): type errors said `invalid type: string "587", expected u16`.
#[test]
fn type_errors_say_what_is_expected_in_words_with_an_example() {
    for &(key, value, want) in TYPE_ERRORS {
        let (table, name) = key.split_once('.').unwrap();
        let server = if table == "upstream" && name != "server" {
            "server = \"smtp.example.com\"\n"
        } else {
            ""
        };
        let text = format!("[{table}]\n{server}{name} = {value}\n");
        let line = text.lines().count();
        let err = config::parse_str(
            &text,
            Path::new("c.toml"),
            Path::new("/d"),
            &ParseOptions::default(),
        )
        .expect_err(&text);
        // A list of the wrong items is located at its first item.
        let key_shown = match key == "listen.allow_networks" && value.starts_with('[') {
            true => format!("{key}[0]"),
            false => key.to_string(),
        };
        assert_eq!(
            err.to_string(),
            format!("c.toml: line {line}: {key_shown}: {want}"),
            "{text}"
        );
    }
}

/// Sections written the wrong way round are explained too.
#[test]
fn misshapen_sections_are_explained() {
    // (config text, key, message)
    let cases = [
        (
            "[device]\nusername = \"a\"\npassword = \"b\"\n",
            "device",
            "expected [[device]] sections (double brackets), each with a username and a \
             password; found a table",
        ),
        (
            "[[upstream]]\nname = \"a\"\nport = \"587\"\n",
            "upstream[0].port",
            "expected a port number 1-65535, e.g. 587; found \"587\" (write numbers and \
             true/false without quotes)",
        ),
        (
            "[[route]]\nnetworks = \"10.0.0.0/8\"\nupstream = \"a\"\n",
            "route[0].networks",
            "expected a list of networks in quotes, e.g. [\"192.168.20.0/24\"]; found \
             \"10.0.0.0/8\"",
        ),
        (
            "listen = \"0.0.0.0:2525\"\n",
            "listen",
            "expected a [listen] section: the line [listen], then its keys; found \
             \"0.0.0.0:2525\"",
        ),
        (
            "[[device]]\nusername = 7\npassword = \"b\"\n",
            "device[0].username",
            "expected a user name in quotes, e.g. \"mfp-3f\"; found 7",
        ),
    ];
    for (text, key, message) in cases {
        let err = config::parse_str(
            text,
            Path::new("c.toml"),
            Path::new("/d"),
            &ParseOptions::default(),
        )
        .expect_err(text);
        let problem = err.problem().expect("located");
        assert_eq!(problem.key.as_deref(), Some(key), "{text}");
        assert_eq!(problem.message, message, "{text}");
    }
}

/// Regression (issue 6, item 9): a missing file said it twice (`failed to read `x`: No such
/// file or directory (os error 2): No such file or directory (os error 2)` once printed with
/// its cause). Now the message is whole and has no cause to repeat it.
#[test]
fn a_file_that_cannot_be_read_says_so_once() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let cases = [
        (
            Path::new("cfg/missing.toml").to_path_buf(),
            "cannot read cfg/missing.toml: No such file or directory".to_string(),
        ),
        (
            data.to_path_buf(),
            format!("cannot read {}: Is a directory", data.display()),
        ),
    ];
    for (path, want) in cases {
        let err = config::load(&path, data).unwrap_err();
        assert_eq!(err.to_string(), want);
        assert!(err.source().is_none(), "the reason would be printed twice");
    }
    // Writing the default config into a data directory that cannot be made.
    let blocker = data.join("file");
    std::fs::write(&blocker, "").unwrap();
    let err = config::load_or_init(&blocker.join("data"), None).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "cannot write {}: Not a directory",
            blocker.join("data").display()
        )
    );
    assert!(err.source().is_none());
}
