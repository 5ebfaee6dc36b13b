//! Compatibility (issue 10): a spool written by scanrelay before spool format 2 (body-only
//! message files, the envelope in `env/ID.json`) is recovered, read and delivered by this
//! version. The fixture in `fixtures/format1/` holds two messages as the previous version
//! wrote them (one `waiting` for an upstream, one `queued`) and a body whose commit was cut
//! short (no envelope), which recovery must remove.

use std::path::Path;

use scanrelay_spool::{Event, MessageId, RcptState, RcptStatus, Spool, State};

use crate::common::{assert_consistent, read_body};

const WAITING: &str = "000661dd1a5f23dc-820431c8231a32d4";
const QUEUED: &str = "000661dd1a5f28fd-820431c8231a32d4";
const ORPHAN: &str = "000661dd1a5f2910-820431c8231a32d4";

/// Copy the fixture into a fresh spool directory (tmp/ and lock as the old version left them).
fn old_spool(root: &Path) {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/spool/fixtures/format1");
    for sub in ["env", "msg"] {
        std::fs::create_dir_all(root.join(sub)).unwrap();
        for entry in std::fs::read_dir(fixture.join(sub)).unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(entry.path(), root.join(sub).join(entry.file_name())).unwrap();
        }
    }
    std::fs::create_dir_all(root.join("tmp")).unwrap();
    std::fs::write(root.join("tmp").join(format!("{ORPHAN}.eml")), b"Subj").unwrap();
    std::fs::write(root.join("lock"), b"").unwrap();
}

fn id(s: &str) -> MessageId {
    s.parse().unwrap()
}

#[tokio::test]
async fn a_format_1_spool_is_recovered_read_and_delivered() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    old_spool(root);
    let fixture_body = std::fs::read(root.join("msg").join(format!("{QUEUED}.eml"))).unwrap();

    let spool = Spool::open(root).await.unwrap();
    let report = spool.recovery().clone();
    assert_eq!(
        (
            report.messages,
            report.removed_orphans,
            report.removed_partial
        ),
        (2, 1, 1)
    );
    assert!(report.corrupt.is_empty());
    let entries = spool.list().await.unwrap();
    let states: Vec<_> = entries
        .iter()
        .map(|e| (e.id.to_string(), e.delivery.state))
        .collect();
    assert_eq!(
        states,
        [
            (WAITING.to_owned(), State::Waiting),
            (QUEUED.to_owned(), State::Queued)
        ]
    );
    let scanned: Vec<_> = spool
        .scan()
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(scanned, [id(WAITING), id(QUEUED)]);

    // Delivery reads the body from offset 0 (no header) and records the outcome.
    let queued = id(QUEUED);
    assert!(
        read_body(&spool, &queued).await == fixture_body,
        "body differs"
    );
    let entry = spool.load(&queued).await.unwrap();
    assert_eq!(entry.body_len, fixture_body.len() as u64);
    assert_eq!(entry.envelope.mail_from, "mfp@example.test");
    spool
        .apply(&queued, Event::AttemptStarted { at: 10 })
        .await
        .unwrap();
    let statuses = vec![RcptStatus {
        rcpt: "bench@example.test".into(),
        state: RcptState::Delivered,
        reply: None,
    }];
    let (entry, _) = spool
        .apply(
            &queued,
            Event::AttemptEnded {
                statuses,
                failure: None,
                retry_at: 0,
            },
        )
        .await
        .unwrap();
    assert_eq!(entry.delivery.state, State::Delivered);
    spool.remove(&queued).await.unwrap();
    assert!(!root.join("msg").join(format!("{QUEUED}.eml")).exists());
    assert!(!root.join("env").join(format!("{QUEUED}.json")).exists());

    // New mail lands beside the old in format 2; both come back after a reopen.
    let new = crate::common::store(&spool, 3, 500).await;
    drop(spool);
    let spool = Spool::open(root).await.unwrap();
    assert_eq!(spool.recovery().messages, 2);
    let ids: Vec<_> = spool
        .list()
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(ids, [id(WAITING), new]);
    assert_consistent(root);
}
