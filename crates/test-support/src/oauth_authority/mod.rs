//! A local OAuth2 authority for tests (axum on 127.0.0.1, its own thread and runtime).
//!
//! Microsoft-shaped endpoints (`/{tenant}/oauth2/v2.0/authorize|token|devicecode`, errors
//! with `error_codes` and AADSTS descriptions) and Google-shaped ones (`/o/oauth2/auth`,
//! `/token`, `/device/code`, Google's error texts), plus RFC 7662 `/introspect` for Dovecot's
//! `oauth2` passdb. It behaves like the real ones where scanrelay's correctness depends on it:
//!
//! * every refresh returns a new refresh token and invalidates the old one; reusing an old
//!   one is `invalid_grant` (and counted);
//! * access tokens are short-lived (per client), optionally longer than 512 octets;
//! * PKCE S256 is checked at the code exchange;
//! * the device code answers `authorization_pending`, then `slow_down` at a chosen poll,
//!   until approved by [`OAuthAuthority::approve_device`] (or after N polls);
//! * confidential clients need their secret (`invalid_client`, AADSTS7000215 otherwise);
//! * [`OAuthAuthority::revoke`] kills a client's grants (AADSTS700082 / "Token has been
//!   expired or revoked.");
//! * each access token has the audience of its scope: introspection calls a token for
//!   `https://graph.microsoft.com/.default` inactive, as Exchange refuses it for SMTP.
//!
//! The authorize endpoint acts as a consenting browser: GET → 302 to the redirect URI with
//! `code` and `state`. [`OAuthAuthority::consent`] and [`http_get`] let a test play the
//! browser. [`peer_authority`] is the process-wide authority on `SCANRELAY_PEER_OAUTH_PORT`,
//! whose `/introspect` the real Dovecot of `scripts/peers` asks.

mod browser;
mod routes;
mod state;

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

pub use browser::{HttpAnswer, http_get};

use crate::thread::ServerThread;
use state::State;

/// The variable naming the fixed port of [`peer_authority`] (`scripts/peers` exports it).
pub const PEER_OAUTH_PORT_VAR: &str = "SCANRELAY_PEER_OAUTH_PORT";

/// How the device code grant answers one client's polls.
#[derive(Debug, Clone)]
pub struct DeviceScript {
    /// `interval` in the device authorization answer, seconds.
    pub interval: u64,
    /// `expires_in`, seconds (real time, on the authority's side).
    pub expires_in: u64,
    /// The poll (1-based) answered with `slow_down`.
    pub slow_down_at: Option<u32>,
    /// Approve by itself from this poll on (else only [`OAuthAuthority::approve_device`]).
    pub approve_after: Option<u32>,
}

impl Default for DeviceScript {
    fn default() -> Self {
        DeviceScript {
            interval: 5,
            expires_in: 900,
            slow_down_at: Some(2),
            approve_after: None,
        }
    }
}

/// A registered client and how the authority treats it.
#[derive(Debug, Clone)]
pub struct ClientSpec {
    /// `client_id`.
    pub id: String,
    /// The secret of a confidential client.
    pub secret: Option<String>,
    /// The user its tokens belong to (introspection's `username`).
    pub user: String,
    /// Access token lifetime.
    pub access_ttl: Duration,
    /// Issue access tokens longer than 512 octets.
    pub long_tokens: bool,
    /// Device code behaviour.
    pub device: DeviceScript,
}

impl ClientSpec {
    /// A public client (device code, PKCE) whose tokens belong to `user`.
    pub fn public(id: &str, user: &str) -> ClientSpec {
        ClientSpec {
            id: id.to_string(),
            secret: None,
            user: user.to_string(),
            access_ttl: Duration::from_secs(3600),
            long_tokens: false,
            device: DeviceScript::default(),
        }
    }

    /// A confidential client (client credentials).
    pub fn confidential(id: &str, secret: &str, user: &str) -> ClientSpec {
        ClientSpec {
            secret: Some(secret.to_string()),
            ..ClientSpec::public(id, user)
        }
    }

    /// With access tokens valid for `ttl`.
    pub fn access_ttl(mut self, ttl: Duration) -> ClientSpec {
        self.access_ttl = ttl;
        self
    }

    /// With access tokens longer than 512 octets.
    pub fn long_tokens(mut self) -> ClientSpec {
        self.long_tokens = true;
        self
    }

    /// With this device code behaviour.
    pub fn device(mut self, script: DeviceScript) -> ClientSpec {
        self.device = script;
        self
    }
}

/// Which provider's shape an endpoint answers in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Entra ID: `error_codes`, AADSTS descriptions.
    Microsoft,
    /// Google.
    Google,
}

