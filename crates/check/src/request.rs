//! What a check is asked to do ([`CheckRequest`]) and its validation into a [`Plan`]: the
//! endpoint from a provider preset or explicit values, the credentials with the provider's
//! password rules, the warnings about the settings, and the secrets to scrub from every output.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use scanrelay_client::{ClientConfig, Credentials, Mechanism, TlsMode};
use scanrelay_diagnose::{Lang, Provider, Warning, normalize_password, provider};

use crate::plan_error::PlanError;
use crate::render::scrub;

/// The secret an account logs in with. `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub enum Secret {
    /// A password (PLAIN, LOGIN, CRAM-MD5); for Google accounts the spaces of an app password
    /// are removed before use.
    Password(String),
    /// An OAuth2 access token (XOAUTH2, OAUTHBEARER).
    AccessToken(String),
}

impl Secret {
    fn expose(&self) -> &str {
        match self {
            Secret::Password(s) | Secret::AccessToken(s) => s,
        }
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Secret::Password(_) => f.write_str("Password(<redacted>)"),
            Secret::AccessToken(_) => f.write_str("AccessToken(<redacted>)"),
        }
    }
}

/// What to check. Everything is optional except what the check cannot do without: a server
/// (or a provider preset that names one), and a secret when a user is given.
#[derive(Debug, Clone)]
pub struct CheckRequest {
    /// Provider preset id (`gmail`, `m365`, `naver`, ...): fills server, port and TLS mode, and
    /// brings the provider's rules (Google app passwords) and advice.
    pub provider: Option<String>,
    /// SMTP server host name or IP address (overrides the preset's).
    pub server: Option<String>,
    /// Port (default: the preset's port for the TLS mode, else 465 for implicit TLS, 587 for
    /// STARTTLS, 25 without TLS).
    pub port: Option<u16>,
    /// How the connection is secured (default: the preset's mode for the port, else implicit
    /// TLS on 465 and STARTTLS anywhere else, port 25 included).
    pub tls: Option<TlsMode>,
    /// SMTP AUTH user name; `None` checks without logging in.
    pub user: Option<String>,
    /// The user's password or access token.
    pub secret: Option<Secret>,
    /// The SASL mechanism; `None` picks the best one the server offers for the secret.
    pub auth: Option<Mechanism>,
    /// Envelope sender for the MAIL FROM dry run (default: the user name when it is an
    /// address, else `postmaster@` the EHLO name).
    pub from: Option<String>,
    /// Recipient for the RCPT TO dry run (then RSET; nothing is sent without `send_test`).
    pub to: Option<String>,
    /// With `to`: really send a short test message.
    pub send_test: bool,
    /// Extra trusted CA certificates (PEM).
    pub ca_file: Option<PathBuf>,
    /// Name to send in EHLO (default: [`default_helo`]).
    pub helo: Option<String>,
    /// Timeout of each step (at least one second).
    pub timeout: Duration,
    /// Language of the advice, the warnings and the human report.
    pub lang: Lang,
}

impl Default for CheckRequest {
    fn default() -> Self {
        CheckRequest {
            provider: None,
            server: None,
            port: None,
            tls: None,
            user: None,
            secret: None,
            auth: None,
            from: None,
            to: None,
            send_test: false,
            ca_file: None,
            helo: None,
            timeout: Duration::from_secs(15),
            lang: Lang::En,
        }
    }
}

/// Where a check connects, resolved from the preset and the explicit values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// Host name or address.
    pub host: String,
    /// Port.
    pub port: u16,
    /// TLS mode.
    pub tls: TlsMode,
    /// The preset asked for, if any.
    pub provider: Option<&'static Provider>,
}

