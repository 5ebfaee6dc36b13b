//! The queue: `GET /queue` (filter by state and by device address), `GET /queue/{id}` (a
//! message as `scanrelay queue show` describes it: envelope, size, attempts, the cause with its
//! summary and fix, each recipient's exact last reply, the next try), `POST /queue/{id}/retry`,
//! and delete with a confirmation page (`GET` then `POST /queue/{id}/delete`). Under the list,
//! the messages delivered recently ([`super::delivered`]), which have left the spool.

use std::collections::BTreeSet;

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use scanrelay_gateway::queue::{
    Clock, RetryTarget, Viewer, first_line, is_bounce, recipients, sender, shown,
};
use scanrelay_spool::{Entry, MessageId, SpoolError, State as MsgState};
use serde::Deserialize;

use crate::app::AppState;
use crate::auth::{AuthForm, AuthSession};
use crate::i18n::{Lang, Texts, UiLang, fill};
use crate::layout::{Layout, error_page, nav, render};
use crate::views::{client_ip, next_short, next_try, provider_of, state_label, when};

/// `/queue`, `/queue/{id}`, `/queue/{id}/retry`, `/queue/{id}/delete`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/queue", get(list))
        .route("/queue/{id}", get(detail))
        .route("/queue/{id}/retry", axum::routing::post(retry))
        .route("/queue/{id}/delete", get(confirm_delete).post(delete))
}

/// One row of the list.
struct Row {
    id: String,
    state: &'static str,
    state_label: &'static str,
    attempts: u32,
    next: String,
    size: u64,
    from: String,
    to: String,
    device: String,
    note: Option<String>,
}

#[derive(Template)]
#[template(path = "queue.html")]
struct QueuePage {
    page: Layout,
    rows: Vec<Row>,
    states: Vec<(&'static str, &'static str)>,
    devices: Vec<String>,
    state: String,
    device: String,
    deleted: Option<String>,
    delivered: Vec<super::delivered::Delivered>,
}

#[derive(Deserialize, Default)]
struct Filter {
    #[serde(default)]
    state: String,
    #[serde(default)]
    device: String,
    deleted: Option<String>,
}

fn viewer(state: &AppState, lang: Lang, entry: Option<&Entry>) -> Viewer {
    let settings = state.backend.settings();
    let route = entry.and_then(|e| e.envelope.route.as_deref());
    Viewer {
        clock: Clock::system(),
        lang,
        provider: provider_of(&settings, route),
    }
}

async fn list(
    State(state): State<AppState>,
    AuthSession(session): AuthSession,
    UiLang(lang): UiLang,
    uri: Uri,
    Query(filter): Query<Filter>,
) -> Response {
    let page = Layout::new(lang, Some(&session), nav::QUEUE, &uri);
    let entries = match state.backend.messages().await {
        Ok(entries) => entries,
        Err(e) => return spool_error(page, &e),
    };
    let devices: BTreeSet<String> = entries
        .iter()
        .map(|e| client_ip(&e.envelope.client_addr).to_string())
        .collect();
    let wanted: Option<MsgState> = filter.state.parse().ok();
    let device = filter.device.trim().to_string();
    let rows = entries
        .iter()
        .filter(|e| wanted.is_none_or(|s| e.delivery.state == s))
        .filter(|e| device.is_empty() || client_ip(&e.envelope.client_addr) == device)
        .map(|e| row(e, &viewer(&state, lang, Some(e)), page.t))
        .collect();
    let delivered = match wanted {
        None | Some(MsgState::Delivered) => {
            let events = state.backend.recent_events();
            super::delivered::recent(&events, &device, &Clock::system())
        }
        Some(_) => Vec::new(),
    };
    let t = page.t;
    let body = QueuePage {
        rows,
        states: MsgState::ALL
            .iter()
            .map(|s| (s.as_str(), state_label(t, *s)))
            .collect(),
        devices: devices.into_iter().collect(),
        state: wanted.map(|s| s.as_str().to_string()).unwrap_or_default(),
        device,
        deleted: filter
            .deleted
            .map(|id| fill(t.deleted, &[("id", &shown(&id))])),
        delivered,
        page,
    };
    render(StatusCode::OK, &body)
}

