//! Reopening a spool: committed messages come back, leftovers of unacknowledged ones go.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use scanrelay_spool::{MessageId, Spool, SpoolError, State};

use crate::common::{assert_consistent, body, names, read_body, store};

const ORPHAN: &str = "00000000000000aa-00000000000000bb";

/// Leave what a crash leaves: a body being received, a half-written envelope rewrite of
/// `victim`, a body renamed into msg/ whose envelope was never written.
fn simulate_crash_leftovers(root: &Path, victim: &MessageId) {
    let orphan = format!("{ORPHAN}.eml");
    fs::write(root.join("tmp").join(&orphan), b"Subject: half").unwrap();
    fs::write(
        root.join("env").join(format!(".{victim}.1-2.tmp")),
        b"{\"vers",
    )
    .unwrap();
    fs::write(root.join("msg").join(&orphan), b"Subject: never acked").unwrap();
}

#[tokio::test]
async fn reopen_recovers_committed_and_removes_partial_files() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let spool = Spool::open(root).await.unwrap();
    assert!(spool.recovery().performed);
    let mut stored = BTreeMap::new();
    for n in 0..5 {
        let len = 1000 + n as usize * 70_000;
        stored.insert(store(&spool, n, len).await, (n, len));
    }
    // A message whose body vanished (damage from outside), plus crash leftovers.
    let damaged = stored.keys().nth(2).unwrap().clone();
    stored.remove(&damaged).unwrap();
    spool
        .rewrite_state_for_tests(&damaged, |_| {})
        .await
        .unwrap();
    drop(spool);
    fs::remove_file(root.join("msg").join(format!("{damaged}.eml"))).unwrap();
    simulate_crash_leftovers(root, stored.keys().next().unwrap());

    let spool = Spool::open(root).await.unwrap();
    let report = spool.recovery().clone();
    assert!(report.performed);
    assert_eq!(report.removed_partial, 2);
    assert_eq!(report.removed_orphans, 1);
    assert_eq!(report.corrupt, vec![damaged.clone()]);
    assert_eq!(report.messages, 5);

    let entries = spool.list().await.unwrap();
    assert_eq!(entries.len(), 5);
    for entry in &entries {
        let Some(&(n, len)) = stored.get(&entry.id) else {
            assert_eq!(entry.id, damaged);
            assert_eq!(entry.delivery.state, State::Failed);
            let error = entry.delivery.last_error.as_deref().unwrap();
            assert!(error.contains("missing"), "{error}");
            continue;
        };
        assert_eq!(entry.delivery.state, State::Queued);
        assert_eq!(entry.body_len, len as u64);
        assert!(read_body(&spool, &entry.id).await == body(n, len));
    }
    assert!(names(&root.join("tmp")).is_empty());
    assert!(!root.join("msg").join(format!("{ORPHAN}.eml")).exists());
    damaged_message_can_be_deleted(&spool, &damaged).await;
    assert_consistent(root);

    // Reopening a clean spool changes nothing.
    drop(spool);
    let spool = Spool::open(root).await.unwrap();
    let report = spool.recovery();
    assert_eq!((report.removed_partial, report.removed_orphans), (0, 0));
    assert!(report.corrupt.is_empty());
    assert_eq!(report.messages, 4);
}

/// An operator cannot retry a message without body, but can delete it.
async fn damaged_message_can_be_deleted(spool: &Spool, damaged: &MessageId) {
    let err = spool
        .rewrite_state_for_tests(damaged, |d| d.state = State::Queued)
        .await
        .unwrap_err();
    assert!(matches!(err, SpoolError::BodyMissing(_)), "{err}");
    spool.remove(damaged).await.unwrap();
    assert!(spool.load(damaged).await.unwrap_err().is_not_found());
}

#[tokio::test]
async fn no_recovery_while_another_process_has_the_spool_open() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let server = Spool::open(root).await.unwrap();
    let mut incoming = server.begin().await.unwrap();
    incoming
        .write(b"Subject: in progress\r\n\r\n")
        .await
        .unwrap();
    // Past the receive buffer: the temporary file exists only once data reached the disk.
    incoming.write(&vec![b'x'; 200 * 1024]).await.unwrap();

    // An operator command opening the spool meanwhile must not touch in-progress files.
    let cli = Spool::open(root).await.unwrap();
    assert!(!cli.recovery().performed);
    assert_eq!(names(&root.join("tmp")).len(), 1);
    assert!(cli.list().await.unwrap().is_empty());

    let id = incoming
        .commit(crate::common::envelope(1, 24))
        .await
        .unwrap();
    assert_eq!(cli.load(&id).await.unwrap().id, id);
    drop(cli);
    drop(server);
    let reopened = Spool::open(root).await.unwrap();
    assert!(reopened.recovery().performed);
    assert_eq!(reopened.list().await.unwrap().len(), 1);
}

#[tokio::test]
async fn unexpected_files_are_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    drop(Spool::open(root).await.unwrap());
    fs::write(root.join("msg").join("README"), b"x").unwrap();
    fs::write(root.join("env").join("notes.json"), b"{}").unwrap();
    let spool = Spool::open(root).await.unwrap();
    assert!(root.join("msg").join("README").exists());
    assert!(root.join("env").join("notes.json").exists());
    assert!(spool.list().await.unwrap().is_empty());
}
