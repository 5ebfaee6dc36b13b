//! `GET /`: the gateway at a glance: whether delivery runs, the queue by state and its oldest
//! message, today's counts, each upstream's health (ok, needs a new login, paused) with its
//! OAuth2 token state, and the last failures with their cause, summary and fix in the page's
//! language.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use axum::routing::get;
use scanrelay_gateway::control::{Status, UpstreamStatus};
use scanrelay_gateway::queue::{Clock, shown};
use scanrelay_spool::State as MsgState;

use crate::app::AppState;
use crate::auth::AuthSession;
use crate::i18n::{Lang, Texts, UiLang, fill};
use crate::layout::{Layout, error_page, nav, render};
use crate::views::{event_line, failure_advice, state_label, when};

/// `/`.
pub fn routes() -> Router<AppState> {
    Router::new().route("/", get(dashboard))
}

struct Upstream {
    name: String,
    summary: String,
    /// `ok`, `bad` or `warn`, for the style.
    health_class: &'static str,
    health: String,
    oauth: Option<(String, String, String)>,
}

struct Failure {
    time: String,
    id: Option<String>,
    line: String,
    cause: Option<String>,
    summary: Option<String>,
    fix: Option<String>,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    page: Layout,
    delivery_running: bool,
    started: String,
    listeners: Vec<(String, String)>,
    counts: Vec<(&'static str, &'static str, u64)>,
    total: u64,
    oldest: Option<String>,
    accepted: u64,
    delivered: u64,
    failed: u64,
    upstreams: Vec<Upstream>,
    failures: Vec<Failure>,
}

async fn dashboard(
    State(state): State<AppState>,
    AuthSession(session): AuthSession,
    UiLang(lang): UiLang,
    uri: Uri,
) -> Response {
    let page = Layout::new(lang, Some(&session), nav::DASHBOARD, &uri);
    let status = match state.backend.status().await {
        Ok(status) => status,
        Err(e) => {
            let msg = fill(page.t.error_internal, &[("e", &e.to_string())]);
            return error_page(StatusCode::INTERNAL_SERVER_ERROR, page, msg);
        }
    };
    let clock = Clock::system();
    let body = build(&state, &status, &clock, lang, page);
    render(StatusCode::OK, &body)
}

fn build(state: &AppState, s: &Status, clock: &Clock, lang: Lang, page: Layout) -> DashboardPage {
    let t = page.t;
    let counts = MsgState::ALL
        .iter()
        .map(|st| {
            let n = s.queue.by_state.get(st.as_str()).copied().unwrap_or(0);
            (st.as_str(), state_label(t, *st), n)
        })
        .collect();
    let settings = state.backend.settings();
    let failures = s
        .last_failures
        .iter()
        .rev()
        .map(|ev| {
            let advice = failure_advice(ev, &settings, lang);
            Failure {
                time: when(clock, t, ev.at),
                id: message_id(ev),
                line: event_line(ev, t).1,
                cause: advice.as_ref().map(|(code, _)| code.clone()),
                summary: advice.as_ref().map(|(_, a)| a.summary.clone()),
                fix: advice.map(|(_, a)| a.fix),
            }
        })
        .collect();
    DashboardPage {
        delivery_running: s.delivery_running,
        started: when(clock, t, s.started_at),
        listeners: s
            .listeners
            .iter()
            .map(|(name, addr)| (name.clone(), addr.to_string()))
            .collect(),
        counts,
        total: s.queue.total(),
        oldest: s.queue.oldest_unix.map(|at| when(clock, t, at)),
        accepted: s.today.accepted,
        delivered: s.today.delivered,
        failed: s.today.failed,
        upstreams: s.upstreams.iter().map(|u| upstream(u, clock, t)).collect(),
        failures,
        page,
    }
}

fn upstream(u: &UpstreamStatus, clock: &Clock, t: &Texts) -> Upstream {
    let paused = u.paused_until.filter(|at| *at > clock.now);
    let (health_class, health) = if u.needs_login {
        ("bad", t.upstream_needs_login.to_string())
    } else if let Some(at) = paused {
        (
            "warn",
            fill(t.upstream_paused, &[("t", &when(clock, t, at))]),
        )
    } else {
        ("ok", t.upstream_ok.to_string())
    };
    Upstream {
        name: u.name.clone(),
        summary: u.summary.clone(),
        health_class,
        health,
        oauth: u.oauth.as_ref().map(|o| {
            let state = match &o.reason {
                Some(reason) => format!("{} ({})", o.state, shown(reason)),
                None => o.state.clone(),
            };
            let expires = o
                .access_expires_unix
                .map_or_else(|| t.none.to_string(), |at| when(clock, t, at));
            (o.account.clone(), state, expires)
        }),
    }
}

fn message_id(ev: &scanrelay_gateway::control::GatewayEvent) -> Option<String> {
    use scanrelay_gateway::control::EventKind;
    match &ev.kind {
        EventKind::Deferred { id, .. }
        | EventKind::Failed { id, .. }
        | EventKind::Held { id, .. } => Some(id.clone()),
        _ => None,
    }
}
