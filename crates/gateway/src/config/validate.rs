//! From the raw file to validated [`Settings`]: defaults, paths, and the rules that keep the
//! gateway from becoming an open relay. Every error names the key and its line.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use ipnet::{IpNet, Ipv4Net, Ipv6Net};

use super::files::ConfigFiles;
use super::locate::Locator;
use super::raw::{RawConfig, RawDelivery, RawDevice, RawListen};
use super::units::Span;
use super::{ConfigError, Loaded, ParseOptions, Problem};
use crate::settings::{
    DeliverySettings, DeviceAccount, ListenSettings, Settings, TlsMinVersion, WebSettings,
};

/// Devices commonly cap user names and passwords at about this many characters.
pub(crate) const DEVICE_CREDENTIAL_LIMIT: usize = 20;
/// Default SMTP listener.
pub(crate) const DEFAULT_SMTP: &str = "127.0.0.1:2525";
/// Default port for `smtps` given without one.
const DEFAULT_SMTPS_PORT: u16 = 2465;
/// Default port for `pop3` given without one.
const DEFAULT_POP3_PORT: u16 = 2110;
/// Default port for `pop3s` given without one.
const DEFAULT_POP3S_PORT: u16 = 2995;
/// Default admin console listener.
pub(crate) const DEFAULT_WEB: &str = "127.0.0.1:8025";
/// Default port for `web` given without one.
const DEFAULT_WEB_PORT: u16 = 8025;

/// Validation state for one file.
pub(crate) struct Validator<'a> {
    pub loc: &'a Locator<'a>,
    pub file: &'a str,
    pub base_dir: &'a Path,
    pub data_dir: &'a Path,
    pub opts: &'a ParseOptions,
    /// Where file checks, secret files and the host name come from: validation does no I/O
    /// of its own.
    pub files: &'a dyn ConfigFiles,
    pub warnings: Vec<Problem>,
}

type Result<T> = std::result::Result<T, ConfigError>;

