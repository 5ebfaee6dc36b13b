//! The settings the console edits, one enum per section, and how a form's text becomes a TOML
//! value of the right type.
//!
//! A text that is not of the field's type is written as a string anyway, so the config's own
//! parser rejects it with the message `serve` would give (`expected a port number 1-65535,
//! e.g. 587; found "58x"`): the editor has no second set of rules.

use toml_edit::{Array, Value};

/// How a field's text is turned into a TOML value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A quoted string (addresses, host names, paths, enumerations).
    Text,
    /// A whole number.
    Integer,
    /// A size or a duration: a number (bytes, seconds) or a string with a unit.
    Unit,
    /// `true` / `false`.
    Bool,
    /// A list of strings, written one per comma, space or line.
    List,
}

macro_rules! fields {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => ($key:literal, $kind:ident, $default:literal)),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// Every field, in the order a form shows them.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The key in the config file.
            pub fn key(self) -> &'static str {
                match self { $($name::$variant => $key),+ }
            }

            /// What the gateway uses when the key is absent, for a form's placeholder
            /// (empty when there is no default).
            pub fn default_text(self) -> &'static str {
                match self { $($name::$variant => $default),+ }
            }

            /// The field with this config key.
            pub fn from_key(key: &str) -> Option<$name> {
                $name::ALL.iter().copied().find(|f| f.key() == key)
            }

            pub(crate) fn kind(self) -> Kind {
                match self { $($name::$variant => Kind::$kind),+ }
            }
        }
    };
}

fields! {
    /// A key of `[listen]`.
    ListenField {
        /// Plain SMTP listener address (STARTTLS offered); empty text in the file disables it.
        Smtp => ("smtp", Text, "127.0.0.1:2525"),
        /// Implicit-TLS ("SSL") listener address.
        Smtps => ("smtps", Text, ""),
        /// Networks whose clients may send without AUTH.
        AllowNetworks => ("allow_networks", List, "127.0.0.0/8, ::1/128"),
        /// Largest message accepted.
        MaxMessageSize => ("max_message_size", Unit, "35MB"),
        /// Offer AUTH without TLS.
        AllowPlaintextAuth => ("allow_plaintext_auth", Bool, "false"),
        /// Certificate file (PEM).
        TlsCert => ("tls_cert", Text, ""),
        /// Key file (PEM).
        TlsKey => ("tls_key", Text, ""),
        /// Name in the greeting.
        Hostname => ("hostname", Text, ""),
        /// Most concurrent connections.
        MaxConnections => ("max_connections", Integer, "200"),
        /// Most connections per client address outside `allow_networks`.
        MaxConnectionsPerIp => ("max_connections_per_ip", Integer, "20"),
        /// Most recipients per message.
        MaxRecipients => ("max_recipients", Integer, "100"),
        /// Timeout for each command.
        CommandTimeout => ("command_timeout", Unit, "5m"),
        /// Timeout for each read during DATA.
        DataTimeout => ("data_timeout", Unit, "10m"),
        /// Failed AUTH attempts before the lockout.
        MaxAuthFailures => ("max_auth_failures", Integer, "5"),
        /// How long AUTH stays refused after too many failures.
        AuthLockout => ("auth_lockout", Unit, "15m"),
        /// Time a client outside `allow_networks` has to authenticate.
        UnauthenticatedTimeout => ("unauthenticated_timeout", Unit, "30s"),
        /// Longest session.
        MaxSessionTime => ("max_session_time", Unit, "30m"),
    }
}

fields! {
    /// A key of `[delivery]`.
    DeliveryField {
        /// First retry delay.
        RetryMin => ("retry_min", Unit, "1m"),
        /// Longest retry delay.
        RetryMax => ("retry_max", Unit, "1h"),
        /// Age after which a message fails with a notice.
        MaxAge => ("max_age", Unit, "5d"),
        /// Where failure notices also go.
        AdminNotify => ("admin_notify", Text, ""),
        /// How often the spool is rescanned for operator changes.
        RescanInterval => ("rescan_interval", Unit, "5s"),
    }
}

