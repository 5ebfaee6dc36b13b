//! Where the bearer token comes from: a small trait the gateway implements over its OAuth
//! token manager, and a static token for tests and tools.

use futures_util::future::BoxFuture;

/// Why no token could be had.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct BearerError {
    /// What went wrong, for people (never the token itself).
    pub message: String,
    /// Whether trying again later may help (a token endpoint outage) or a person must act
    /// (a dead grant).
    pub transient: bool,
}

/// A source of Graph access tokens.
pub trait BearerSource: Send + Sync {
    /// A token to use now (refreshed ahead of expiry by the implementation).
    fn bearer(&self) -> BoxFuture<'_, Result<String, BearerError>>;
    /// Graph refused `token` with 401: drop it, so the next [`bearer`](Self::bearer) call
    /// fetches a new one.
    fn rejected(&self, token: &str) -> BoxFuture<'_, ()>;
}

/// A fixed token (tests, one-off tools). `rejected` does nothing.
#[derive(Clone)]
pub struct StaticBearer(String);

impl StaticBearer {
    /// Wraps `token`.
    pub fn new(token: impl Into<String>) -> StaticBearer {
        StaticBearer(token.into())
    }
}

impl std::fmt::Debug for StaticBearer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StaticBearer(<redacted>)")
    }
}

impl BearerSource for StaticBearer {
    fn bearer(&self) -> BoxFuture<'_, Result<String, BearerError>> {
        Box::pin(async move { Ok(self.0.clone()) })
    }

    fn rejected(&self, _token: &str) -> BoxFuture<'_, ()> {
        Box::pin(async {})
    }
}
