//! Validating `check` flags into a plan (the second stage after clap).

use std::io::IsTerminal;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use scanrelay_client::{ClientConfig, Credentials, Mechanism, TlsMode};
use scanrelay_diagnose::{Lang, Provider, Warning, normalize_password, provider};

use crate::args::{AuthFlag, CheckArgs, LangFlag, TlsFlag};

/// A validated check.
pub struct Plan {
    /// The connection to make.
    pub client: ClientConfig,
    /// The provider whose rules apply.
    pub provider: Option<&'static Provider>,
    /// Envelope sender for the dry run.
    pub from: Option<String>,
    /// Recipient for the dry run.
    pub to: Option<String>,
    /// Really send a test message.
    pub send_test: bool,
    /// Report language.
    pub lang: Lang,
    /// JSON output.
    pub json: bool,
    /// Warnings about the settings (e.g. a Gmail password that is not an app password).
    pub warnings: Vec<Warning>,
    /// Secrets to scrub from every output, as a last line of defence.
    pub secrets: Vec<String>,
}

/// Resolves the language flag, else the locale.
pub fn lang(flag: Option<LangFlag>) -> Lang {
    match flag {
        Some(LangFlag::En) => Lang::En,
        Some(LangFlag::Ko) => Lang::Ko,
        None => Lang::from_env(),
    }
}

/// Builds the plan; `env` reads environment variables (injected for tests).
pub fn plan(args: &CheckArgs, env: &dyn Fn(&str) -> Option<String>) -> Result<Plan> {
    let provider =
        match &args.provider {
            Some(name) => Some(provider(name).with_context(|| {
                format!("unknown provider `{name}`; known: {}", provider_names())
            })?),
            None => None,
        };
    let host = args
        .server
        .clone()
        .or_else(|| provider.map(|p| p.host.to_string()))
        .context("no server: give --server HOST or --provider NAME")?;
    let tls = match args.tls {
        Some(TlsFlag::Starttls) => TlsMode::StartTls,
        Some(TlsFlag::Implicit) => TlsMode::Implicit,
        Some(TlsFlag::None) => TlsMode::None,
        None => tls_for(provider, args.port),
    };
    let port = args
        .port
        .or_else(|| provider.filter(|p| p.tls == tls).map(|p| p.port))
        .unwrap_or(default_port(tls));
    let mut client = ClientConfig::new(host, port, tls);
    client.ca_file = args.ca_file.clone();
    client.helo = args.helo.clone().unwrap_or_else(default_helo);
    client.timeout = Duration::from_secs(args.timeout.max(1));
    // The TLS-mode probe belongs to `check` only (see ClientConfig::banner_probe_after).
    client.banner_probe_after =
        Some((client.timeout / 3).clamp(Duration::from_millis(500), Duration::from_secs(3)));
    if let Some(ca) = &args.ca_file {
        check_ca_file(ca)?;
    }
    client.mechanism = mechanism(args.auth);
    let mut warnings = Vec::new();
    let mut secrets = Vec::new();
    client.credentials = credentials(args, provider, env, &mut warnings, &mut secrets)?;
    if tls == TlsMode::None && client.credentials.is_some() {
        warnings.push(Warning {
            en: "--tls none: the password or token is sent unencrypted. Use this only on a trusted LAN.".into(),
            ko: "--tls none: 비밀번호나 토큰이 암호화되지 않은 채로 전송됩니다. 신뢰할 수 있는 사내망에서만 사용하십시오.".into(),
        });
    }
    Ok(Plan {
        client,
        provider,
        from: args.from.clone(),
        to: args.to.clone(),
        send_test: args.send_test,
        lang: lang(args.lang),
        json: args.json,
        warnings,
        secrets,
    })
}

fn provider_names() -> String {
    scanrelay_diagnose::providers()
        .iter()
        .map(|p| p.id)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The TLS mode when `--tls` is not given: the provider's mode for the port (its main or an
/// alternative port), else the port's usual mode. Port 25 means STARTTLS too: a password never
/// goes out in clear unless `--tls none` says so.
fn tls_for(provider: Option<&Provider>, port: Option<u16>) -> TlsMode {
    if let Some(p) = provider {
        match port {
            None => return p.tls,
            Some(n) if n == p.port => return p.tls,
            Some(n) => {
                if let Some((_, mode)) = p.alt_ports.iter().find(|(alt, _)| *alt == n) {
                    return *mode;
                }
            }
        }
    }
    match port {
        Some(465) => TlsMode::Implicit,
        _ => TlsMode::StartTls,
    }
}

/// Refuses an unreadable CA file before anything is tried (it is the user's file, not the
/// server's certificate, that is wrong).
fn check_ca_file(path: &std::path::Path) -> Result<()> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("failed to read CA file `{}`", path.display()))?;
    if !text.contains("-----BEGIN CERTIFICATE-----") {
        bail!("CA file `{}` holds no PEM certificate", path.display());
    }
    Ok(())
}

