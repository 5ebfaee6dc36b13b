//! The HTTP side of the authority: axum routes over [`State`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::{Form, Query, State as Ext};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;

use super::state::{Issued, Refusal, State};
use super::{SMTP_AUDIENCES, Shape};

type Shared = Arc<Mutex<State>>;
type Params = HashMap<String, String>;

/// Every route.
pub(crate) fn router(state: Shared) -> Router {
    Router::new()
        .route(
            "/{tenant}/oauth2/v2.0/authorize",
            get(|s: Ext<Shared>, q: Query<Params>| authorize(s, q, Shape::Microsoft)),
        )
        .route(
            "/{tenant}/oauth2/v2.0/token",
            post(|s: Ext<Shared>, f: Form<Params>| token(s, f, Shape::Microsoft)),
        )
        .route(
            "/{tenant}/oauth2/v2.0/devicecode",
            post(|s: Ext<Shared>, f: Form<Params>| device(s, f, Shape::Microsoft)),
        )
        .route(
            "/o/oauth2/auth",
            get(|s: Ext<Shared>, q: Query<Params>| authorize(s, q, Shape::Google)),
        )
        .route(
            "/token",
            post(|s: Ext<Shared>, f: Form<Params>| token(s, f, Shape::Google)),
        )
        .route(
            "/device/code",
            post(|s: Ext<Shared>, f: Form<Params>| device(s, f, Shape::Google)),
        )
        .route("/introspect", post(introspect))
        .route(
            "/devicelogin",
            get(|| async { "enter the code (scanrelay test authority)" }),
        )
        .with_state(state)
}

fn lock(s: &Shared) -> std::sync::MutexGuard<'_, State> {
    s.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn refusal(r: &Refusal, shape: Shape) -> Response {
    let status = StatusCode::from_u16(r.status).unwrap_or(StatusCode::BAD_REQUEST);
    let description = r.description(shape);
    let body = match shape {
        Shape::Microsoft => json!({
            "error": r.error,
            "error_description": description,
            "error_codes": r.aadsts.map(|c| vec![c]).unwrap_or_default(),
            "timestamp": "2026-11-01 00:00:00Z",
            "trace_id": "00000000-0000-0000-0000-000000000000",
            "correlation_id": "00000000-0000-0000-0000-000000000000",
        }),
        Shape::Google => json!({"error": r.error, "error_description": description}),
    };
    (status, Json(body)).into_response()
}

fn issued(i: &Issued) -> Response {
    let mut body = json!({
        "token_type": "Bearer",
        "scope": i.scope,
        "expires_in": i.expires_in,
        "ext_expires_in": i.expires_in,
        "access_token": i.access_token,
    });
    if let Some(rt) = &i.refresh_token {
        body["refresh_token"] = json!(rt);
    }
    (StatusCode::OK, Json(body)).into_response()
}

/// The consenting browser: a code for the redirect URI, or an error redirect.
async fn authorize(Ext(s): Ext<Shared>, Query(q): Query<Params>, _shape: Shape) -> Response {
    let get = |k: &str| q.get(k).map(String::as_str).unwrap_or("");
    let redirect = get("redirect_uri");
    if redirect.is_empty() {
        return (StatusCode::BAD_REQUEST, "no redirect_uri").into_response();
    }
    let mut state = lock(&s);
    let target = match state.client(get("client_id"), None) {
        Err(r) => with_query(
            redirect,
            &[
                ("error", r.error),
                ("error_description", &r.microsoft),
                ("state", get("state")),
            ],
        ),
        Ok(_) if get("response_type") != "code" => with_query(
            redirect,
            &[
                ("error", "unsupported_response_type"),
                ("state", get("state")),
            ],
        ),
        Ok(_) if get("code_challenge_method") != "S256" || get("code_challenge").is_empty() => {
            with_query(
                redirect,
                &[
                    ("error", "invalid_request"),
                    (
                        "error_description",
                        "AADSTS9002325: Proof Key for Code Exchange is required for cross-origin authorization code redemption.",
                    ),
                    ("state", get("state")),
                ],
            )
        }
        Ok(client) => {
            let code = state.new_code(&client, redirect, get("code_challenge"), get("scope"));
            with_query(redirect, &[("code", &code), ("state", get("state"))])
        }
    };
    (StatusCode::FOUND, [(header::LOCATION, target)]).into_response()
}

