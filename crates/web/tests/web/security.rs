//! Headers on every response, and pages that need no inline script or style.

use axum::http::header;

use crate::support::Harness;

#[tokio::test]
async fn security_headers_on_every_response() {
    let h = Harness::with_password().await;
    let id = h.spool_message("192.0.2.7:51234", "a@example.com").await;
    let mut c = h.admin().await;
    let mut anon = h.client_from("192.0.2.9:1");
    let mut responses = Vec::new();
    for path in [
        "/".to_string(),
        "/queue".into(),
        format!("/queue/{id}"),
        format!("/queue/{id}/delete"),
        "/queue/0000000000000000-0000000000000000".into(),
        "/devices".into(),
        "/events".into(),
        "/events.json".into(),
        "/no-such-page".into(),
        "/static/console.js".into(),
    ] {
        responses.push((path.clone(), c.get(&path).await));
    }
    for path in ["/login", "/metrics", "/setup/x", "/queue"] {
        responses.push((format!("{path} (anonymous)"), anon.get(path).await));
    }
    for (path, res) in &responses {
        let h = &res.headers;
        let csp = h[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        for part in [
            "default-src 'self'",
            "frame-ancestors 'none'",
            "script-src 'self'",
        ] {
            assert!(csp.contains(part), "{path}: {csp}");
        }
        assert!(!csp.contains("unsafe-inline"), "{path}");
        assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff", "{path}");
        assert_eq!(h[header::REFERRER_POLICY], "no-referrer", "{path}");
        let cache = h[header::CACHE_CONTROL].to_str().unwrap();
        if path.starts_with("/static/") {
            assert_eq!(cache, "no-cache", "{path}");
        } else {
            assert_eq!(cache, "no-store", "{path}");
        }
    }
}

/// The CSP forbids inline script and style: no page may depend on them.
#[tokio::test]
async fn pages_have_no_inline_script_or_style() {
    let h = Harness::with_password().await;
    let id = h.spool_message("192.0.2.7:51234", "a@example.com").await;
    let mut c = h.admin().await;
    for path in [
        "/".to_string(),
        "/queue".into(),
        format!("/queue/{id}"),
        format!("/queue/{id}/delete"),
        "/devices".into(),
        "/events".into(),
        "/login".into(),
    ] {
        let body = c.get(&path).await.body.to_ascii_lowercase();
        assert!(!body.contains("<style"), "{path}");
        assert!(!body.contains(" style="), "{path}");
        assert!(
            !body.contains(" onclick=") && !body.contains(" onload="),
            "{path}"
        );
        for (at, _) in body.match_indices("<script") {
            let tag = &body[at..at + body[at..].find('>').unwrap()];
            assert!(
                tag.contains(" src=\"/static/"),
                "{path}: inline script {tag}"
            );
        }
    }
}
