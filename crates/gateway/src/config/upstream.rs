//! `[upstream]` / `[[upstream]]` and `[[route]]`: where mail leaves, how it logs in, and which
//! messages go where.
//!
//! One `[upstream]` table is the default upstream, named `default`. Several `[[upstream]]`
//! entries each need a unique `name`; the one with `default = true` (or the first) takes mail
//! no device account or route sends elsewhere. An upstream is SMTP (`server`/`port`/`tls`,
//! or a `provider` preset) logging in with a password (`username` + `password` or
//! `password_file`) or with OAuth2 (`auth = "oauth2"`, `oauth = NAME` of an `[[oauth]]`
//! account, `username` = the mailbox), or Microsoft Graph (`kind = "graph"`, `oauth = NAME`,
//! `mailbox`, `graph_url`). Pacing (`max_per_minute`, `max_per_day`) defaults to the preset's
//! documented limits.

use scanrelay_diagnose::Provider;
use scanrelay_proto::TlsMode;

use super::ConfigError;
use super::raw::{RawAuth, RawFromPolicy, RawKind, RawRoute, RawUpstream, RawUpstreams};
use super::validate::{Validator, looks_like_address, parse_network};
use crate::delivery::Pacing;
use crate::routing::{RouteRule, Router};
use crate::settings::{DeviceAccount, FromPolicy, UpstreamKind, UpstreamSettings};

type Result<T> = std::result::Result<T, ConfigError>;

/// Graph's endpoint unless `graph_url` says otherwise.
pub const DEFAULT_GRAPH_URL: &str = "https://graph.microsoft.com";

/// What one upstream entry is checked against.
struct Ctx<'a> {
    /// The key prefix: `upstream` or `upstream[2]`.
    key: String,
    hostname: &'a str,
    oauth: &'a [scanrelay_oauth::AccountConfig],
}

impl Ctx<'_> {
    fn k(&self, field: &str) -> String {
        format!("{}.{field}", self.key)
    }
}

