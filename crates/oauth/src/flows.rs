//! The grant flows against one account's authority: device code (RFC 8628), authorization
//! code with PKCE S256 (RFC 7636) and a loopback or pasted redirect (RFC 8252), client
//! credentials, and the refresh grant. Waiting is on tokio's clock.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore as _;
use serde_json::Value;
use sha2::{Digest as _, Sha256};
use tokio::time::Instant;

use crate::http::{Http, HttpOptions, TokenResponse};
use crate::{AccountConfig, Flow, OAuthError, ProviderKind, Secret};

/// What RFC 8628 §3.5 adds to the interval on `slow_down`.
const SLOW_DOWN_STEP: Duration = Duration::from_secs(5);
/// The polling interval when the authority names none (RFC 8628 §3.2).
const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);
/// The redirect URI of the paste mode: nothing listens there; the browser shows an error
/// page whose address the user copies.
pub const PASTE_REDIRECT_URI: &str = "http://localhost/";

/// Talks to one account's authority.
#[derive(Debug, Clone)]
pub struct OAuthClient {
    account: AccountConfig,
    http: Http,
}

/// A started device authorization: what to show the user.
#[derive(Debug, Clone)]
pub struct DeviceAuthorization {
    /// The code the user types.
    pub user_code: String,
    /// Where the user types it.
    pub verification_uri: String,
    /// The URL with the code filled in, when the authority gives one.
    pub verification_uri_complete: Option<String>,
    /// The authority's own instructions, when it gives them (Microsoft does).
    pub message: Option<String>,
    /// How long the code is valid.
    pub expires_in: Duration,
    /// The polling interval.
    pub interval: Duration,
    device_code: Secret,
}

/// A started authorization code sign-in: the URL to open, and what checks its answer.
#[derive(Debug, Clone)]
pub struct AuthCodeStart {
    /// The URL the user opens in a browser.
    pub url: String,
    /// The redirect URI sent (loopback or [`PASTE_REDIRECT_URI`]).
    pub redirect_uri: String,
    state: String,
    verifier: Secret,
}

impl OAuthClient {
    /// A client for `account`.
    pub fn new(account: &AccountConfig, options: &HttpOptions) -> Result<OAuthClient, OAuthError> {
        Ok(OAuthClient {
            account: account.clone(),
            http: Http::new(options)?,
        })
    }

    /// The account.
    pub fn account(&self) -> &AccountConfig {
        &self.account
    }

    fn scope(&self) -> String {
        self.account.scopes.join(" ")
    }

