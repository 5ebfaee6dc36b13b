//! From `check` flags to a validated [`Plan`] of the check library: the request from the flags,
//! the endpoint checked before anyone is asked for a password, then the secret from where the
//! flags say (`--password-env`, `--password-file`, the terminal, `--token-env`). The library
//! never reads the environment; this module is where the check does.

use std::io::IsTerminal;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use scanrelay_check::{CheckRequest, Mechanism, Plan, PlanError, Secret, TlsMode};
use scanrelay_diagnose::Lang;

use crate::args::{AuthFlag, EndpointArgs, LangFlag, TlsFlag};

/// Resolves the language flag, else the locale.
pub fn lang(flag: Option<LangFlag>) -> Lang {
    match flag {
        Some(LangFlag::En) => Lang::En,
        Some(LangFlag::Ko) => Lang::Ko,
        None => Lang::from_env(),
    }
}

/// The request the endpoint flags describe, without its secret and without an envelope.
pub fn request(args: &EndpointArgs) -> CheckRequest {
    CheckRequest {
        provider: args.provider.clone(),
        server: args.server.clone(),
        port: args.port,
        tls: args.tls.map(tls_mode),
        user: args.user.clone(),
        secret: None,
        auth: mechanism(args.auth),
        from: None,
        to: None,
        send_test: false,
        ca_file: args.ca_file.clone(),
        helo: args.helo.clone(),
        timeout: Duration::from_secs(args.timeout),
        lang: lang(args.lang),
    }
}

/// Builds the plan for a check without `--oauth`: `request` (from [`request`], its envelope
/// filled in by the caller) with the secret the flags point at; `env` reads environment
/// variables (injected for tests).
pub fn plan(
    args: &EndpointArgs,
    mut request: CheckRequest,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Plan> {
    request.endpoint().map_err(usage_error)?;
    request.secret = secret(args, env)?;
    request.plan().map_err(usage_error)
}

/// A library error in the CLI's words: flags where the library names fields.
pub fn usage_error(e: PlanError) -> anyhow::Error {
    match e {
        PlanError::NoServer => anyhow!("no server: give --server HOST or --provider NAME"),
        PlanError::UserWithoutSecret => anyhow!(
            "--user needs a password: give --password-env VAR or --password-file PATH (or run in a terminal to be asked)"
        ),
        PlanError::SecretWithoutUser => anyhow!("a password or token was given without --user"),
        other => anyhow::Error::new(other),
    }
}

/// The TLS mode of a `--tls` value.
pub fn tls_mode(flag: TlsFlag) -> TlsMode {
    match flag {
        TlsFlag::Starttls => TlsMode::StartTls,
        TlsFlag::Implicit => TlsMode::Implicit,
        TlsFlag::None => TlsMode::None,
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

/// The secret the flags point at: checks that the flags fit together first, then reads the
/// token or password.
fn secret(args: &EndpointArgs, env: &dyn Fn(&str) -> Option<String>) -> Result<Option<Secret>> {
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
    if args.user.is_none() {
        if args.password_env.is_some() || args.password_file.is_some() || args.token_env.is_some() {
            bail!("a password or token was given without --user");
        }
        return Ok(None);
    }
    if let Some(var) = &args.token_env {
        let token = env(var).filter(|t| !t.trim().is_empty()).with_context(|| {
            format!("environment variable `{var}` (from --token-env) is not set or empty")
        })?;
        return Ok(Some(Secret::AccessToken(token.trim().to_string())));
    }
    password(args, env).map(|p| Some(Secret::Password(p)))
}

fn password(args: &EndpointArgs, env: &dyn Fn(&str) -> Option<String>) -> Result<String> {
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