fields! {
    /// A key of an `[upstream]` / `[[upstream]]` entry other than its password (see
    /// [`super::Change::UpstreamPassword`]).
    UpstreamField {
        /// The upstream's name (routes and device accounts refer to it).
        Name => ("name", Text, "default"),
        /// Whether it takes the mail nothing routes elsewhere.
        Default => ("default", Bool, "false"),
        /// `smtp` or `graph`.
        Kind => ("kind", Text, "smtp"),
        /// A provider preset id (`gmail`, `m365`, `naver`, ...).
        Provider => ("provider", Text, ""),
        /// SMTP host.
        Server => ("server", Text, ""),
        /// SMTP port.
        Port => ("port", Integer, ""),
        /// `starttls`, `implicit` or `none`.
        Tls => ("tls", Text, ""),
        /// `password`, `oauth2` or `none`.
        Auth => ("auth", Text, ""),
        /// AUTH user name (for OAuth2: the mailbox).
        Username => ("username", Text, ""),
        /// A file holding the password (a path, not a secret).
        PasswordFile => ("password_file", Text, ""),
        /// The `[[oauth]]` account that logs in.
        Oauth => ("oauth", Text, ""),
        /// Graph: the mailbox that sends.
        Mailbox => ("mailbox", Text, ""),
        /// Graph: the endpoint.
        GraphUrl => ("graph_url", Text, "https://graph.microsoft.com"),
        /// Pacing: messages a minute.
        MaxPerMinute => ("max_per_minute", Integer, ""),
        /// Pacing: messages a day.
        MaxPerDay => ("max_per_day", Integer, ""),
        /// `rewrite` or `keep`.
        FromPolicy => ("from_policy", Text, ""),
        /// Most concurrent connections.
        MaxConnections => ("max_connections", Integer, "3"),
        /// EHLO name.
        Helo => ("helo", Text, ""),
        /// Per-step timeout.
        Timeout => ("timeout", Unit, "2m"),
        /// Extra trust root (PEM file).
        CaFile => ("ca_file", Text, ""),
    }
}

fields! {
    /// A key of an `[[oauth]]` account other than its name.
    OAuthField {
        /// `microsoft`, `google` or `custom`.
        Provider => ("provider", Text, ""),
        /// Microsoft tenant: an id, a domain, `organizations`, `consumers` or `common`.
        Tenant => ("tenant", Text, "organizations"),
        /// The app's client id.
        ClientId => ("client_id", Text, ""),
        /// A file holding the client secret (a path, not a secret).
        ClientSecretFile => ("client_secret_file", Text, ""),
        /// `device_code`, `auth_code` or `client_credentials`.
        Flow => ("flow", Text, ""),
        /// `smtp` or `graph`.
        Use => ("use", Text, "smtp"),
        /// Scopes (default from `provider` and `use`).
        Scopes => ("scopes", List, ""),
        /// Another cloud's sign-in authority.
        Authority => ("authority", Text, ""),
    }
}

/// The value to write for a form's `text`, or `None` when the text is empty (the key is
/// removed and the default applies).
pub(crate) fn to_value(kind: Kind, text: &str) -> Option<Value> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let integer = || text.replace('_', "").parse::<i64>().ok();
    Some(match kind {
        Kind::Text => Value::from(text),
        Kind::Integer | Kind::Unit => integer().map_or_else(|| Value::from(text), Value::from),
        Kind::Bool => match text.to_ascii_lowercase().as_str() {
            "true" | "on" | "yes" => Value::from(true),
            "false" | "off" | "no" => Value::from(false),
            _ => Value::from(text),
        },
        Kind::List => {
            let items = text
                .split(|c: char| c == ',' || c.is_whitespace())
                .filter(|s| !s.is_empty());
            Value::Array(items.collect::<Array>())
        }
    })
}

/// A value as a form shows it: strings without quotes, lists joined with `, `.
pub(crate) fn to_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.value().clone(),
        Value::Integer(i) => i.value().to_string(),
        Value::Boolean(b) => b.value().to_string(),
        Value::Float(f) => f.value().to_string(),
        Value::Array(items) => items.iter().map(to_text).collect::<Vec<_>>().join(", "),
        other => other.to_string().trim().to_string(),
    }
}

/// Whether two values are the same setting (formatting and comments aside).
pub(crate) fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::String(x), Value::String(y)) => x.value() == y.value(),
        (Value::Integer(x), Value::Integer(y)) => x.value() == y.value(),
        (Value::Boolean(x), Value::Boolean(y)) => x.value() == y.value(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| same(p, q))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_text_becomes_typed_values() {
        let cases: &[(Kind, &str, Option<&str>)] = &[
            (Kind::Text, "  0.0.0.0:2525 ", Some("\"0.0.0.0:2525\"")),
            (Kind::Integer, "587", Some("587")),
            (Kind::Integer, "58x", Some("\"58x\"")),
            (Kind::Unit, "35MB", Some("\"35MB\"")),
            (Kind::Unit, "300", Some("300")),
            (Kind::Bool, "on", Some("true")),
            (Kind::Bool, "maybe", Some("\"maybe\"")),
            (
                Kind::List,
                "192.168.1.0/24,10.0.0.5\n::1",
                Some("[\"192.168.1.0/24\", \"10.0.0.5\", \"::1\"]"),
            ),
            (Kind::Text, "   ", None),
        ];
        for (kind, text, want) in cases {
            let got = to_value(*kind, text).map(|v| v.to_string().trim().to_string());
            assert_eq!(got.as_deref(), *want, "{kind:?} {text:?}");
        }
    }

    #[test]
    fn keys_round_trip() {
        for f in ListenField::ALL {
            assert_eq!(ListenField::from_key(f.key()), Some(*f));
        }
        for f in UpstreamField::ALL {
            assert_eq!(UpstreamField::from_key(f.key()), Some(*f));
        }
        assert_eq!(UpstreamField::from_key("password"), None);
    }
}
