//! Who may use the console: the admin password ([`password`]), sessions ([`sessions`]),
//! lockout of wrong passwords ([`lockout`]), the one-time setup link, and the extractors
//! handlers use: [`AuthSession`] (a logged-in session, else a redirect to the login page),
//! [`AuthForm`] / [`SessionForm`] (a form whose CSRF token matches its session, else 403),
//! [`ClientIp`].

pub mod lockout;
pub mod password;
pub mod sessions;

use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;

use axum::body::Body;
use axum::extract::{ConnectInfo, Form, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine as _;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use subtle::ConstantTimeEq as _;

pub use sessions::Session;

use crate::app::AppState;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "scanrelay_session";

/// 32 bytes from the operating system's random generator, base64url without padding.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system's random generator failed");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Equality in time independent of where the strings differ.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
}

/// `Set-Cookie` for the session `id`: HttpOnly, SameSite=Strict, Path=/, Secure over TLS. No
/// Max-Age: the browser forgets it when it closes; the server ends it earlier when idle.
pub fn session_cookie(id: &str, tls: bool) -> HeaderValue {
    let secure = if tls { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={id}; HttpOnly; SameSite=Strict; Path=/{secure}"
    ))
    .expect("a token is a valid header value")
}

/// `Set-Cookie` that removes the session cookie.
pub fn clear_session_cookie(tls: bool) -> HeaderValue {
    let secure = if tls { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0{secure}"
    ))
    .expect("valid header value")
}

/// The one-time setup token: issued at start when no admin password is set, printed as a link,
/// dead once a password is set.
#[derive(Debug, Default)]
pub struct SetupToken(Mutex<Option<String>>);

impl SetupToken {
    /// Issues a new token (replacing any) and returns it.
    pub fn issue(&self) -> String {
        let token = random_token();
        *self.0.lock().expect("setup lock") = Some(token.clone());
        token
    }

    /// Whether `candidate` is the live token (compared in constant time).
    pub fn matches(&self, candidate: &str) -> bool {
        self.0
            .lock()
            .expect("setup lock")
            .as_deref()
            .is_some_and(|token| constant_time_eq(token, candidate))
    }

    /// Kills the token.
    pub fn consume(&self) {
        *self.0.lock().expect("setup lock") = None;
    }
}

/// The session named by the request's cookie, if it is live (logged in or not).
pub fn current_session(state: &AppState, headers: &HeaderMap) -> Option<Session> {
    cookie(headers, SESSION_COOKIE).and_then(|id| state.sessions.get(id))
}

/// A logged-in session. Without one, the request is answered with a redirect to `/login`.
#[derive(Debug, Clone)]
pub struct AuthSession(pub Session);

/// Why a request needing a login was refused.
#[derive(Debug)]
pub enum Refused {
    /// Not logged in: `303` to `/login`.
    Login,
    /// The CSRF token is missing or wrong: `403`, said in the request's language.
    Csrf(crate::i18n::Lang),
    /// A malformed form: `400` with the reason.
    BadForm(String),
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        match self {
            Refused::Login => Redirect::to("/login").into_response(),
            Refused::Csrf(lang) => (
                StatusCode::FORBIDDEN,
                format!("403 Forbidden: {}\n", crate::i18n::texts(lang).csrf_failed),
            )
                .into_response(),
            Refused::BadForm(why) => (StatusCode::BAD_REQUEST, why).into_response(),
        }
    }
}

impl FromRequestParts<AppState> for AuthSession {
    type Rejection = Refused;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Refused> {
        match current_session(state, &parts.headers) {
            Some(session) if session.authed => Ok(AuthSession(session)),
            _ => Err(Refused::Login),
        }
    }
}

/// A form that carries a `csrf` field.
pub trait HasCsrf {
    /// The token the form carried.
    fn csrf(&self) -> &str;
}

#[derive(Deserialize)]
struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

/// A form posted by a logged-in session whose CSRF token matches. Not logged in: redirect
/// to the login page; token missing or wrong: `403`.
#[derive(Debug)]
pub struct AuthForm<T>(pub Session, pub T);

/// A form posted with any live session (anonymous too: login, setup) whose CSRF token
/// matches; else `403`.
#[derive(Debug)]
pub struct SessionForm<T>(pub Session, pub T);

impl<T: DeserializeOwned + Send> FromRequest<AppState> for AuthForm<T> {
    type Rejection = Refused;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Refused> {
        let (session, form) = checked_form(req, state, true).await?;
        Ok(AuthForm(session, form))
    }
}

impl<T: DeserializeOwned + Send> FromRequest<AppState> for SessionForm<T> {
    type Rejection = Refused;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Refused> {
        let (session, form) = checked_form(req, state, false).await?;
        Ok(SessionForm(session, form))
    }
}

/// The session, the CSRF check against the body's `csrf` field, then the whole form as `T`.
async fn checked_form<T: DeserializeOwned>(
    req: Request,
    state: &AppState,
    need_login: bool,
) -> Result<(Session, T), Refused> {
    let lang = crate::i18n::choose(req.headers());
    let session = current_session(state, req.headers());
    let session = match session {
        Some(s) if s.authed || !need_login => s,
        _ if need_login => return Err(Refused::Login),
        _ => return Err(Refused::Csrf(lang)),
    };
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, 64 * 1024)
        .await
        .map_err(|e| Refused::BadForm(e.to_string()))?;
    let rebuild = |bytes: axum::body::Bytes| Request::from_parts(parts.clone(), Body::from(bytes));
    let Form(token) = Form::<CsrfOnly>::from_request(rebuild(bytes.clone()), &())
        .await
        .map_err(|_| Refused::Csrf(lang))?;
    if !constant_time_eq(&token.csrf, &session.csrf) {
        return Err(Refused::Csrf(lang));
    }
    let Form(form) = Form::<T>::from_request(rebuild(bytes), &())
        .await
        .map_err(|e| Refused::BadForm(e.body_text()))?;
    Ok((session, form))
}

/// The client's address (IPv4-mapped IPv6 as IPv4), from the connection.
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = (StatusCode, &'static str);

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| ClientIp(addr.ip().to_canonical()))
            .ok_or((
                StatusCode::INTERNAL_SERVER_ERROR,
                "the console was started without client addresses",
            ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_long() {
        let a = random_token();
        assert_eq!(a.len(), 43);
        assert_ne!(a, random_token());
    }

    #[test]
    fn cookies_are_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.append(
            header::COOKIE,
            "a=1; scanrelay_session=xyz".parse().unwrap(),
        );
        headers.append(header::COOKIE, "scanrelay_lang=ko".parse().unwrap());
        assert_eq!(cookie(&headers, SESSION_COOKIE), Some("xyz"));
        assert_eq!(cookie(&headers, "scanrelay_lang"), Some("ko"));
        assert_eq!(cookie(&headers, "b"), None);
    }

    #[test]
    fn setup_token_is_single_use() {
        let setup = SetupToken::default();
        assert!(!setup.matches(""));
        let token = setup.issue();
        assert!(setup.matches(&token));
        assert!(!setup.matches(&token[1..]));
        setup.consume();
        assert!(!setup.matches(&token));
    }
}
