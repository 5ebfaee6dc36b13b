//! What each key of the config file expects, in words and with an example, for values of the
//! wrong type: `upstream.port: expected a port number 1-65535, e.g. 587; found "587" (write
//! numbers and true/false without quotes)` instead of serde's `invalid type: string "587",
//! expected u16`.
//!
//! Only type and range errors are rewritten (serde's `invalid type`, `invalid value`, `invalid
//! length`, toml's `wanted string or table`); the messages of this crate's own parsers (unknown
//! units, TLS modes, `from_policy` values) already say what is wrong and pass through.

/// `(key path with indexes as [], what it expects, an example value)`.
const EXPECTED: &[(&str, &str, Option<&str>)] = &[
    (
        "listen",
        "a [listen] section: the line [listen], then its keys",
        None,
    ),
    (
        "listen[]",
        "one [listen] section: write [listen], not [[listen]]",
        None,
    ),
    (
        "listen.smtp",
        "an address and port in quotes",
        Some("\"0.0.0.0:2525\""),
    ),
    (
        "listen.smtps",
        "an address and port in quotes",
        Some("\"0.0.0.0:2465\""),
    ),
    (
        "listen.allow_networks",
        "a list of networks in quotes",
        Some("[\"192.168.1.0/24\", \"10.0.0.5\"]"),
    ),
    (
        "listen.allow_networks[]",
        "a network in quotes",
        Some("\"192.168.1.0/24\""),
    ),
    ("listen.max_message_size", "a size", Some("\"35MB\"")),
    ("listen.allow_plaintext_auth", "true or false", Some("true")),
    (
        "listen.tls_cert",
        "a file path in quotes",
        Some("\"/etc/scanrelay/cert.pem\""),
    ),
    (
        "listen.tls_key",
        "a file path in quotes",
        Some("\"/etc/scanrelay/key.pem\""),
    ),
    (
        "listen.tls_min_version",
        "\"1.0\", \"1.1\" or \"1.2\" in quotes",
        Some("\"1.0\""),
    ),
    (
        "listen.hostname",
        "a host name in quotes",
        Some("\"scanrelay.office.example\""),
    ),
    (
        "listen.max_connections",
        "a whole number greater than 0",
        Some("200"),
    ),
    (
        "listen.max_connections_per_ip",
        "a whole number greater than 0",
        Some("20"),
    ),
    (
        "listen.max_recipients",
        "a whole number greater than 0",
        Some("100"),
    ),
    (
        "listen.max_auth_failures",
        "a whole number greater than 0",
        Some("5"),
    ),
    ("listen.command_timeout", "a duration", Some("\"5m\"")),
    ("listen.data_timeout", "a duration", Some("\"10m\"")),
    ("listen.auth_lockout", "a duration", Some("\"15m\"")),
    (
        "listen.unauthenticated_timeout",
        "a duration",
        Some("\"30s\""),
    ),
    ("listen.max_session_time", "a duration", Some("\"30m\"")),
    (
        "listen.web",
        "an address and port in quotes (\"\" turns the console off)",
        Some("\"127.0.0.1:8025\""),
    ),
    (
        "listen.metrics_allow",
        "a list of networks in quotes",
        Some("[\"127.0.0.0/8\", \"10.0.0.7\"]"),
    ),
    (
        "listen.metrics_allow[]",
        "a network in quotes",
        Some("\"10.0.0.7\""),
    ),
    ("listen.web_tls", "true or false", Some("true")),
    (
        "device",
        "[[device]] sections (double brackets), each with a username and a password",
        None,
    ),
    (
        "device[]",
        "a [[device]] section with a username and a password",
        None,
    ),
    (
        "device[].username",
        "a user name in quotes",
        Some("\"mfp-3f\""),
    ),
    (
        "upstream",
        "an [upstream] section (or [[upstream]] sections, each with a name)",
        None,
    ),
    ("upstream.name", "a name in quotes", Some("\"office\"")),
    ("upstream.default", "true or false", Some("true")),
    ("upstream.kind", "\"smtp\" or \"graph\"", Some("\"graph\"")),
    (
        "upstream.auth",
        "\"password\", \"oauth2\" or \"none\"",
        Some("\"oauth2\""),
    ),
    (
        "upstream.oauth",
        "the name of an [[oauth]] account in quotes",
        Some("\"office\""),
    ),
    (
        "upstream.mailbox",
        "a mail address in quotes",
        Some("\"scanner@contoso.com\""),
    ),
    (
        "upstream.graph_url",
        "a URL in quotes",
        Some("\"https://graph.microsoft.com\""),
    ),
    (
        "upstream.max_per_minute",
        "a whole number greater than 0",
        Some("30"),
    ),
    (
        "upstream.max_per_day",
        "a whole number greater than 0",
        Some("2000"),
    ),
    (
        "route",
        "[[route]] sections (double brackets), each with networks or senders and an upstream",
        None,
    ),
    (
        "route[].networks",
        "a list of networks in quotes",
        Some("[\"192.168.20.0/24\"]"),
    ),
    (
        "route[].networks[]",
        "a network in quotes",
        Some("\"192.168.20.0/24\""),
    ),
    (
        "route[].senders",
        "a list of addresses or domains in quotes",
        Some("[\"*@sales.example.com\"]"),
    ),
    (
        "route[].senders[]",
        "an address or a domain in quotes",
        Some("\"*@sales.example.com\""),
    ),
    (
        "route[].upstream",
        "the name of an upstream in quotes",
        Some("\"sales\""),
    ),
    (
        "device[].upstream",
        "the name of an upstream in quotes",
        Some("\"sales\""),
    ),
    (
        "upstream.provider",
        "a provider preset in quotes",
        Some("\"gmail\""),
    ),
    (
        "upstream.server",
        "a host name in quotes",
        Some("\"smtp.example.com\""),
    ),
    ("upstream.port", "a port number 1-65535", Some("587")),
    (
        "upstream.tls",
        "\"starttls\", \"implicit\" or \"none\"",
        Some("\"starttls\""),
    ),
    (
        "upstream.username",
        "a user name in quotes",
        Some("\"scanner@example.com\""),
    ),
    (
        "upstream.password_file",
        "a file path in quotes",
        Some("\"/etc/scanrelay/upstream-password\""),
    ),
    (
        "upstream.ca_file",
        "a file path in quotes",
        Some("\"/etc/scanrelay/internal-ca.pem\""),
    ),
    (
        "upstream.from_policy",
        "\"rewrite\" or \"keep\"",
        Some("\"keep\""),
    ),
    (
        "upstream.max_connections",
        "a whole number greater than 0",
        Some("3"),
    ),
    (
        "upstream.helo",
        "a host name in quotes",
        Some("\"scanrelay.office.example\""),
    ),
    ("upstream.timeout", "a duration", Some("\"2m\"")),
    (
        "delivery",
        "a [delivery] section: the line [delivery], then its keys",
        None,
    ),
    (
        "delivery[]",
        "one [delivery] section: write [delivery], not [[delivery]]",
        None,
    ),
    ("delivery.retry_min", "a duration", Some("\"1m\"")),
    ("delivery.retry_max", "a duration", Some("\"1h\"")),
    ("delivery.max_age", "a duration", Some("\"5d\"")),
    ("delivery.rescan_interval", "a duration", Some("\"5s\"")),
    (
        "delivery.admin_notify",
        "a mail address in quotes",
        Some("\"it@example.com\""),
    ),
    (
        "spool",
        "a [spool] section: the line [spool], then its keys",
        None,
    ),
    (
        "spool[]",
        "one [spool] section: write [spool], not [[spool]]",
        None,
    ),
    (
        "spool.dir",
        "a directory path in quotes",
        Some("\"/var/spool/scanrelay\""),
    ),
    (
        "oauth",
        "a list of accounts: write [[oauth]] (two brackets) before each one",
        None,
    ),
    ("oauth[].name", "a name in quotes", Some("\"office\"")),
    (
        "oauth[].provider",
        "microsoft, google or custom in quotes",
        Some("\"microsoft\""),
    ),
    (
        "oauth[].tenant",
        "a tenant id or domain in quotes",
        Some("\"contoso.onmicrosoft.com\""),
    ),
    (
        "oauth[].client_id",
        "the application (client) id in quotes",
        Some("\"00000000-0000-0000-0000-000000000000\""),
    ),
    (
        "oauth[].client_secret_file",
        "a file path in quotes",
        Some("\"/etc/scanrelay/client-secret\""),
    ),
    (
        "oauth[].flow",
        "device_code, auth_code or client_credentials in quotes",
        Some("\"device_code\""),
    ),
    (
        "oauth[].scopes",
        "a list of scopes in quotes",
        Some("[\"https://outlook.office.com/SMTP.Send\", \"offline_access\"]"),
    ),
    (
        "oauth[].scopes[]",
        "a scope in quotes",
        Some("\"offline_access\""),
    ),
    ("oauth[].use", "smtp or graph in quotes", Some("\"smtp\"")),
    (
        "oauth[].authority",
        "an https:// URL in quotes",
        Some("\"https://login.microsoftonline.us\""),
    ),
    (
        "oauth[].auth_url",
        "an https:// URL in quotes",
        Some("\"https://login.example.com/authorize\""),
    ),
    (
        "oauth[].token_url",
        "an https:// URL in quotes",
        Some("\"https://login.example.com/token\""),
    ),
    (
        "oauth[].device_url",
        "an https:// URL in quotes",
        Some("\"https://login.example.com/device\""),
    ),
];

