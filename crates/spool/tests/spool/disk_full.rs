//! A full disk: a distinct error, the partial file gone, nothing queued lost.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use scanrelay_spool::{MessageId, Spool, SpoolError};

use crate::common::{
    Tmpfs, assert_consistent, body, envelope, names, read_body, store, write_chunks,
};

/// A spool with two committed messages, the ids returned.
async fn spool_with_two(root: &Path) -> (Spool, [MessageId; 2]) {
    let spool = Spool::open(root).await.unwrap();
    let kept = [
        store(&spool, 1, 90_000).await,
        store(&spool, 2, 5_000).await,
    ];
    (spool, kept)
}

/// After reopening, exactly `expected` are queued and the first two are intact.
async fn assert_reopened(root: &Path, spool: Spool, expected: &[MessageId]) {
    drop(spool);
    let spool = Spool::open(root).await.unwrap();
    let ids: Vec<_> = spool
        .list()
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(ids, expected);
    assert!(read_body(&spool, &expected[0]).await == body(1, 90_000));
    assert!(read_body(&spool, &expected[1]).await == body(2, 5_000));
    assert_consistent(root);
}

#[tokio::test]
async fn injected_disk_full_on_body_writes() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let (spool, kept) = spool_with_two(root).await;
    spool.fail_writes_with(Some(ErrorKind::StorageFull));

    // Large message: fails at the first 64 KiB flush; the partial file goes at once.
    let mut incoming = spool.begin().await.unwrap();
    let err = write_chunks(&mut incoming, &body(3, 300_000), 10_000)
        .await
        .unwrap_err();
    assert!(err.is_disk_full(), "{err}");
    let text = err.to_string();
    assert!(text.starts_with("failed to write `"), "{text}");
    assert!(
        text.contains(&root.join("tmp").display().to_string()),
        "{text}"
    );
    assert!(
        names(&root.join("tmp")).is_empty(),
        "partial file kept on a full disk"
    );
    // The failure sticks, so the listener sees it again at the end of DATA.
    assert!(incoming.write(b"more").await.unwrap_err().is_disk_full());
    let err = incoming.commit(envelope(3, 0)).await.unwrap_err();
    assert!(err.is_disk_full(), "{err}");

    // Small message: fails at commit.
    let mut incoming = spool.begin().await.unwrap();
    incoming.write(&body(4, 1000)).await.unwrap();
    let err = incoming.commit(envelope(4, 1000)).await.unwrap_err();
    assert!(err.is_disk_full(), "{err}");
    assert_consistent(root);

    spool.fail_writes_with(None);
    let third = store(&spool, 6, 1000).await;
    assert_reopened(root, spool, &[kept[0].clone(), kept[1].clone(), third]).await;
}

#[tokio::test]
async fn injected_disk_full_on_envelope_writes() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let (spool, kept) = spool_with_two(root).await;
    spool.fail_envelope_writes_with(Some(ErrorKind::StorageFull));

    // The body is already in msg/ when the envelope write fails: it is taken back.
    let mut incoming = spool.begin().await.unwrap();
    incoming.write(&body(5, 1000)).await.unwrap();
    let err = incoming.commit(envelope(5, 1000)).await.unwrap_err();
    assert!(err.is_disk_full(), "{err}");
    assert_consistent(root);
    assert_eq!(spool.list().await.unwrap().len(), 2);

    // A state update fails and keeps the previous state.
    let before = spool.load(&kept[0]).await.unwrap();
    let err = spool
        .rewrite_state_for_tests(&kept[0], |d| d.attempts = 99)
        .await
        .unwrap_err();
    assert!(err.is_disk_full(), "{err}");
    assert_eq!(spool.load(&kept[0]).await.unwrap(), before);
    assert_consistent(root);

    spool.fail_envelope_writes_with(None);
    assert_reopened(root, spool, &kept).await;
}

#[test]
fn other_errors_are_not_disk_full() {
    let err = SpoolError::Io {
        path: PathBuf::from("/spool/msg/x.eml"),
        op: "write",
        source: std::io::Error::from(ErrorKind::PermissionDenied),
    };
    assert!(!err.is_disk_full());
    assert!(
        err.to_string()
            .starts_with("failed to write `/spool/msg/x.eml`: "),
        "{err}"
    );
}

#[tokio::test]
async fn real_full_tmpfs_is_reported_and_loses_nothing() {
    let Some(fs) = Tmpfs::mount_or_explain("1m") else {
        return;
    };
    let root = fs.path().join("spool");
    let spool = Spool::open(&root).await.unwrap();
    let mut kept = Vec::new();
    let err = loop {
        let data = body(kept.len() as u64, 200_000);
        let mut incoming = spool.begin().await.unwrap();
        let result = match write_chunks(&mut incoming, &data, 32 * 1024).await {
            Ok(()) => {
                incoming
                    .commit(envelope(kept.len() as u64, data.len() as u64))
                    .await
            }
            Err(e) => Err(e),
        };
        match result {
            Ok(id) => kept.push(id),
            Err(e) => break e,
        }
        assert!(kept.len() < 10, "a 1 MiB tmpfs took 2 MB");
    };
    println!("tmpfs full after {} messages: {err}", kept.len());
    assert!(err.is_disk_full(), "{err}");
    assert!(!kept.is_empty());
    assert_consistent(&root);
    // Space freed by a delivery makes room again.
    spool.remove(&kept.remove(0)).await.unwrap();
    kept.push(store(&spool, 100, 150_000).await);
    drop(spool);
    let spool = Spool::open(&root).await.unwrap();
    let listed: Vec<_> = spool
        .list()
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(listed, kept);
    assert_consistent(&root);
    drop(spool);
}
