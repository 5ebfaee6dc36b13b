//! `GET/POST /login` and `POST /logout`. Wrong passwords are answered after a delay and lock
//! the client's address out after a few (see [`crate::auth::lockout`]); the hash is read from
//! the data directory at each attempt, so a password set meanwhile with `scanrelay admin
//! set-password` works at once.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;

use crate::app::AppState;
use crate::auth::lockout::FAILURE_DELAY;
use crate::auth::{
    AuthForm, ClientIp, Session, SessionForm, clear_session_cookie, current_session, password,
    session_cookie,
};
use crate::i18n::{UiLang, fill};
use crate::layout::{Layout, error_page, nav, render};

/// `/login`, `/logout`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/login", get(show).post(submit))
        .route("/logout", axum::routing::post(logout))
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    page: Layout,
    /// No admin password is set yet.
    no_password: bool,
    /// A message above the form (wrong password, locked out, logged out).
    notice: Option<String>,
    error: bool,
}

#[derive(Deserialize)]
struct LoginQuery {
    out: Option<String>,
}

async fn show(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    headers: HeaderMap,
    uri: Uri,
    Query(q): Query<LoginQuery>,
) -> Response {
    let existing = current_session(&state, &headers);
    if existing.as_ref().is_some_and(|s| s.authed) {
        return Redirect::to("/").into_response();
    }
    let (session, new) = match existing {
        Some(s) => (s, false),
        None => (state.sessions.anonymous(), true),
    };
    let page = Layout::new(lang, Some(&session), nav::NONE, &uri);
    let notice = q.out.map(|_| page.t.logged_out.to_string());
    let body = LoginPage {
        no_password: no_password(&state),
        notice,
        error: false,
        page,
    };
    let res = render(StatusCode::OK, &body);
    with_cookie_if(res, new.then_some(&session), state.tls)
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    password: String,
}

async fn submit(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    ClientIp(ip): ClientIp,
    uri: Uri,
    SessionForm(session, form): SessionForm<LoginForm>,
) -> Response {
    let page = Layout::new(lang, Some(&session), nav::NONE, &uri);
    if let Err(left) = state.lockout.check(ip) {
        return locked(page, left);
    }
    let hash = match password::load(&state.data_dir()) {
        Ok(Some(hash)) => hash,
        Ok(None) => return failed(page, true, None, StatusCode::UNAUTHORIZED),
        Err(e) => {
            let msg = fill(page.t.error_internal, &[("e", &e.to_string())]);
            return error_page(StatusCode::INTERNAL_SERVER_ERROR, page, msg);
        }
    };
    let candidate = form.password;
    let good = tokio::task::spawn_blocking(move || password::verify(&candidate, &hash))
        .await
        .unwrap_or(false);
    if good {
        state.lockout.succeed(ip);
        let session = state.sessions.login(Some(&session.id));
        tracing::info!("console: admin logged in from {ip}");
        return with_cookie_if(Redirect::to("/").into_response(), Some(&session), state.tls);
    }
    let locked_now = state.lockout.fail(ip);
    tracing::warn!("console: wrong admin password from {ip}");
    tokio::time::sleep(FAILURE_DELAY).await;
    match locked_now {
        Ok(()) => {
            let wrong = page.t.login_wrong.to_string();
            failed(page, false, Some(wrong), StatusCode::UNAUTHORIZED)
        }
        Err(left) => locked(page, left),
    }
}

fn failed(page: Layout, no_password: bool, notice: Option<String>, status: StatusCode) -> Response {
    render(
        status,
        &LoginPage {
            page,
            no_password,
            notice,
            error: true,
        },
    )
}

/// `429` with `Retry-After` (seconds) and the minutes to wait on the page.
fn locked(page: Layout, left: std::time::Duration) -> Response {
    let secs = left.as_secs() + u64::from(left.subsec_nanos() > 0);
    let minutes = secs.div_ceil(60).to_string();
    let notice = fill(page.t.login_locked, &[("n", &minutes)]);
    let mut res = failed(page, false, Some(notice), StatusCode::TOO_MANY_REQUESTS);
    res.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    res
}

#[derive(Deserialize)]
struct LogoutForm {}

async fn logout(
    State(state): State<AppState>,
    AuthForm(session, LogoutForm {}): AuthForm<LogoutForm>,
) -> Response {
    state.sessions.remove(&session.id);
    let mut res = Redirect::to("/login?out=1").into_response();
    res.headers_mut()
        .insert(header::SET_COOKIE, clear_session_cookie(state.tls));
    res
}

fn no_password(state: &AppState) -> bool {
    !matches!(password::load(&state.data_dir()), Ok(Some(_)))
}

/// Adds the session cookie to `res` when `session` is given.
pub fn with_cookie_if(mut res: Response, session: Option<&Session>, tls: bool) -> Response {
    if let Some(session) = session {
        res.headers_mut()
            .insert(header::SET_COOKIE, session_cookie(&session.id, tls));
    }
    res
}
