//! The token manager: refresh ahead of expiry, rotation stored, single flight (also across
//! two managers standing for two processes), `rejected()`, `needs_login` and recovery.

use std::sync::Arc;
use std::time::Duration;

use scanrelay_oauth::{
    Flow, OAuthClient, OAuthError, Secret, TokenManager, TokenState, TokenStore, import,
};
use scanrelay_test_support::oauth_authority::{ClientSpec, OAuthAuthority};

use crate::{TestClock, microsoft, options};

/// An authority, an account logged in (by import of a minted grant) and a manager on a test clock.
async fn logged_in(
    client_id: &str,
) -> (
    OAuthAuthority,
    tempfile::TempDir,
    TestClock,
    Arc<TokenManager>,
) {
    let authority = OAuthAuthority::start();
    authority.add_client(ClientSpec::public(client_id, "scanner@example.test"));
    let dir = tempfile::tempdir().unwrap();
    let clock = TestClock::new();
    login(&authority, dir.path(), client_id, &clock).await;
    let account = microsoft(&authority, "office", client_id, Flow::DeviceCode);
    let manager = TokenManager::with_options(account, dir.path(), options(&clock)).unwrap();
    (authority, dir, clock, Arc::new(manager))
}

/// A login by "another process": a new grant imported into the store.
async fn login(
    authority: &OAuthAuthority,
    data: &std::path::Path,
    client_id: &str,
    clock: &TestClock,
) {
    let account = microsoft(authority, "office", client_id, Flow::DeviceCode);
    let rt = authority.mint_refresh_token(client_id, &account.scopes.join(" "));
    let client = OAuthClient::new(&account, &Default::default()).unwrap();
    import(
        &client,
        &TokenStore::new(data),
        Secret::new(rt),
        clock.now(),
    )
    .await
    .unwrap();
}

fn stored_rt(dir: &tempfile::TempDir) -> String {
    let g = TokenStore::new(dir.path()).load("office").unwrap().unwrap();
    g.refresh_token.unwrap().expose().to_string()
}

#[tokio::test]
async fn refreshes_ahead_of_expiry_and_stores_the_rotated_token() {
    let (authority, dir, clock, manager) = logged_in("m-ahead").await;
    let first = manager.bearer().await.unwrap();
    assert_eq!(
        manager.bearer().await.unwrap(),
        first,
        "a fresh token is reused"
    );
    assert_eq!(
        authority.refresh_count("m-ahead"),
        1,
        "only the import's refresh"
    );
    clock.advance(Duration::from_secs(3600 - 301));
    assert_eq!(
        manager.bearer().await.unwrap(),
        first,
        "more than 5 minutes left"
    );
    clock.advance(Duration::from_secs(2));
    let second = manager.bearer().await.unwrap();
    assert_ne!(second, first, "less than 5 minutes left: refreshed");
    assert_eq!(authority.refresh_count("m-ahead"), 2);
    assert_eq!(
        authority.live_refresh_tokens("m-ahead"),
        vec![stored_rt(&dir)],
        "the rotated token is stored"
    );
    assert!(authority.reused_refresh_tokens("m-ahead").is_empty());
    let s = manager.status().await;
    assert_eq!(s.state, TokenState::Ok);
    assert_eq!(s.access_expires, second.expires());
}

#[tokio::test]
async fn concurrent_callers_and_two_processes_never_reuse_a_refresh_token() {
    let (authority, dir, clock, manager) = logged_in("m-flight").await;
    // A second manager on the same data directory stands for a second process.
    let other = Arc::new(
        TokenManager::with_options(manager.account().clone(), dir.path(), options(&clock)).unwrap(),
    );
    for round in 0..3 {
        clock.advance(Duration::from_secs(3600));
        let mut tasks = Vec::new();
        for i in 0..16 {
            let m = if i % 2 == 0 {
                manager.clone()
            } else {
                other.clone()
            };
            tasks.push(tokio::spawn(async move {
                m.bearer().await.map(|t| t.expose().to_string())
            }));
        }
        let mut tokens = Vec::new();
        for t in tasks {
            tokens.push(t.await.unwrap().unwrap());
        }
        tokens.dedup();
        assert_eq!(
            tokens.len(),
            1,
            "round {round}: one refresh serves every caller"
        );
        assert_eq!(authority.refresh_count("m-flight"), round + 2);
    }
    assert!(
        authority.reused_refresh_tokens("m-flight").is_empty(),
        "no refresh token was used twice"
    );
    assert_eq!(
        authority.live_refresh_tokens("m-flight"),
        vec![stored_rt(&dir)]
    );
}

