//! The one-time setup link: on a start without an admin password, `serve` logs
//! `http://127.0.0.1:8025/setup/<token>`. Opening it marks the visitor's session as allowed to
//! set the first password (the token is not put into the page: the form posts to `/setup`);
//! setting it kills the token and logs the visitor in. Once a password exists (set here or
//! with `scanrelay admin set-password`) the link is dead.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;

use crate::app::AppState;
use crate::auth::{SessionForm, current_session, password};
use crate::i18n::{UiLang, fill};
use crate::layout::{FormErrors, Layout, error_page, nav, render};
use crate::pages::login::with_cookie_if;

/// `/setup/{token}`, `/setup`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/setup/{token}", get(open))
        .route("/setup", get(form).post(submit))
}

#[derive(Template)]
#[template(path = "setup.html")]
struct SetupPage {
    page: Layout,
    errors: FormErrors,
}

/// Whether a setup may still happen: the token is live and no password is set.
fn password_set(state: &AppState) -> bool {
    !matches!(password::load(&state.data_dir()), Ok(None))
}

async fn open(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    headers: HeaderMap,
    uri: Uri,
    Path(token): Path<String>,
) -> Response {
    if password_set(&state) || !state.setup.matches(&token) {
        let page = Layout::new(lang, None, nav::NONE, &uri);
        let msg = page.t.setup_invalid.to_string();
        return error_page(StatusCode::NOT_FOUND, page, msg);
    }
    let (session, new) = match current_session(&state, &headers) {
        Some(s) => (s, false),
        None => (state.sessions.anonymous(), true),
    };
    state.sessions.allow_setup(&session.id);
    let res = setup_form(lang, &session);
    with_cookie_if(res, new.then_some(&session), state.tls)
}

/// The form (and the language switch) at `/setup`, never at the link's URL: the token stays
/// out of the page.
fn setup_form(lang: crate::i18n::Lang, session: &crate::auth::Session) -> Response {
    let page = Layout::new(lang, Some(session), nav::NONE, &Uri::from_static("/setup"));
    render(
        StatusCode::OK,
        &SetupPage {
            page,
            errors: FormErrors::none(),
        },
    )
}

/// `GET /setup`: the form again (after a language switch) for a session that opened the link.
async fn form(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    match current_session(&state, &headers) {
        Some(session) if session.setup && !password_set(&state) => setup_form(lang, &session),
        _ => {
            let page = Layout::new(lang, None, nav::NONE, &uri);
            let msg = page.t.setup_invalid.to_string();
            error_page(StatusCode::NOT_FOUND, page, msg)
        }
    }
}

#[derive(Deserialize)]
struct SetupForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

async fn submit(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    uri: Uri,
    SessionForm(session, form): SessionForm<SetupForm>,
) -> Response {
    let page = Layout::new(lang, Some(&session), nav::NONE, &uri);
    if !session.setup || password_set(&state) {
        let msg = page.t.setup_invalid.to_string();
        return error_page(StatusCode::FORBIDDEN, page, msg);
    }
    let mut errors = FormErrors::none();
    match password::check_new(&form.password, &form.confirm) {
        Ok(()) => {}
        Err(password::PasswordError::TooShort) => errors.add("password", page.t.err_password_short),
        Err(_) => errors.add("confirm", page.t.err_password_mismatch),
    }
    if !errors.is_empty() {
        return render(StatusCode::BAD_REQUEST, &SetupPage { page, errors });
    }
    let dir = state.data_dir();
    let stored = tokio::task::spawn_blocking(move || password::store(&dir, &form.password)).await;
    match stored {
        Ok(Ok(file)) => {
            state.setup.consume();
            tracing::info!(
                "console: admin password set through the setup link ({})",
                file.display()
            );
            let session = state.sessions.login(Some(&session.id));
            with_cookie_if(Redirect::to("/").into_response(), Some(&session), state.tls)
        }
        Ok(Err(e)) => {
            errors.add(
                "",
                fill(page.t.err_password_store, &[("e", &e.to_string())]),
            );
            render(
                StatusCode::INTERNAL_SERVER_ERROR,
                &SetupPage { page, errors },
            )
        }
        Err(e) => {
            errors.add(
                "",
                fill(page.t.err_password_store, &[("e", &e.to_string())]),
            );
            render(
                StatusCode::INTERNAL_SERVER_ERROR,
                &SetupPage { page, errors },
            )
        }
    }
}
