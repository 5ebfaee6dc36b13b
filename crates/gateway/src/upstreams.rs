//! Building the delivery transports from the settings: one [`Upstream`] per `[upstream]`
//! entry (SMTP with a password, SMTP with OAuth2 tokens, or Microsoft Graph), sharing one
//! OAuth2 token manager per `[[oauth]]` account, each with its pacing.
//!
//! Each token manager watches its token file (every [`LOGIN_WATCH`]), so a new
//! `scanrelay oauth login` made while the gateway runs is noticed and held mail goes out by
//! itself, and asks for a token once a day ([`KEEP_ALIVE`]) so a refresh token that rotates on
//! use (Microsoft's expire after 90 days unused) stays alive through quiet months.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use scanrelay_graph::HttpSettings;
use scanrelay_oauth::TokenManager;
use tokio::task::JoinHandle;

use crate::delivery::{
    CredentialSource, GraphSettings, GraphUpstream, OAuthTokens, SmtpUpstream, Upstream, Upstreams,
};
use crate::server::GatewayError;
use crate::settings::{FromPolicy, Settings, UpstreamKind, UpstreamSettings};

/// How often a token manager looks at its token file for a new login.
pub const LOGIN_WATCH: Duration = Duration::from_secs(5);
/// How often a token is asked for even when no mail flows.
pub const KEEP_ALIVE: Duration = Duration::from_secs(24 * 3600);

/// The transports, and the background tasks of their token managers (aborted on drop).
pub struct Built {
    /// The upstreams, the default first.
    pub upstreams: Upstreams,
    /// The OAuth2 accounts' token managers, by account name.
    managers: Vec<Arc<TokenManager>>,
    tasks: Vec<JoinHandle<()>>,
}

impl Built {
    /// The OAuth2 accounts' token managers, by account name.
    pub fn managers(&self) -> &[Arc<TokenManager>] {
        &self.managers
    }
}

impl Drop for Built {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// Builds every upstream of `settings`.
pub fn build(settings: &Settings) -> Result<Built, GatewayError> {
    let mut managers: HashMap<String, Arc<TokenManager>> = HashMap::new();
    let mut tasks = Vec::new();
    let mut list: Vec<(Arc<dyn Upstream>, crate::delivery::Pacing)> = Vec::new();
    for up in &settings.upstreams {
        let manager = match &up.oauth {
            Some(name) => Some(manager(settings, name, &mut managers, &mut tasks)?),
            None => None,
        };
        let upstream: Arc<dyn Upstream> = match &up.kind {
            UpstreamKind::Smtp => Arc::new(smtp(up, manager)?),
            UpstreamKind::Graph { mailbox, graph_url } => {
                let manager = manager.ok_or_else(|| oauth_missing(up))?;
                Arc::new(graph(up, mailbox, graph_url, manager)?)
            }
        };
        list.push((upstream, up.pacing));
    }
    let default = settings.default_upstream().map(|u| u.name.clone());
    let mut managers: Vec<Arc<TokenManager>> = managers.into_values().collect();
    managers.sort_by(|a, b| a.account().name.cmp(&b.account().name));
    Ok(Built {
        upstreams: Upstreams::new(list, default),
        managers,
        tasks,
    })
}

fn oauth_missing(up: &UpstreamSettings) -> GatewayError {
    GatewayError::OAuth(format!("upstream {}: no oauth account", up.name))
}

/// The token manager of account `name`, made once and shared.
fn manager(
    settings: &Settings,
    name: &str,
    managers: &mut HashMap<String, Arc<TokenManager>>,
    tasks: &mut Vec<JoinHandle<()>>,
) -> Result<Arc<TokenManager>, GatewayError> {
    if let Some(m) = managers.get(name) {
        return Ok(m.clone());
    }
    let account = settings
        .oauth
        .iter()
        .find(|a| a.name == name)
        .cloned()
        .ok_or_else(|| GatewayError::OAuth(format!("no [[oauth]] account named {name}")))?;
    let manager = Arc::new(
        TokenManager::new(account, &settings.data_dir)
            .map_err(|e| GatewayError::OAuth(format!("account {name}: {e}")))?,
    );
    tasks.push(manager.spawn_watch(LOGIN_WATCH));
    tasks.push(tokio::spawn(keep_alive(Arc::downgrade(&manager))));
    managers.insert(name.to_string(), manager.clone());
    Ok(manager)
}

/// Asks for a token once a day while the account is not waiting for a login.
async fn keep_alive(manager: std::sync::Weak<TokenManager>) {
    let mut tick = tokio::time::interval(KEEP_ALIVE);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    loop {
        tick.tick().await;
        let Some(manager) = manager.upgrade() else {
            return;
        };
        if let Err(e) = manager.bearer().await {
            tracing::warn!(account = %manager.account().name, error = %e,
                "the daily token refresh failed");
        }
    }
}

fn smtp(
    up: &UpstreamSettings,
    manager: Option<Arc<TokenManager>>,
) -> Result<SmtpUpstream, GatewayError> {
    let Some(manager) = manager else {
        return Ok(SmtpUpstream::new(up)?);
    };
    let mailbox = up.username.clone().unwrap_or_default();
    let source: Arc<dyn CredentialSource> = Arc::new(OAuthTokens::new(manager, mailbox));
    Ok(SmtpUpstream::with_credentials(up, Some(source))?)
}

fn graph(
    up: &UpstreamSettings,
    mailbox: &str,
    graph_url: &str,
    manager: Arc<TokenManager>,
) -> Result<GraphUpstream, GatewayError> {
    let mut http = HttpSettings {
        request_timeout: up.timeout,
        ..HttpSettings::default()
    };
    if let Some(ca) = &up.ca_file {
        http.extra_roots_der = ca_certificates(ca)?;
    }
    let settings = GraphSettings {
        name: up.name.clone(),
        mailbox: mailbox.to_string(),
        graph_url: graph_url.to_string(),
        max_connections: up.max_connections,
        rewrite_from: up.from_policy == FromPolicy::Rewrite,
        http,
    };
    let credentials = Arc::new(OAuthTokens::new(manager, mailbox));
    GraphUpstream::new(settings, credentials)
        .map_err(|e| GatewayError::OAuth(format!("upstream {}: {e}", up.name)))
}

/// The certificates of a PEM file, as DER.
fn ca_certificates(path: &std::path::Path) -> Result<Vec<Vec<u8>>, GatewayError> {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;
    let certs: Result<Vec<CertificateDer<'static>>, _> =
        CertificateDer::pem_file_iter(path).and_then(|it| it.collect::<Result<Vec<_>, _>>());
    certs
        .map(|c| c.into_iter().map(|c| c.to_vec()).collect())
        .map_err(|e| GatewayError::OAuth(format!("cannot read CA file {}: {e}", path.display())))
}
