//! [`TokenManager`]: one per account, shared by everything that needs its access tokens.
//!
//! * Access tokens are reused until less than `refresh_margin` (5 minutes) of their life is
//!   left, then refreshed.
//! * Refreshes are single-flight: one at a time per account in this process (a mutex) and
//!   across processes (the store's lock file). After taking the lock the token file is read
//!   again, so a refresh another process just made is used instead of spending the (already
//!   rotated) refresh token a second time.
//! * A rotated refresh token is written durably before the new access token is handed out.
//! * `invalid_grant` marks the account `needs_login` in its token file; from then on
//!   [`TokenManager::bearer`] answers [`OAuthError::NeedsLogin`] without asking the authority
//!   until the file changes (a new `scanrelay oauth login`, from any process). The file is
//!   looked at on every `bearer()` and by [`TokenManager::spawn_watch`]; a new grant bumps
//!   the [`TokenManager::grant_changed`] channel.

use std::sync::{Arc, Weak};
use std::time::{Duration, SystemTime};

use tokio::sync::{Mutex, watch};

use crate::grant::{Clock, refreshed, system_clock};
use crate::status::{AccountStatus, status_of};
use crate::store::{DeadGrant, Fingerprint, Grant, LastError, TokenStore};
use crate::{AccountConfig, Flow, HttpOptions, OAuthClient, OAuthError, Secret};

/// How a manager behaves; [`Default`] is what the gateway uses.
#[derive(Clone)]
pub struct ManagerOptions {
    /// Refresh when less than this is left of the access token's life.
    pub refresh_margin: Duration,
    /// HTTP settings.
    pub http: HttpOptions,
    /// The wall clock (tests inject one).
    pub clock: Clock,
}

impl Default for ManagerOptions {
    fn default() -> Self {
        ManagerOptions {
            refresh_margin: Duration::from_secs(300),
            http: HttpOptions::default(),
            clock: system_clock(),
        }
    }
}

/// An access token handed out by [`TokenManager::bearer`]. `Debug` does not show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessToken {
    token: Secret,
    expires: Option<SystemTime>,
}

impl AccessToken {
    /// The token, for the AUTH command or the Authorization header.
    pub fn expose(&self) -> &str {
        self.token.expose()
    }

    /// When it expires.
    pub fn expires(&self) -> Option<SystemTime> {
        self.expires
    }
}

/// Hands out access tokens of one account. See the module docs.
pub struct TokenManager {
    account: AccountConfig,
    client: OAuthClient,
    store: TokenStore,
    options: ManagerOptions,
    inner: Mutex<Inner>,
    changed: watch::Sender<u64>,
}

#[derive(Default)]
struct Inner {
    /// Whether the file has been read once.
    loaded: bool,
    grant: Option<Grant>,
    seen: Option<Fingerprint>,
    /// An access token a server refused: never handed out again.
    rejected: Option<Secret>,
    /// Set when a refreshed grant could not be written: it is written before any use.
    unsaved: bool,
}

impl std::fmt::Debug for TokenManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenManager")
            .field("account", &self.account.name)
            .finish_non_exhaustive()
    }
}

impl TokenManager {
    /// A manager for `account` with its tokens under `<data_dir>/oauth/`.
    pub fn new(
        account: AccountConfig,
        data_dir: &std::path::Path,
    ) -> Result<TokenManager, OAuthError> {
        TokenManager::with_options(account, data_dir, ManagerOptions::default())
    }

    /// [`TokenManager::new`] with explicit options.
    pub fn with_options(
        account: AccountConfig,
        data_dir: &std::path::Path,
        options: ManagerOptions,
    ) -> Result<TokenManager, OAuthError> {
        let client = OAuthClient::new(&account, &options.http)?;
        Ok(TokenManager {
            account,
            client,
            store: TokenStore::new(data_dir),
            options,
            inner: Mutex::new(Inner::default()),
            changed: watch::channel(0).0,
        })
    }

