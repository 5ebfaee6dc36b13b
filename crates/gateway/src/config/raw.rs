//! The config file as written: serde structs that mirror the TOML, before validation.
//!
//! Every table denies unknown keys, so a typo (`allow_network`) is an error that names the key
//! and its line instead of a silently ignored setting. No `Debug`: these hold passwords.

use std::path::PathBuf;

use scanrelay_proto::TlsMode;
use serde::{Deserialize, Deserializer};

use super::units::{ByteSize, Span};

/// The whole file.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawConfig {
    #[serde(default)]
    pub listen: RawListen,
    #[serde(default)]
    pub device: Vec<RawDevice>,
    pub upstream: Option<RawUpstreams>,
    #[serde(default)]
    pub route: Vec<RawRoute>,
    #[serde(default)]
    pub delivery: RawDelivery,
    #[serde(default)]
    pub spool: RawSpool,
    #[serde(default)]
    pub oauth: Vec<super::oauth::RawOAuth>,
}

/// `[listen]`.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawListen {
    pub smtp: Option<String>,
    pub smtps: Option<String>,
    pub pop3: Option<String>,
    pub pop3s: Option<String>,
    pub pop_before_smtp: Option<Span>,
    pub allow_networks: Option<Vec<String>>,
    pub max_message_size: Option<ByteSize>,
    pub allow_plaintext_auth: Option<bool>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    #[serde(default, deserialize_with = "tls_min_version")]
    pub tls_min_version: Option<crate::settings::TlsMinVersion>,
    pub hostname: Option<String>,
    pub max_connections: Option<u64>,
    pub max_connections_per_ip: Option<u64>,
    pub max_recipients: Option<u64>,
    pub command_timeout: Option<Span>,
    pub data_timeout: Option<Span>,
    pub max_auth_failures: Option<u32>,
    pub auth_lockout: Option<Span>,
    pub unauthenticated_timeout: Option<Span>,
    pub max_session_time: Option<Span>,
    pub web: Option<String>,
    pub metrics_allow: Option<Vec<String>>,
    pub web_tls: Option<bool>,
}

/// One `[[device]]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDevice {
    pub username: String,
    pub password: String,
    pub upstream: Option<String>,
    pub mailbox_address: Option<String>,
}

/// One `[[route]]`: mail from these networks and/or senders leaves through `upstream`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRoute {
    pub networks: Option<Vec<String>>,
    pub senders: Option<Vec<String>>,
    pub upstream: Option<String>,
}

/// `[upstream]` (one) or `[[upstream]]` (several, each with a `name`).
pub(crate) enum RawUpstreams {
    One(Box<RawUpstream>),
    Many(Vec<RawUpstream>),
}

impl<'de> Deserialize<'de> for RawUpstreams {
    /// A table is one upstream, an array of tables several; each keeps serde's own error
    /// messages and key paths (an untagged enum would reduce them to "did not match").
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = RawUpstreams;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an [upstream] table or [[upstream]] entries")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<RawUpstreams, A::Error> {
                let de = serde::de::value::MapAccessDeserializer::new(map);
                RawUpstream::deserialize(de).map(|u| RawUpstreams::One(Box::new(u)))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                seq: A,
            ) -> Result<RawUpstreams, A::Error> {
                let de = serde::de::value::SeqAccessDeserializer::new(seq);
                Vec::<RawUpstream>::deserialize(de).map(RawUpstreams::Many)
            }
        }
        d.deserialize_any(Visitor)
    }
}

/// `from_policy`.
#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "lowercase")]
pub(crate) enum RawFromPolicy {
    Rewrite,
    Keep,
}

/// `kind`.
#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub(crate) enum RawKind {
    Smtp,
    Graph,
}

/// `auth`.
#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub(crate) enum RawAuth {
    None,
    Password,
    Oauth2,
}

/// `[upstream]` / one `[[upstream]]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawUpstream {
    pub name: Option<String>,
    pub default: Option<bool>,
    pub kind: Option<RawKind>,
    pub auth: Option<RawAuth>,
    pub oauth: Option<String>,
    pub mailbox: Option<String>,
    pub graph_url: Option<String>,
    pub max_per_minute: Option<u32>,
    pub max_per_day: Option<u32>,
    pub provider: Option<String>,
    pub server: Option<String>,
    pub port: Option<u16>,
    #[serde(default, deserialize_with = "tls_mode")]
    pub tls: Option<TlsMode>,
    pub username: Option<String>,
    pub password: Option<String>,
    pub password_file: Option<PathBuf>,
    pub ca_file: Option<PathBuf>,
    pub from_policy: Option<RawFromPolicy>,
    pub max_connections: Option<u64>,
    pub helo: Option<String>,
    pub timeout: Option<Span>,
}

/// `[delivery]`.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDelivery {
    pub retry_min: Option<Span>,
    pub retry_max: Option<Span>,
    pub max_age: Option<Span>,
    pub admin_notify: Option<String>,
    pub rescan_interval: Option<Span>,
}

/// `[spool]`.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSpool {
    pub dir: Option<PathBuf>,
}

/// `tls = "starttls" | "implicit" | "none"` (and the aliases `TlsMode` knows).
fn tls_mode<'de, D: Deserializer<'de>>(d: D) -> Result<Option<TlsMode>, D::Error> {
    let text = String::deserialize(d)?;
    text.parse::<TlsMode>()
        .map(Some)
        .map_err(serde::de::Error::custom)
}

/// `tls_min_version = "1.0" | "1.1" | "1.2"`.
fn tls_min_version<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<crate::settings::TlsMinVersion>, D::Error> {
    let text = String::deserialize(d)?;
    text.parse().map(Some).map_err(serde::de::Error::custom)
}
