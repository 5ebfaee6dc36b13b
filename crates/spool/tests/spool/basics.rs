//! Round trips and the operator-facing operations on a single handle.

use std::time::Duration;

use scanrelay_spool::{Delivery, MessageId, RcptState, RcptStatus, Spool, State};

use crate::common::{assert_consistent, body, envelope, names, read_body, store, write_chunks};

#[tokio::test]
async fn multi_megabyte_body_round_trips_in_odd_chunks() {
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::open(dir.path()).await.unwrap();
    let data = body(7, 5 * 1024 * 1024 + 123);
    let mut incoming = spool.begin().await.unwrap();
    assert!(incoming.is_empty());
    // Chunk sizes around the 64 KiB buffer boundary, including oversized ones.
    let mut rest = &data[..];
    for size in [1, 1000, 65_535, 65_536, 65_537, 300_000]
        .into_iter()
        .cycle()
    {
        if rest.is_empty() {
            break;
        }
        let (chunk, tail) = rest.split_at(size.min(rest.len()));
        incoming.write(chunk).await.unwrap();
        rest = tail;
    }
    assert_eq!(incoming.len(), data.len() as u64);
    let env = envelope(7, data.len() as u64);
    let id = incoming.commit(env.clone()).await.unwrap();

    let entry = spool.load(&id).await.unwrap();
    assert_eq!(entry.id, id);
    assert_eq!(entry.envelope, env);
    assert_eq!(entry.delivery, Delivery::new(env.received_at));
    assert_eq!(entry.body_len, data.len() as u64);
    assert!(read_body(&spool, &id).await == data, "body differs");
    assert_eq!(
        spool.body_path(&id),
        dir.path().join("msg").join(format!("{id}.eml"))
    );
    assert_consistent(dir.path());
}

#[tokio::test]
async fn list_load_update_remove() {
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::open(dir.path()).await.unwrap();
    let mut ids = Vec::new();
    for n in 0..3 {
        ids.push(store(&spool, n, 10_000 + n as usize).await);
    }
    let listed: Vec<MessageId> = spool
        .list()
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(listed, ids, "list is sorted by id, i.e. acceptance order");

    let updated = spool
        .rewrite_state_for_tests(&ids[1], |d| {
            d.state = State::Deferred;
            d.attempts += 1;
            d.next_attempt += 300;
            d.last_attempt = Some(1_700_000_100);
            d.last_reply = Some("451 4.3.0 try later".into());
            d.per_rcpt = vec![RcptStatus {
                rcpt: "alice@example.com".into(),
                state: RcptState::Deferred,
                reply: Some("451 4.3.0 try later".into()),
            }];
        })
        .await
        .unwrap();
    assert_eq!(updated.delivery.state, State::Deferred);
    assert_eq!(spool.load(&ids[1]).await.unwrap(), updated);
    assert_eq!(spool.list().await.unwrap()[1], updated);

    spool.remove(&ids[0]).await.unwrap();
    assert_eq!(spool.list().await.unwrap().len(), 2);
    assert!(spool.load(&ids[0]).await.unwrap_err().is_not_found());
    assert!(spool.remove(&ids[0]).await.unwrap_err().is_not_found());
    assert!(
        spool
            .rewrite_state_for_tests(&ids[0], |_| {})
            .await
            .unwrap_err()
            .is_not_found()
    );
    assert!(spool.open_body(&ids[0]).await.unwrap_err().is_not_found());
    assert!(!spool.body_path(&ids[0]).exists());
    assert_consistent(dir.path());
}

#[tokio::test]
async fn scan_stamps_change_when_state_changes() {
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::open(dir.path()).await.unwrap();
    let a = store(&spool, 1, 100).await;
    let b = store(&spool, 2, 100).await;
    let before = spool.scan().await.unwrap();
    assert_eq!(before.iter().map(|i| &i.id).collect::<Vec<_>>(), [&a, &b]);
    spool
        .rewrite_state_for_tests(&b, |d| d.state = State::Waiting)
        .await
        .unwrap();
    let after = spool.scan().await.unwrap();
    assert_eq!(after[0], before[0], "untouched message keeps its stamp");
    assert_ne!(
        after[1].stamp, before[1].stamp,
        "rewritten envelope gets a new stamp"
    );
}

