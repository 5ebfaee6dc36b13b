//! Login, logout, sessions, lockout, the setup link and CSRF.

use std::time::Duration;

use axum::http::{StatusCode, header};
use scanrelay_spool::State;
use scanrelay_web::auth::{SESSION_COOKIE, password};

use crate::support::{ADMIN_PASSWORD, Harness};

/// Every page but login, setup, static files and (allowed) metrics needs a login.
#[tokio::test]
async fn pages_need_a_login() {
    let h = Harness::with_password().await;
    let id = h.spool_message("192.0.2.7:51234", "a@example.com").await;
    let mut c = h.client();
    for path in [
        "/".to_string(),
        "/queue".into(),
        "/queue?state=failed".into(),
        format!("/queue/{id}"),
        format!("/queue/{id}/delete"),
        "/devices".into(),
        "/events".into(),
        "/events.json".into(),
    ] {
        c.get(&path).await.assert_redirect("/login");
    }
    for path in [format!("/queue/{id}/retry"), format!("/queue/{id}/delete")] {
        c.post(&path, &[("csrf", "x")])
            .await
            .assert_redirect("/login");
    }
    h.backend.spool.load(&id).await.expect("not deleted");
    for path in [
        "/login",
        "/static/console.css",
        "/static/console.js",
        "/metrics",
    ] {
        assert_eq!(c.get(path).await.status, StatusCode::OK, "{path}");
    }
}

#[tokio::test]
async fn login_issues_a_new_session_cookie() {
    let h = Harness::with_password().await;
    let mut c = h.client();
    let page = c.get("/login").await;
    let cookie = page
        .headers
        .get(header::SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap();
    assert!(
        cookie.starts_with(&format!("{SESSION_COOKIE}=")),
        "{cookie}"
    );
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(attr), "{attr} in {cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain HTTP: {cookie}");
    let anonymous = c.cookies[SESSION_COOKIE].clone();
    c.login(ADMIN_PASSWORD).await.assert_redirect("/");
    assert_ne!(c.cookies[SESSION_COOKIE], anonymous, "no session fixation");
    assert_eq!(c.get("/queue").await.status, StatusCode::OK);
    // The anonymous session is gone: reusing its cookie is not logged in.
    c.cookies.insert(SESSION_COOKIE.into(), anonymous);
    c.get("/queue").await.assert_redirect("/login");
}

#[tokio::test(start_paused = true)]
async fn wrong_password_is_slowed_down() {
    let h = Harness::with_password().await;
    let mut c = h.client();
    let csrf = c.get("/login").await.csrf();
    let started = tokio::time::Instant::now();
    let res = c
        .post(
            "/login",
            &[("csrf", &csrf), ("password", "not-the-password")],
        )
        .await;
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    assert!(res.body.contains("Wrong password."), "{}", res.body);
    c.get("/queue").await.assert_redirect("/login");
}

#[tokio::test(start_paused = true)]
async fn five_wrong_passwords_lock_the_address_out() {
    let h = Harness::with_password().await;
    let mut c = h.client_from("192.0.2.50:1234");
    for _ in 0..4 {
        assert_eq!(c.login("guess").await.status, StatusCode::UNAUTHORIZED);
    }
    let locked = c.login("guess").await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(locked.headers[header::RETRY_AFTER], "900");
    assert!(
        locked.body.contains("Try again in 15 minutes"),
        "{}",
        locked.body
    );
    // Even the right password is refused while locked out...
    let res = c.login(ADMIN_PASSWORD).await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS);
    let left: u64 = res.headers[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(left <= 900 && left > 880, "{left}");
    // ... but only for that address.
    let mut other = h.client_from("192.0.2.51:1234");
    other.login(ADMIN_PASSWORD).await.assert_redirect("/");
    tokio::time::advance(Duration::from_secs(15 * 60)).await;
    c.login(ADMIN_PASSWORD).await.assert_redirect("/");
}

#[tokio::test(start_paused = true)]
async fn sessions_end_when_idle() {
    let h = Harness::with_password().await;
    let mut c = h.admin().await;
    tokio::time::advance(Duration::from_secs(29 * 60)).await;
    assert_eq!(c.get("/queue").await.status, StatusCode::OK);
    tokio::time::advance(Duration::from_secs(30 * 60)).await;
    c.get("/queue").await.assert_redirect("/login");
}

#[tokio::test]
async fn logout_ends_the_session() {
    let h = Harness::with_password().await;
    let mut c = h.admin().await;
    let cookie = c.cookies[SESSION_COOKIE].clone();
    let res = c.submit("/queue", "/logout", &[]).await;
    res.assert_redirect("/login?out=1");
    assert!(!c.cookies.contains_key(SESSION_COOKIE), "cookie cleared");
    assert!(
        c.get("/login?out=1")
            .await
            .body
            .contains("You are logged out.")
    );
    c.cookies.insert(SESSION_COOKIE.into(), cookie);
    c.get("/queue").await.assert_redirect("/login");
}

