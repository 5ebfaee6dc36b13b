//! The token store: private modes, atomic replacement, damaged files reported without
//! their content.

use std::os::unix::fs::PermissionsExt as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use scanrelay_oauth::{Grant, OAuthError, Secret, TokenStore};

fn grant(rt: &str) -> Grant {
    Grant {
        refresh_token: Some(Secret::new(rt)),
        access_token: Some(Secret::new("at-value")),
        access_expires: Some(UNIX_EPOCH + Duration::from_secs(2_000_000_000)),
        scopes: vec![
            "https://outlook.office.com/SMTP.Send".into(),
            "offline_access".into(),
        ],
        login_at: Some(UNIX_EPOCH + Duration::from_secs(1_900_000_000)),
        ..Grant::default()
    }
}

#[test]
fn files_are_private_and_replaced_whole() {
    let dir = tempfile::tempdir().unwrap();
    let store = TokenStore::new(dir.path());
    store.save("office", &grant("rt-1")).unwrap();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&store.path("office")), 0o600);
    assert_eq!(mode(store.dir()), 0o700);
    let before = store.fingerprint("office").unwrap();
    store.save("office", &grant("rt-2")).unwrap();
    assert_ne!(
        store.fingerprint("office").unwrap(),
        before,
        "a save is a new file (rename)"
    );
    assert_eq!(store.load("office").unwrap().unwrap(), grant("rt-2"));
    let names: Vec<String> = std::fs::read_dir(store.dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".lock"))
        .collect();
    assert_eq!(
        names,
        vec!["office.json".to_string()],
        "no temp file left behind"
    );
    assert!(store.remove("office").unwrap());
    assert!(store.load("office").unwrap().is_none());
    assert!(!store.remove("office").unwrap());
}

#[test]
fn a_damaged_file_is_named_and_not_shown() {
    let dir = tempfile::tempdir().unwrap();
    let store = TokenStore::new(dir.path());
    store.save("office", &grant("rt-1")).unwrap();
    std::fs::write(
        store.path("office"),
        "{\"version\":1,\"refresh_token\":\"rt-LEAKED-VALUE\",",
    )
    .unwrap();
    let err = store.load("office").unwrap_err();
    assert!(matches!(err, OAuthError::Corrupt { .. }), "{err}");
    let text = format!("{err} {err:?}");
    assert!(
        text.contains("office.json") && !text.contains("LEAKED"),
        "{text}"
    );
    std::fs::write(
        store.path("office"),
        "{\"version\":1,\"scopes\":\"rt-LEAKED-VALUE\"}",
    )
    .unwrap();
    let text = format!("{}", store.load("office").unwrap_err());
    assert!(!text.contains("LEAKED"), "{text}");
}

#[test]
fn the_file_never_shows_in_debug() {
    let g = grant("rt-SECRET-1");
    let shown = format!("{g:?}");
    assert!(
        !shown.contains("rt-SECRET-1") && !shown.contains("at-value"),
        "{shown}"
    );
    let _ = SystemTime::now();
}

#[tokio::test]
async fn the_lock_is_exclusive_across_handles() {
    let dir = tempfile::tempdir().unwrap();
    let a = TokenStore::new(dir.path());
    let b = TokenStore::new(dir.path());
    let held = a.lock("office").await.unwrap();
    let waiting = tokio::spawn(async move { b.lock("office").await.map(|_| ()) });
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert!(
        !waiting.is_finished(),
        "a second lock waits while the first is held"
    );
    drop(held);
    tokio::time::timeout(Duration::from_secs(5), waiting)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
}