impl Validator<'_> {
    /// Every upstream, the default first.
    pub(crate) fn upstreams(
        &mut self,
        raw: Option<RawUpstreams>,
        hostname: &str,
        oauth: &[scanrelay_oauth::AccountConfig],
    ) -> Result<Vec<UpstreamSettings>> {
        let entries: Vec<(String, RawUpstream)> = match raw {
            None => return Ok(Vec::new()),
            Some(RawUpstreams::One(up)) => vec![("upstream".to_string(), *up)],
            Some(RawUpstreams::Many(list)) => list
                .into_iter()
                .enumerate()
                .map(|(i, up)| (format!("upstream[{i}]"), up))
                .collect(),
        };
        let several = entries.len() > 1;
        let mut out: Vec<UpstreamSettings> = Vec::new();
        let mut default = None;
        for (key, raw) in entries {
            let marked = raw.default == Some(true);
            let ctx = Ctx {
                key,
                hostname,
                oauth,
            };
            let up = self.upstream(&ctx, raw, several)?;
            if out.iter().any(|u| u.name == up.name) {
                let msg = format!("upstream \"{}\" is listed twice", up.name);
                return Err(self.err(&ctx.k("name"), msg));
            }
            if marked {
                if default.is_some() {
                    return Err(self.err(&ctx.k("default"), "only one upstream can be the default"));
                }
                default = Some(out.len());
            }
            out.push(up);
        }
        if let Some(i) = default {
            let first = out.remove(i);
            out.insert(0, first);
        }
        Ok(out)
    }

    fn upstream(
        &mut self,
        c: &Ctx<'_>,
        raw: RawUpstream,
        several: bool,
    ) -> Result<UpstreamSettings> {
        let name = self.upstream_name(c, raw.name.as_deref(), several)?;
        let preset = self.preset(&c.k("provider"), raw.provider.as_deref())?;
        let pacing = self.pacing(c, &raw, preset)?;
        match raw.kind.unwrap_or(RawKind::Smtp) {
            RawKind::Graph => self.graph_upstream(c, name, raw, pacing),
            RawKind::Smtp => self.smtp_upstream(c, name, raw, preset, pacing),
        }
    }

    fn upstream_name(&self, c: &Ctx<'_>, name: Option<&str>, several: bool) -> Result<String> {
        match name.map(str::trim) {
            None if several => Err(self.err(
                &c.k("name"),
                "missing: each [[upstream]] needs a name (routes and devices refer to it)",
            )),
            None => Ok("default".to_string()),
            Some(n) if valid_name(n) => Ok(n.to_string()),
            Some(n) => Err(self.err(
                &c.k("name"),
                format!("\"{n}\" is not a usable name: use letters, digits, '.', '_' and '-'"),
            )),
        }
    }

    fn pacing(&self, c: &Ctx<'_>, raw: &RawUpstream, preset: Option<&Provider>) -> Result<Pacing> {
        for (field, value) in [
            ("max_per_minute", raw.max_per_minute),
            ("max_per_day", raw.max_per_day),
        ] {
            if value == Some(0) {
                return Err(self.err(
                    &c.k(field),
                    "must be greater than 0 (leave it out for the preset's limit)",
                ));
            }
        }
        Ok(Pacing {
            per_minute: raw.max_per_minute.or(preset.and_then(|p| p.per_minute)),
            per_day: raw.max_per_day.or(preset.and_then(|p| p.per_day)),
        })
    }

    fn smtp_upstream(
        &mut self,
        c: &Ctx<'_>,
        name: String,
        raw: RawUpstream,
        preset: Option<&'static Provider>,
        pacing: Pacing,
    ) -> Result<UpstreamSettings> {
        for (field, set) in [
            ("mailbox", raw.mailbox.is_some()),
            ("graph_url", raw.graph_url.is_some()),
        ] {
            if set {
                return Err(self.err(&c.k(field), "is only for kind = \"graph\""));
            }
        }
        let server = match (&raw.server, preset) {
            (Some(s), _) if !s.trim().is_empty() => s.trim().to_string(),
            (_, Some(p)) => p.host.to_string(),
            _ => {
                return Err(self.err(
                    &c.k("server"),
                    "missing: set server = \"smtp.example.com\" or a provider preset such as provider = \"gmail\"",
                ));
            }
        };
        let (port, tls) = upstream_endpoint(raw.port, raw.tls, preset);
        if port == 0 && !self.opts.allow_port_zero {
            return Err(self.err(&c.k("port"), "port 0 is not allowed"));
        }
        let (password, oauth) = self.smtp_login(c, &raw, preset)?;
        if tls == TlsMode::None && password.is_some() && !is_loopback_host(&server) {
            self.warn(
                &c.k("tls"),
                "tls = \"none\" sends the upstream password in clear text over the network",
            );
        }
        let from_policy = self.sender_policy(c, raw.from_policy, raw.username.as_deref())?;
        let default_conns = preset.and_then(|p| p.max_concurrency).map_or(3, u64::from);
        Ok(UpstreamSettings {
            name,
            kind: UpstreamKind::Smtp,
            oauth,
            pacing,
            provider: preset.map(|p| p.id.to_string()),
            server,
            port,
            tls,
            username: raw.username,
            password,
            ca_file: raw
                .ca_file
                .map(|p| self.existing_file(&c.k("ca_file"), &p))
                .transpose()?,
            from_policy,
            max_connections: self.count(
                &c.k("max_connections"),
                raw.max_connections,
                default_conns,
            )?,
            helo: self.hostname(
                &c.k("helo"),
                raw.helo.or_else(|| Some(c.hostname.to_string())),
            )?,
            timeout: self.duration(&c.k("timeout"), raw.timeout, 120)?,
        })
    }

    /// How an SMTP upstream logs in: `(password, oauth account)`.
    fn smtp_login(
        &mut self,
        c: &Ctx<'_>,
        raw: &RawUpstream,
        preset: Option<&Provider>,
    ) -> Result<(Option<String>, Option<String>)> {
        let auth = match (raw.auth, &raw.oauth) {
            (Some(auth), _) => auth,
            (None, Some(_)) => RawAuth::Oauth2,
            (None, None) if raw.username.is_some() || raw.password.is_some() => RawAuth::Password,
            (None, None) => RawAuth::None,
        };
        match auth {
            RawAuth::Oauth2 => {
                if raw.password.is_some() || raw.password_file.is_some() {
                    return Err(self.err(
                        &c.k("password"),
                        "auth = \"oauth2\" logs in with a token: remove the password",
                    ));
                }
                let account =
                    self.oauth_account_ref(c, raw.oauth.as_deref(), TokenAudience::Smtp)?;
                if raw.username.is_none() {
                    return Err(self.err(&c.k("username"), "auth = \"oauth2\" needs username = the mailbox the token is for (e.g. \"scanner@contoso.com\")"));
                }
                if preset.is_some_and(|p| !p.oauth2) {
                    self.warn(
                        &c.k("auth"),
                        "this provider's SMTP server does not take OAuth2 (XOAUTH2) logins",
                    );
                }
                Ok((None, Some(account)))
            }
            RawAuth::Password | RawAuth::None => {
                if raw.oauth.is_some() {
                    return Err(self.err(
                        &c.k("oauth"),
                        "an OAuth2 account is only used with auth = \"oauth2\" or kind = \"graph\"",
                    ));
                }
                let password = self.upstream_password(c, raw, preset)?;
                self.credentials_pair(c, raw.username.is_some(), password.is_some())?;
                if auth == RawAuth::None && password.is_some() {
                    return Err(self.err(&c.k("auth"), "auth = \"none\" but a password is set"));
                }
                Ok((password, None))
            }
        }
    }

    fn graph_upstream(
        &mut self,
        c: &Ctx<'_>,
        name: String,
        raw: RawUpstream,
        pacing: Pacing,
    ) -> Result<UpstreamSettings> {
        let smtp_only = [
            ("server", raw.server.is_some()),
            ("port", raw.port.is_some()),
            ("tls", raw.tls.is_some()),
            (
                "password",
                raw.password.is_some() || raw.password_file.is_some(),
            ),
            ("helo", raw.helo.is_some()),
            ("username", raw.username.is_some()),
        ];
        if let Some((field, _)) = smtp_only.iter().find(|(_, set)| *set) {
            return Err(self.err(&c.k(field), "is not used by kind = \"graph\" (Graph sends as `mailbox` with the `oauth` account's token)"));
        }
        if raw.auth.is_some_and(|a| a != RawAuth::Oauth2) {
            return Err(self.err(&c.k("auth"), "kind = \"graph\" always logs in with OAuth2"));
        }
        let account = self.oauth_account_ref(c, raw.oauth.as_deref(), TokenAudience::Graph)?;
        let mailbox =
            match raw.mailbox.as_deref().map(str::trim) {
                Some(m) if looks_like_address(m) => m.to_string(),
                Some(m) => {
                    return Err(self.err(&c.k("mailbox"), format!("\"{m}\" is not a mail address")));
                }
                None => return Err(self.err(
                    &c.k("mailbox"),
                    "missing: set mailbox = the address that sends (e.g. \"scanner@contoso.com\")",
                )),
            };
        let graph_url = raw
            .graph_url
            .unwrap_or_else(|| DEFAULT_GRAPH_URL.to_string());
        scanrelay_oauth::check_url("graph_url", &graph_url)
            .map_err(|e| self.err(&c.k("graph_url"), e.message))?;
        let from_policy = match raw.from_policy {
            Some(RawFromPolicy::Keep) => FromPolicy::Keep,
            _ => FromPolicy::Rewrite,
        };
        Ok(UpstreamSettings {
            name,
            kind: UpstreamKind::Graph {
                mailbox: mailbox.clone(),
                graph_url: graph_url.trim_end_matches('/').to_string(),
            },
            oauth: Some(account),
            pacing,
            provider: Some("m365".to_string()),
            server: url_host(&graph_url),
            port: 443,
            tls: TlsMode::Implicit,
            username: Some(mailbox),
            password: None,
            ca_file: raw
                .ca_file
                .map(|p| self.existing_file(&c.k("ca_file"), &p))
                .transpose()?,
            from_policy,
            max_connections: self.count(&c.k("max_connections"), raw.max_connections, 3)?,
            helo: c.hostname.to_string(),
            timeout: self.duration(&c.k("timeout"), raw.timeout, 120)?,
        })
    }

    /// The `[[oauth]]` account named by `oauth = NAME`, which must exist; a warning when its
    /// scopes are for the other audience (a Graph token is refused by SMTP and vice versa).
    fn oauth_account_ref(
        &mut self,
        c: &Ctx<'_>,
        name: Option<&str>,
        audience: TokenAudience,
    ) -> Result<String> {
        let Some(name) = name else {
            return Err(self.err(
                &c.k("oauth"),
                "missing: set oauth = the name of an [[oauth]] account",
            ));
        };
        let Some(account) = c.oauth.iter().find(|a| a.name == name) else {
            let known: Vec<&str> = c.oauth.iter().map(|a| a.name.as_str()).collect();
            let list = if known.is_empty() {
                "there is none".to_string()
            } else {
                known.join(", ")
            };
            return Err(self.err(
                &c.k("oauth"),
                format!("no [[oauth]] account named \"{name}\" ({list})"),
            ));
        };
        if let Some(hint) = audience.mismatch(&account.scopes) {
            self.warn(&c.k("oauth"), format!("account \"{name}\": {hint}"));
        }
        Ok(name.to_string())
    }

    pub(crate) fn preset(&self, key: &str, id: Option<&str>) -> Result<Option<&'static Provider>> {
        let Some(id) = id else { return Ok(None) };
        scanrelay_diagnose::provider(id).map(Some).ok_or_else(|| {
            let known: Vec<&str> = scanrelay_diagnose::providers()
                .iter()
                .map(|p| p.id)
                .collect();
            let msg = format!(
                "unknown provider \"{id}\": known presets are {}",
                known.join(", ")
            );
            self.err(key, msg)
        })
    }

    /// `rewrite` needs the account's address; the default is `rewrite` when the user name is
    /// an address (Gmail, Microsoft 365 and Naver want the account as sender), else `keep`.
    fn sender_policy(
        &self,
        c: &Ctx<'_>,
        raw: Option<RawFromPolicy>,
        user: Option<&str>,
    ) -> Result<FromPolicy> {
        let is_address = user.is_some_and(|u| u.contains('@'));
        match raw {
            Some(RawFromPolicy::Keep) => Ok(FromPolicy::Keep),
            Some(RawFromPolicy::Rewrite) if is_address => Ok(FromPolicy::Rewrite),
            Some(RawFromPolicy::Rewrite) => Err(self.err(
                &c.k("from_policy"),
                "\"rewrite\" puts the upstream account in the sender, so username must be a mail address; use \"keep\" otherwise",
            )),
            None if is_address => Ok(FromPolicy::Rewrite),
            None => Ok(FromPolicy::Keep),
        }
    }

    /// A user name and a password come together or not at all.
    fn credentials_pair(&self, c: &Ctx<'_>, user: bool, password: bool) -> Result<()> {
        match (user, password) {
            (true, false) => Err(self.err(
                &c.k("username"),
                "a username needs a password: set password or password_file (or auth = \"oauth2\" with an oauth account)",
            )),
            (false, true) => Err(self.err(&c.k("password"), "a password needs a username: set username")),
            _ => Ok(()),
        }
    }

    /// The upstream password from `password` or `password_file`, normalised for the provider
    /// as `scanrelay check` does (spaces taken out of a Google app password); a password that
    /// does not look right for the provider is a warning on its key.
    fn upstream_password(
        &mut self,
        c: &Ctx<'_>,
        raw: &RawUpstream,
        preset: Option<&Provider>,
    ) -> Result<Option<String>> {
        let key = c.k(if raw.password_file.is_some() {
            "password_file"
        } else {
            "password"
        });
        let Some(typed) = self.typed_password(c, raw)? else {
            return Ok(None);
        };
        let checked = scanrelay_diagnose::normalize_password(preset, &typed);
        if checked.password.is_empty() {
            return Err(self.err(&key, "must not be empty"));
        }
        if let Some(warning) = checked.warning {
            self.warn(&key, warning.en);
        }
        Ok(Some(checked.password))
    }

    fn typed_password(&self, c: &Ctx<'_>, raw: &RawUpstream) -> Result<Option<String>> {
        match (&raw.password, &raw.password_file) {
            (Some(_), Some(_)) => Err(self.err(
                &c.k("password_file"),
                "both password and password_file are set: keep only one",
            )),
            (Some(p), None) if p.is_empty() => Err(self.err(&c.k("password"), "must not be empty")),
            (Some(p), None) => Ok(Some(p.clone())),
            (None, Some(path)) => {
                let full = self.resolve(path);
                let text = std::fs::read_to_string(&full).map_err(|e| {
                    self.err(
                        &c.k("password_file"),
                        format!("cannot read {}: {}", full.display(), super::io_reason(&e)),
                    )
                })?;
                let password = text.trim_end_matches(['\r', '\n']).to_string();
                if password.is_empty() {
                    return Err(self.err(
                        &c.k("password_file"),
                        format!("{} is empty", full.display()),
                    ));
                }
                Ok(Some(password))
            }
            (None, None) => Ok(None),
        }
    }

    /// The routing table: device accounts' `upstream` and the `[[route]]` rules, every name
    /// checked against the upstreams.
    pub(crate) fn routing(
        &self,
        devices: &[DeviceAccount],
        device_upstreams: &[Option<String>],
        routes: Vec<RawRoute>,
        upstreams: &[UpstreamSettings],
    ) -> Result<Router> {
        let known = |name: &str| upstreams.iter().any(|u| u.name == name);
        let mut router = Router::default();
        for (i, (device, upstream)) in devices.iter().zip(device_upstreams).enumerate() {
            if let Some(name) = upstream {
                if !known(name) {
                    return Err(self.err(
                        &format!("device[{i}].upstream"),
                        unknown_upstream(name, upstreams),
                    ));
                }
                router.devices.push((device.username.clone(), name.clone()));
            }
        }
        for (i, raw) in routes.into_iter().enumerate() {
            router.rules.push(self.route(i, raw, &known, upstreams)?);
        }
        Ok(router)
    }

    fn route(
        &self,
        i: usize,
        raw: RawRoute,
        known: &dyn Fn(&str) -> bool,
        upstreams: &[UpstreamSettings],
    ) -> Result<RouteRule> {
        let key = |f: &str| format!("route[{i}].{f}");
        let upstream = match raw.upstream {
            Some(name) if known(&name) => name,
            Some(name) => {
                return Err(self.err(&key("upstream"), unknown_upstream(&name, upstreams)));
            }
            None => {
                return Err(self.err(
                    &key("upstream"),
                    "missing: set upstream = the name of an [[upstream]]",
                ));
            }
        };
        let networks = raw.networks.unwrap_or_default();
        let senders = raw.senders.unwrap_or_default();
        if networks.is_empty() && senders.is_empty() {
            return Err(self.err(
                &key("networks"),
                "a route needs networks = [...] or senders = [...] (or both)",
            ));
        }
        let mut nets = Vec::with_capacity(networks.len());
        for (j, text) in networks.iter().enumerate() {
            let net = parse_network(text).ok_or_else(|| {
                self.err(
                    &format!("route[{i}].networks[{j}]"),
                    format!("\"{text}\" is not a network: expected e.g. \"192.168.20.0/24\""),
                )
            })?;
            nets.push(net);
        }
        for (j, pattern) in senders.iter().enumerate() {
            let domain = pattern
                .trim()
                .strip_prefix("*@")
                .or_else(|| pattern.trim().strip_prefix('@'));
            let ok = domain.map_or_else(
                || looks_like_address(pattern.trim()),
                |d| !d.is_empty() && !d.contains('@'),
            );
            if !ok {
                return Err(self.err(&format!("route[{i}].senders[{j}]"), format!("\"{pattern}\" is not an address or a domain: expected e.g. \"boss@example.com\" or \"*@sales.example.com\"")));
            }
        }
        Ok(RouteRule {
            networks: nets,
            senders,
            upstream,
        })
    }
}

