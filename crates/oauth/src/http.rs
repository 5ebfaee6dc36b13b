//! Form posts to token and device authorization endpoints (RFC 6749 §4, RFC 8628 §3.1), by
//! hand over reqwest: the answers are small JSON objects, and the `oauth2` crate would hide
//! what the diagnosis needs (Microsoft's `error_codes` and AADSTS descriptions) and wait out
//! `slow_down` on its own clock instead of tokio's. Redirects are never followed.

use std::time::Duration;

use serde_json::Value;

use crate::error::{TokenError, aadsts_codes};
use crate::{OAuthError, Secret};

/// How token requests are made.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// Time limit of each request; `None` for none (tests on paused tokio time, where a
    /// pending timer would be fired by the clock's auto-advance while a request waits).
    pub timeout: Option<Duration>,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            timeout: Some(Duration::from_secs(30)),
        }
    }
}

/// A token endpoint's successful answer.
#[derive(Debug, Clone)]
pub struct TokenResponse {
    /// The access token.
    pub access_token: Secret,
    /// Seconds it is valid, when the authority says.
    pub expires_in: Option<u64>,
    /// A (new) refresh token, when the authority sends one.
    pub refresh_token: Option<Secret>,
    /// Scopes granted, when the authority says.
    pub scope: Option<String>,
}

/// The HTTP client for one account.
#[derive(Debug, Clone)]
pub(crate) struct Http {
    client: reqwest::Client,
}

impl Http {
    pub(crate) fn new(options: &HttpOptions) -> Result<Http, OAuthError> {
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            // Token requests are rare: no idle connections (and no idle timer) to keep.
            .pool_max_idle_per_host(0)
            .user_agent(concat!("scanrelay/", env!("CARGO_PKG_VERSION")));
        if let Some(t) = options.timeout {
            builder = builder.timeout(t).connect_timeout(t);
        }
        let client = builder.build().map_err(|e| {
            OAuthError::Config(format!("cannot set up the HTTP client: {}", chain(&e)))
        })?;
        Ok(Http { client })
    }

    /// Posts `form` to `url`: the JSON object of a 2xx answer, or the error.
    pub(crate) async fn post(&self, url: &str, form: &[(&str, &str)]) -> Result<Value, OAuthError> {
        let unreachable = |e: reqwest::Error| OAuthError::Unreachable {
            url: url.to_string(),
            message: chain(&e),
        };
        let answer = self
            .client
            .post(url)
            .header("Accept", "application/json")
            .form(form)
            .send()
            .await
            .map_err(unreachable)?;
        let status = answer.status().as_u16();
        let body = answer.bytes().await.map_err(unreachable)?;
        let json: Option<Value> = serde_json::from_slice(&body).ok();
        let bad = |message: String| OAuthError::BadResponse {
            url: url.to_string(),
            status,
            message,
        };
        if (200..300).contains(&status) {
            return match json {
                Some(v @ Value::Object(_)) => Ok(v),
                _ => Err(bad("the answer is not a JSON object".into())),
            };
        }
        match json.as_ref().and_then(|v| token_error(status, v)) {
            Some(e) => Err(OAuthError::Refused(Box::new(e))),
            None => {
                let snippet: String = String::from_utf8_lossy(&body).chars().take(200).collect();
                Err(bad(format!(
                    "not an OAuth2 error answer: {}",
                    snippet.trim()
                )))
            }
        }
    }

    /// Posts a token request and reads the token response.
    pub(crate) async fn token(
        &self,
        url: &str,
        form: &[(&str, &str)],
    ) -> Result<TokenResponse, OAuthError> {
        let v = self.post(url, form).await?;
        parse_tokens(&v).ok_or_else(|| OAuthError::BadResponse {
            url: url.to_string(),
            status: 200,
            message: "the answer has no access_token".into(),
        })
    }
}

/// An RFC 6749 §5.2 error object, with Microsoft's `error_codes`.
pub(crate) fn token_error(status: u16, v: &Value) -> Option<TokenError> {
    let error = v.get("error")?.as_str()?.to_string();
    let description = v
        .get("error_description")
        .and_then(Value::as_str)
        .map(str::to_string);
    let mut aadsts: Vec<String> = v
        .get("error_codes")
        .and_then(Value::as_array)
        .map(|codes| {
            codes
                .iter()
                .filter_map(Value::as_u64)
                .map(|c| format!("AADSTS{c}"))
                .collect()
        })
        .unwrap_or_default();
    for code in description.as_deref().map(aadsts_codes).unwrap_or_default() {
        if !aadsts.contains(&code) {
            aadsts.push(code);
        }
    }
    Some(TokenError {
        status,
        error,
        description,
        aadsts,
    })
}

fn parse_tokens(v: &Value) -> Option<TokenResponse> {
    let access = v.get("access_token")?.as_str()?;
    if access.is_empty() {
        return None;
    }
    // Some authorities send expires_in as a string.
    let expires_in = match v.get("expires_in") {
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.parse().ok(),
        _ => None,
    };
    Some(TokenResponse {
        access_token: Secret::new(access),
        expires_in,
        refresh_token: v
            .get("refresh_token")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(Secret::new),
        scope: v.get("scope").and_then(Value::as_str).map(str::to_string),
    })
}

/// An error and its sources on one line.
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let part = s.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = s.source();
    }
    text
}
