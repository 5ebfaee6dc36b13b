//! The language switch: `GET /lang/ko?next=/queue` keeps the choice in a cookie and goes back.
//! Only a path on this console is followed (`/...`, never `//host` or a URL), so the switch is
//! no open redirect.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;

use crate::app::AppState;
use crate::i18n::{LANG_COOKIE, parse_lang};

/// `/lang/{code}`.
pub fn routes() -> Router<AppState> {
    Router::new().route("/lang/{code}", get(switch))
}

#[derive(Deserialize)]
struct Next {
    next: Option<String>,
}

async fn switch(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Query(next): Query<Next>,
) -> Response {
    let Some(lang) = parse_lang(&code) else {
        return (StatusCode::NOT_FOUND, "unknown language: en or ko").into_response();
    };
    let target = next
        .next
        .filter(|n| is_local_path(n))
        .unwrap_or_else(|| "/".into());
    let secure = if state.tls { "; Secure" } else { "" };
    let cookie = format!(
        "{LANG_COOKIE}={}; SameSite=Strict; Path=/; Max-Age=31536000{secure}",
        lang.as_str()
    );
    let mut res = Redirect::to(&target).into_response();
    res.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).expect("valid cookie"),
    );
    res
}

/// A path on this site: starts with one `/`, no backslash, no control characters.
pub fn is_local_path(path: &str) -> bool {
    path.starts_with('/')
        && !path.starts_with("//")
        && !path.contains('\\')
        && !path.chars().any(char::is_control)
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_local_paths() {
        for (path, ok) in [
            ("/queue?state=failed", true),
            ("/", true),
            ("//evil.example/", false),
            ("/\\evil.example", false),
            ("https://evil.example/", false),
            ("queue", false),
            ("/a\nb", false),
        ] {
            assert_eq!(super::is_local_path(path), ok, "{path}");
        }
    }
}
