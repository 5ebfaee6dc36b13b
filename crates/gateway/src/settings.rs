//! Validated runtime settings shared by the listener and the delivery side. `config.rs` parses
//! the TOML file into these; tests build them directly.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use ipnet::IpNet;
use scanrelay_proto::TlsMode;

/// A device account for SMTP AUTH towards the gateway.
#[derive(Clone)]
pub struct DeviceAccount {
    /// User name the device sends.
    pub username: String,
    /// Its password.
    pub password: String,
    /// `mailbox_address`: mail to this address is kept in the device's mailbox (served over
    /// POP3) instead of being relayed upstream.
    pub mailbox_address: Option<String>,
}

impl std::fmt::Debug for DeviceAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "DeviceAccount {{ username: {:?}, password: <redacted>, mailbox_address: {:?} }}",
            self.username, self.mailbox_address
        )
    }
}

/// The device-facing side.
#[derive(Debug, Clone)]
pub struct ListenSettings {
    /// Plain SMTP listener (STARTTLS offered).
    pub smtp: Option<SocketAddr>,
    /// Implicit-TLS listener.
    pub smtps: Option<SocketAddr>,
    /// POP3 listener for device accounts (STLS offered).
    pub pop3: Option<SocketAddr>,
    /// Implicit-TLS POP3 listener.
    pub pop3s: Option<SocketAddr>,
    /// POP-before-SMTP: how long a successful POP3 login lets that client address send
    /// without SMTP AUTH, as that device; `None`: off.
    pub pop_before_smtp: Option<Duration>,
    /// Clients in these networks may relay without AUTH.
    pub allow_networks: Vec<IpNet>,
    /// Largest message accepted, in bytes.
    pub max_message_size: u64,
    /// Most recipients per message.
    pub max_recipients: usize,
    /// Most concurrent device connections. A quarter of them (at least one) is kept for
    /// clients in `allow_networks` and authenticated ones: clients outside `allow_networks`
    /// that have not authenticated never hold more than the rest.
    pub max_connections: usize,
    /// Most concurrent connections from one client address (an IPv6 client: its /64).
    /// Clients in `allow_networks` are not counted.
    pub max_connections_per_ip: usize,
    /// Timeout for each command.
    pub command_timeout: Duration,
    /// Timeout for each read during DATA.
    pub data_timeout: Duration,
    /// Offer AUTH without TLS (old devices).
    pub allow_plaintext_auth: bool,
    /// Server certificate and key (PEM); generated under the data dir when absent.
    pub tls_cert: Option<PathBuf>,
    /// Key for `tls_cert`.
    pub tls_key: Option<PathBuf>,
    /// The oldest TLS version devices may use on `smtp` (STARTTLS) and `smtps`. Below 1.2
    /// those listeners use OpenSSL at security level 0 instead of rustls.
    pub tls_min_version: TlsMinVersion,
    /// Name in the greeting and EHLO.
    pub hostname: String,
    /// Failed AUTH attempts from one client address (all accounts together; a success clears
    /// only its own account's) before AUTH from it is refused for a while.
    pub max_auth_failures: u32,
    /// How long AUTH stays refused after too many failures. A client outside `allow_networks`
    /// is refused at the greeting meanwhile; one inside may still send without AUTH.
    pub auth_lockout: Duration,
    /// How long a client outside `allow_networks` has, from connecting, to authenticate: a
    /// deadline, not an idle timeout (the bytes it sends do not extend it).
    pub unauthenticated_timeout: Duration,
    /// The longest a connection may last, whoever the client is.
    pub max_session_time: Duration,
    /// The admin console and `/metrics` (served by the `scanrelay-web` crate).
    pub web: WebSettings,
}

/// `[listen] tls_min_version`: the oldest TLS version the device listeners accept.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum TlsMinVersion {
    /// TLS 1.0 and later (old devices; OpenSSL at security level 0).
    Tls1_0,
    /// TLS 1.1 and later (OpenSSL at security level 0).
    Tls1_1,
    /// TLS 1.2 and 1.3 only (rustls): the default.
    #[default]
    Tls1_2,
}

impl TlsMinVersion {
    /// As written in the config file: `"1.0"`, `"1.1"`, `"1.2"`.
    pub fn as_str(self) -> &'static str {
        match self {
            TlsMinVersion::Tls1_0 => "1.0",
            TlsMinVersion::Tls1_1 => "1.1",
            TlsMinVersion::Tls1_2 => "1.2",
        }
    }

    /// Whether this allows a version older than TLS 1.2 (and so needs OpenSSL).
    pub fn allows_legacy(self) -> bool {
        self < TlsMinVersion::Tls1_2
    }
}

impl std::str::FromStr for TlsMinVersion {
    type Err = String;

    /// `"1.0"`, `"1.1"` or `"1.2"`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "1.0" => Ok(TlsMinVersion::Tls1_0),
            "1.1" => Ok(TlsMinVersion::Tls1_1),
            "1.2" => Ok(TlsMinVersion::Tls1_2),
            _ => Err(format!(
                "unknown TLS version `{text}`: expected \"1.0\", \"1.1\" or \"1.2\""
            )),
        }
    }
}