fn unknown_upstream(name: &str, upstreams: &[UpstreamSettings]) -> String {
    let known: Vec<&str> = upstreams.iter().map(|u| u.name.as_str()).collect();
    format!(
        "no upstream named \"{name}\" (the upstreams are: {})",
        if known.is_empty() {
            "none".to_string()
        } else {
            known.join(", ")
        }
    )
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// Which resource a token must be for.
#[derive(Clone, Copy)]
enum TokenAudience {
    Smtp,
    Graph,
}

impl TokenAudience {
    /// What is wrong with `scopes` for this use, when they are recognisably for the other one.
    fn mismatch(self, scopes: &[String]) -> Option<&'static str> {
        let any = |needle: &str| {
            scopes
                .iter()
                .any(|s| s.to_ascii_lowercase().contains(needle))
        };
        let graph = any("graph.microsoft.com");
        let exchange = any("outlook.office.com") || any("outlook.office365.com");
        match self {
            TokenAudience::Smtp if graph && !exchange => Some(
                "its scopes are for Microsoft Graph, whose tokens SMTP refuses (535 5.7.3): set \
                 use = \"smtp\" (or scopes for https://outlook.office.com/SMTP.Send) on the account",
            ),
            TokenAudience::Graph if exchange && !graph => Some(
                "its scopes are for Exchange SMTP, whose tokens Graph refuses (401): set \
                 use = \"graph\" on the account",
            ),
            _ => None,
        }
    }
}

