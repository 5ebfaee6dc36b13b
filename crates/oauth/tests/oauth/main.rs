//! Integration tests of scanrelay-oauth against the local authority of test-support: the
//! flows, the token store and the token manager.

mod flows;
mod manager;
mod peers;
mod store;

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use scanrelay_oauth::{
    AccountConfig, Clock, EndpointOverrides, Flow, HttpOptions, ManagerOptions, ProviderKind,
    Secret, TokenUse, default_scopes, resolve_endpoints,
};
use scanrelay_test_support::oauth_authority::OAuthAuthority;

/// A Microsoft-shaped account at `authority`.
pub fn microsoft(
    authority: &OAuthAuthority,
    name: &str,
    client_id: &str,
    flow: Flow,
) -> AccountConfig {
    let o = EndpointOverrides {
        authority: Some(authority.url()),
        ..Default::default()
    };
    AccountConfig {
        name: name.into(),
        provider: ProviderKind::Microsoft,
        tenant: Some("organizations".into()),
        client_id: client_id.into(),
        client_secret: None,
        flow,
        scopes: default_scopes(ProviderKind::Microsoft, TokenUse::Smtp, flow),
        endpoints: resolve_endpoints(ProviderKind::Microsoft, Some("organizations"), &o).unwrap(),
    }
}

/// A Google-shaped account at `authority`.
pub fn google(authority: &OAuthAuthority, name: &str, client_id: &str) -> AccountConfig {
    let o = EndpointOverrides {
        auth_url: Some(authority.google_auth_url()),
        token_url: Some(authority.google_token_url()),
        ..Default::default()
    };
    AccountConfig {
        name: name.into(),
        provider: ProviderKind::Google,
        tenant: None,
        client_id: client_id.into(),
        client_secret: Some(Secret::new("google-installed-app-secret")),
        flow: Flow::AuthCode,
        scopes: default_scopes(ProviderKind::Google, TokenUse::Smtp, Flow::AuthCode),
        endpoints: resolve_endpoints(ProviderKind::Google, None, &o).unwrap(),
    }
}

/// A wall clock the test moves.
#[derive(Clone)]
pub struct TestClock(Arc<Mutex<SystemTime>>);

impl Default for TestClock {
    fn default() -> Self {
        TestClock::new()
    }
}

impl TestClock {
    /// Starts at the real time.
    pub fn new() -> TestClock {
        TestClock(Arc::new(Mutex::new(SystemTime::now())))
    }

    /// Moves on by `d`.
    pub fn advance(&self, d: Duration) {
        *self.0.lock().unwrap() += d;
    }

    /// The clock for the manager.
    pub fn clock(&self) -> Clock {
        let inner = self.0.clone();
        Arc::new(move || *inner.lock().unwrap())
    }

    /// Its time now.
    pub fn now(&self) -> SystemTime {
        *self.0.lock().unwrap()
    }
}

/// Manager options with `clock` (and no request timeout when `paused`).
pub fn options(clock: &TestClock) -> ManagerOptions {
    ManagerOptions {
        clock: clock.clock(),
        ..ManagerOptions::default()
    }
}

/// HTTP options for tests on paused tokio time.
pub fn paused_http() -> HttpOptions {
    HttpOptions { timeout: None }
}
