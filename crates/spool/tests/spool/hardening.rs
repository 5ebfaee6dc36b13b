//! Regressions found in review: file and directory modes, a failed commit racing the
//! scheduler, and damaged messages that must end up `Failed` instead of being retried forever.

use std::fs::{File, TryLockError};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::{Arc, Mutex};

use scanrelay_spool::{Spool, SpoolError, State};

use crate::common::{body, envelope, store};

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[tokio::test]
async fn spool_files_are_private_even_in_a_custom_dir_with_a_lax_umask() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("custom").join("spool");
    // An older version (or a lax umask) left the subdirectories readable by everyone.
    std::fs::create_dir_all(root.join("msg")).unwrap();
    std::fs::set_permissions(root.join("msg"), std::fs::Permissions::from_mode(0o755)).unwrap();
    let spool = Spool::open(&root).await.unwrap();
    let id = store(&spool, 1, 2_000).await;
    spool
        .rewrite_state_for_tests(&id, |d| d.attempts = 1)
        .await
        .unwrap();
    let mut incoming = spool.begin().await.unwrap();
    // More than the receive buffer, so the temporary file exists (it is created by the first
    // write that reaches the disk).
    incoming.write(&vec![b'x'; 200 * 1024]).await.unwrap();
    let fresh = dir.path().join("fresh").join("spool");
    drop(Spool::open(&fresh).await.unwrap());
    let cases = [
        ("a spool directory it created", fresh, 0o700),
        ("tmp/", root.join("tmp"), 0o700),
        ("msg/ (was 0755)", root.join("msg"), 0o700),
        ("env/", root.join("env"), 0o700),
        ("the lock file", root.join("lock"), 0o600),
        ("a body", spool.body_path(&id), 0o600),
        (
            "a rewritten envelope",
            root.join("env").join(format!("{id}.json")),
            0o600,
        ),
        (
            "an incoming body",
            root.join("tmp").join(format!("{}.eml", incoming.id())),
            0o600,
        ),
    ];
    for (what, path, want) in cases {
        assert_eq!(mode(&path), want, "{what}: {}", path.display());
    }
    incoming.abort().await;
}

#[tokio::test]
async fn a_commit_failing_after_its_envelope_appeared_holds_the_message_lock_until_cleaned_up() {
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::open(dir.path()).await.unwrap();
    let seen: Arc<Mutex<Vec<(bool, bool)>>> = Arc::default();
    let record = seen.clone();
    spool.on_commit_published(Some(Arc::new(move |body: &Path| {
        // What a concurrent scheduler would find now: the envelope is visible, but the
        // message lock (taken to mark it `Sending`) is not available.
        let envelope_visible = std::fs::read_dir(body.parent().unwrap())
            .unwrap()
            .any(|e| e.unwrap().file_name().to_string_lossy().ends_with(".eml"));
        let locked = matches!(
            File::open(body).unwrap().try_lock(),
            Err(TryLockError::WouldBlock)
        );
        record.lock().unwrap().push((envelope_visible, locked));
        Some(std::io::ErrorKind::Other)
    })));
    let data = body(7, 500);
    let mut incoming = spool.begin().await.unwrap();
    incoming.write(&data).await.unwrap();
    let err = incoming
        .commit(envelope(7, data.len() as u64))
        .await
        .unwrap_err();
    assert!(matches!(err, SpoolError::Io { .. }), "{err}");
    assert_eq!(*seen.lock().unwrap(), [(true, true)]);
    assert!(spool.scan().await.unwrap().is_empty(), "cleaned up");
    assert!(spool.list().await.unwrap().is_empty());
    spool.on_commit_published(None);
    store(&spool, 8, 500).await;
    assert_eq!(spool.list().await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_message_whose_body_vanished_is_marked_failed_not_retried() {
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::open(dir.path()).await.unwrap();
    let damaged = store(&spool, 1, 500).await;
    let intact = store(&spool, 2, 500).await;
    // A state change gives it an envelope file, which outlives the message file's removal.
    spool
        .rewrite_state_for_tests(&damaged, |_| {})
        .await
        .unwrap();
    std::fs::remove_file(spool.body_path(&damaged)).unwrap();
    let err = spool
        .rewrite_state_for_tests(&damaged, |d| d.state = State::Sending)
        .await;
    assert!(matches!(err, Err(SpoolError::BodyMissing(_))));

    let entry = spool.fail_damaged(&damaged).await.unwrap();
    assert_eq!(entry.delivery.state, State::Failed);
    assert_eq!(entry.delivery.last_cause.as_deref(), Some("spool"));
    assert!(
        entry
            .delivery
            .last_error
            .unwrap()
            .contains("body file missing")
    );
    assert_eq!(
        spool.load(&damaged).await.unwrap().delivery.state,
        State::Failed
    );
    let stamp = spool.scan().await.unwrap()[0].stamp;
    spool.fail_damaged(&damaged).await.unwrap();
    assert_eq!(
        spool.scan().await.unwrap()[0].stamp,
        stamp,
        "not rewritten twice"
    );

    let untouched = spool.fail_damaged(&intact).await.unwrap();
    assert_eq!(untouched.delivery.state, State::Queued);
    spool.remove(&damaged).await.unwrap();
    assert!(
        spool
            .fail_damaged(&damaged)
            .await
            .unwrap_err()
            .is_not_found()
    );
}

/// `queue delete` racing a delivery attempt that finds the body already gone (removal
/// deletes the message file first) must not bring the message back as a failed "damaged"
/// entry: marking a damaged message and removing it take the envelope file's lock.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_removal_racing_the_damaged_mark_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::open(dir.path()).await.unwrap();
    for n in 0..300 {
        let id = store(&spool, n, 300).await;
        // The attempt's `sending` mark gives it an envelope file.
        spool
            .apply(&id, scanrelay_spool::Event::AttemptStarted { at: 1 })
            .await
            .unwrap();
        let (a, b) = (spool.clone(), spool.clone());
        let (marker, target) = (id.clone(), id.clone());
        let mark = tokio::spawn(async move {
            for _ in 0..20 {
                match a.fail_damaged(&marker).await {
                    Err(e) if e.is_not_found() => return,
                    _ => tokio::task::yield_now().await,
                }
            }
        });
        let remove = tokio::spawn(async move { b.remove(&target).await });
        mark.await.unwrap();
        remove.await.unwrap().unwrap();
        let left = spool.load(&id).await;
        assert!(
            matches!(&left, Err(e) if e.is_not_found()),
            "round {n}: the removed message came back: {left:?}"
        );
    }
}
