//! `GET /devices`: every client seen since the gateway started (address, HELO name, first and
//! last seen, TLS version and cipher, AUTH mechanism and device account, messages, last error),
//! most recently seen first.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use axum::routing::get;
use scanrelay_gateway::queue::{Clock, shown};

use crate::app::AppState;
use crate::auth::AuthSession;
use crate::i18n::UiLang;
use crate::layout::{Layout, nav, render};
use crate::views::when;

/// `/devices`.
pub fn routes() -> Router<AppState> {
    Router::new().route("/devices", get(devices))
}

struct Device {
    addr: String,
    helo: String,
    first_seen: String,
    last_seen: String,
    tls: String,
    auth: String,
    account: String,
    messages: u64,
    last_error: String,
}

#[derive(Template)]
#[template(path = "devices.html")]
struct DevicesPage {
    page: Layout,
    devices: Vec<Device>,
}

async fn devices(
    State(state): State<AppState>,
    AuthSession(session): AuthSession,
    UiLang(lang): UiLang,
    uri: Uri,
) -> Response {
    let page = Layout::new(lang, Some(&session), nav::DEVICES, &uri);
    let clock = Clock::system();
    let t = page.t;
    let or_none = |v: Option<&str>| v.map_or_else(|| t.none.to_string(), shown);
    let devices = state
        .backend
        .devices()
        .into_iter()
        .map(|d| Device {
            addr: d.addr.to_string(),
            helo: or_none(d.helo.as_deref()),
            first_seen: when(&clock, t, d.first_seen),
            last_seen: when(&clock, t, d.last_seen),
            tls: or_none(d.tls.as_deref()),
            auth: or_none(d.auth_mechanism.as_deref()),
            account: or_none(d.auth_user.as_deref()),
            messages: d.messages,
            last_error: or_none(d.last_error.as_deref()),
        })
        .collect();
    render(StatusCode::OK, &DevicesPage { page, devices })
}