/// A validated check, ready to [`run`](crate::run). Only [`CheckRequest::plan`] makes one.
pub struct Plan {
    /// The connection to make (credentials included; their `Debug` hides the secret).
    pub client: ClientConfig,
    /// The provider whose rules apply (given as a preset).
    pub provider: Option<&'static Provider>,
    /// Envelope sender for the dry run.
    pub from: Option<String>,
    /// Recipient for the dry run.
    pub to: Option<String>,
    /// Really send a test message.
    pub send_test: bool,
    /// Report language.
    pub lang: Lang,
    /// Warnings about the settings (e.g. a Gmail password that is not an app password).
    pub warnings: Vec<Warning>,
    /// Every form of the secret, scrubbed from every output as a last line of defence.
    secrets: Vec<String>,
}

impl fmt::Debug for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Plan")
            .field("client", &self.client)
            .field("provider", &self.provider.map(|p| p.id))
            .field("from", &self.from)
            .field("to", &self.to)
            .field("send_test", &self.send_test)
            .field("lang", &self.lang)
            .field("warnings", &self.warnings)
            .finish_non_exhaustive()
    }
}

impl Plan {
    /// `text` with every form of the plan's secret replaced by `<redacted>`. The renderers
    /// and the events do this already; this is for text a caller takes from an
    /// [`Outcome`](crate::Outcome) itself, such as a step's lines on a web page.
    pub fn scrub(&self, text: &str) -> String {
        scrub::scrub(text.to_string(), &self.secrets)
    }

    /// [`Plan::scrub`] over every string inside a JSON value.
    pub fn scrub_json(&self, value: &mut serde_json::Value) {
        scrub::scrub_json(value, &self.secrets);
    }

    pub(crate) fn secrets(&self) -> &[String] {
        &self.secrets
    }
}

impl CheckRequest {
    /// Where the check would connect: the preset, the server, the TLS mode and port, and a
    /// readable CA file. Validates everything that needs no secret, so a caller can refuse a
    /// check that cannot run before it asks anyone for a password.
    pub fn endpoint(&self) -> Result<Endpoint, PlanError> {
        let provider = match &self.provider {
            Some(name) => Some(provider(name).ok_or_else(|| PlanError::UnknownProvider {
                name: name.clone(),
                known: provider_names(),
            })?),
            None => None,
        };
        let host = self
            .server
            .clone()
            .or_else(|| provider.map(|p| p.host.to_string()))
            .ok_or(PlanError::NoServer)?;
        let (port, tls) = scanrelay_diagnose::port_and_tls(provider, self.port, self.tls);
        if let Some(ca) = &self.ca_file {
            check_ca_file(ca)?;
        }
        Ok(Endpoint {
            host,
            port,
            tls,
            provider,
        })
    }

    /// Validates the request into a plan.
    pub fn plan(&self) -> Result<Plan, PlanError> {
        let endpoint = self.endpoint()?;
        if self.send_test && self.to.is_none() {
            return Err(PlanError::SendTestWithoutRecipient);
        }
        let mut client = ClientConfig::new(endpoint.host, endpoint.port, endpoint.tls);
        client.ca_file = self.ca_file.clone();
        client.helo = self.helo.clone().unwrap_or_else(default_helo);
        client.timeout = self.timeout.max(Duration::from_secs(1));
        // The TLS-mode probe belongs to the check only (see ClientConfig::banner_probe_after).
        client.banner_probe_after =
            Some((client.timeout / 3).clamp(Duration::from_millis(500), Duration::from_secs(3)));
        client.mechanism = self.auth;
        let mut warnings = Vec::new();
        let mut secrets = Vec::new();
        client.credentials = self.credentials(endpoint.provider, &mut warnings, &mut secrets)?;
        if endpoint.tls == TlsMode::None && client.credentials.is_some() {
            warnings.push(Warning {
                en: "--tls none: the password or token is sent unencrypted. Use this only on a trusted LAN.".into(),
                ko: "--tls none: 비밀번호나 토큰이 암호화되지 않은 채로 전송됩니다. 신뢰할 수 있는 사내망에서만 사용하십시오.".into(),
            });
        }
        Ok(Plan {
            client,
            provider: endpoint.provider,
            from: self.from.clone(),
            to: self.to.clone(),
            send_test: self.send_test,
            lang: self.lang,
            warnings,
            secrets,
        })
    }