/// Every POST handler refuses a missing or wrong CSRF token with 403 and does nothing.
#[tokio::test]
async fn forms_without_the_csrf_token_are_refused() {
    let h = Harness::with_password().await;
    let id = h.spool_message("192.0.2.7:51234", "a@example.com").await;
    crate::support::fail_message(&h.backend.spool, &id, "a@example.com", "535 5.7.8 no").await;
    let mut c = h.admin().await;
    let other = h.admin().await;
    let posts = [
        format!("/queue/{id}/retry"),
        format!("/queue/{id}/delete"),
        "/logout".to_string(),
    ];
    for path in &posts {
        for fields in [vec![], vec![("csrf", "")], vec![("csrf", "forged-token")]] {
            let res = c.post(path, &fields).await;
            assert_eq!(res.status, StatusCode::FORBIDDEN, "{path} {fields:?}");
        }
    }
    // Another session's token is no good either.
    let mut other = other;
    let theirs = other.get("/queue").await.csrf();
    let res = c.post(&posts[1], &[("csrf", &theirs)]).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    c.accept_language = Some("ko".into());
    let res = c.post(&posts[0], &[("csrf", "forged")]).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert!(
        res.body.contains(scanrelay_web::i18n::KO.csrf_failed),
        "{}",
        res.body
    );
    let entry = h.backend.spool.load(&id).await.expect("still there");
    assert_eq!(entry.delivery.state, State::Failed, "not retried");
    assert_eq!(
        c.get("/queue").await.status,
        StatusCode::OK,
        "still logged in"
    );
    // Login and setup forms need it too.
    let mut fresh = h.client();
    fresh.get("/login").await;
    let res = fresh.post("/login", &[("password", ADMIN_PASSWORD)]).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    let res = fresh
        .post(
            "/setup",
            &[("password", "abcdefgh"), ("confirm", "abcdefgh")],
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_setup_link_sets_the_first_password_once() {
    let h = Harness::new().await;
    let mut c = h.client();
    let login = c.get("/login").await;
    assert!(
        login.body.contains("No admin password is set yet"),
        "{}",
        login.body
    );
    assert!(
        !login.body.contains("name=\"password\""),
        "no login form without a password"
    );
    let token = h.state.setup.issue();
    assert_eq!(
        c.get("/setup/not-the-token").await.status,
        StatusCode::NOT_FOUND
    );
    // A visitor who did not open the link cannot post the form.
    let mut stranger = h.client_from("192.0.2.9:1");
    let session = h.state.sessions.anonymous();
    stranger
        .cookies
        .insert(SESSION_COOKIE.into(), session.id.clone());
    let fields = [
        ("csrf", session.csrf.as_str()),
        ("password", "abcdefghij"),
        ("confirm", "abcdefghij"),
    ];
    let res = stranger.post("/setup", &fields).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);

    let form = c.get(&format!("/setup/{token}")).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(
        !form.body.contains(&token),
        "the token is not put into the page"
    );
    assert!(
        form.body.contains("/lang/ko?next=%2Fsetup\""),
        "the switch comes back to /setup"
    );
    c.accept_language = Some("ko".into());
    let again = c.get("/setup").await;
    assert!(
        again.body.contains(scanrelay_web::i18n::KO.setup_title),
        "{}",
        again.body
    );
    c.accept_language = None;
    assert_eq!(stranger.get("/setup").await.status, StatusCode::NOT_FOUND);
    let csrf = form.csrf();
    for (pw, confirm, want) in [
        ("short", "short", "at least 8 characters"),
        (
            "long enough 1",
            "long enough 2",
            "The two passwords differ.",
        ),
    ] {
        let res = c
            .post(
                "/setup",
                &[("csrf", &csrf), ("password", pw), ("confirm", confirm)],
            )
            .await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST);
        assert!(res.body.contains(want), "{want}: {}", res.body);
        assert!(!res.body.contains(pw), "the password is not echoed back");
    }
    assert_eq!(password::load(h.dir.path()).unwrap(), None);
    let res = c
        .post(
            "/setup",
            &[
                ("csrf", &csrf),
                ("password", ADMIN_PASSWORD),
                ("confirm", ADMIN_PASSWORD),
            ],
        )
        .await;
    res.assert_redirect("/");
    assert_eq!(c.get("/queue").await.status, StatusCode::OK, "logged in");
    let hash = password::load(h.dir.path()).unwrap().unwrap();
    assert!(password::verify(ADMIN_PASSWORD, &hash));
    // The link is dead now.
    assert_eq!(
        c.get(&format!("/setup/{token}")).await.status,
        StatusCode::NOT_FOUND
    );
    let mut later = h.client();
    later.login(ADMIN_PASSWORD).await.assert_redirect("/");
}

#[tokio::test]
async fn a_password_set_with_the_cli_works_at_the_next_login() {
    let h = Harness::with_password().await;
    let token = h.state.setup.issue();
    password::store(h.dir.path(), "changed on disk").unwrap();
    let mut c = h.client();
    assert_eq!(
        c.login(ADMIN_PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    c.login("changed on disk").await.assert_redirect("/");
    assert_eq!(
        c.get(&format!("/setup/{token}")).await.status,
        StatusCode::NOT_FOUND,
        "a set password kills the setup link"
    );
}

#[tokio::test]
async fn over_tls_the_session_cookie_is_secure() {
    let h = Harness::with_password().await;
    let state = scanrelay_web::AppState::new(h.backend.clone(), true);
    let mut c = crate::support::Client::over(scanrelay_web::router(state), "127.0.0.1:1");
    let page = c.get("/login").await;
    let cookie = page.headers[header::SET_COOKIE].to_str().unwrap();
    assert!(cookie.ends_with("; Secure"), "{cookie}");
    let res = c.login(ADMIN_PASSWORD).await;
    let cookie = res.headers[header::SET_COOKIE].to_str().unwrap();
    assert!(
        cookie.contains("HttpOnly; SameSite=Strict; Path=/; Secure"),
        "{cookie}"
    );
    let lang = c.get("/lang/ko").await;
    assert!(
        lang.headers[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .ends_with("; Secure")
    );
}