/// `device[1].username` → `device[].username`.
fn pattern(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    let mut in_index = false;
    for c in key.chars() {
        match c {
            '[' => {
                in_index = true;
                out.push_str("[]");
            }
            ']' => in_index = false,
            _ if in_index => {}
            c => out.push(c),
        }
    }
    out
}

/// The message for a type or range error at `key`, or `None` to keep `message` as it is.
pub(crate) fn explain(key: &str, message: &str) -> Option<String> {
    let found = found_in(message)?;
    let pattern = pattern(key);
    // An entry of several [[upstream]] sections expects what a single [upstream]'s key does.
    let single = pattern
        .strip_prefix("upstream[].")
        .map(|k| format!("upstream.{k}"));
    let (_, what, example) = EXPECTED
        .iter()
        .find(|(k, _, _)| *k == pattern || Some(*k) == single.as_deref())?;
    let mut out = format!("expected {what}");
    if let Some(example) = example {
        out.push_str(&format!(", e.g. {example}"));
        if what.starts_with("a duration") {
            out.push_str(" or a number of seconds");
        } else if what.starts_with("a size") {
            out.push_str(" or a number of bytes");
        }
    }
    if let Some(found) = found {
        out.push_str(&format!("; found {}", describe(&found)));
        if quoted_by_mistake(&found, what) {
            out.push_str(" (write numbers and true/false without quotes)");
        }
    }
    Some(out)
}