    /// The account.
    pub fn account(&self) -> &AccountConfig {
        &self.account
    }

    /// The store.
    pub fn store(&self) -> &TokenStore {
        &self.store
    }

    /// A valid access token: the stored one while more than the refresh margin of its life
    /// is left, else a refreshed one (stored first).
    pub async fn bearer(&self) -> Result<AccessToken, OAuthError> {
        let mut inner = self.inner.lock().await;
        self.sync(&mut inner)?;
        self.save_pending(&mut inner)?;
        if let Some(token) = self.usable(&inner)? {
            return Ok(token);
        }
        // Refresh, single-flight across processes too; then read the file again.
        let _lock = self.store.lock(&self.account.name).await?;
        self.sync(&mut inner)?;
        if let Some(token) = self.usable(&inner)? {
            return Ok(token);
        }
        self.refresh_locked(&mut inner).await
    }

    /// A server refused `token` (`535` after XOAUTH2, HTTP 401): it is not handed out
    /// again, so the next [`TokenManager::bearer`] refreshes.
    pub async fn rejected(&self, token: &AccessToken) {
        let mut inner = self.inner.lock().await;
        inner.rejected = Some(token.token.clone());
    }

    /// A channel bumped whenever a new grant (a login or import, from any process) is noticed.
    pub fn grant_changed(&self) -> watch::Receiver<u64> {
        self.changed.subscribe()
    }

    /// Looks at the token file now; returns whether a new grant was noticed.
    pub async fn check_store(&self) -> bool {
        let before = *self.changed.borrow();
        let mut inner = self.inner.lock().await;
        if let Err(e) = self.sync(&mut inner) {
            tracing::debug!(account = %self.account.name, "cannot read the token file: {e}");
        }
        *self.changed.borrow() != before
    }