impl Validator<'_> {
    /// A problem at `key`, located on its line (or its nearest table's line).
    pub fn problem(&self, key: &str, message: impl Into<String>) -> Problem {
        Problem {
            file: self.file.to_string(),
            line: self.loc.nearest_line(key),
            key: Some(key.to_string()),
            message: message.into(),
        }
    }

    pub(crate) fn err(&self, key: &str, message: impl Into<String>) -> ConfigError {
        ConfigError::Invalid(self.problem(key, message))
    }

    pub(crate) fn warn(&mut self, key: &str, message: impl Into<String>) {
        let problem = self.problem(key, message);
        self.warnings.push(problem);
    }

    /// Validates the whole file.
    pub fn settings(mut self, raw: RawConfig) -> Result<Loaded> {
        let listen = self.listen(raw.listen)?;
        let device_upstreams: Vec<Option<String>> =
            raw.device.iter().map(|d| d.upstream.clone()).collect();
        let devices = self.devices(raw.device)?;
        self.check_pop(&listen, &devices);
        let delivery = self.delivery(raw.delivery)?;
        let oauth = self.oauth_accounts(raw.oauth)?;
        let upstreams = self.upstreams(raw.upstream, &listen.hostname, &oauth)?;
        let routing = self.routing(&devices, &device_upstreams, raw.route, &upstreams)?;
        let spool_dir = match raw.spool.dir {
            Some(dir) => self.resolve(&dir),
            None => self.data_dir.join("spool"),
        };
        let settings = Settings {
            listen,
            devices,
            upstreams,
            routing,
            delivery,
            spool_dir,
            data_dir: self.data_dir.to_path_buf(),
            oauth,
        };
        Ok(Loaded {
            settings,
            warnings: self.warnings,
        })
    }

    pub(crate) fn resolve(&self, path: &Path) -> PathBuf {
        self.base_dir.join(path)
    }

    fn listen(&mut self, raw: RawListen) -> Result<ListenSettings> {
        let smtp = self.socket(
            "listen.smtp",
            raw.smtp.as_deref().unwrap_or(DEFAULT_SMTP),
            2525,
        )?;
        let smtps = match raw.smtps.as_deref() {
            None => None,
            Some(text) => self.socket("listen.smtps", text, DEFAULT_SMTPS_PORT)?,
        };
        if smtp.is_none() && smtps.is_none() {
            return Err(self.err(
                "listen.smtp",
                "no listener: set smtp or smtps to an address",
            ));
        }
        let allow_networks = match &raw.allow_networks {
            Some(list) => self.networks("listen.allow_networks", list)?,
            None => default_networks(),
        };
        let web = self.web(&raw)?;
        self.refuse_open_relay(smtp, smtps, &allow_networks)?;
        let (max_connections_per_ip, unauthenticated_timeout, max_session_time) =
            self.client_limits(&raw)?;
        let (pop3, pop3s, pop_before_smtp) = self.pop(&raw)?;
        let (tls_cert, tls_key) = self.cert_pair(raw.tls_cert, raw.tls_key)?;
        let tls_min_version = self.tls_min_version(raw.tls_min_version, tls_cert.is_some());
        Ok(ListenSettings {
            smtp,
            smtps,
            pop3,
            pop3s,
            pop_before_smtp,
            allow_networks,
            max_message_size: self.positive(
                "listen.max_message_size",
                raw.max_message_size.map_or(35_000_000, |s| s.0),
            )?,
            max_recipients: self.count("listen.max_recipients", raw.max_recipients, 100)?,
            max_connections: self.count("listen.max_connections", raw.max_connections, 200)?,
            max_connections_per_ip,
            command_timeout: self.duration("listen.command_timeout", raw.command_timeout, 300)?,
            data_timeout: self.duration("listen.data_timeout", raw.data_timeout, 600)?,
            allow_plaintext_auth: raw.allow_plaintext_auth.unwrap_or(false),
            tls_cert,
            tls_key,
            tls_min_version,
            hostname: self.hostname("listen.hostname", raw.hostname)?,
            max_auth_failures: self.positive(
                "listen.max_auth_failures",
                u64::from(raw.max_auth_failures.unwrap_or(5)),
            )? as u32,
            auth_lockout: self.duration("listen.auth_lockout", raw.auth_lockout, 900)?,
            unauthenticated_timeout,
            max_session_time,
            web,
        })
    }

    /// `web`, `metrics_allow` and `web_tls`. A console reachable from other hosts needs the
    /// admin password to be set first: until then the console offers a setup link that
    /// anyone who reaches it could use.
    fn web(&self, raw: &RawListen) -> Result<WebSettings> {
        let addr = self.socket(
            "listen.web",
            raw.web.as_deref().unwrap_or(DEFAULT_WEB),
            DEFAULT_WEB_PORT,
        )?;
        if let Some(addr) = addr.filter(|a| !a.ip().is_loopback())
            && !super::admin_password_is_set(self.data_dir)
        {
            let file = self.data_dir.join(super::ADMIN_PASSWORD_FILE);
            return Err(self.err(
                "listen.web",
                format!(
                    "refusing to start: web = \"{addr}\" is reachable from other hosts and no \
                     admin password is set ({} does not hold one). Set it first with \
                     `scanrelay admin set-password` (same --config/--data-dir as serve), or \
                     keep web on 127.0.0.1",
                    file.display()
                ),
            ));
        }
        let metrics_allow = match &raw.metrics_allow {
            Some(list) => self.networks("listen.metrics_allow", list)?,
            None => default_networks(),
        };
        Ok(WebSettings {
            addr,
            metrics_allow,
            tls: raw.web_tls.unwrap_or(false),
        })
    }

    /// `pop3`, `pop3s` (both off unless set) and `pop_before_smtp` (off unless set; needs one
    /// of them: the login that opens the window is a POP3 login).
    fn pop(
        &self,
        raw: &RawListen,
    ) -> Result<(Option<SocketAddr>, Option<SocketAddr>, Option<Duration>)> {
        let pop3 = match raw.pop3.as_deref() {
            None => None,
            Some(text) => self.socket("listen.pop3", text, DEFAULT_POP3_PORT)?,
        };
        let pop3s = match raw.pop3s.as_deref() {
            None => None,
            Some(text) => self.socket("listen.pop3s", text, DEFAULT_POP3S_PORT)?,
        };
        let window = match raw.pop_before_smtp {
            None => None,
            Some(span) => Some(self.duration("listen.pop_before_smtp", Some(span), 0)?),
        };
        if window.is_some() && pop3.is_none() && pop3s.is_none() {
            return Err(self.err(
                "listen.pop_before_smtp",
                "POP-before-SMTP needs a POP3 listener: set pop3 or pop3s too",
            ));
        }
        Ok((pop3, pop3s, window))
    }

    /// Warnings for POP3 settings that cannot do anything.
    fn check_pop(&mut self, listen: &ListenSettings, devices: &[DeviceAccount]) {
        let pop = listen.pop3.is_some() || listen.pop3s.is_some();
        if pop && devices.is_empty() {
            self.warn(
                if listen.pop3.is_some() {
                    "listen.pop3"
                } else {
                    "listen.pop3s"
                },
                "no [[device]] accounts: nobody can log in to POP3",
            );
        }
        if pop {
            return;
        }
        if let Some(i) = devices.iter().position(|d| d.mailbox_address.is_some()) {
            self.warn(
                &format!("device[{i}].mailbox_address"),
                "no POP3 listener (pop3 or pop3s): mail for this mailbox is kept but cannot be \
                 read until one is set",
            );
        }
    }

    /// The limits against one client hogging the listener: connections per address outside
    /// `allow_networks`, their idle time before AUTH, and every session's lifetime.
    fn client_limits(&self, raw: &RawListen) -> Result<(usize, Duration, Duration)> {
        Ok((
            self.count(
                "listen.max_connections_per_ip",
                raw.max_connections_per_ip,
                20,
            )?,
            self.duration(
                "listen.unauthenticated_timeout",
                raw.unauthenticated_timeout,
                30,
            )?,
            self.duration("listen.max_session_time", raw.max_session_time, 1800)?,
        ))
    }

    /// `"127.0.0.1:2525"`, `"[::1]:2525"`, `"0.0.0.0"` (default port), `"localhost:2525"`;
    /// an empty string disables the listener.
    fn socket(&self, key: &str, text: &str, default_port: u16) -> Result<Option<SocketAddr>> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(None);
        }
        let addr = parse_socket(text, default_port).ok_or_else(|| {
            self.err(
                key,
                format!("\"{text}\" is not an address: expected e.g. \"127.0.0.1:2525\" or \"[::]:2525\""),
            )
        })?;
        if addr.port() == 0 && !self.opts.allow_port_zero {
            return Err(self.err(
                key,
                "port 0 is not allowed: choose a fixed port devices can use",
            ));
        }
        Ok(Some(addr))
    }

    fn networks(&self, key: &str, list: &[String]) -> Result<Vec<IpNet>> {
        let mut out = Vec::with_capacity(list.len());
        for (i, text) in list.iter().enumerate() {
            let key = format!("{key}[{i}]");
            let net = parse_network(text).ok_or_else(|| {
                self.err(
                    &key,
                    format!("\"{text}\" is not a network: expected e.g. \"192.168.1.0/24\" or \"10.0.0.5\""),
                )
            })?;
            out.push(net);
        }
        Ok(out)
    }

    /// Refuses a listener reachable from other hosts when the allow list covers every address.
    fn refuse_open_relay(
        &self,
        smtp: Option<SocketAddr>,
        smtps: Option<SocketAddr>,
        nets: &[IpNet],
    ) -> Result<()> {
        let exposed = [("listen.smtp", smtp), ("listen.smtps", smtps)]
            .into_iter()
            .find_map(|(key, addr)| addr.filter(|a| !a.ip().is_loopback()).map(|a| (key, a)));
        let Some((key, addr)) = exposed else {
            return Ok(());
        };
        if !covers_everything(nets) {
            return Ok(());
        }
        Err(self.err(
            "listen.allow_networks",
            format!(
                "refusing to start: {key} = \"{addr}\" is reachable from other hosts and \
                 allow_networks covers every address, so anyone who can reach this port could \
                 send mail through your upstream account (an open relay). List only the networks \
                 your devices are on (e.g. [\"192.168.1.0/24\"]) or make devices authenticate \
                 with [[device]] accounts"
            ),
        ))
    }

    /// `tls_min_version` (default 1.2). Below 1.2 with the generated certificate, a warning:
    /// its key is ECDSA P-256, which devices old enough to need TLS 1.0 often cannot use.
    fn tls_min_version(&mut self, raw: Option<TlsMinVersion>, has_cert: bool) -> TlsMinVersion {
        let version = raw.unwrap_or_default();
        if version.allows_legacy() && !has_cert {
            self.warn(
                "listen.tls_min_version",
                format!(
                    "tls_min_version = \"{version}\" with the generated self-signed \
                     certificate, whose key is ECDSA P-256: many devices limited to TLS \
                     1.0/1.1 accept only RSA certificates. If their handshake fails, set \
                     tls_cert and tls_key to an RSA certificate"
                ),
            );
        }
        version
    }

    fn cert_pair(
        &self,
        cert: Option<PathBuf>,
        key: Option<PathBuf>,
    ) -> Result<(Option<PathBuf>, Option<PathBuf>)> {
        match (cert, key) {
            (None, None) => Ok((None, None)),
            (Some(_), None) => {
                Err(self.err("listen.tls_cert", "tls_cert is set but tls_key is not"))
            }
            (None, Some(_)) => {
                Err(self.err("listen.tls_key", "tls_key is set but tls_cert is not"))
            }
            (Some(cert), Some(key)) => Ok((
                Some(self.existing_file("listen.tls_cert", &cert)?),
                Some(self.existing_file("listen.tls_key", &key)?),
            )),
        }
    }

    pub(crate) fn existing_file(&self, key: &str, path: &Path) -> Result<PathBuf> {
        let full = self.resolve(path);
        if self.files.is_file(&full) {
            Ok(full)
        } else {
            Err(self.err(key, format!("no such file: {}", full.display())))
        }
    }

    pub(crate) fn hostname(&self, key: &str, raw: Option<String>) -> Result<String> {
        let name = raw.unwrap_or_else(|| self.files.hostname());
        let ok = !name.is_empty()
            && name.chars().all(|c| {
                c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '[' | ']' | ':')
            });
        if ok {
            Ok(name)
        } else {
            Err(self.err(key, format!("\"{name}\" is not a host name")))
        }
    }

    fn positive(&self, key: &str, value: u64) -> Result<u64> {
        if value == 0 {
            return Err(self.err(key, "must be greater than 0"));
        }
        Ok(value)
    }

    pub(crate) fn count(&self, key: &str, value: Option<u64>, default: u64) -> Result<usize> {
        let value = self.positive(key, value.unwrap_or(default))?;
        usize::try_from(value).map_err(|_| self.err(key, "is too large"))
    }

    pub(crate) fn duration(&self, key: &str, value: Option<Span>, secs: u64) -> Result<Duration> {
        self.duration_or(key, value, Duration::from_secs(secs))
    }

    fn duration_or(&self, key: &str, value: Option<Span>, default: Duration) -> Result<Duration> {
        match value {
            None => Ok(default),
            Some(s) if s.0.is_zero() => Err(self.err(key, "must be longer than 0")),
            Some(s) => Ok(s.0),
        }
    }

    fn devices(&mut self, raw: Vec<RawDevice>) -> Result<Vec<DeviceAccount>> {
        let mut out: Vec<DeviceAccount> = Vec::with_capacity(raw.len());
        for (i, dev) in raw.into_iter().enumerate() {
            let key = |field: &str| format!("device[{i}].{field}");
            if dev.username.trim().is_empty() {
                return Err(self.err(&key("username"), "must not be empty"));
            }
            if dev.password.is_empty() {
                return Err(self.err(&key("password"), "must not be empty"));
            }
            if out.iter().any(|d| d.username == dev.username) {
                let msg = format!("device \"{}\" is listed twice", dev.username);
                return Err(self.err(&key("username"), msg));
            }
            for (field, value) in [("username", &dev.username), ("password", &dev.password)] {
                let len = value.chars().count();
                if len > DEVICE_CREDENTIAL_LIMIT {
                    self.warn(
                        &key(field),
                        format!(
                            "{len} characters; many devices accept at most \
                             {DEVICE_CREDENTIAL_LIMIT} and silently cut the rest, so AUTH would fail"
                        ),
                    );
                }
            }
            let mailbox_address =
                self.mailbox_address(&key("mailbox_address"), &out, dev.mailbox_address)?;
            out.push(DeviceAccount {
                username: dev.username,
                password: dev.password,
                mailbox_address,
            });
        }
        Ok(out)
    }

    /// A device's `mailbox_address`: a mail address no other device's mailbox has.
    fn mailbox_address(
        &self,
        key: &str,
        earlier: &[DeviceAccount],
        raw: Option<String>,
    ) -> Result<Option<String>> {
        let Some(addr) = raw else { return Ok(None) };
        let addr = addr.trim().to_string();
        if !looks_like_address(&addr) {
            return Err(self.err(key, format!("\"{addr}\" is not a mail address")));
        }
        let taken = earlier.iter().find(|d| {
            d.mailbox_address
                .as_deref()
                .is_some_and(|a| a.eq_ignore_ascii_case(&addr))
        });
        if let Some(other) = taken {
            let msg = format!(
                "\"{addr}\" is already the mailbox of device \"{}\"",
                other.username
            );
            return Err(self.err(key, msg));
        }
        Ok(Some(addr))
    }

    fn delivery(&self, raw: RawDelivery) -> Result<DeliverySettings> {
        let d = DeliverySettings::default();
        let retry_min = self.duration_or("delivery.retry_min", raw.retry_min, d.retry_min)?;
        let retry_max = self.duration_or("delivery.retry_max", raw.retry_max, d.retry_max)?;
        let max_age = self.duration_or("delivery.max_age", raw.max_age, d.max_age)?;
        let rescan_interval = self.duration_or(
            "delivery.rescan_interval",
            raw.rescan_interval,
            d.rescan_interval,
        )?;
        if retry_min > retry_max {
            return Err(self.err("delivery.retry_min", "is longer than retry_max"));
        }
        if let Some(addr) = &raw.admin_notify
            && !looks_like_address(addr)
        {
            let msg = format!("\"{addr}\" is not a mail address");
            return Err(self.err("delivery.admin_notify", msg));
        }
        Ok(DeliverySettings {
            retry_min,
            retry_max,
            max_age,
            admin_notify: raw.admin_notify,
            rescan_interval,
        })
    }
}