fn row(e: &Entry, v: &Viewer, t: &Texts) -> Row {
    let d = &e.delivery;
    let note = match (&d.last_cause, v.advice(e)) {
        (_, Some((cause, advice))) => Some(format!("{cause}: {}", advice.summary)),
        (Some(code), None) => {
            let detail = d.last_reply.as_deref().map(first_line).unwrap_or_default();
            Some(shown(&format!("{code}: {detail}")))
        }
        (None, None) => d.last_error.as_deref().map(shown),
    };
    Row {
        id: e.id.as_str().to_string(),
        state: d.state.as_str(),
        state_label: state_label(t, d.state),
        attempts: d.attempts,
        next: next_short(e, &v.clock, t),
        size: e.body_len,
        from: shown(sender(e)),
        to: shown(&e.envelope.rcpt_to.join(", ")),
        device: format!(
            "{} ({})",
            client_ip(&e.envelope.client_addr),
            shown(&e.envelope.helo)
        ),
        note,
    }
}

/// One recipient on the detail page.
struct Rcpt {
    addr: String,
    state: &'static str,
    reply: Option<String>,
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage {
    page: Layout,
    m: Detail,
    done: Option<String>,
}

/// What the detail page shows, in the order of `scanrelay queue show`.
struct Detail {
    id: String,
    state: &'static str,
    state_label: &'static str,
    bounce: bool,
    from: String,
    to: String,
    size: u64,
    client: String,
    device_user: Option<String>,
    received: String,
    attempts: u32,
    last_attempt: Option<String>,
    retried: Option<String>,
    next_try: String,
    cause: Option<String>,
    fix: Option<String>,
    error: Option<(bool, String)>,
    last_reply: Option<String>,
    recipients: Vec<Rcpt>,
}

fn detail_of(e: &Entry, v: &Viewer, t: &Texts) -> Detail {
    let d = &e.delivery;
    let clock = &v.clock;
    let (cause, fix) = match (v.advice(e), &d.last_cause) {
        (Some((cause, advice)), _) => (
            Some(format!("{cause}: {}", advice.summary)),
            Some(advice.fix),
        ),
        (None, Some(code)) => (Some(shown(code)), None),
        (None, None) => (None, None),
    };
    let rcpts = recipients(e);
    let replies: Vec<&str> = rcpts.iter().filter_map(|r| r.2).collect();
    Detail {
        id: e.id.as_str().to_string(),
        state: d.state.as_str(),
        state_label: state_label(t, d.state),
        bounce: is_bounce(e),
        from: shown(sender(e)),
        to: shown(&e.envelope.rcpt_to.join(", ")),
        size: e.body_len,
        client: format!(
            "{} (HELO {})",
            e.envelope.client_addr,
            shown(&e.envelope.helo)
        ),
        device_user: e.envelope.auth_user.as_deref().map(shown),
        received: when(clock, t, e.envelope.received_at),
        attempts: d.attempts,
        last_attempt: d.last_attempt.map(|at| when(clock, t, at)),
        retried: d.retried_at.map(|at| when(clock, t, at)),
        next_try: next_try(e, clock, t),
        cause,
        fix,
        error: d
            .last_error
            .as_deref()
            .map(|err| (d.state == MsgState::Waiting, shown(err))),
        last_reply: d
            .last_reply
            .as_deref()
            .filter(|r| !replies.contains(r))
            .map(multiline),
        recipients: rcpts
            .into_iter()
            .map(|(addr, state, reply)| Rcpt {
                addr: shown(addr),
                state: state.as_str(),
                reply: reply.map(multiline),
            })
            .collect(),
    }
}

/// A reply with its lines kept and control characters shown as `?`.
fn multiline(reply: &str) -> String {
    reply.lines().map(shown).collect::<Vec<_>>().join("\n")
}

#[derive(Deserialize)]
struct Done {
    done: Option<String>,
}

async fn detail(
    State(state): State<AppState>,
    AuthSession(session): AuthSession,
    UiLang(lang): UiLang,
    uri: Uri,
    Path(id): Path<String>,
    Query(done): Query<Done>,
) -> Response {
    let page = Layout::new(lang, Some(&session), nav::QUEUE, &uri);
    let entry = match load(&state, &id).await {
        Some(Ok(entry)) => entry,
        Some(Err(e)) => return spool_error(page, &e),
        None => return crate::layout::not_found_page(page),
    };
    let t = page.t;
    let done = match done.done.as_deref() {
        Some("retried") => Some(t.retry_done.to_string()),
        Some("delivered") => Some(t.retry_already_delivered.to_string()),
        _ => None,
    };
    let m = detail_of(&entry, &viewer(&state, lang, Some(&entry)), t);
    render(StatusCode::OK, &MessagePage { page, m, done })
}

/// The message `id`; `None` for a malformed id (shown as "not found").
async fn load(state: &AppState, id: &str) -> Option<Result<Entry, SpoolError>> {
    let id = id.parse::<MessageId>().ok()?;
    Some(state.backend.message(&id).await)
}

#[derive(Deserialize)]
struct Empty {}

async fn retry(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    uri: Uri,
    Path(id): Path<String>,
    AuthForm(session, Empty {}): AuthForm<Empty>,
) -> Response {
    let page = Layout::new(lang, Some(&session), nav::QUEUE, &uri);
    let Ok(id) = id.parse::<MessageId>() else {
        return crate::layout::not_found_page(page);
    };
    match state.backend.retry(&RetryTarget::One(id.clone())).await {
        Ok(report) => {
            tracing::info!("console: {id} queued again by the admin");
            let done = if report.already_delivered {
                "delivered"
            } else {
                "retried"
            };
            Redirect::to(&format!("/queue/{id}?done={done}")).into_response()
        }
        Err(e) => spool_error(page, &e),
    }
}

#[derive(Template)]
#[template(path = "delete.html")]
struct DeletePage {
    page: Layout,
    m: Detail,
}

async fn confirm_delete(
    State(state): State<AppState>,
    AuthSession(session): AuthSession,
    UiLang(lang): UiLang,
    uri: Uri,
    Path(id): Path<String>,
) -> Response {
    let page = Layout::new(lang, Some(&session), nav::QUEUE, &uri);
    match load(&state, &id).await {
        Some(Ok(entry)) => {
            let m = detail_of(&entry, &viewer(&state, lang, Some(&entry)), page.t);
            render(StatusCode::OK, &DeletePage { page, m })
        }
        Some(Err(e)) => spool_error(page, &e),
        None => crate::layout::not_found_page(page),
    }
}

async fn delete(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    uri: Uri,
    Path(id): Path<String>,
    AuthForm(session, Empty {}): AuthForm<Empty>,
) -> Response {
    let page = Layout::new(lang, Some(&session), nav::QUEUE, &uri);
    let Ok(id) = id.parse::<MessageId>() else {
        return crate::layout::not_found_page(page);
    };
    match state.backend.delete(&id).await {
        Ok(()) => {
            tracing::info!("console: {id} deleted by the admin");
            Redirect::to(&format!("/queue?deleted={id}")).into_response()
        }
        Err(e) => spool_error(page, &e),
    }
}

/// `404` for a message that is not there, `500` with the reason otherwise.
fn spool_error(page: Layout, e: &SpoolError) -> Response {
    if e.is_not_found() {
        return crate::layout::not_found_page(page);
    }
    let msg = fill(page.t.error_internal, &[("e", &e.to_string())]);
    error_page(StatusCode::INTERNAL_SERVER_ERROR, page, msg)
}
