//! `GET /events`: the recent events, newest first, in the page's language; the page's script
//! (`/static/console.js`) polls `GET /events.json` (the same lines as JSON) to keep the table
//! current without a reload.

use askama::Template;
use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use scanrelay_gateway::queue::Clock;
use serde::Serialize;

use crate::app::AppState;
use crate::auth::AuthSession;
use crate::i18n::{Texts, UiLang};
use crate::layout::{Layout, nav, render};
use crate::views::event_line;

/// `/events`, `/events.json`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/events", get(page))
        .route("/events.json", get(json))
}

/// One event as shown.
#[derive(Serialize)]
struct Line {
    time: String,
    kind: &'static str,
    text: String,
}

#[derive(Template)]
#[template(path = "events.html")]
struct EventsPage {
    page: Layout,
    events: Vec<Line>,
}

#[derive(Serialize)]
struct EventsJson {
    events: Vec<Line>,
}

fn lines(state: &AppState, t: &Texts) -> Vec<Line> {
    let clock = Clock::system();
    state
        .backend
        .recent_events()
        .iter()
        .rev()
        .map(|ev| {
            let (kind, text) = event_line(ev, t);
            Line {
                time: clock.local(ev.at),
                kind,
                text,
            }
        })
        .collect()
}

async fn page(
    State(state): State<AppState>,
    AuthSession(session): AuthSession,
    UiLang(lang): UiLang,
    uri: Uri,
) -> Response {
    let page = Layout::new(lang, Some(&session), nav::EVENTS, &uri);
    let events = lines(&state, page.t);
    render(StatusCode::OK, &EventsPage { page, events })
}

async fn json(
    State(state): State<AppState>,
    AuthSession(_): AuthSession,
    UiLang(lang): UiLang,
) -> Response {
    let events = lines(&state, crate::i18n::texts(lang));
    Json(EventsJson { events }).into_response()
}
