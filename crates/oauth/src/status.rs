//! What `scanrelay oauth status` shows for an account: `ok`, `needs_login` or `error`, the
//! access token's expiry, the last refresh, and warnings ahead of the expiries the
//! providers are known for.

use std::time::{Duration, SystemTime};

use crate::store::{Grant, TokenStore};
use crate::{AccountConfig, Flow, ProviderKind, TokenError};

const DAY: Duration = Duration::from_secs(86_400);
/// Google: refresh tokens of apps in "Testing" publishing status end 7 days after login.
const GOOGLE_TESTING_LIFE: Duration = Duration::from_secs(7 * 86_400);
/// Microsoft: refresh tokens unused for 90 days expire.
const MICROSOFT_IDLE_LIFE: Duration = Duration::from_secs(90 * 86_400);
/// How long before Microsoft's idle expiry to start warning.
const MICROSOFT_WARN_AHEAD: Duration = Duration::from_secs(14 * 86_400);

/// The state of an account's grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenState {
    /// Usable (or, for client credentials, obtainable without a login).
    Ok,
    /// A person must run `scanrelay oauth login`.
    NeedsLogin,
    /// The last token request failed for another reason (network, authority, config), or the
    /// token file cannot be read.
    Error,
}

impl TokenState {
    /// `ok`, `needs_login`, `error`.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenState::Ok => "ok",
            TokenState::NeedsLogin => "needs_login",
            TokenState::Error => "error",
        }
    }
}

/// One account's status. Holds no token.
#[derive(Debug, Clone)]
pub struct AccountStatus {
    /// The account name.
    pub name: String,
    /// Its provider.
    pub provider: ProviderKind,
    /// Its flow.
    pub flow: Flow,
    /// The state.
    pub state: TokenState,
    /// Why the state is not `ok`, in words.
    pub reason: Option<String>,
    /// The authority's answer behind a `needs_login` or `error`.
    pub cause: Option<TokenError>,
    /// When the stored access token expires.
    pub access_expires: Option<SystemTime>,
    /// When the refresh token was last used.
    pub last_refresh: Option<SystemTime>,
    /// When the grant was obtained.
    pub login_at: Option<SystemTime>,
    /// Warnings ahead of known expiries.
    pub warnings: Vec<String>,
}

/// The status of `account` from its token file, without any token request (safe beside a
/// running gateway).
pub fn account_status(
    account: &AccountConfig,
    store: &TokenStore,
    now: SystemTime,
) -> AccountStatus {
    match store.load(&account.name) {
        Ok(grant) => status_of(account, grant.as_ref(), now),
        Err(e) => {
            let mut s = status_of(account, None, now);
            s.state = TokenState::Error;
            s.reason = Some(e.to_string());
            s
        }
    }
}

/// The status of `account` given its stored grant.
pub fn status_of(account: &AccountConfig, grant: Option<&Grant>, now: SystemTime) -> AccountStatus {
    let mut s = AccountStatus {
        name: account.name.clone(),
        provider: account.provider,
        flow: account.flow,
        state: TokenState::Ok,
        reason: None,
        cause: None,
        access_expires: grant.and_then(|g| g.access_expires),
        last_refresh: grant.and_then(|g| g.last_refresh),
        login_at: grant.and_then(|g| g.login_at),
        warnings: Vec::new(),
    };
    let delegated = account.flow != Flow::ClientCredentials;
    match grant {
        None if delegated => {
            s.state = TokenState::NeedsLogin;
            s.reason = Some("not logged in yet".into());
        }
        None => {}
        Some(g) => {
            if let Some(dead) = &g.needs_login {
                s.state = TokenState::NeedsLogin;
                s.reason = Some(dead.reason.clone());
                s.cause = dead.cause.clone();
            } else if delegated && g.refresh_token.is_none() {
                s.state = TokenState::NeedsLogin;
                s.reason = Some("no refresh token is stored".into());
            } else if let Some(e) = &g.last_error {
                s.state = TokenState::Error;
                s.reason = Some(format!("{} (at {})", e.message, rfc3339(e.at)));
                s.cause = e.cause.clone();
            }
            if s.state != TokenState::NeedsLogin && delegated {
                s.warnings = expiry_warnings(account.provider, g, now);
            }
        }
    }
    s
}

fn expiry_warnings(provider: ProviderKind, g: &Grant, now: SystemTime) -> Vec<String> {
    let mut out = Vec::new();
    match provider {
        ProviderKind::Google => {
            if let Some(login) = g.login_at {
                let end = login + GOOGLE_TESTING_LIFE;
                if now < end + DAY {
                    out.push(format!(
                        "Google ends the refresh tokens of apps in \"Testing\" publishing status 7 \
                         days after the login: if this app is in Testing, this grant stops working \
                         at {} and needs `scanrelay oauth login` again. Set the app's OAuth consent \
                         screen to \"In production\" to lift the limit.",
                        rfc3339(end)
                    ));
                }
            }
        }
        ProviderKind::Microsoft => {
            if let Some(used) = g.last_refresh.or(g.login_at) {
                let end = used + MICROSOFT_IDLE_LIFE;
                if now + MICROSOFT_WARN_AHEAD >= end {
                    out.push(format!(
                        "the refresh token was last used at {}; Microsoft ends refresh tokens \
                         unused for 90 days, so this grant stops working at {} unless it is used \
                         before (any delivery or `scanrelay check --oauth` uses it)",
                        rfc3339(used),
                        rfc3339(end)
                    ));
                }
            }
        }
        ProviderKind::Custom => {}
    }
    out
}

/// A time as RFC 3339 in UTC, to the second.
pub fn rfc3339(t: SystemTime) -> String {
    match jiff::Timestamp::try_from(t) {
        Ok(ts) => ts
            .round(jiff::Unit::Second)
            .map_or_else(|_| ts.to_string(), |r| r.to_string()),
        Err(_) => "(out of range)".into(),
    }
}