async fn token(Ext(s): Ext<Shared>, Form(f): Form<Params>, shape: Shape) -> Response {
    let get = |k: &str| f.get(k).map(String::as_str).unwrap_or("");
    let now = Instant::now();
    let mut state = lock(&s);
    let client = match state.client(get("client_id"), f.get("client_secret").map(String::as_str)) {
        Ok(c) => c,
        Err(r) => return refusal(&r, shape),
    };
    let grant_type = get("grant_type").to_string();
    state
        .counters
        .entry(client.id.clone())
        .or_default()
        .token_requests
        .push(grant_type.clone());
    let result = match grant_type.as_str() {
        "refresh_token" => state.refresh(
            &client,
            get("refresh_token"),
            f.get("scope").map(String::as_str),
            now,
        ),
        "authorization_code" => state.redeem_code(
            &client,
            get("code"),
            get("redirect_uri"),
            get("code_verifier"),
            now,
        ),
        "client_credentials" => state.client_credentials(&client, get("scope"), now),
        "urn:ietf:params:oauth:grant-type:device_code" => {
            state.poll_device(&client, get("device_code"), now)
        }
        other => {
            let text = format!("The grant type '{other}' is not supported.");
            return refusal(
                &Refusal {
                    status: 400,
                    error: "unsupported_grant_type",
                    aadsts: Some(70003),
                    microsoft: text.clone(),
                    google: text,
                },
                shape,
            );
        }
    };
    match result {
        Ok(i) => issued(&i),
        Err(r) => refusal(&r, shape),
    }
}

async fn device(Ext(s): Ext<Shared>, Form(f): Form<Params>, shape: Shape) -> Response {
    let mut state = lock(&s);
    let client = match state.client(f.get("client_id").map_or("", String::as_str), None) {
        Ok(c) => c,
        Err(r) => return refusal(&r, shape),
    };
    let scope = f.get("scope").cloned().unwrap_or_default();
    let (device_code, dc) = state.new_device(&client, &scope, Instant::now());
    let uri = "https://microsoft.com/devicelogin";
    let body = json!({
        "device_code": device_code,
        "user_code": dc.user_code,
        "verification_uri": uri,
        "expires_in": client.device.expires_in,
        "interval": client.device.interval,
        "message": format!("To sign in, use a web browser to open the page {uri} and enter the code {} to authenticate.", dc.user_code),
    });
    (StatusCode::OK, Json(body)).into_response()
}

/// RFC 7662: active when the token exists, has not expired and is for an SMTP audience.
async fn introspect(Ext(s): Ext<Shared>, Form(f): Form<Params>) -> Response {
    let mut state = lock(&s);
    state.introspections += 1;
    let token = f.get("token").map_or("", String::as_str);
    let now = Instant::now();
    let body = match state.access.get(token) {
        Some(a) if a.expires > now && SMTP_AUDIENCES.contains(&a.aud.as_str()) => json!({
            "active": true,
            "username": a.user,
            "scope": a.scope,
            "aud": a.aud,
            "client_id": a.client_id,
            "exp": (a.expires - now).as_secs(),
        }),
        _ => json!({"active": false}),
    };
    (StatusCode::OK, Json(body)).into_response()
}

/// `base` with `pairs` appended to its query.
fn with_query(base: &str, pairs: &[(&str, &str)]) -> String {
    let mut out = base.to_string();
    let mut sep = if base.contains('?') { '&' } else { '?' };
    for (k, v) in pairs {
        out.push(sep);
        out.push_str(k);
        out.push('=');
        out.push_str(&encode(v));
        sep = '&';
    }
    out
}

fn encode(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
