//! The grant flows: device code (pending, slow_down, expiry on paused time), authorization
//! code + PKCE through the loopback listener and pasted, client credentials, import.

use std::time::Duration;

use scanrelay_oauth::{
    Flow, HttpOptions, LoopbackRedirect, OAuthClient, OAuthError, PASTE_REDIRECT_URI, Secret,
    TokenStore, import,
};
use scanrelay_test_support::oauth_authority::{ClientSpec, DeviceScript, OAuthAuthority, http_get};
use tokio::time::Instant;

use crate::{google, microsoft, paused_http};

#[tokio::test(start_paused = true)]
async fn device_code_waits_out_pending_and_slow_down_on_tokio_time() {
    let authority = OAuthAuthority::start();
    let script = DeviceScript {
        interval: 1,
        expires_in: 900,
        slow_down_at: Some(2),
        approve_after: Some(3),
    };
    authority.add_client(ClientSpec::public("dev-1", "scanner@example.test").device(script));
    let account = microsoft(&authority, "office", "dev-1", Flow::DeviceCode);
    let client = OAuthClient::new(&account, &paused_http()).unwrap();
    let device = client.start_device().await.unwrap();
    assert!(
        device
            .message
            .as_deref()
            .unwrap_or("")
            .contains(&device.user_code)
    );
    let started = Instant::now();
    let tokens = client.poll_device(&device).await.unwrap();
    // 1 s (pending), 1 s (slow_down: +5 s), 6 s (approved).
    assert_eq!(started.elapsed(), Duration::from_secs(8));
    assert_eq!(authority.device_polls("dev-1"), 3);
    assert!(tokens.refresh_token.is_some());
}

#[tokio::test(start_paused = true)]
async fn device_code_gives_up_at_expires_in() {
    let authority = OAuthAuthority::start();
    let script = DeviceScript {
        interval: 1,
        expires_in: 10,
        slow_down_at: None,
        approve_after: None,
    };
    authority.add_client(ClientSpec::public("dev-2", "scanner@example.test").device(script));
    let client = OAuthClient::new(
        &microsoft(&authority, "o", "dev-2", Flow::DeviceCode),
        &paused_http(),
    )
    .unwrap();
    let device = client.start_device().await.unwrap();
    let started = Instant::now();
    let err = client.poll_device(&device).await.unwrap_err();
    assert!(matches!(err, OAuthError::DeviceCodeExpired), "{err}");
    assert_eq!(started.elapsed(), Duration::from_secs(10));
    assert_eq!(authority.device_polls("dev-2"), 9);
}