impl std::fmt::Display for TlsMinVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The admin console's listener (`[listen] web`, `metrics_allow`, `web_tls`).
#[derive(Debug, Clone)]
pub struct WebSettings {
    /// Where the console listens; `None` when `web = ""` turns it off. An address other
    /// than loopback is accepted only when an admin password is set (see
    /// [`crate::config::ADMIN_PASSWORD_FILE`]).
    pub addr: Option<SocketAddr>,
    /// Clients in these networks may read `/metrics` without logging in.
    pub metrics_allow: Vec<IpNet>,
    /// Serve the console over TLS with the gateway's certificate (the one of `tls_cert`, or the
    /// generated one).
    pub tls: bool,
}

impl Default for WebSettings {
    /// No console; metrics for loopback clients. (The config file's default address is
    /// `127.0.0.1:8025`; settings built in code start without a console.)
    fn default() -> Self {
        WebSettings {
            addr: None,
            metrics_allow: vec![
                "127.0.0.0/8".parse().expect("valid"),
                "::1/128".parse().expect("valid"),
            ],
            tls: false,
        }
    }
}

/// Whether the upstream's account replaces the device's sender.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FromPolicy {
    /// Envelope sender and From become the upstream account; the original From goes to
    /// Reply-To. Needed by Gmail, Naver and Microsoft 365.
    Rewrite,
    /// Keep what the device sent.
    Keep,
}

/// How an upstream carries mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpstreamKind {
    /// SMTP submission (`server`, `port`, `tls`).
    Smtp,
    /// Microsoft Graph `sendMail` / drafts for one mailbox.
    Graph {
        /// The mailbox that sends.
        mailbox: String,
        /// `https://graph.microsoft.com` or a national cloud's (or a test server's).
        graph_url: String,
    },
}

/// The upstream server the gateway delivers through. `Debug` never shows the password.
#[derive(Clone)]
pub struct UpstreamSettings {
    /// The upstream's name: `default` for a single `[upstream]`, or the `name` of an
    /// `[[upstream]]` entry, as routes, devices and `queue show` refer to it.
    pub name: String,
    /// SMTP or Graph.
    pub kind: UpstreamKind,
    /// The `[[oauth]]` account that logs in (XOAUTH2 for SMTP, the bearer token for Graph);
    /// `None` for a password or no AUTH.
    pub oauth: Option<String>,
    /// Pacing: messages a minute and a day (from the preset unless set).
    pub pacing: crate::delivery::Pacing,
    /// Provider preset id, for its rules and advice.
    pub provider: Option<String>,
    /// Host.
    pub server: String,
    /// Port.
    pub port: u16,
    /// TLS mode.
    pub tls: TlsMode,
    /// AUTH user.
    pub username: Option<String>,
    /// AUTH password (already read from `password_file` when that was given).
    pub password: Option<String>,
    /// Extra trust root.
    pub ca_file: Option<PathBuf>,
    /// Sender handling.
    pub from_policy: FromPolicy,
    /// Most concurrent upstream connections (Microsoft 365 allows 3 per mailbox).
    pub max_connections: usize,
    /// EHLO name.
    pub helo: String,
    /// Per-step timeout.
    pub timeout: Duration,
}

impl std::fmt::Debug for UpstreamSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpstreamSettings")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("oauth", &self.oauth)
            .field("pacing", &self.pacing)
            .field("provider", &self.provider)
            .field("server", &self.server)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("ca_file", &self.ca_file)
            .field("from_policy", &self.from_policy)
            .field("max_connections", &self.max_connections)
            .field("helo", &self.helo)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// Retry and bounce policy.
#[derive(Debug, Clone)]
pub struct DeliverySettings {
    /// First retry delay.
    pub retry_min: Duration,
    /// Longest retry delay.
    pub retry_max: Duration,
    /// Give up (and bounce) after this age.
    pub max_age: Duration,
    /// Also send failure notices here.
    pub admin_notify: Option<String>,
    /// How often the spool is rescanned for changes made by operator commands.
    pub rescan_interval: Duration,
}

impl Default for DeliverySettings {
    fn default() -> Self {
        DeliverySettings {
            retry_min: Duration::from_secs(60),
            retry_max: Duration::from_secs(3600),
            max_age: Duration::from_secs(5 * 24 * 3600),
            admin_notify: None,
            rescan_interval: Duration::from_secs(5),
        }
    }
}

/// Everything the gateway runs with.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Device side.
    pub listen: ListenSettings,
    /// Device accounts.
    pub devices: Vec<DeviceAccount>,
    /// The upstreams, the default first; none holds mail as "waiting for upstream".
    pub upstreams: Vec<UpstreamSettings>,
    /// Which upstream each message leaves through (devices, `[[route]]` rules); empty: the
    /// default upstream for all.
    pub routing: crate::routing::Router,
    /// Retry policy.
    pub delivery: DeliverySettings,
    /// The spool directory.
    pub spool_dir: PathBuf,
    /// The data directory (generated certificate, default config).
    pub data_dir: PathBuf,
    /// `[[oauth]]` accounts (their tokens live under `<data_dir>/oauth/`).
    pub oauth: Vec<scanrelay_oauth::AccountConfig>,
}

impl Settings {
    /// The default upstream (the first), if any.
    pub fn default_upstream(&self) -> Option<&UpstreamSettings> {
        self.upstreams.first()
    }
}
