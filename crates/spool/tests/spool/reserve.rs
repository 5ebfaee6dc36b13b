//! The space reserve (issue 6, item 11): at 0 bytes free, state updates and removals still
//! work, new mail is refused, and acceptance resumes once deliveries have made room.

use std::io::{ErrorKind, Write as _};
use std::path::Path;
use std::sync::Arc;

use scanrelay_spool::{MessageId, Spool, State};

use crate::common::{Tmpfs, assert_consistent, body, envelope, store, write_chunks};

/// Fills the file system under `dir` to the last byte with a file named `filler`.
fn fill_up(dir: &Path) {
    let mut file = std::fs::File::create(dir.join("filler")).unwrap();
    for size in [1 << 16, 1 << 12, 1 << 9, 1] {
        let chunk = vec![b'f'; size];
        while file
            .write_all(&chunk)
            .and_then(|()| file.sync_all())
            .is_ok()
        {}
    }
    let probe = std::fs::write(dir.join("probe"), vec![b'p'; 4096]);
    let _ = std::fs::remove_file(dir.join("probe"));
    assert_eq!(
        probe.unwrap_err().kind(),
        ErrorKind::StorageFull,
        "the disk still has room"
    );
}

/// Stores messages of `len` bytes until the spool refuses one as disk-full.
async fn store_until_full(spool: &Spool, len: usize) -> Vec<MessageId> {
    let mut kept = Vec::new();
    loop {
        let n = kept.len() as u64;
        let data = body(n, len);
        let result = match spool.begin().await {
            Ok(mut incoming) => match write_chunks(&mut incoming, &data, 32 * 1024).await {
                Ok(()) => incoming.commit(envelope(n, data.len() as u64)).await,
                Err(e) => Err(e),
            },
            Err(e) => Err(e),
        };
        match result {
            Ok(id) => kept.push(id),
            Err(e) => {
                assert!(e.is_disk_full(), "{e}");
                return kept;
            }
        }
        assert!(kept.len() < 100, "the disk never filled up");
    }
}

/// Regression (issue 6, item 11, "disk full"): at 0 bytes free nothing was delivered, because
/// every attempt first failed writing its state file, so a full disk stayed full. With the
/// reserve: state updates and removals work at 0 bytes free, new messages are refused, and once
/// removals have made room the reserve is back and mail is accepted again.
#[tokio::test]
async fn a_full_disk_drains_itself() {
    let Some(fs) = Tmpfs::mount_or_explain("4m") else {
        return;
    };
    let root = fs.path().join("spool");
    let spool = Spool::open(&root).await.unwrap();
    assert!(spool.keep_reserve(256 * 1024).await.unwrap());
    let kept = store_until_full(&spool, 300_000).await;
    assert!(kept.len() >= 5, "{} messages", kept.len());
    fill_up(fs.path());

    // Every message is marked `sending`, as the scheduler does before delivering.
    for id in &kept {
        let entry = spool
            .rewrite_state_for_tests(id, |d| {
                d.state = State::Sending;
                d.attempts += 1;
            })
            .await
            .unwrap_or_else(|e| panic!("state update at 0 bytes free: {e}"));
        assert_eq!(entry.delivery.state, State::Sending);
    }
    assert!(spool.reserve_is_out());
    let refused = spool.begin().await.unwrap_err();
    assert!(refused.is_disk_full(), "{refused}");

    // Deliveries remove their messages; the reserve comes back when there is room for it.
    let mut removed = 0;
    while spool.reserve_is_out() {
        spool.remove(&kept[removed]).await.unwrap();
        removed += 1;
    }
    assert!(removed >= 1 && removed < kept.len(), "{removed} removed");
    assert_eq!(
        std::fs::metadata(root.join("reserve")).unwrap().len(),
        256 * 1024
    );
    let again = store(&spool, 99, 1000).await;
    let listed: Vec<MessageId> = spool
        .list()
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.id)
        .collect();
    let mut expected = kept[removed..].to_vec();
    expected.push(again);
    assert_eq!(listed, expected);
    assert_consistent(&root);
}

/// The same without a real full disk: envelope writes fail as disk-full while the reserve file
/// exists (the disk's only free space is the reserve).
#[tokio::test]
async fn a_state_update_releases_the_reserve_and_new_mail_waits_for_it() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("spool");
    let spool = Spool::open(&root).await.unwrap();
    assert!(spool.keep_reserve(64 * 1024).await.unwrap());
    let kept = [store(&spool, 1, 5_000).await, store(&spool, 2, 5_000).await];
    let mut arriving = spool.begin().await.unwrap();
    arriving.write(&body(3, 1_000)).await.unwrap();
    let reserve = root.join("reserve");
    let full = reserve.clone();
    spool.fail_envelope_writes_when(Some(Arc::new(move || {
        full.exists().then_some(ErrorKind::StorageFull)
    })));

    let entry = spool
        .rewrite_state_for_tests(&kept[0], |d| d.attempts = 1)
        .await
        .unwrap();
    assert_eq!(entry.delivery.attempts, 1);
    assert!(spool.reserve_is_out() && !reserve.exists());
    // A message that was arriving meanwhile is refused, its partial file removed.
    let err = arriving.commit(envelope(3, 1_000)).await.unwrap_err();
    assert!(err.is_disk_full(), "{err}");
    assert_consistent(&root);

    spool.remove(&kept[1]).await.unwrap();
    assert!(
        !spool.reserve_is_out(),
        "the reserve is back after a removal"
    );
    assert_eq!(std::fs::metadata(&reserve).unwrap().len(), 64 * 1024);
    spool.fail_envelope_writes_when(None);
    store(&spool, 4, 1_000).await;
    assert_eq!(spool.list().await.unwrap().len(), 2);
}

/// Without `keep_reserve` (operator commands) there is no reserve file and nothing changes.
#[tokio::test]
async fn no_reserve_unless_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("spool");
    let spool = Spool::open(&root).await.unwrap();
    let id = store(&spool, 1, 1_000).await;
    spool.fail_envelope_writes_with(Some(ErrorKind::StorageFull));
    assert!(
        spool
            .rewrite_state_for_tests(&id, |d| d.attempts = 1)
            .await
            .unwrap_err()
            .is_disk_full()
    );
    assert!(!spool.reserve_is_out());
    assert!(!root.join("reserve").exists());
}