    /// `client_id` and, for a confidential client, `client_secret` (in the body: both
    /// Microsoft and Google accept it there).
    fn client_fields<'a>(&'a self, form: &mut Vec<(&'a str, &'a str)>) {
        form.push(("client_id", &self.account.client_id));
        if let Some(secret) = &self.account.client_secret {
            form.push(("client_secret", secret.expose()));
        }
    }

    /// Starts a device authorization (RFC 8628 §3.1).
    pub async fn start_device(&self) -> Result<DeviceAuthorization, OAuthError> {
        let url = self.account.endpoints.device.as_deref().ok_or_else(|| {
            OAuthError::Config(format!(
                "account \"{}\" has no device authorization endpoint: set device_url, or use flow = \"auth_code\"",
                self.account.name
            ))
        })?;
        let scope = self.scope();
        let mut form = vec![("scope", scope.as_str())];
        self.client_fields(&mut form);
        let v = self.http.post(url, &form).await?;
        parse_device(&v).ok_or_else(|| OAuthError::BadResponse {
            url: url.to_string(),
            status: 200,
            message: "the answer lacks device_code, user_code or verification_uri".into(),
        })
    }

    /// Polls the token endpoint until the user completes the sign-in: `authorization_pending`
    /// waits another interval, `slow_down` lengthens the interval by 5 seconds, and the wait
    /// ends with [`OAuthError::DeviceCodeExpired`] when the code's `expires_in` is over.
    /// Network failures are retried until then.
    pub async fn poll_device(
        &self,
        device: &DeviceAuthorization,
    ) -> Result<TokenResponse, OAuthError> {
        let deadline = Instant::now() + device.expires_in;
        let mut interval = device.interval;
        let grant = "urn:ietf:params:oauth:grant-type:device_code";
        loop {
            // No timer runs while a request is out: the deadline is checked between polls.
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(OAuthError::DeviceCodeExpired);
            }
            tokio::time::sleep(interval.min(left)).await;
            if Instant::now() >= deadline {
                return Err(OAuthError::DeviceCodeExpired);
            }
            let mut form = vec![
                ("grant_type", grant),
                ("device_code", device.device_code.expose()),
            ];
            self.client_fields(&mut form);
            match self.http.token(&self.account.endpoints.token, &form).await {
                Ok(tokens) => return Ok(tokens),
                Err(OAuthError::Refused(e)) => match e.error.as_str() {
                    "authorization_pending" => {}
                    "slow_down" => interval += SLOW_DOWN_STEP,
                    "expired_token" | "code_expired" => return Err(OAuthError::DeviceCodeExpired),
                    "access_denied" | "authorization_declined" => {
                        return Err(OAuthError::Declined(e));
                    }
                    _ => return Err(OAuthError::Refused(e)),
                },
                Err(e) if e.is_transient() => {
                    tracing::warn!(account = %self.account.name, "polling for the sign-in failed, trying again: {e}");
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Starts an authorization code sign-in with PKCE S256 for `redirect_uri`.
    pub fn start_auth_code(&self, redirect_uri: &str) -> Result<AuthCodeStart, OAuthError> {
        let authorize = self.account.endpoints.authorize.as_deref().ok_or_else(|| {
            OAuthError::Config(format!(
                "account \"{}\" has no authorization endpoint: set auth_url",
                self.account.name
            ))
        })?;
        let verifier = random_token(32);
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        let state = random_token(16);
        let mut url = reqwest::Url::parse(authorize)
            .map_err(|e| OAuthError::Config(format!("auth_url \"{authorize}\": {e}")))?;
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("client_id", &self.account.client_id)
                .append_pair("response_type", "code")
                .append_pair("redirect_uri", redirect_uri)
                .append_pair("scope", &self.scope())
                .append_pair("state", &state)
                .append_pair("code_challenge", &challenge)
                .append_pair("code_challenge_method", "S256");
            if self.account.provider == ProviderKind::Google {
                // A refresh token, also on a second sign-in.
                q.append_pair("access_type", "offline")
                    .append_pair("prompt", "consent");
            }
        }
        Ok(AuthCodeStart {
            url: url.to_string(),
            redirect_uri: redirect_uri.to_string(),
            state,
            verifier: Secret::new(verifier),
        })
    }

    /// Exchanges the code from the redirect (with the PKCE verifier).
    pub async fn exchange_code(
        &self,
        start: &AuthCodeStart,
        code: &Secret,
    ) -> Result<TokenResponse, OAuthError> {
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code.expose()),
            ("redirect_uri", start.redirect_uri.as_str()),
            ("code_verifier", start.verifier.expose()),
        ];
        self.client_fields(&mut form);
        self.http.token(&self.account.endpoints.token, &form).await
    }

    /// An app-only token (client credentials).
    pub async fn client_credentials(&self) -> Result<TokenResponse, OAuthError> {
        if self.account.client_secret.is_none() {
            return Err(OAuthError::Config(format!(
                "account \"{}\" uses client_credentials but has no client_secret_file",
                self.account.name
            )));
        }
        let scope = self.scope();
        let mut form = vec![
            ("grant_type", "client_credentials"),
            ("scope", scope.as_str()),
        ];
        self.client_fields(&mut form);
        self.http.token(&self.account.endpoints.token, &form).await
    }

    /// The refresh grant. The answer may carry a new refresh token (Microsoft rotates them):
    /// store it before using the access token.
    pub async fn refresh(&self, refresh_token: &Secret) -> Result<TokenResponse, OAuthError> {
        let scope = self.scope();
        let mut form = vec![
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token.expose()),
        ];
        if !scope.is_empty() {
            form.push(("scope", scope.as_str()));
        }
        self.client_fields(&mut form);
        self.http.token(&self.account.endpoints.token, &form).await
    }

    /// Whether this account's flow needs a person to log in.
    pub fn needs_user(&self) -> bool {
        self.account.flow != Flow::ClientCredentials
    }
}

impl AuthCodeStart {
    /// The code from a redirect URL (as pasted, or as the loopback listener received it),
    /// after checking that `state` is this sign-in's.
    pub fn code_from_redirect(&self, redirected: &str) -> Result<Secret, OAuthError> {
        let text = redirected.trim();
        let url = reqwest::Url::parse(text)
            .or_else(|_| {
                reqwest::Url::parse(&format!(
                    "http://localhost/{}",
                    text.trim_start_matches('/')
                ))
            })
            .map_err(|_| {
                OAuthError::BadRedirect("that is not the address the browser was sent to".into())
            })?;
        let get = |name: &str| {
            url.query_pairs()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.into_owned())
        };
        if let Some(error) = get("error") {
            return Err(OAuthError::Declined(Box::new(crate::TokenError {
                status: 0,
                error,
                description: get("error_description"),
                aadsts: get("error_description")
                    .as_deref()
                    .map(crate::error::aadsts_codes)
                    .unwrap_or_default(),
            })));
        }
        match (get("state"), get("code")) {
            (Some(state), Some(code)) if state == self.state => Ok(Secret::new(code)),
            (Some(_), Some(_)) => Err(OAuthError::BadRedirect(
                "the address is from another sign-in (its state does not match): open the URL printed by this run".into(),
            )),
            _ => Err(OAuthError::BadRedirect(
                "the address has no code and state: copy the whole address from the browser's address bar".into(),
            )),
        }
    }
}

fn parse_device(v: &Value) -> Option<DeviceAuthorization> {
    let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    let secs = |k: &str| match v.get(k) {
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.parse().ok(),
        _ => None,
    };
    Some(DeviceAuthorization {
        device_code: Secret::new(text("device_code")?),
        user_code: text("user_code")?,
        // Google spells it verification_url.
        verification_uri: text("verification_uri").or_else(|| text("verification_url"))?,
        verification_uri_complete: text("verification_uri_complete"),
        message: text("message"),
        expires_in: Duration::from_secs(secs("expires_in").unwrap_or(900)),
        interval: secs("interval").map_or(DEFAULT_INTERVAL, Duration::from_secs),
    })
}

/// `bytes` random bytes, base64url without padding (PKCE verifier, state).
fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}
