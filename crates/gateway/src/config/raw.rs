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
    pub upstream: Option<RawUpstream>,
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
    pub allow_networks: Option<Vec<String>>,
    pub max_message_size: Option<ByteSize>,
    pub allow_plaintext_auth: Option<bool>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
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
}

/// One `[[device]]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDevice {
    pub username: String,
    pub password: String,
}

/// `from_policy`.
#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "lowercase")]
pub(crate) enum RawFromPolicy {
    Rewrite,
    Keep,
}

/// `[upstream]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawUpstream {
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