fn parse_socket(text: &str, default_port: u16) -> Option<SocketAddr> {
    if let Ok(addr) = text.parse::<SocketAddr>() {
        return Some(addr);
    }
    let bare = text.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return Some(SocketAddr::new(ip, default_port));
    }
    let (host, port) = match text.rsplit_once(':') {
        Some((host, port)) => (host, port.parse().ok()?),
        None => (text, default_port),
    };
    host.eq_ignore_ascii_case("localhost")
        .then(|| SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port))
}

/// `"192.168.1.0/24"`, `"10.0.0.5"`, `"fd00::/8"`. An IPv4-mapped network
/// (`::ffff:192.168.1.0/120`) becomes the IPv4 network it maps (`192.168.1.0/24`): clients
/// are matched by their canonical address, so a dual-stack listener's `::ffff:a.b.c.d` peer
/// and an IPv4 peer are the same client, and the mapped form would never match.
pub(crate) fn parse_network(text: &str) -> Option<IpNet> {
    let text = text.trim();
    text.parse::<IpNet>()
        .ok()
        .or_else(|| text.parse::<IpAddr>().ok().map(IpNet::from))
        .map(|n| unmap(n.trunc()))
}

/// The IPv4 network an IPv4-mapped IPv6 network (inside `::ffff:0:0/96`) stands for.
fn unmap(net: IpNet) -> IpNet {
    let mapped: Ipv6Net = "::ffff:0:0/96".parse().expect("valid");
    match net {
        IpNet::V6(n) if mapped.contains(&n) => {
            let addr = n.network().to_ipv4_mapped().expect("inside ::ffff:0:0/96");
            IpNet::V4(Ipv4Net::new(addr, n.prefix_len() - 96).expect("valid prefix"))
        }
        other => other,
    }
}

