//! The wizard's OAuth2 sign-in, for a saved `[[oauth]]` account with `flow = "device_code"`
//! (the Microsoft and Google public clients the wizard writes): `POST /wizard/signin` starts
//! the device authorization with the library `scanrelay oauth login` uses and sends the
//! browser to `GET /wizard/signin/{id}`, which shows where to go and the code to type;
//! `/wizard/signin/{id}/state` is what `static/wizard.js` polls. The polling of the authority
//! runs here, server-side; a sign-in ends with the tokens stored as `oauth login` stores them
//! (the account's token file, which the running gateway's token manager reads again by
//! itself), then the same connection check as the password path, with the new access token
//! (XOAUTH2), for the SMTP upstream that uses the account.
//!
//! A sign-in belongs to the session that started it; one runs per account (a new one cancels
//! the older); it ends when the code expires (at most [`FLOW_LIMIT`]), on Cancel, or when no
//! page has asked about it for [`ABANDONED`]. Tokens and the device code stay in this process:
//! never in a page, a URL, a form or a log.

use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, SystemTime};

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use scanrelay_check::{CheckRequest, Secret as CheckSecret};
use scanrelay_diagnose::{Cause, advise, oauth_error_cause_with_codes};
use scanrelay_gateway::settings::{Settings, UpstreamKind};
use scanrelay_oauth::{
    AccountConfig, DeviceAuthorization, Flow, HttpOptions, OAuthClient, OAuthError, TokenStore,
    rfc3339, store_login,
};
use tokio::task::AbortHandle;
use tokio::time::Instant;

use super::settings::{Fields, field};
use crate::app::AppState;
use crate::auth::{AuthForm, AuthSession};
use crate::i18n::{Lang, SetupTexts, UiLang, setup_texts};
use crate::layout::{Layout, error_page, nav, render};

/// The longest a sign-in waits, whatever the code's own lifetime.
const FLOW_LIMIT: Duration = Duration::from_secs(15 * 60);
/// A sign-in nobody looks at for this long is cancelled (the page asks every 2 seconds).
const ABANDONED: Duration = Duration::from_secs(90);
/// How many sign-ins are kept.
const KEPT: usize = 16;
/// Each step's timeout in the check after the sign-in.
const STEP_TIMEOUT: Duration = Duration::from_secs(20);

/// Where a sign-in is.
#[derive(Clone)]
enum Phase {
    Waiting,
    SignedIn { until: String },
    Failed(Failure),
    Cancelled(Why),
}

/// Why a sign-in stopped without an answer from the authority.
#[derive(Clone, Copy)]
enum Why {
    ByUser,
    Abandoned,
    Replaced,
}

/// A diagnosed failure, ready to show.
#[derive(Clone)]
struct Failure {
    cause: String,
    summary: String,
    fix: String,
    detail: String,
}

struct SignIn {
    id: String,
    session: String,
    account: String,
    /// The account's token file: one sign-in per file at a time.
    token_file: std::path::PathBuf,
    lang: Lang,
    verification_uri: String,
    user_code: String,
    expires_at: String,
    phase: Phase,
    /// The check's page, once it runs; or why there is none.
    check: Option<Result<String, String>>,
    last_seen: Instant,
    task: Option<AbortHandle>,
}

type Shared = Arc<Mutex<SignIn>>;

static SIGNINS: LazyLock<Mutex<Vec<Shared>>> = LazyLock::new(Mutex::default);

/// `/wizard/signin`, `/wizard/signin/{id}`, `/wizard/signin/{id}/state`,
/// `/wizard/signin/{id}/cancel`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/wizard/signin", post(start))
        .route("/wizard/signin/{id}", get(page))
        .route("/wizard/signin/{id}/state", get(state_json))
        .route("/wizard/signin/{id}/cancel", post(cancel))
}

fn lock(s: &Shared) -> std::sync::MutexGuard<'_, SignIn> {
    s.lock().unwrap_or_else(|e| e.into_inner())
}

/// The sign-in `id` of this session; looking counts as watching it.
fn find(id: &str, session: &str) -> Option<Shared> {
    let all = SIGNINS.lock().unwrap_or_else(|e| e.into_inner());
    let found = all.iter().find(|s| {
        let s = lock(s);
        s.id == id && s.session == session
    })?;
    lock(found).last_seen = Instant::now();
    Some(found.clone())
}

/// Stops `s` (if it still waits) for `why`.
fn stop(s: &Shared, why: Why) {
    let mut s = lock(s);
    if matches!(s.phase, Phase::Waiting) {
        s.phase = Phase::Cancelled(why);
        if let Some(task) = s.task.take() {
            task.abort();
        }
    }
}