#[tokio::test]
async fn device_code_approved_by_the_control_api() {
    let authority = OAuthAuthority::start();
    let script = DeviceScript {
        interval: 1,
        expires_in: 60,
        slow_down_at: None,
        approve_after: None,
    };
    authority.add_client(ClientSpec::public("dev-3", "scanner@example.test").device(script));
    let client = OAuthClient::new(
        &microsoft(&authority, "o", "dev-3", Flow::DeviceCode),
        &HttpOptions::default(),
    )
    .unwrap();
    let device = client.start_device().await.unwrap();
    let poll = tokio::spawn({
        let client = client.clone();
        let device = device.clone();
        async move { client.poll_device(&device).await }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(authority.approve_device(&device.user_code));
    let tokens = poll.await.unwrap().unwrap();
    assert!(tokens.refresh_token.is_some());
}

#[tokio::test]
async fn pkce_through_the_loopback_listener() {
    let authority = OAuthAuthority::start();
    authority.add_client(ClientSpec::public("pkce-1", "scanner@example.test"));
    let client = OAuthClient::new(
        &microsoft(&authority, "o", "pkce-1", Flow::AuthCode),
        &HttpOptions::default(),
    )
    .unwrap();
    let listener = LoopbackRedirect::bind().await.unwrap();
    let start = client.start_auth_code(&listener.redirect_uri()).unwrap();
    assert!(
        start.url.contains("code_challenge_method=S256"),
        "{}",
        start.url
    );
    let waiting = tokio::spawn(listener.wait(Duration::from_secs(30)));
    // The browser: the authority consents and redirects; the browser follows to the listener.
    let location = authority.consent(&start.url).await;
    assert!(location.starts_with(&start.redirect_uri), "{location}");
    let page = http_get(&location).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let redirected = waiting.await.unwrap().unwrap();
    let code = start.code_from_redirect(&redirected).unwrap();
    let tokens = client.exchange_code(&start, &code).await.unwrap();
    assert!(tokens.refresh_token.is_some());
    assert_eq!(
        authority.pkce_verified("pkce-1"),
        1,
        "the authority checked the verifier"
    );
}

#[tokio::test]
async fn pasted_redirect_and_its_state_check() {
    let authority = OAuthAuthority::start();
    authority.add_client(ClientSpec::public("paste-1", "scanner@gmail.test"));
    let client =
        OAuthClient::new(&google(&authority, "g", "paste-1"), &HttpOptions::default()).unwrap();
    let start = client.start_auth_code(PASTE_REDIRECT_URI).unwrap();
    assert!(start.url.contains("access_type=offline"), "{}", start.url);
    let other = client.start_auth_code(PASTE_REDIRECT_URI).unwrap();
    let location = authority.consent(&start.url).await;
    // A redirect from another sign-in is refused.
    let err = other.code_from_redirect(&location).unwrap_err();
    assert!(matches!(err, OAuthError::BadRedirect(_)), "{err}");
    // Its verifier does not match this code's challenge either: the authority refuses it.
    let code = start
        .code_from_redirect(&format!("  {location}\n"))
        .unwrap();
    let err = client.exchange_code(&other, &code).await.unwrap_err();
    assert_eq!(
        err.token_error().map(|e| e.error.as_str()),
        Some("invalid_grant"),
        "{err}"
    );
    // The right one works once a fresh code is used.
    let location = authority.consent(&start.url).await;
    let code = start.code_from_redirect(&location).unwrap();
    let tokens = client.exchange_code(&start, &code).await.unwrap();
    assert!(tokens.refresh_token.is_some());
    assert_eq!(authority.pkce_verified("paste-1"), 1);
}

#[tokio::test]
async fn pasted_error_redirect_is_declined() {
    let authority = OAuthAuthority::start();
    let client = OAuthClient::new(
        &microsoft(&authority, "o", "unknown-app", Flow::AuthCode),
        &HttpOptions::default(),
    )
    .unwrap();
    let start = client.start_auth_code(PASTE_REDIRECT_URI).unwrap();
    let location = authority.consent(&start.url).await;
    let err = start.code_from_redirect(&location).unwrap_err();
    let e = err.token_error().expect("the authority's error");
    assert_eq!(e.error, "unauthorized_client");
}

#[tokio::test]
async fn client_credentials_and_a_wrong_secret() {
    let authority = OAuthAuthority::start();
    let secret = "s3cr3t-value-~8Q";
    authority.add_client(ClientSpec::confidential(
        "app-1",
        secret,
        "scanner@example.test",
    ));
    let mut account = microsoft(&authority, "app", "app-1", Flow::ClientCredentials);
    account.client_secret = Some(Secret::new(secret));
    let client = OAuthClient::new(&account, &HttpOptions::default()).unwrap();
    let tokens = client.client_credentials().await.unwrap();
    assert!(tokens.refresh_token.is_none());
    account.client_secret = Some(Secret::new("the-secret-ID-not-its-value"));
    let err = OAuthClient::new(&account, &HttpOptions::default())
        .unwrap()
        .client_credentials()
        .await
        .unwrap_err();
    let e = err.token_error().unwrap();
    assert_eq!(
        (e.error.as_str(), e.aadsts.clone()),
        ("invalid_client", vec!["AADSTS7000215".to_string()])
    );
    assert!(!err.is_transient());
    let shown = format!("{err} {err:?} {account:?}");
    assert!(
        !shown.contains(secret) && !shown.contains("the-secret-ID-not-its-value"),
        "{shown}"
    );
}

#[tokio::test]
async fn import_validates_with_one_refresh_and_stores_the_rotated_token() {
    let authority = OAuthAuthority::start();
    authority.add_client(ClientSpec::public("imp-1", "scanner@example.test"));
    let account = microsoft(&authority, "office", "imp-1", Flow::DeviceCode);
    let client = OAuthClient::new(&account, &HttpOptions::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = TokenStore::new(dir.path());
    let err = import(
        &client,
        &store,
        Secret::new("not-a-refresh-token"),
        std::time::SystemTime::now(),
    )
    .await
    .unwrap_err();
    assert_eq!(
        err.token_error().map(|e| e.error.as_str()),
        Some("invalid_grant")
    );
    assert!(
        store.load("office").unwrap().is_none(),
        "a refused token is not stored"
    );
    let rt = authority.mint_refresh_token("imp-1", &account.scopes.join(" "));
    let grant = import(
        &client,
        &store,
        Secret::new(rt.clone()),
        std::time::SystemTime::now(),
    )
    .await
    .unwrap();
    let stored = store.load("office").unwrap().unwrap();
    assert_eq!(stored, grant);
    assert_eq!(authority.used_refresh_tokens("imp-1"), vec![rt.clone()]);
    assert_eq!(
        authority.live_refresh_tokens("imp-1"),
        vec![stored.refresh_token.unwrap().expose().to_string()]
    );
}
