//! Where `send` connects: the endpoint flags as `check` reads them, `--oauth NAME` as `check`
//! does it, or, with neither --server nor --provider, the default upstream of the gateway's
//! config (its server, TLS, CA file, EHLO name and password), so a script sends exactly the
//! way the gateway delivers.

use anyhow::{Result, anyhow, bail};
use scanrelay_check::{CheckRequest, Plan, Secret};
use scanrelay_gateway::config::{CONFIG_FILE_NAME, load};
use scanrelay_gateway::settings::{UpstreamKind, UpstreamSettings};

use crate::args::EndpointArgs;
use crate::check::plan::{plan as plan_from_flags, request as request_from_flags, usage_error};

/// The validated connection `send` makes; `env` reads environment variables.
pub fn plan(endpoint: &EndpointArgs, env: &dyn Fn(&str) -> Option<String>) -> Result<Plan> {
    if let Some(name) = &endpoint.oauth {
        let request = crate::oauth::check_request(endpoint, name)?;
        return request.plan().map_err(usage_error);
    }
    if endpoint.server.is_some() || endpoint.provider.is_some() {
        return plan_from_flags(endpoint, request_from_flags(endpoint), env);
    }
    let upstream = config_upstream(endpoint)?;
    if let Some(account) = &upstream.oauth {
        let mut with_oauth = endpoint.clone();
        with_oauth.oauth = Some(account.clone());
        let request = crate::oauth::check_request(&with_oauth, account)?;
        return request.plan().map_err(usage_error);
    }
    let request = over_upstream(request_from_flags(endpoint), &upstream);
    if endpoint.user.is_some() {
        // Flags name the account: its password comes from the flags too.
        return plan_from_flags(endpoint, request, env);
    }
    let mut request = request;
    request.user.clone_from(&upstream.username);
    request.secret = match (&upstream.username, &upstream.password) {
        (Some(_), Some(password)) => Some(Secret::Password(password.clone())),
        _ => None,
    };
    request.plan().map_err(usage_error)
}

/// The flags' request with the upstream's endpoint where the flags leave it open.
fn over_upstream(mut request: CheckRequest, upstream: &UpstreamSettings) -> CheckRequest {
    request.server = Some(upstream.server.clone());
    request.provider = upstream.provider.clone();
    request.port = request.port.or(Some(upstream.port));
    request.tls = request.tls.or(Some(upstream.tls));
    request.ca_file = request.ca_file.or_else(|| upstream.ca_file.clone());
    request.helo = request.helo.or_else(|| Some(upstream.helo.clone()));
    request
}

/// The default upstream of the config `--config`/`--data-dir` point at; a Graph upstream is
/// refused (send speaks SMTP only).
fn config_upstream(endpoint: &EndpointArgs) -> Result<UpstreamSettings> {
    let location = &endpoint.location;
    let data_dir = crate::serve::data_dir(location);
    let config = location
        .config
        .clone()
        .unwrap_or_else(|| data_dir.join(CONFIG_FILE_NAME));
    if !config.is_file() {
        bail!(
            "no server: give --server HOST or --provider NAME, or --config PATH to send through the gateway's upstream (`{}` does not exist)",
            config.display()
        );
    }
    let settings = load(&config, &data_dir)?.settings;
    let upstream = settings
        .default_upstream()
        .cloned()
        .ok_or_else(|| anyhow!("`{}` has no [upstream] to send through", config.display()))?;
    if let UpstreamKind::Graph { mailbox, .. } = &upstream.kind {
        bail!(
            "the config's upstream \"{}\" delivers through Microsoft Graph (mailbox {mailbox}), which `send` cannot use: it speaks SMTP. Give --server, or --provider m365 with --oauth NAME for SMTP AUTH with OAuth2",
            upstream.name
        );
    }
    Ok(upstream)
}
