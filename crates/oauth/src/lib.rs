//! OAuth2 accounts for scanrelay: the gateway logs in for devices that cannot.
//!
//! * [`AccountConfig`] and [`resolve_endpoints`] / [`default_scopes`]: an account as the
//!   config describes it (Microsoft, Google or custom; device code, auth code + PKCE, or
//!   client credentials).
//! * [`OAuthClient`]: the flows against the authority; [`LoopbackRedirect`] takes the
//!   browser's redirect on 127.0.0.1.
//! * [`TokenStore`]: one 0600 file per account, written atomically and durably.
//! * [`TokenManager`]: hands out access tokens, refreshes ahead of expiry, single-flight,
//!   rotation stored before use, `needs_login` on a dead grant and recovery when a new login
//!   is stored by another process.
//! * [`account_status`]: `ok` / `needs_login` / `error` with warnings ahead of known expiries.
//!
//! HTTP is reqwest with redirects off and hand-written form posts rather than the `oauth2`
//! crate, which would hide Microsoft's `error_codes` and AADSTS descriptions that the
//! diagnosis maps, and would wait out `slow_down` on its own clock instead of tokio's.
//!
//! What it must not do: let a token or client secret reach a log, an error, a `Debug` or
//! `Display` ([`Secret`]); depend on the gateway or the CLI.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod account;
mod error;
mod flows;
mod grant;
mod http;
mod loopback;
mod manager;
mod secret;
mod status;
mod store;

pub use account::{
    AccountConfig, EndpointError, EndpointOverrides, Endpoints, Flow, GOOGLE_AUTH_URL,
    GOOGLE_TOKEN_URL, MICROSOFT_AUTHORITY, ProviderKind, TokenUse, check_url, default_scopes,
    is_loopback, resolve_endpoints,
};
pub use error::{OAuthError, TokenError};
pub use flows::{AuthCodeStart, DeviceAuthorization, OAuthClient, PASTE_REDIRECT_URI};
pub use grant::{Clock, from_login, import, store_login, system_clock};
pub use http::{HttpOptions, TokenResponse};
pub use loopback::LoopbackRedirect;
pub use manager::{AccessToken, ManagerOptions, TokenManager};
pub use secret::Secret;
pub use status::{AccountStatus, TokenState, account_status, rfc3339, status_of};
pub use store::{DeadGrant, Fingerprint, Grant, LastError, StoreLock, TokenStore};
