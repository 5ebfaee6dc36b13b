//! The router, built in one place: every page module under `pages/` contributes its routes
//! here, and the security headers wrap them all. The state is shared by every handler.

use std::ops::Deref;
use std::sync::Arc;

use axum::Router;
use axum::middleware;

use crate::auth::SetupToken;
use crate::auth::lockout::Lockout;
use crate::auth::sessions::Sessions;
use crate::backend::SharedBackend;
use crate::{pages, security};

/// What every handler shares: the gateway, sessions, lockouts, the setup token.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

/// The shared parts.
pub struct Inner {
    /// The gateway.
    pub backend: SharedBackend,
    /// Logged-in and anonymous sessions.
    pub sessions: Sessions,
    /// Wrong-password counts per client.
    pub lockout: Lockout,
    /// The one-time setup link's token.
    pub setup: SetupToken,
    /// Whether the console is served over TLS (cookies get `Secure`).
    pub tls: bool,
}

impl Deref for AppState {
    type Target = Inner;

    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    /// A fresh state over `backend`.
    pub fn new(backend: SharedBackend, tls: bool) -> AppState {
        AppState(Arc::new(Inner {
            backend,
            sessions: Sessions::default(),
            lockout: Lockout::default(),
            setup: SetupToken::default(),
            tls,
        }))
    }

    /// The data directory (where the admin password lives).
    pub fn data_dir(&self) -> std::path::PathBuf {
        self.backend.settings().data_dir.clone()
    }
}

/// The whole console. Serve it with client addresses
/// (`into_make_service_with_connect_info::<SocketAddr>()`): the login lockout and
/// `/metrics` need them.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(pages::assets::routes())
        .merge(pages::login::routes())
        .merge(pages::setup::routes())
        .merge(pages::lang::routes())
        .merge(pages::metrics::routes())
        .merge(pages::dashboard::routes())
        .merge(pages::queue::routes())
        .merge(pages::devices::routes())
        .merge(pages::events::routes())
        .merge(pages::settings::routes())
        .merge(pages::wizard::routes())
        .layer(middleware::from_fn(security::headers))
        .with_state(state)
}