fn default_port(tls: TlsMode) -> u16 {
    match tls {
        TlsMode::Implicit => 465,
        TlsMode::StartTls => 587,
        TlsMode::None => 25,
    }
}

fn mechanism(flag: AuthFlag) -> Option<Mechanism> {
    match flag {
        AuthFlag::Auto => None,
        AuthFlag::Plain => Some(Mechanism::Plain),
        AuthFlag::Login => Some(Mechanism::Login),
        AuthFlag::CramMd5 => Some(Mechanism::CramMd5),
        AuthFlag::Xoauth2 => Some(Mechanism::XOAuth2),
        AuthFlag::Oauthbearer => Some(Mechanism::OAuthBearer),
    }
}

/// This machine's name for EHLO.
pub fn default_helo() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_string())
}

fn credentials(
    args: &CheckArgs,
    provider: Option<&'static Provider>,
    env: &dyn Fn(&str) -> Option<String>,
    warnings: &mut Vec<Warning>,
    secrets: &mut Vec<String>,
) -> Result<Option<Credentials>> {
    if args.oauth.is_some() {
        // The token comes from the account's store (crate::oauth::check_token).
        return Ok(None);
    }
    let wants_token = matches!(args.auth, AuthFlag::Xoauth2 | AuthFlag::Oauthbearer);
    if wants_token && args.token_env.is_none() {
        bail!("--auth xoauth2/oauthbearer needs an access token: give --token-env VAR");
    }
    let wants_password = matches!(
        args.auth,
        AuthFlag::Plain | AuthFlag::Login | AuthFlag::CramMd5
    );
    if wants_password && args.token_env.is_some() {
        bail!(
            "--token-env goes with --auth xoauth2, oauthbearer or auto, not a password mechanism"
        );
    }
    let Some(user) = args.user.clone() else {
        if args.password_env.is_some() || args.password_file.is_some() || args.token_env.is_some() {
            bail!("a password or token was given without --user");
        }
        return Ok(None);
    };
    if let Some(var) = &args.token_env {
        let token = env(var).filter(|t| !t.trim().is_empty()).with_context(|| {
            format!("environment variable `{var}` (from --token-env) is not set or empty")
        })?;
        let token = token.trim().to_string();
        secrets.push(token.clone());
        secrets.push(format!("user={user}\x01auth=Bearer {token}\x01\x01"));
        return Ok(Some(Credentials::Token { user, token }));
    }
    let raw = password(args, env)?;
    secrets.push(raw.clone());
    let checked = normalize_password(provider, &raw);
    if checked.password != raw {
        secrets.push(checked.password.clone());
    }
    secrets.push(format!("\0{user}\0{}", checked.password));
    warnings.extend(checked.warning);
    Ok(Some(Credentials::Password {
        user,
        password: checked.password,
    }))
}

fn password(args: &CheckArgs, env: &dyn Fn(&str) -> Option<String>) -> Result<String> {
    if let Some(var) = &args.password_env {
        return env(var).filter(|p| !p.is_empty()).with_context(|| {
            format!("environment variable `{var}` (from --password-env) is not set or empty")
        });
    }
    if let Some(path) = &args.password_file {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("failed to read password file `{}`", path.display()))?;
        let line = text
            .lines()
            .next()
            .unwrap_or("")
            .trim_end_matches('\r')
            .to_string();
        if line.is_empty() {
            bail!("password file `{}` is empty", path.display());
        }
        return Ok(line);
    }
    if std::io::stdin().is_terminal() {
        let prompt = "SMTP password (not shown): ";
        return rpassword::prompt_password(prompt)
            .context("failed to read the password from the terminal");
    }
    bail!(
        "--user needs a password: give --password-env VAR or --password-file PATH (or run in a terminal to be asked)"
    )
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
            assert_eq!(tls_for(*p, *port), *want, "{:?} {port:?}", p.map(|p| p.id));
        }
    }
}