#[tokio::test]
async fn a_rejected_token_is_refreshed_once() {
    let (authority, _dir, _clock, manager) = logged_in("m-reject").await;
    let first = manager.bearer().await.unwrap();
    manager.rejected(&first).await;
    let second = manager.bearer().await.unwrap();
    assert_ne!(first, second);
    assert_eq!(manager.bearer().await.unwrap(), second);
    assert_eq!(authority.refresh_count("m-reject"), 2);
}

#[tokio::test]
async fn a_dead_grant_needs_login_until_another_process_logs_in() {
    let (authority, dir, clock, manager) = logged_in("m-dead").await;
    let mut changed = manager.grant_changed();
    let watch = manager.spawn_watch(Duration::from_millis(50));
    authority.revoke("m-dead");
    clock.advance(Duration::from_secs(3600));
    let err = manager.bearer().await.unwrap_err();
    assert!(err.needs_login(), "{err}");
    let cause = err.token_error().unwrap();
    assert_eq!(
        (cause.error.as_str(), cause.aadsts.clone()),
        ("invalid_grant", vec!["AADSTS700082".to_string()])
    );
    assert!(
        err.to_string().contains("scanrelay oauth login office"),
        "{err}"
    );
    // Persisted, and no more token requests.
    let requests = authority.token_requests("m-dead").len();
    let other =
        TokenManager::with_options(manager.account().clone(), dir.path(), options(&clock)).unwrap();
    for _ in 0..3 {
        assert!(manager.bearer().await.unwrap_err().needs_login());
        assert!(other.bearer().await.unwrap_err().needs_login());
    }
    assert_eq!(
        authority.token_requests("m-dead").len(),
        requests,
        "a dead grant is not retried"
    );
    let s = manager.status().await;
    assert_eq!(s.state, TokenState::NeedsLogin);
    assert!(s.reason.unwrap().contains("AADSTS700082"));
    assert!(!changed.has_changed().unwrap());
    // A new login by another process: noticed by the watcher, without any bearer() call.
    login(&authority, dir.path(), "m-dead", &clock).await;
    tokio::time::timeout(Duration::from_secs(5), changed.changed())
        .await
        .unwrap()
        .unwrap();
    let token = manager.bearer().await.unwrap();
    assert!(!token.expose().is_empty());
    assert_eq!(manager.status().await.state, TokenState::Ok);
    watch.abort();
}

#[tokio::test]
async fn not_logged_in_makes_no_request() {
    let authority = OAuthAuthority::start();
    authority.add_client(ClientSpec::public("m-none", "scanner@example.test"));
    let dir = tempfile::tempdir().unwrap();
    let manager = TokenManager::new(
        microsoft(&authority, "office", "m-none", Flow::DeviceCode),
        dir.path(),
    )
    .unwrap();
    let err = manager.bearer().await.unwrap_err();
    assert!(matches!(err, OAuthError::NeedsLogin { .. }), "{err}");
    assert!(authority.token_requests("m-none").is_empty());
    assert_eq!(manager.status().await.state, TokenState::NeedsLogin);
}

#[tokio::test]
async fn client_credentials_need_no_login() {
    let authority = OAuthAuthority::start();
    authority.add_client(ClientSpec::confidential(
        "m-app",
        "app-secret-1",
        "scanner@example.test",
    ));
    let dir = tempfile::tempdir().unwrap();
    let mut account = microsoft(&authority, "app", "m-app", Flow::ClientCredentials);
    account.client_secret = Some(Secret::new("app-secret-1"));
    let manager = TokenManager::new(account, dir.path()).unwrap();
    let t = manager.bearer().await.unwrap();
    assert_eq!(manager.bearer().await.unwrap(), t);
    assert_eq!(
        authority.token_requests("m-app"),
        vec!["client_credentials".to_string()]
    );
    let file = std::fs::read_to_string(TokenStore::new(dir.path()).path("app")).unwrap();
    assert!(
        !file.contains("app-secret-1"),
        "the client secret is never stored"
    );
}
