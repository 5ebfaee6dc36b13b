//! What a client connection needs to know.

use std::path::PathBuf;
use std::time::Duration;

use crate::tls::TrustRoots;
use crate::transcript::StepObserver;

use scanrelay_proto::TlsMode;
use scanrelay_proto::sasl::{Credentials, Mechanism};

/// Settings of one upstream connection.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Host name or IP address to connect to; also the TLS server name (SNI) unless
    /// `tls_server_name` is set.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// How the connection is secured.
    pub tls: TlsMode,
    /// The name to verify the certificate against, when it differs from `host`.
    pub tls_server_name: Option<String>,
    /// Extra trust roots (PEM), added to the system store.
    pub ca_file: Option<PathBuf>,
    /// The name this client gives in EHLO.
    pub helo: String,
    /// Per-step timeout (connect, each reply).
    pub timeout: Duration,
    /// Credentials; `None` skips AUTH.
    pub credentials: Option<Credentials>,
    /// The SASL mechanism to use; `None` picks the best offered one.
    pub mechanism: Option<Mechanism>,
    /// Trust roots loaded once ([`TrustRoots::load`]); when set, `ca_file` and the system store
    /// are not read again for each connection (the gateway loads them at start).
    pub trust: Option<TrustRoots>,
    /// `check` only: how long to wait for a banner before probing, on a second connection,
    /// whether the port speaks implicit TLS. `None` (the default) never probes: the probe sends
    /// a TLS ClientHello before the server's greeting, which a postscreen-protected relay
    /// counts as a pregreet violation, so a delivering client must not do it.
    pub banner_probe_after: Option<Duration>,
    /// Told of each step of a connection as it finishes (`None`: nobody is told). Extra
    /// connections a session makes to probe the port (the TLS-mode probes) are not steps and
    /// are not reported.
    pub observer: Option<StepObserver>,
}

impl ClientConfig {
    /// A configuration with defaults: 15 s timeout, EHLO name `localhost`, no credentials.
    pub fn new(host: impl Into<String>, port: u16, tls: TlsMode) -> ClientConfig {
        ClientConfig {
            host: host.into(),
            port,
            tls,
            tls_server_name: None,
            ca_file: None,
            helo: "localhost".to_string(),
            timeout: Duration::from_secs(15),
            credentials: None,
            mechanism: None,
            trust: None,
            banner_probe_after: None,
            observer: None,
        }
    }

    /// The name checked against the server certificate.
    pub fn server_name(&self) -> &str {
        self.tls_server_name.as_deref().unwrap_or(&self.host)
    }
}
