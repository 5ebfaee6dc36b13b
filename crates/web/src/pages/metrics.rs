//! `GET /metrics`: the gateway's metrics in Prometheus text format, for clients in
//! `[listen] metrics_allow` without logging in, for a logged-in session from anywhere, and
//! `403` for everybody else.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::app::AppState;
use crate::auth::{ClientIp, current_session};
use crate::i18n::{UiLang, texts};

/// `/metrics`.
pub fn routes() -> Router<AppState> {
    Router::new().route("/metrics", get(metrics))
}

async fn metrics(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    UiLang(lang): UiLang,
    headers: HeaderMap,
) -> Response {
    let settings = state.backend.settings();
    let allowed = settings
        .listen
        .web
        .metrics_allow
        .iter()
        .any(|net| net.contains(&ip))
        || current_session(&state, &headers).is_some_and(|s| s.authed);
    if !allowed {
        let text = format!("403 Forbidden: {}\n", texts(lang).metrics_forbidden);
        return (StatusCode::FORBIDDEN, text).into_response();
    }
    let body = state.backend.metrics_text().await;
    let kind = if body.trim_end().ends_with("# EOF") {
        "application/openmetrics-text; version=1.0.0; charset=utf-8"
    } else {
        "text/plain; version=0.0.4; charset=utf-8"
    };
    ([(header::CONTENT_TYPE, kind)], body).into_response()
}