/// Whether `account` can be signed in here: a device-code account of the running settings.
fn device_account(
    settings: &Settings,
    name: &str,
    st: &SetupTexts,
) -> Result<AccountConfig, String> {
    let account = settings
        .oauth
        .iter()
        .find(|a| a.name == name)
        .ok_or_else(|| format!("{} \"{name}\"", st.signin_no_account))?;
    if account.flow != Flow::DeviceCode {
        return Err(format!(
            "{} (flow = \"{}\"): scanrelay oauth login {name}",
            st.signin_not_device, account.flow
        ));
    }
    Ok(account.clone())
}

async fn start(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    uri: Uri,
    AuthForm(session, form): AuthForm<Fields>,
) -> Response {
    let page = Layout::new(lang, Some(&session), nav::WIZARD, &uri);
    let st = setup_texts(lang);
    let settings = state.backend.settings();
    let name = field(&form, "account").trim().to_string();
    let account = match device_account(&settings, &name, st) {
        Ok(a) => a,
        Err(message) => return error_page(StatusCode::UNPROCESSABLE_ENTITY, page, message),
    };
    let started = match OAuthClient::new(&account, &HttpOptions::default()) {
        Ok(client) => client.start_device().await.map(|d| (client, d)),
        Err(e) => Err(e),
    };
    let (client, device) = match started {
        Ok(started) => started,
        Err(e) => {
            let f = failure(&e, lang);
            let message = format!("{} {} ({}) {}", st.signin_failed, f.summary, f.cause, f.fix);
            return error_page(StatusCode::BAD_GATEWAY, page, message);
        }
    };
    let token_file = TokenStore::new(&settings.data_dir).path(&name);
    let id = super::wizard_check::new_id();
    let signin = Arc::new(Mutex::new(SignIn {
        id: id.clone(),
        session: session.id.clone(),
        account: name.clone(),
        token_file: token_file.clone(),
        lang,
        verification_uri: device.verification_uri.clone(),
        user_code: device.user_code.clone(),
        expires_at: rfc3339(SystemTime::now() + device.expires_in.min(FLOW_LIMIT)),
        phase: Phase::Waiting,
        check: None,
        last_seen: Instant::now(),
        task: None,
    }));
    {
        let mut all = SIGNINS.lock().unwrap_or_else(|e| e.into_inner());
        for older in all.iter().filter(|s| lock(s).token_file == token_file) {
            stop(older, Why::Replaced);
        }
        all.push(signin.clone());
        let extra = all.len().saturating_sub(KEPT);
        for gone in all.drain(..extra) {
            stop(&gone, Why::Abandoned);
        }
    }
    let task = tokio::spawn(wait(signin.clone(), client, device, settings));
    lock(&signin).task = Some(task.abort_handle());
    Redirect::to(&format!("/wizard/signin/{id}")).into_response()
}

/// Polls the authority until the sign-in ends, then stores the tokens and starts the check.
async fn wait(
    signin: Shared,
    client: OAuthClient,
    device: DeviceAuthorization,
    settings: Arc<Settings>,
) {
    let polled = tokio::select! {
        r = tokio::time::timeout(FLOW_LIMIT, client.poll_device(&device)) => {
            r.unwrap_or(Err(OAuthError::DeviceCodeExpired))
        }
        () = watched(&signin) => {
            stop(&signin, Why::Abandoned);
            return;
        }
    };
    let account = client.account();
    let lang = lock(&signin).lang;
    let stored = match polled {
        Ok(tokens) => {
            let store = TokenStore::new(&settings.data_dir);
            store_login(&store, account, tokens, SystemTime::now()).await
        }
        Err(e) => Err(e),
    };
    let grant = match stored {
        Ok(grant) => grant,
        Err(e) => {
            tracing::warn!(account = %account.name, "the console's OAuth2 sign-in failed: {e}");
            lock(&signin).phase = Phase::Failed(failure(&e, lang));
            return;
        }
    };
    tracing::info!(account = %account.name, "signed in from the console; tokens stored");
    let until = grant
        .access_expires
        .map_or_else(|| "?".to_string(), rfc3339);
    let (session, id) = {
        let s = lock(&signin);
        (s.session.clone(), s.id.clone())
    };
    let check = grant
        .access_token
        .as_ref()
        .ok_or_else(|| setup_texts(lang).signin_no_check.to_string())
        .and_then(|token| check_request(&settings, account, token.expose(), lang))
        .and_then(|r| {
            super::wizard_check::start_saved(&session, r, format!("/wizard/signin/{id}"))
        });
    let mut s = lock(&signin);
    s.phase = Phase::SignedIn { until };
    s.check = Some(check);
    s.task = None;
}

/// Ends when nobody has looked at the sign-in for [`ABANDONED`].
async fn watched(signin: &Shared) {
    loop {
        let seen = lock(signin).last_seen;
        let left = ABANDONED.saturating_sub(seen.elapsed());
        if left.is_zero() {
            return;
        }
        tokio::time::sleep(left).await;
    }
}