#[test]
fn invalid_ids_are_rejected() {
    for bad in [
        "../x",
        "..",
        "",
        "a/b",
        "../../etc/passwd",
        "00063f8a1c2b3d4e-../../../../x",
    ] {
        let err = bad.parse::<MessageId>().unwrap_err();
        assert!(err.to_string().contains("invalid message id"), "{err}");
    }
    assert!(serde_json::from_str::<MessageId>("\"../x\"").is_err());
    let good = "00063f8a1c2b3d4e-9f3a61c0d2e4b7a1";
    assert_eq!(good.parse::<MessageId>().unwrap().to_string(), good);
}

proptest::proptest! {
    #[test]
    fn any_accepted_id_is_a_plain_file_name(s in "\\PC{0,40}|[0-9a-f]{16}-[0-9a-f./]{16}") {
        if let Ok(id) = s.parse::<MessageId>() {
            proptest::prop_assert_eq!(id.as_str(), s.as_str());
            proptest::prop_assert!(id.as_str().bytes().all(|b| b.is_ascii_hexdigit() || b == b'-'));
        }
    }

    #[test]
    fn well_formed_ids_round_trip(t in 0u64.., salt in 0u64..) {
        let text = format!("{t:016x}-{salt:016x}");
        let id: MessageId = text.parse().unwrap();
        proptest::prop_assert_eq!(id.timestamp_micros(), t);
        let json = serde_json::to_string(&id).unwrap();
        proptest::prop_assert_eq!(serde_json::from_str::<MessageId>(&json).unwrap(), id);
    }
}

