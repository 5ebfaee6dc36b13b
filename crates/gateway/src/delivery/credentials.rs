//! [`CredentialSource`]: where an upstream gets the credentials for each new session, and
//! whom it tells when the server refused them.
//!
//! A password never changes while the gateway runs ([`StaticPassword`]); an OAuth2 access
//! token expires within the hour and is refreshed by the token manager of its account (see
//! `oauth_source`). The upstream asks at every new connection (never freezing a token into its
//! configuration) and reports a refusal, so a token the server refused is refreshed once and
//! the login tried again before the attempt counts as failed.

use scanrelay_client::Credentials;
use scanrelay_diagnose::Cause;
use tokio::sync::watch;

use crate::delivery::upstream::BoxFuture;

/// Why no credentials could be had.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{detail}")]
pub struct CredentialError {
    /// What is wrong and what to do; never contains a secret.
    pub detail: String,
    /// The diagnosis.
    pub cause: Cause,
    /// Only a person can fix it (log in again): the upstream's mail is held.
    pub needs_login: bool,
}

/// Credentials for new upstream sessions.
pub trait CredentialSource: Send + Sync {
    /// The credentials to log in with now.
    fn credentials(&self) -> BoxFuture<'_, Result<Credentials, CredentialError>>;

    /// The server refused `used`. Returns whether fresh credentials may now differ (a token
    /// was refreshed), i.e. whether one more login is worth trying in the same attempt.
    fn refused(&self, used: &Credentials) -> BoxFuture<'_, bool>;

    /// Whether these are OAuth2 tokens (for the diagnosis of a refusal: a refused token is not
    /// a wrong password).
    fn is_token(&self) -> bool;

    /// Wakes when credentials that needed a login are usable again. `None`: never.
    fn changed(&self) -> Option<watch::Receiver<u64>> {
        None
    }

    /// The `[[oauth]]` account behind these credentials, if any.
    fn account(&self) -> Option<&str> {
        None
    }
}

/// A user name and password from the config (an app password, say).
pub struct StaticPassword {
    user: String,
    password: String,
}

impl StaticPassword {
    /// Credentials that never change.
    pub fn new(user: impl Into<String>, password: impl Into<String>) -> StaticPassword {
        StaticPassword {
            user: user.into(),
            password: password.into(),
        }
    }
}

impl std::fmt::Debug for StaticPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "StaticPassword {{ user: {:?}, password: <redacted> }}",
            self.user
        )
    }
}

impl CredentialSource for StaticPassword {
    fn credentials(&self) -> BoxFuture<'_, Result<Credentials, CredentialError>> {
        let credentials = Credentials::Password {
            user: self.user.clone(),
            password: self.password.clone(),
        };
        Box::pin(async move { Ok(credentials) })
    }

    fn refused(&self, _used: &Credentials) -> BoxFuture<'_, bool> {
        Box::pin(async { false })
    }

    fn is_token(&self) -> bool {
        false
    }
}