/// Loopback only: the safe default.
pub(crate) fn default_networks() -> Vec<IpNet> {
    vec![
        "127.0.0.0/8".parse().expect("valid"),
        "::1/128".parse().expect("valid"),
    ]
}

/// Whether the networks, taken together, contain every IPv4 or every IPv6 address.
/// IPv4-mapped IPv6 networks (`::ffff:0:0/96`) count as the IPv4 addresses they map.
pub(crate) fn covers_everything(nets: &[IpNet]) -> bool {
    let mut v4: Vec<Ipv4Net> = Vec::new();
    let mut v6: Vec<Ipv6Net> = Vec::new();
    for net in nets {
        match unmap(*net) {
            IpNet::V4(n) => v4.push(n),
            IpNet::V6(n) => v6.push(n),
        }
    }
    Ipv4Net::aggregate(&v4).iter().any(|n| n.prefix_len() == 0)
        || Ipv6Net::aggregate(&v6).iter().any(|n| n.prefix_len() == 0)
}

pub(crate) fn looks_like_address(addr: &str) -> bool {
    match addr.rsplit_once('@') {
        Some((local, domain)) => {
            !local.is_empty() && !domain.is_empty() && !addr.chars().any(char::is_whitespace)
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|s| parse_network(s).unwrap()).collect()
    }

    #[test]
    fn everything_is_detected_also_when_split() {
        assert!(covers_everything(&nets(&["0.0.0.0/0"])));
        assert!(covers_everything(&nets(&["::/0"])));
        assert!(covers_everything(&nets(&["0.0.0.0/1", "128.0.0.0/1"])));
        assert!(covers_everything(&nets(&["::ffff:0:0/96"])));
        assert!(!covers_everything(&nets(&["0.0.0.0/1", "10.0.0.0/8"])));
        assert!(!covers_everything(&nets(&["192.168.0.0/16", "::1"])));
    }

    #[test]
    fn ipv4_mapped_networks_become_ipv4() {
        let cases = [
            ("::ffff:192.168.1.0/120", "192.168.1.0/24"),
            ("::ffff:10.0.0.5", "10.0.0.5/32"),
            ("::ffff:10.1.2.3/104", "10.0.0.0/8"),
            ("::ffff:0:0/96", "0.0.0.0/0"),
            ("::ffff:0:0/95", "::fffe:0:0/95"),
            ("fd00::/8", "fd00::/8"),
            ("192.168.1.7/24", "192.168.1.0/24"),
        ];
        for (text, want) in cases {
            assert_eq!(parse_network(text).unwrap().to_string(), want, "{text}");
        }
    }

    #[test]
    fn sockets() {
        assert_eq!(
            parse_socket("0.0.0.0", 2525),
            Some("0.0.0.0:2525".parse().unwrap())
        );
        assert_eq!(parse_socket("[::]", 25), Some("[::]:25".parse().unwrap()));
        assert_eq!(
            parse_socket("localhost:26", 25),
            Some("127.0.0.1:26".parse().unwrap())
        );
        assert_eq!(parse_socket("example.com:25", 25), None);
    }
}