/// For a type or range error, what was found (if serde says); `None` for other messages.
fn found_in(message: &str) -> Option<Option<String>> {
    let message = message.trim();
    for prefix in ["invalid type: ", "invalid value: "] {
        if let Some(rest) = message.strip_prefix(prefix) {
            let found = rest.split_once(", expected").map_or(rest, |(f, _)| f);
            return Some(Some(found.to_string()));
        }
    }
    let other = message.starts_with("invalid length ") || message.starts_with("wanted ");
    other.then_some(None)
}

/// serde's description of a value, for people: `string "587"` → `"587"`, ``integer `70000` ``
/// → `70000`, `map` → `a table`, `sequence` → `a list`.
fn describe(found: &str) -> String {
    if let Some(text) = found.strip_prefix("string ") {
        return text.to_string();
    }
    for kind in ["integer ", "floating point ", "boolean "] {
        if let Some(value) = found.strip_prefix(kind) {
            return value.trim_matches('`').to_string();
        }
    }
    match found {
        "map" => "a table".to_string(),
        "sequence" => "a list".to_string(),
        other => other.to_string(),
    }
}

/// Whether a number or `true`/`false` was written in quotes where one is expected.
fn quoted_by_mistake(found: &str, what: &str) -> bool {
    let Some(text) = found
        .strip_prefix("string \"")
        .and_then(|t| t.strip_suffix('"'))
    else {
        return false;
    };
    let number = what.contains("number") && text.trim().parse::<u64>().is_ok();
    let boolean = what.starts_with("true or false") && matches!(text.trim(), "true" | "false");
    number || boolean
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages() {
        let cases = [
            (
                "upstream.port",
                "invalid type: string \"587\", expected u16",
                "expected a port number 1-65535, e.g. 587; found \"587\" (write numbers and \
                 true/false without quotes)",
            ),
            (
                "upstream.port",
                "invalid value: integer `70000`, expected u16",
                "expected a port number 1-65535, e.g. 587; found 70000",
            ),
            (
                "device[3].username",
                "invalid type: integer `1`, expected a string",
                "expected a user name in quotes, e.g. \"mfp-3f\"; found 1",
            ),
            (
                "listen.command_timeout",
                "invalid type: sequence, expected a duration",
                "expected a duration, e.g. \"5m\" or a number of seconds; found a list",
            ),
            (
                "upstream.from_policy",
                "wanted string or table",
                "expected \"rewrite\" or \"keep\", e.g. \"keep\"",
            ),
        ];
        for (key, message, want) in cases {
            assert_eq!(explain(key, message).as_deref(), Some(want), "{key}");
        }
        assert_eq!(explain("upstream.tls", "unknown TLS mode `ssl3`"), None);
        assert_eq!(explain("nosuch.key", "invalid type: map"), None);
    }
}
