//! `Spool::open_existing`, the entry point of operator commands: it never creates a spool
//! (a mistyped data directory must be an error, not a new empty queue) and never runs recovery;
//! and `Event::Retried`, what `queue retry` applies.

use scanrelay_spool::{Delivery, Event, RcptState, RcptStatus, Spool, SpoolError, State};

use crate::common::{names, store};

#[tokio::test]
async fn a_missing_directory_is_an_error_and_nothing_is_created() {
    let dir = tempfile::tempdir().unwrap();
    let nowhere = dir.path().join("no-such-data-dir").join("spool");
    let err = Spool::open_existing(&nowhere).await.unwrap_err();
    assert!(err.is_missing(), "{err}");
    assert!(
        err.to_string().contains(&nowhere.display().to_string()),
        "names the path: {err}"
    );
    assert!(
        !dir.path().join("no-such-data-dir").exists(),
        "nothing created"
    );
}

#[tokio::test]
async fn a_directory_without_the_spool_layout_is_not_a_spool() {
    let dir = tempfile::tempdir().unwrap();
    for present in [&[][..], &["env", "msg", "tmp"][..]] {
        let root = dir.path().join(format!("spool-{}", present.len()));
        std::fs::create_dir(&root).unwrap();
        for sub in present {
            std::fs::create_dir(root.join(sub)).unwrap();
        }
        let before = names(&root);
        let err = Spool::open_existing(&root).await.unwrap_err();
        let SpoolError::Missing { missing, .. } = &err else {
            panic!("expected Missing, got {err}");
        };
        let expected = if present.is_empty() { "env" } else { "lock" };
        assert_eq!(missing, &root.join(expected), "{err}");
        assert_eq!(
            names(&root),
            before,
            "nothing created in {}",
            root.display()
        );
    }
}

#[tokio::test]
async fn an_existing_spool_opens_without_recovery_and_can_be_changed() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("spool");
    let id = {
        let spool = Spool::open(&root).await.unwrap();
        store(&spool, 1, 300).await
    };
    // A partial upload a running server might be writing: recovery would delete it.
    std::fs::write(
        root.join("tmp")
            .join("0000000000000001-0000000000000001.eml"),
        b"x",
    )
    .unwrap();
    let spool = Spool::open_existing(&root).await.unwrap();
    assert!(!spool.recovery().performed);
    let listed = spool.list().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, id);
    let (entry, _) = spool
        .apply(
            &id,
            Event::Retried {
                now: 1_700_000_500,
                failed_too: false,
            },
        )
        .await
        .unwrap();
    assert_eq!(entry.delivery.retried_at, Some(1_700_000_500));
    assert_eq!(spool.load(&id).await.unwrap().delivery, entry.delivery);
    assert_eq!(names(&root.join("tmp")).len(), 1, "partial file left alone");
}

fn failed_then_delivered() -> Delivery {
    let mut d = Delivery::new(100);
    d.state = State::Failed;
    d.attempts = 3;
    d.per_rcpt = vec![
        RcptStatus {
            rcpt: "a@example.com".into(),
            state: RcptState::Failed,
            reply: Some("550 5.1.1 no such user".into()),
        },
        RcptStatus {
            rcpt: "b@example.com".into(),
            state: RcptState::Delivered,
            reply: Some("250 ok".into()),
        },
    ];
    d
}

#[test]
fn retried_requeues_and_reopens_failed_recipients_only_when_asked() {
    let states = |d: &Delivery| d.per_rcpt.iter().map(|s| s.state).collect::<Vec<_>>();
    let mut d = failed_then_delivered();
    assert_eq!(retry(&mut d, 500, false), 0);
    assert_eq!(
        (d.state, d.next_attempt, d.retried_at),
        (State::Queued, 500, Some(500))
    );
    assert_eq!(states(&d), [RcptState::Failed, RcptState::Delivered]);
    assert_eq!(d.attempts, 3, "history kept");

    let mut d = failed_then_delivered();
    assert_eq!(retry(&mut d, 600, true), 1);
    assert_eq!(states(&d), [RcptState::Pending, RcptState::Delivered]);
    assert_eq!(
        d.per_rcpt[0].reply.as_deref(),
        Some("550 5.1.1 no such user"),
        "the last reply stays for queue show"
    );
}

#[test]
fn retried_at_is_optional_in_old_envelope_files() {
    let old = r#"{"state":"failed","attempts":1,"next_attempt":5}"#;
    let d: Delivery = serde_json::from_str(old).unwrap();
    assert_eq!(d.retried_at, None);
    assert_eq!(RcptState::Pending.to_string(), "pending");
}

fn retry(d: &mut Delivery, now: u64, failed_too: bool) -> usize {
    d.apply(Event::Retried { now, failed_too })
        .expect("a retry fits every state but delivered")
        .reopened
}
