//! [`OAuthError`]: what went wrong, with the authority's own `error`, `error_description` and
//! AADSTS codes kept so the diagnosis can map them. Never holds a token or a client secret.

use std::path::PathBuf;

/// An error answer of a token (or device authorization) endpoint, RFC 6749 §5.2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenError {
    /// HTTP status.
    pub status: u16,
    /// The `error` code: `invalid_grant`, `invalid_client`, `authorization_pending`, ...
    pub error: String,
    /// `error_description`, as the authority wrote it.
    pub description: Option<String>,
    /// Microsoft's AADSTS codes, from `error_codes` or the description (`AADSTS700082`).
    pub aadsts: Vec<String>,
}

impl TokenError {
    /// Whether trying again later may succeed (server trouble, throttling), as opposed to a
    /// refusal that needs a person.
    pub fn is_transient(&self) -> bool {
        matches!(
            self.error.as_str(),
            "temporarily_unavailable" | "server_error"
        ) || self.status >= 500
            || self.status == 429
    }

    /// Whether the grant is dead: the user must log in again (`invalid_grant`: expired,
    /// revoked, password changed, consent withdrawn).
    pub fn is_dead_grant(&self) -> bool {
        self.error == "invalid_grant"
    }
}

impl std::fmt::Display for TokenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.error)?;
        if let Some(d) = &self.description {
            // Microsoft descriptions carry trace and correlation ids on further lines.
            write!(f, ": {}", d.lines().next().unwrap_or(d).trim())?;
        }
        write!(f, " (HTTP {})", self.status)
    }
}

/// Why an OAuth2 operation failed.
#[derive(Debug, thiserror::Error)]
pub enum OAuthError {
    /// The account has no usable grant: it was never logged in, logged out, or the
    /// authority refused the refresh token (`invalid_grant`). No token request is made until
    /// a new grant is stored (`scanrelay oauth login`).
    #[error(
        "OAuth2 account \"{account}\" needs a new login (`scanrelay oauth login {account}`): {reason}"
    )]
    NeedsLogin {
        /// The account name.
        account: String,
        /// Why, in words (with the authority's error when there was one).
        reason: String,
        /// The authority's answer that killed the grant.
        cause: Option<Box<TokenError>>,
    },
    /// The authority refused a request.
    #[error("the token endpoint refused the request: {0}")]
    Refused(Box<TokenError>),
    /// The authority could not be reached or did not answer in time.
    #[error("cannot reach {url}: {message}")]
    Unreachable {
        /// The endpoint (never with a secret: secrets go in bodies).
        url: String,
        /// What failed.
        message: String,
    },
    /// The authority answered something that is not an OAuth2 response.
    #[error("unexpected answer from {url} (HTTP {status}): {message}")]
    BadResponse {
        /// The endpoint.
        url: String,
        /// HTTP status.
        status: u16,
        /// What was wrong with it (never the body of a success, which holds tokens).
        message: String,
    },
    /// The device code expired before the sign-in was completed.
    #[error("the sign-in code expired before the sign-in was completed; run the login again")]
    DeviceCodeExpired,
    /// The user (or an admin policy) declined the sign-in.
    #[error("the sign-in was declined: {0}")]
    Declined(Box<TokenError>),
    /// The redirect did not come from the sign-in this process started.
    #[error("{0}")]
    BadRedirect(String),
    /// The account's config cannot do what was asked (e.g. no device endpoint).
    #[error("{0}")]
    Config(String),
    /// The token file could not be read or written.
    #[error("{action} {}: {source}", path.display())]
    Store {
        /// `cannot read`, `cannot write`, ...
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The token file is not what this version writes.
    #[error("the token file {} is damaged ({message}); run `scanrelay oauth login` again", path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong (never its content).
        message: String,
    },
}

impl OAuthError {
    /// Whether trying again later may succeed without a person doing anything.
    pub fn is_transient(&self) -> bool {
        match self {
            OAuthError::Unreachable { .. } | OAuthError::Store { .. } => true,
            OAuthError::BadResponse { status, .. } => *status >= 500 || *status == 429,
            OAuthError::Refused(e) => e.is_transient(),
            _ => false,
        }
    }

    /// Whether a new login is what it takes.
    pub fn needs_login(&self) -> bool {
        matches!(self, OAuthError::NeedsLogin { .. })
    }

    /// The authority's answer behind this error, if any: `error`, `error_description` and
    /// AADSTS codes for the diagnosis.
    pub fn token_error(&self) -> Option<&TokenError> {
        match self {
            OAuthError::Refused(e) | OAuthError::Declined(e) => Some(e.as_ref()),
            OAuthError::NeedsLogin { cause, .. } => cause.as_deref(),
            _ => None,
        }
    }
}

/// The AADSTS codes in a Microsoft error description (`AADSTS700082: ...`).
pub(crate) fn aadsts_codes(description: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = description;
    while let Some(at) = rest.find("AADSTS") {
        let digits: String = rest[at + 6..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        if !digits.is_empty() {
            let code = format!("AADSTS{digits}");
            if !out.contains(&code) {
                out.push(code);
            }
        }
        rest = &rest[at + 6..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aadsts_codes_are_found() {
        assert_eq!(
            aadsts_codes(
                "AADSTS700082: The refresh token has expired due to inactivity.\r\nTrace ID: x"
            ),
            vec!["AADSTS700082"]
        );
        assert_eq!(
            aadsts_codes("AADSTS7000215: a. AADSTS7000215 again; AADSTS50076"),
            vec!["AADSTS7000215", "AADSTS50076"]
        );
        assert!(aadsts_codes("Token has been expired or revoked.").is_empty());
    }
}
