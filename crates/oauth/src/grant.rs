//! Turning token responses into stored grants: after a login, an import or a refresh.

use std::time::{Duration, SystemTime};

use crate::http::TokenResponse;
use crate::store::{Grant, TokenStore};
use crate::{AccountConfig, OAuthClient, OAuthError, Secret};

/// Access token lifetime assumed when the authority names none.
const DEFAULT_LIFETIME: Duration = Duration::from_secs(3600);

/// The wall clock, injectable for tests (token expiry is wall-clock time: it is stored).
pub type Clock = std::sync::Arc<dyn Fn() -> SystemTime + Send + Sync>;

/// The system clock.
pub fn system_clock() -> Clock {
    std::sync::Arc::new(SystemTime::now)
}

/// The grant a successful refresh (or client credentials request) leaves: a rotated refresh
/// token replaces the old one, otherwise the old one stays.
pub(crate) fn refreshed(old: &Grant, t: TokenResponse, now: SystemTime) -> Grant {
    // The file keeps whole seconds: so does the grant in memory.
    let now = whole_seconds(now);
    Grant {
        refresh_token: t.refresh_token.or_else(|| old.refresh_token.clone()),
        access_token: Some(t.access_token),
        access_expires: Some(now + t.expires_in.map_or(DEFAULT_LIFETIME, Duration::from_secs)),
        scopes: t
            .scope
            .map(|s| s.split_whitespace().map(str::to_string).collect())
            .unwrap_or_else(|| old.scopes.clone()),
        login_at: old.login_at.or(Some(now)),
        last_refresh: Some(now),
        needs_login: None,
        last_error: None,
    }
}

/// A new grant from a login.
pub fn from_login(account: &AccountConfig, t: TokenResponse, now: SystemTime) -> Grant {
    let fresh = Grant {
        scopes: account.scopes.clone(),
        login_at: Some(whole_seconds(now)),
        ..Grant::default()
    };
    let mut g = refreshed(&fresh, t, now);
    g.last_refresh = None;
    g
}

/// Stores a new grant from a login (under the account's lock, so a refresh running in the
/// gateway at the same moment does not overwrite it).
pub async fn store_login(
    store: &TokenStore,
    account: &AccountConfig,
    t: TokenResponse,
    now: SystemTime,
) -> Result<Grant, OAuthError> {
    let grant = from_login(account, t, now);
    let _lock = store.lock(&account.name).await?;
    store.save(&account.name, &grant)?;
    Ok(grant)
}

/// Imports a refresh token obtained elsewhere (sasl-xoauth2, email-oauth2-proxy): one
/// refresh proves it works, and the result (with the rotated refresh token, if any) is
/// stored. The given token is not stored when the authority refuses it.
pub async fn import(
    client: &OAuthClient,
    store: &TokenStore,
    refresh_token: Secret,
    now: SystemTime,
) -> Result<Grant, OAuthError> {
    let account = client.account();
    let _lock = store.lock(&account.name).await?;
    let t = client.refresh(&refresh_token).await?;
    let seed = Grant {
        refresh_token: Some(refresh_token),
        scopes: account.scopes.clone(),
        login_at: Some(whole_seconds(now)),
        ..Grant::default()
    };
    let grant = refreshed(&seed, t, now);
    store.save(&account.name, &grant)?;
    Ok(grant)
}

/// `t` without its fraction of a second.
fn whole_seconds(t: SystemTime) -> SystemTime {
    match t.duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => std::time::UNIX_EPOCH + Duration::from_secs(d.as_secs()),
        Err(_) => t,
    }
}