/// The running authority; dropping it stops the server.
pub struct OAuthAuthority {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    _server: ServerThread<()>,
}

impl std::fmt::Debug for OAuthAuthority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthAuthority")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

/// The audiences `/introspect` accepts by default: Exchange Online (both spellings) and Gmail.
pub const SMTP_AUDIENCES: [&str; 3] = [
    "https://outlook.office.com",
    "https://outlook.office365.com",
    "https://mail.google.com",
];

impl OAuthAuthority {
    /// Starts an authority on `127.0.0.1:0`.
    pub fn start() -> OAuthAuthority {
        OAuthAuthority::start_on(0)
    }

    /// Starts an authority on `127.0.0.1:port`.
    ///
    /// # Panics
    /// When the port cannot be bound.
    pub fn start_on(port: u16) -> OAuthAuthority {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, port))
            .unwrap_or_else(|e| panic!("bind the OAuth2 authority to 127.0.0.1:{port}: {e}"));
        listener
            .set_nonblocking(true)
            .expect("non-blocking listener");
        let addr = listener.local_addr().expect("local address");
        let state = Arc::new(Mutex::new(State::default()));
        let app = routes::router(state.clone());
        let server = ServerThread::spawn("oauth-authority", move || async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
            let _ = axum::serve(listener, app).await;
        });
        OAuthAuthority {
            addr,
            state,
            _server: server,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// `http://127.0.0.1:PORT`: the `authority` of a Microsoft account (its endpoints are
    /// `{authority}/{tenant}/oauth2/v2.0/...`).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Google-shaped authorization endpoint.
    pub fn google_auth_url(&self) -> String {
        format!("{}/o/oauth2/auth", self.url())
    }

    /// Google-shaped token endpoint.
    pub fn google_token_url(&self) -> String {
        format!("{}/token", self.url())
    }

    /// Microsoft-shaped token endpoint of `tenant`.
    pub fn microsoft_token_url(&self, tenant: &str) -> String {
        format!("{}/{tenant}/oauth2/v2.0/token", self.url())
    }

    /// RFC 7662 introspection endpoint.
    pub fn introspect_url(&self) -> String {
        format!("{}/introspect", self.url())
    }

    /// Registers (or replaces) a client.
    pub fn add_client(&self, client: ClientSpec) {
        self.lock().clients.insert(client.id.clone(), client);
    }

    /// Approves the pending device authorization with this user code; `false` if none.
    pub fn approve_device(&self, user_code: &str) -> bool {
        let mut s = self.lock();
        let found = s.devices.values_mut().find(|d| d.user_code == user_code);
        found.map(|d| d.approved = true).is_some()
    }

    /// Declines the pending device authorization with this user code (the user pressed
    /// "Deny"): its next poll answers `access_denied`; `false` if none.
    pub fn deny_device(&self, user_code: &str) -> bool {
        let mut s = self.lock();
        let found = s.devices.values_mut().find(|d| d.user_code == user_code);
        found.map(|d| d.denied = true).is_some()
    }

    /// The user codes of `client_id`'s device authorizations not yet redeemed.
    pub fn pending_user_codes(&self, client_id: &str) -> Vec<String> {
        self.lock()
            .devices
            .values()
            .filter(|d| d.client_id == client_id && !d.redeemed)
            .map(|d| d.user_code.clone())
            .collect()
    }

    /// Revokes every grant of `client_id`: its refresh tokens get `invalid_grant`.
    pub fn revoke(&self, client_id: &str) {
        self.lock().revoke(client_id);
    }

    /// Mints a grant for `client_id` directly (as if the user had logged in elsewhere, e.g.
    /// with sasl-xoauth2): returns its refresh token.
    ///
    /// # Panics
    /// When the client is not registered.
    pub fn mint_refresh_token(&self, client_id: &str, scope: &str) -> String {
        let mut s = self.lock();
        let client = s
            .clients
            .get(client_id)
            .cloned()
            .expect("registered client");
        let issued = s.new_grant(&client, scope, std::time::Instant::now());
        issued.refresh_token.expect("a grant has a refresh token")
    }

    /// Mints an access token for `client_id` with `scope` (for SMTP tests that need a
    /// token without a flow).
    ///
    /// # Panics
    /// When the client is not registered.
    pub fn mint_access_token(&self, client_id: &str, scope: &str) -> String {
        let mut s = self.lock();
        let client = s
            .clients
            .get(client_id)
            .cloned()
            .expect("registered client");
        s.new_grant(&client, scope, std::time::Instant::now())
            .access_token
    }

    /// Successful refresh grants of `client_id`.
    pub fn refresh_count(&self, client_id: &str) -> usize {
        self.counter(client_id, |c| c.refreshes)
    }

    /// The refresh tokens `client_id` used successfully, in order.
    pub fn used_refresh_tokens(&self, client_id: &str) -> Vec<String> {
        self.counter(client_id, |c| c.used_refresh_tokens.clone())
    }

    /// Refresh tokens `client_id` presented again after they were used (must stay empty).
    pub fn reused_refresh_tokens(&self, client_id: &str) -> Vec<String> {
        self.counter(client_id, |c| c.reused_refresh_tokens.clone())
    }

    /// The refresh tokens of `client_id` that still work.
    pub fn live_refresh_tokens(&self, client_id: &str) -> Vec<String> {
        self.lock().live_refresh_tokens(client_id)
    }

    /// The `grant_type` of every token request of `client_id`, in order.
    pub fn token_requests(&self, client_id: &str) -> Vec<String> {
        self.counter(client_id, |c| c.token_requests.clone())
    }

    /// Device code polls of `client_id`.
    pub fn device_polls(&self, client_id: &str) -> u32 {
        self.counter(client_id, |c| c.device_polls)
    }

    /// Code exchanges of `client_id` whose PKCE verifier matched.
    pub fn pkce_verified(&self, client_id: &str) -> usize {
        self.counter(client_id, |c| c.pkce_verified)
    }

    /// Access tokens issued to `client_id`, in order.
    pub fn access_tokens(&self, client_id: &str) -> Vec<String> {
        self.counter(client_id, |c| c.access_tokens.clone())
    }

    /// Introspection requests answered.
    pub fn introspections(&self) -> usize {
        self.lock().introspections
    }

    /// What the authority knows of `token`: `Some` for an access token it issued that has not
    /// expired, whatever its audience (an in-process resource server, such as the fake Graph,
    /// checks the audience and scope itself); `None` otherwise.
    pub fn token_info(&self, token: &str) -> Option<TokenInfo> {
        self.inspector().token_info(token)
    }

    /// A handle answering [`OAuthAuthority::token_info`] from another thread, e.g. inside a
    /// [`crate::graph_server::TokenCheck`]; it does not keep the server running.
    pub fn inspector(&self) -> TokenInspector {
        TokenInspector {
            state: self.state.clone(),
        }
    }

    fn counter<T: Default>(&self, client_id: &str, f: impl Fn(&state::Counters) -> T) -> T {
        self.lock()
            .counters
            .get(client_id)
            .map(f)
            .unwrap_or_default()
    }

    /// Plays the consenting browser: GETs `authorize_url` and returns the `Location` it
    /// redirects to (the redirect URI with `code` and `state`, or `error`).
    ///
    /// # Panics
    /// When the answer is not a redirect.
    pub async fn consent(&self, authorize_url: &str) -> String {
        let answer = http_get(authorize_url).await;
        assert_eq!(
            answer.status, 302,
            "authorize answered {}: {}",
            answer.status, answer.body
        );
        answer.location.expect("a redirect has a Location")
    }
}