#[tokio::test]
async fn abort_and_drop_remove_the_partial_file() {
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::open(dir.path()).await.unwrap();
    let mut incoming = spool.begin().await.unwrap();
    write_chunks(&mut incoming, &body(1, 200_000), 4096)
        .await
        .unwrap();
    assert_eq!(names(&dir.path().join("tmp")).len(), 1);
    incoming.abort().await;
    assert!(names(&dir.path().join("tmp")).is_empty());

    let mut incoming = spool.begin().await.unwrap();
    incoming.write(b"Subject: dropped\r\n").await.unwrap();
    drop(incoming);
    for _ in 0..200 {
        if names(&dir.path().join("tmp")).is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(
        names(&dir.path().join("tmp")).is_empty(),
        "drop left the tmp file"
    );
    assert!(spool.list().await.unwrap().is_empty());
}

#[tokio::test]
async fn empty_message_commits() {
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::open(dir.path()).await.unwrap();
    let id = spool
        .begin()
        .await
        .unwrap()
        .commit(envelope(0, 0))
        .await
        .unwrap();
    assert_eq!(spool.load(&id).await.unwrap().body_len, 0);
    assert!(read_body(&spool, &id).await.is_empty());
}

#[test]
fn states_display_parse_and_finality() {
    for state in State::ALL {
        assert_eq!(state.to_string().parse::<State>().unwrap(), state);
        let json = serde_json::to_string(&state).unwrap();
        assert_eq!(json, format!("\"{state}\""));
    }
    assert!(State::Delivered.is_final() && State::Failed.is_final());
    assert!(!State::Queued.is_final() && !State::Sending.is_final());
    assert!("bogus".parse::<State>().is_err());
}

/// Spool format 2 (issue 10): a commit asks for one directory fsync (`msg/`); state changes
/// that only cause a retry when lost are not fsync'd, while the one that makes a message
/// `Failed` (it is bounced) is, and so is every change after it.
#[tokio::test]
async fn only_state_changes_involving_a_failure_are_fsynced() {
    use scanrelay_spool::Event;
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::open(dir.path()).await.unwrap();
    let id = store(&spool, 1, 500).await;
    assert_eq!(
        spool.stats().dir_sync_requests,
        1,
        "one grouped msg/ fsync per commit"
    );
    spool
        .apply(&id, Event::AttemptStarted { at: 10 })
        .await
        .unwrap();
    assert_eq!(spool.stats().dir_sync_requests, 1, "Sending is not fsync'd");
    let statuses = ["alice@example.com", "bob1@example.com"]
        .map(|rcpt| RcptStatus {
            rcpt: rcpt.into(),
            state: RcptState::Failed,
            reply: Some("550 5.1.1 no such user".into()),
        })
        .to_vec();
    let (entry, _) = spool
        .apply(
            &id,
            Event::AttemptEnded {
                statuses,
                failure: None,
                retry_at: 0,
            },
        )
        .await
        .unwrap();
    assert_eq!(entry.delivery.state, State::Failed);
    assert_eq!(spool.stats().dir_sync_requests, 2, "Failed is fsync'd");
    spool
        .apply(
            &id,
            Event::Retried {
                now: 20,
                failed_too: true,
            },
        )
        .await
        .unwrap();
    assert_eq!(
        spool.stats().dir_sync_requests,
        3,
        "leaving Failed is fsync'd"
    );
}

/// A message that fits the receive buffer reaches the disk only at commit (one blocking job:
/// create, write, fsync, rename); one larger than it creates the temporary file on the way.
#[tokio::test]
async fn the_temporary_file_is_created_by_the_first_write_that_reaches_the_disk() {
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::open(dir.path()).await.unwrap();
    let tmp = dir.path().join("tmp");

    let mut small = spool.begin().await.unwrap();
    small.write(&body(1, 100_000)).await.unwrap();
    assert!(names(&tmp).is_empty(), "nothing on disk before the commit");
    small.abort().await;
    let mut small = spool.begin().await.unwrap();
    small.write(&body(2, 50_000)).await.unwrap();
    drop(small);
    assert!(names(&tmp).is_empty());

    let mut large = spool.begin().await.unwrap();
    large.write(&body(3, 300_000)).await.unwrap();
    assert_eq!(names(&tmp).len(), 1, "spilled to its temporary file");
    let id = large.commit(envelope(3, 300_000)).await.unwrap();
    assert!(names(&tmp).is_empty());
    assert_eq!(read_body(&spool, &id).await, body(3, 300_000));

    let mut small = spool.begin().await.unwrap();
    small.write(&body(4, 100_000)).await.unwrap();
    let id = small.commit(envelope(4, 100_000)).await.unwrap();
    assert_eq!(read_body(&spool, &id).await, body(4, 100_000));
    assert_eq!(spool.list().await.unwrap().len(), 2);
}

/// `commit_entry` returns the message as stored, with the stamp a scan reports, and may store
/// a first event with it (the gateway holds mail that has no upstream to go to).
#[tokio::test]
async fn commit_entry_returns_what_a_scan_and_load_would_read() {
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::open(dir.path()).await.unwrap();
    let mut incoming = spool.begin().await.unwrap();
    incoming.write(&body(5, 2_000)).await.unwrap();
    let held = scanrelay_spool::Event::Held {
        reason: scanrelay_spool::HoldReason::NoUpstream,
        note: "no upstream configured".into(),
        cause: None,
    };
    let committed = incoming
        .commit_entry(envelope(5, 2_000), Some(held))
        .await
        .unwrap();
    let scanned = spool.scan().await.unwrap();
    assert_eq!(scanned, std::slice::from_ref(&committed.item));
    let loaded = spool.load(&committed.item.id).await.unwrap();
    assert_eq!(loaded, committed.entry);
    assert_eq!(loaded.delivery.state, State::Waiting);
    assert_eq!(
        loaded.delivery.hold,
        Some(scanrelay_spool::HoldReason::NoUpstream)
    );
    assert!(
        names(&dir.path().join("env")).is_empty(),
        "held in the header"
    );
}
