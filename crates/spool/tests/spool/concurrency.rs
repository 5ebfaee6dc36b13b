//! Many sessions at once: concurrent commits, updates and removals.

use std::collections::BTreeSet;
use std::time::Duration;

use scanrelay_spool::{Options, Spool, State};

use crate::common::{assert_consistent, body, read_body, store, tag};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixty_four_concurrent_commits_all_recover() {
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::open(dir.path()).await.unwrap();
    let tasks: Vec<_> = (0..64u64)
        .map(|n| {
            let spool = spool.clone();
            tokio::spawn(
                async move { (store(&spool, n, 1 + (n as usize * 7919) % 150_000).await, n) },
            )
        })
        .collect();
    let mut ids = BTreeSet::new();
    for task in tasks {
        let (id, _) = task.await.unwrap();
        assert!(ids.insert(id), "duplicate id");
    }
    let stats = spool.stats();
    assert_eq!(stats.commits, 64);
    assert_eq!(
        stats.dir_sync_requests, 64,
        "one directory fsync request per commit"
    );
    assert!(stats.dir_fsyncs <= stats.dir_sync_requests);
    drop(spool);

    let spool = Spool::open(dir.path()).await.unwrap();
    let entries = spool.list().await.unwrap();
    assert_eq!(
        entries
            .iter()
            .map(|e| e.id.clone())
            .collect::<BTreeSet<_>>(),
        ids
    );
    for entry in entries {
        let n = tag(&entry.envelope);
        assert!(read_body(&spool, &entry.id).await == body(n, 1 + (n as usize * 7919) % 150_000));
    }
    assert_consistent(dir.path());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_commits_share_directory_fsyncs() {
    let dir = tempfile::tempdir().unwrap();
    let options = Options {
        group_commit: true,
        group_window: Duration::from_millis(20),
    };
    let spool = Spool::open_with(dir.path(), options).await.unwrap();
    let tasks: Vec<_> = (0..16u64)
        .map(|n| {
            let spool = spool.clone();
            tokio::spawn(async move { store(&spool, n, 500).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let stats = spool.stats();
    assert_eq!(stats.dir_sync_requests, 16);
    assert!(stats.dir_fsyncs < 16, "no grouping happened: {stats:?}");
    assert_eq!(spool.list().await.unwrap().len(), 16);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_updates_are_not_lost() {
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::open(dir.path()).await.unwrap();
    let id = store(&spool, 1, 100).await;
    // Two handles, as the server and an operator command would have.
    let other = Spool::open(dir.path()).await.unwrap();
    let tasks: Vec<_> = (0..32)
        .map(|i| {
            let (spool, id) = (
                if i % 2 == 0 {
                    spool.clone()
                } else {
                    other.clone()
                },
                id.clone(),
            );
            tokio::spawn(async move {
                spool
                    .rewrite_state_for_tests(&id, |d| d.attempts += 1)
                    .await
                    .unwrap()
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(spool.load(&id).await.unwrap().delivery.attempts, 32);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn update_racing_remove_never_resurrects_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let server = Spool::open(dir.path()).await.unwrap();
    let cli = Spool::open(dir.path()).await.unwrap();
    for n in 0..40 {
        let id = store(&server, n, 2000).await;
        let (s, i) = (server.clone(), id.clone());
        let update = tokio::spawn(async move {
            s.rewrite_state_for_tests(&i, |d| d.state = State::Deferred)
                .await
        });
        let (c, i) = (cli.clone(), id.clone());
        let remove = tokio::spawn(async move { c.remove(&i).await });
        let updated = update.await.unwrap();
        remove.await.unwrap().unwrap();
        if let Err(e) = updated {
            assert!(e.is_not_found(), "{e}");
        }
        assert!(server.load(&id).await.unwrap_err().is_not_found());
        assert_consistent(dir.path());
    }
    assert!(server.list().await.unwrap().is_empty());
}