    /// The credentials (with the provider's password rules applied), their warnings, and
    /// every form of the secret that could show up in output.
    fn credentials(
        &self,
        provider: Option<&'static Provider>,
        warnings: &mut Vec<Warning>,
        secrets: &mut Vec<String>,
    ) -> Result<Option<Credentials>, PlanError> {
        let (user, secret) = match (&self.user, &self.secret) {
            (None, None) => return Ok(None),
            (None, Some(_)) => return Err(PlanError::SecretWithoutUser),
            (Some(_), None) => return Err(PlanError::UserWithoutSecret),
            (Some(user), Some(secret)) => (user.clone(), secret),
        };
        if secret.expose().is_empty() {
            return Err(PlanError::EmptySecret);
        }
        match (secret, self.auth) {
            (Secret::Password(_), Some(m @ (Mechanism::XOAuth2 | Mechanism::OAuthBearer))) => {
                Err(PlanError::TokenNeeded { mechanism: m })
            }
            (Secret::AccessToken(_), Some(m @ (Mechanism::Plain | Mechanism::Login))) => {
                Err(PlanError::PasswordNeeded { mechanism: m })
            }
            (Secret::AccessToken(_), Some(m @ Mechanism::CramMd5)) => {
                Err(PlanError::PasswordNeeded { mechanism: m })
            }
            (Secret::AccessToken(token), _) => {
                secrets.push(token.clone());
                secrets.push(format!("user={user}\x01auth=Bearer {token}\x01\x01"));
                Ok(Some(Credentials::Token {
                    user,
                    token: token.clone(),
                }))
            }
            (Secret::Password(raw), _) => {
                secrets.push(raw.clone());
                let checked = normalize_password(provider, raw);
                if checked.password != *raw {
                    secrets.push(checked.password.clone());
                }
                secrets.push(format!("\0{user}\0{}", checked.password));
                warnings.extend(checked.warning);
                Ok(Some(Credentials::Password {
                    user,
                    password: checked.password,
                }))
            }
        }
    }
}

fn provider_names() -> String {
    scanrelay_diagnose::providers()
        .iter()
        .map(|p| p.id)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Refuses an unreadable CA file before anything is tried (it is the user's file, not the
/// server's certificate, that is wrong).
fn check_ca_file(path: &std::path::Path) -> Result<(), PlanError> {
    let text = std::fs::read_to_string(path).map_err(|source| PlanError::CaFileUnreadable {
        path: path.to_path_buf(),
        source,
    })?;
    if !text.contains("-----BEGIN CERTIFICATE-----") {
        return Err(PlanError::CaFileNotPem {
            path: path.to_path_buf(),
        });
    }
    Ok(())
}

/// This machine's name for EHLO (from `/proc/sys/kernel/hostname`, else `localhost`).
pub fn default_helo() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_mode_follows_the_port_and_the_provider() {
        let gmail = provider("gmail");
        let naver = provider("naver");
        let table: &[(Option<&Provider>, Option<u16>, TlsMode)] = &[
            (None, None, TlsMode::StartTls),
            (None, Some(587), TlsMode::StartTls),
            (None, Some(465), TlsMode::Implicit),
            // Port 25 still means STARTTLS: a password never goes out in clear by default.
            (None, Some(25), TlsMode::StartTls),
            (gmail, None, TlsMode::StartTls),
            (gmail, Some(465), TlsMode::Implicit),
            (naver, None, TlsMode::Implicit),
        ];
        for (p, port, want) in table {
            let (_, tls) = scanrelay_diagnose::port_and_tls(*p, *port, None);
            assert_eq!(tls, *want, "{:?} {port:?}", p.map(|p| p.id));
        }
    }
}