/// The claims of a live access token (see [`OAuthAuthority::token_info`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    /// The client it was issued to.
    pub client_id: String,
    /// The user it belongs to.
    pub user: String,
    /// The scope it was issued for (space-separated).
    pub scope: String,
    /// Its audience: the resource of the first URL scope (`https://graph.microsoft.com`).
    pub aud: String,
}

/// A cloneable, thread-safe view of an authority's access tokens
/// ([`OAuthAuthority::inspector`]).
#[derive(Clone)]
pub struct TokenInspector {
    state: Arc<Mutex<State>>,
}

impl std::fmt::Debug for TokenInspector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenInspector").finish_non_exhaustive()
    }
}

impl TokenInspector {
    /// As [`OAuthAuthority::token_info`].
    pub fn token_info(&self, token: &str) -> Option<TokenInfo> {
        let state = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let rec = state.access.get(token)?;
        (rec.expires > std::time::Instant::now()).then(|| TokenInfo {
            client_id: rec.client_id.clone(),
            user: rec.user.clone(),
            scope: rec.scope.clone(),
            aud: rec.aud.clone(),
        })
    }
}

/// The process-wide authority on `SCANRELAY_PEER_OAUTH_PORT` (started on first use, on its
/// own thread, so every test of the process shares it); `None` when the variable is unset.
/// The real Dovecot's `introspection_url` points at it.
pub fn peer_authority() -> Option<&'static OAuthAuthority> {
    static GLOBAL: OnceLock<OAuthAuthority> = OnceLock::new();
    let port: u16 = std::env::var(PEER_OAUTH_PORT_VAR)
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(GLOBAL.get_or_init(|| OAuthAuthority::start_on(port)))
}