    /// Checks the token file every `every` until the manager is dropped, so a login made
    /// while nothing asks for tokens (a held queue) is noticed within that time.
    pub fn spawn_watch(self: &Arc<Self>, every: Duration) -> tokio::task::JoinHandle<()> {
        let weak: Weak<TokenManager> = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let Some(manager) = weak.upgrade() else {
                    return;
                };
                manager.check_store().await;
            }
        })
    }

    /// The account's status as this manager sees it.
    pub async fn status(&self) -> AccountStatus {
        let mut inner = self.inner.lock().await;
        let now = (self.options.clock)();
        match self.sync(&mut inner) {
            Ok(()) => status_of(&self.account, inner.grant.as_ref(), now),
            Err(e) => {
                let mut s = status_of(&self.account, inner.grant.as_ref(), now);
                s.state = crate::TokenState::Error;
                s.reason = Some(e.to_string());
                s
            }
        }
    }

    /// Reads the token file when it changed since last seen; bumps `changed` on a new grant.
    fn sync(&self, inner: &mut Inner) -> Result<(), OAuthError> {
        let now_seen = self.store.fingerprint(&self.account.name);
        if inner.loaded && now_seen == inner.seen {
            return Ok(());
        }
        let grant = self.store.load(&self.account.name)?;
        let new_grant = inner.loaded && is_new_grant(inner.grant.as_ref(), grant.as_ref());
        inner.grant = grant;
        inner.seen = now_seen;
        inner.loaded = true;
        inner.unsaved = false;
        if new_grant {
            tracing::info!(account = %self.account.name, "a new OAuth2 grant was stored: using it");
            self.changed.send_modify(|n| *n += 1);
        }
        Ok(())
    }

    fn save_pending(&self, inner: &mut Inner) -> Result<(), OAuthError> {
        if let (true, Some(g)) = (inner.unsaved, inner.grant.as_ref()) {
            self.store.save(&self.account.name, g)?;
            inner.unsaved = false;
            inner.seen = self.store.fingerprint(&self.account.name);
        }
        Ok(())
    }

    /// The stored access token if it may be used; `NeedsLogin` for a dead or missing grant;
    /// `None` when a refresh is due.
    fn usable(&self, inner: &Inner) -> Result<Option<AccessToken>, OAuthError> {
        let needs_login = |reason: &str, cause| OAuthError::NeedsLogin {
            account: self.account.name.clone(),
            reason: reason.to_string(),
            cause,
        };
        let Some(g) = &inner.grant else {
            return match self.account.flow {
                Flow::ClientCredentials => Ok(None),
                _ => Err(needs_login("not logged in yet", None)),
            };
        };
        if let Some(dead) = &g.needs_login {
            return Err(needs_login(&dead.reason, dead.cause.clone().map(Box::new)));
        }
        if self.account.flow != Flow::ClientCredentials && g.refresh_token.is_none() {
            return Err(needs_login("no refresh token is stored", None));
        }
        let now = (self.options.clock)();
        let (Some(token), Some(expires)) = (&g.access_token, g.access_expires) else {
            return Ok(None);
        };
        let fresh = expires > now + self.options.refresh_margin;
        if !fresh || inner.rejected.as_ref() == Some(token) {
            return Ok(None);
        }
        Ok(Some(AccessToken {
            token: token.clone(),
            expires: Some(expires),
        }))
    }

    /// Refreshes (the caller holds both locks) and stores the result before returning it.
    async fn refresh_locked(&self, inner: &mut Inner) -> Result<AccessToken, OAuthError> {
        let old = inner.grant.clone().unwrap_or_default();
        let answer = match (&self.account.flow, &old.refresh_token) {
            (Flow::ClientCredentials, _) => self.client.client_credentials().await,
            (_, Some(rt)) => self.client.refresh(rt).await,
            (_, None) => unreachable!("usable() refuses a delegated grant without refresh token"),
        };
        let now = (self.options.clock)();
        match answer {
            Ok(tokens) => {
                let grant = refreshed(&old, tokens, now);
                let token = AccessToken {
                    token: grant
                        .access_token
                        .clone()
                        .expect("a refreshed grant has a token"),
                    expires: grant.access_expires,
                };
                inner.grant = Some(grant);
                inner.rejected = None;
                inner.unsaved = true;
                self.save_pending(inner)?;
                tracing::info!(account = %self.account.name, "access token refreshed");
                Ok(token)
            }
            Err(OAuthError::Refused(e))
                if e.is_dead_grant() && self.account.flow != Flow::ClientCredentials =>
            {
                let reason = format!("the authority refused the refresh token: {e}");
                tracing::warn!(account = %self.account.name, "{reason}; run `scanrelay oauth login {}`", self.account.name);
                let mut g = old;
                g.access_token = None;
                g.access_expires = None;
                g.needs_login = Some(DeadGrant {
                    reason: reason.clone(),
                    cause: Some(e.as_ref().clone()),
                    since: now,
                });
                self.record(inner, g);
                Err(OAuthError::NeedsLogin {
                    account: self.account.name.clone(),
                    reason,
                    cause: Some(e),
                })
            }
            Err(e) => {
                let mut g = old;
                g.last_error = Some(LastError {
                    message: e.to_string(),
                    cause: e.token_error().cloned(),
                    at: now,
                });
                self.record(inner, g);
                Err(e)
            }
        }
    }

    /// Keeps `g` and writes it (best effort: the state is also in memory).
    fn record(&self, inner: &mut Inner, g: Grant) {
        if let Err(e) = self.store.save(&self.account.name, &g) {
            tracing::warn!(account = %self.account.name, "{e}");
        }
        inner.seen = self.store.fingerprint(&self.account.name);
        inner.grant = Some(g);
    }
}

/// Whether `new` is another grant than `old`: a new login (or import), or a dead grant
/// brought back to life.
fn is_new_grant(old: Option<&Grant>, new: Option<&Grant>) -> bool {
    let Some(new) = new else { return false };
    if new.needs_login.is_some() {
        return false;
    }
    match old {
        None => true,
        Some(old) => old.login_at != new.login_at || old.needs_login.is_some(),
    }
}