/// The host of a URL, for display.
fn url_host(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.split(['/', ':']).next().unwrap_or(rest).to_string()
}

/// Port and TLS mode from what was written and the preset (the rule `check` uses too:
/// [`scanrelay_diagnose::port_and_tls`]).
pub(crate) fn upstream_endpoint(
    port: Option<u16>,
    tls: Option<TlsMode>,
    preset: Option<&Provider>,
) -> (u16, TlsMode) {
    scanrelay_diagnose::port_and_tls(preset, port, tls)
}

fn is_loopback_host(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_pairs_port_and_tls() {
        assert_eq!(
            upstream_endpoint(Some(465), None, None),
            (465, TlsMode::Implicit)
        );
        assert_eq!(
            upstream_endpoint(None, Some(TlsMode::Implicit), None),
            (465, TlsMode::Implicit)
        );
        assert_eq!(
            upstream_endpoint(None, None, None),
            (587, TlsMode::StartTls)
        );
    }

    #[test]
    fn token_audiences_are_told_apart() {
        let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let graph = s(&["https://graph.microsoft.com/.default"]);
        let smtp = s(&["https://outlook.office.com/SMTP.Send", "offline_access"]);
        assert!(TokenAudience::Smtp.mismatch(&graph).is_some());
        assert!(TokenAudience::Smtp.mismatch(&smtp).is_none());
        assert!(TokenAudience::Graph.mismatch(&smtp).is_some());
        assert!(TokenAudience::Graph.mismatch(&graph).is_none());
        assert!(
            TokenAudience::Smtp
                .mismatch(&s(&["https://mail.google.com/"]))
                .is_none()
        );
    }
}