/// The check of the SMTP upstream that logs in with `account`, with `token`.
fn check_request(
    settings: &Settings,
    account: &AccountConfig,
    token: &str,
    lang: Lang,
) -> Result<CheckRequest, String> {
    let up = settings
        .upstreams
        .iter()
        .find(|u| u.oauth.as_deref() == Some(account.name.as_str()) && u.kind == UpstreamKind::Smtp)
        .ok_or_else(|| setup_texts(lang).signin_no_check.to_string())?;
    Ok(CheckRequest {
        server: Some(up.server.clone()),
        port: Some(up.port),
        tls: Some(up.tls),
        ca_file: up.ca_file.clone(),
        user: up.username.clone(),
        secret: Some(CheckSecret::AccessToken(token.to_string())),
        helo: Some(up.helo.clone()),
        timeout: STEP_TIMEOUT,
        lang,
        ..CheckRequest::default()
    })
}

/// The diagnosis of a failed sign-in, with the causes `scanrelay-diagnose` knows.
fn failure(e: &OAuthError, lang: Lang) -> Failure {
    let cause = match (e, e.token_error()) {
        (OAuthError::DeviceCodeExpired, _) => Cause::OauthDeviceCodeExpired,
        (_, Some(t)) => {
            let codes: Vec<u32> = t
                .aadsts
                .iter()
                .filter_map(|c| c.trim_start_matches("AADSTS").parse().ok())
                .collect();
            oauth_error_cause_with_codes(&t.error, t.description.as_deref(), &codes)
        }
        (e, None) if e.is_transient() => Cause::OauthTemporarilyUnavailable,
        _ => Cause::OauthRequestRejected,
    };
    let advice = advise(cause, None, lang);
    Failure {
        cause: cause.to_string(),
        summary: advice.summary,
        fix: advice.fix,
        detail: e.to_string(),
    }
}

#[derive(Template)]
#[template(path = "wizard_signin.html")]
struct SignInPage {
    page: Layout,
    st: &'static SetupTexts,
    id: String,
    account: String,
    verification_uri: String,
    /// Whether the address is a web address (only those become a link).
    link: bool,
    user_code: String,
    expires_at: String,
    waiting: bool,
    signed_in: Option<String>,
    failed: Option<Failure>,
    cancelled: Option<&'static str>,
    check: Option<String>,
    check_problem: Option<String>,
}

async fn page(
    AuthSession(session): AuthSession,
    UiLang(lang): UiLang,
    uri: Uri,
    Path(id): Path<String>,
) -> Response {
    let page = Layout::new(lang, Some(&session), nav::WIZARD, &uri);
    let Some(signin) = find(&id, &session.id) else {
        return crate::layout::not_found_page(page);
    };
    let st = setup_texts(lang);
    let s = lock(&signin);
    let body = SignInPage {
        id: s.id.clone(),
        account: s.account.clone(),
        verification_uri: s.verification_uri.clone(),
        link: ["https://", "http://"]
            .iter()
            .any(|p| s.verification_uri.starts_with(p)),
        user_code: s.user_code.clone(),
        expires_at: s.expires_at.clone(),
        waiting: matches!(s.phase, Phase::Waiting),
        signed_in: match &s.phase {
            Phase::SignedIn { until } => Some(until.clone()),
            _ => None,
        },
        failed: match &s.phase {
            Phase::Failed(f) => Some(f.clone()),
            _ => None,
        },
        cancelled: match s.phase {
            Phase::Cancelled(Why::ByUser) => Some(st.signin_cancelled),
            Phase::Cancelled(Why::Abandoned) => Some(st.signin_abandoned),
            Phase::Cancelled(Why::Replaced) => Some(st.signin_replaced),
            _ => None,
        },
        check: s.check.clone().and_then(Result::ok),
        check_problem: s.check.clone().and_then(Result::err),
        page,
        st,
    };
    drop(s);
    render(StatusCode::OK, &body)
}

#[derive(serde::Serialize)]
struct StateJson {
    state: &'static str,
    next: Option<String>,
}

async fn state_json(AuthSession(session): AuthSession, Path(id): Path<String>) -> Response {
    let Some(signin) = find(&id, &session.id) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let s = lock(&signin);
    let state = match s.phase {
        Phase::Waiting => "waiting",
        Phase::SignedIn { .. } => "signed_in",
        Phase::Failed(_) => "failed",
        Phase::Cancelled(_) => "cancelled",
    };
    let next = s.check.clone().and_then(Result::ok);
    Json(StateJson { state, next }).into_response()
}

async fn cancel(
    UiLang(lang): UiLang,
    uri: Uri,
    Path(id): Path<String>,
    AuthForm(session, _form): AuthForm<Fields>,
) -> Response {
    let Some(signin) = find(&id, &session.id) else {
        return crate::layout::not_found_page(Layout::new(lang, Some(&session), nav::WIZARD, &uri));
    };
    stop(&signin, Why::ByUser);
    Redirect::to(&format!("/wizard/signin/{id}")).into_response()
}
