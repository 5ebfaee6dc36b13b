//! OAuth2 tokens as upstream credentials: [`OAuthTokens`] asks an account's
//! `scanrelay_oauth::TokenManager` for an access token at every new SMTP session (XOAUTH2 /
//! OAUTHBEARER) and for every Graph request, and tells it when a server refused one (the next
//! request refreshes it). A token endpoint that refuses the grant (`invalid_grant`: expired,
//! revoked, 90 days unused, a Google app in Testing status after 7 days) makes the account
//! `needs_login`: the failure carries the diagnosis and the `scanrelay oauth login NAME`
//! command, the upstream's mail is held, and the manager's watch on the token file wakes the
//! scheduler once a new login is stored.

use std::sync::{Arc, Mutex};

use scanrelay_client::Credentials;
use scanrelay_diagnose::{Cause, oauth_error_cause_with_codes};
use scanrelay_graph::{BearerError, BearerSource};
use scanrelay_oauth::{OAuthError, TokenManager};
use tokio::sync::watch;

use crate::delivery::credentials::{CredentialError, CredentialSource};
use crate::delivery::graph_upstream::GraphCredentials;
use crate::delivery::upstream::BoxFuture;

/// An account's tokens for one mailbox.
pub struct OAuthTokens {
    manager: Arc<TokenManager>,
    mailbox: String,
    last_error: Mutex<Option<CredentialError>>,
}

impl std::fmt::Debug for OAuthTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthTokens")
            .field("account", &self.manager.account().name)
            .field("mailbox", &self.mailbox)
            .finish_non_exhaustive()
    }
}

impl OAuthTokens {
    /// Tokens of `manager`'s account, presented for `mailbox` (XOAUTH2's `user=`).
    pub fn new(manager: Arc<TokenManager>, mailbox: impl Into<String>) -> OAuthTokens {
        OAuthTokens {
            manager,
            mailbox: mailbox.into(),
            last_error: Mutex::new(None),
        }
    }

    async fn token(&self) -> Result<scanrelay_oauth::AccessToken, CredentialError> {
        match self.manager.bearer().await {
            Ok(token) => {
                *self.lock() = None;
                Ok(token)
            }
            Err(e) => {
                let error = credential_error(&self.manager.account().name, &e);
                *self.lock() = Some(error.clone());
                Err(error)
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<CredentialError>> {
        self.last_error.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The diagnosis of a token failure, with what to do. A dead grant needs a login.
pub fn credential_error(account: &str, e: &OAuthError) -> CredentialError {
    let cause = match e.token_error() {
        Some(t) => {
            let codes: Vec<u32> = t.aadsts.iter().filter_map(|c| c.parse().ok()).collect();
            oauth_error_cause_with_codes(&t.error, t.description.as_deref(), &codes)
        }
        None if e.needs_login() => Cause::OauthNeedsLogin,
        None if e.is_transient() => Cause::OauthTemporarilyUnavailable,
        None => Cause::OauthRequestRejected,
    };
    let needs_login = e.needs_login() || cause.needs_login();
    let mut detail = e.to_string();
    if needs_login && !detail.contains("scanrelay oauth login") {
        detail.push_str(&format!("; run `scanrelay oauth login {account}`"));
    }
    CredentialError {
        detail,
        cause,
        needs_login,
    }
}

impl CredentialSource for OAuthTokens {
    fn credentials(&self) -> BoxFuture<'_, Result<Credentials, CredentialError>> {
        Box::pin(async move {
            let token = self.token().await?;
            Ok(Credentials::Token {
                user: self.mailbox.clone(),
                token: token.expose().to_string(),
            })
        })
    }

    fn refused(&self, used: &Credentials) -> BoxFuture<'_, bool> {
        let refused = used.secret().to_string();
        Box::pin(async move {
            // Only the token handed out last can be marked; a refused one is never reused.
            if let Ok(current) = self.manager.bearer().await
                && current.expose() == refused
            {
                self.manager.rejected(&current).await;
                return true;
            }
            false
        })
    }

    fn is_token(&self) -> bool {
        true
    }

    fn changed(&self) -> Option<watch::Receiver<u64>> {
        Some(self.manager.grant_changed())
    }

    fn account(&self) -> Option<&str> {
        Some(&self.manager.account().name)
    }
}

impl BearerSource for OAuthTokens {
    fn bearer(&self) -> futures_util::future::BoxFuture<'_, Result<String, BearerError>> {
        Box::pin(async move {
            match self.token().await {
                Ok(token) => Ok(token.expose().to_string()),
                Err(e) => Err(BearerError {
                    message: e.detail,
                    transient: !e.needs_login && e.cause.is_transient(),
                }),
            }
        })
    }

    fn rejected(&self, token: &str) -> futures_util::future::BoxFuture<'_, ()> {
        let token = token.to_string();
        Box::pin(async move {
            if let Ok(current) = self.manager.bearer().await
                && current.expose() == token
            {
                self.manager.rejected(&current).await;
            }
        })
    }
}

impl GraphCredentials for OAuthTokens {
    fn last_error(&self) -> Option<CredentialError> {
        self.lock().clone()
    }

    fn account(&self) -> Option<&str> {
        Some(&self.manager.account().name)
    }

    fn changed(&self) -> Option<watch::Receiver<u64>> {
        Some(self.manager.grant_changed())
    }
}
