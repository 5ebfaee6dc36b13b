//! The delivery life cycle as a table: every state × every event, what the state becomes or
//! that the event is refused (and changes nothing). `Delivery::apply` is the only place states
//! change, so this table is the whole life cycle.

use scanrelay_spool::{Delivery, Event, Failure, HoldReason, RcptState, RcptStatus, State};

fn failure() -> Failure {
    Failure {
        reply: Some("451 4.3.0 try later".into()),
        cause: "server.busy".into(),
        error: "try later".into(),
    }
}

fn status(rcpt: &str, state: RcptState) -> RcptStatus {
    RcptStatus {
        rcpt: rcpt.into(),
        state,
        reply: None,
    }
}

/// One event of each kind; `AttemptEnded` defers `a` and delivers `b`.
fn events() -> Vec<Event> {
    vec![
        Event::Held {
            reason: HoldReason::NoUpstream,
            note: "no upstream".into(),
            cause: None,
        },
        Event::Released { now: 50 },
        Event::AttemptStarted { at: 60 },
        Event::Remembered {
            statuses: vec![status("b", RcptState::Delivered)],
            rcpts: vec!["a".into(), "b".into()],
        },
        Event::Delivered(vec![status("b", RcptState::Delivered)]),
        Event::AttemptEnded {
            statuses: vec![
                status("a", RcptState::Deferred),
                status("b", RcptState::Delivered),
            ],
            failure: Some(failure()),
            retry_at: 900,
        },
        Event::Postponed {
            until: 700,
            paced: true,
            failure: failure(),
        },
        Event::Retried {
            now: 70,
            failed_too: true,
        },
        Event::Damaged {
            note: "body missing".into(),
        },
    ]
}

fn in_state(state: State) -> Delivery {
    let mut d = Delivery::new(10);
    d.state = state;
    d
}

#[test]
fn every_state_and_event() {
    use State::*;
    // Rows: the states in State::ALL order; columns: events() in order. `None` = refused.
    #[rustfmt::skip]
    let table: [(State, [Option<State>; 9]); 7] = [
        //          Held           Released      AttemptStarted Remembered     Delivered      AttemptEnded    Postponed    Retried       Damaged
        (Queued,   [Some(Waiting), None,         Some(Sending), None,          None,          None,           Some(Paced), Some(Queued), Some(Failed)]),
        (Waiting,  [Some(Waiting), Some(Queued), Some(Sending), None,          None,          None,           None,        Some(Queued), Some(Failed)]),
        (Deferred, [Some(Waiting), None,         Some(Sending), None,          None,          None,           Some(Paced), Some(Queued), Some(Failed)]),
        (Paced,    [Some(Waiting), None,         Some(Sending), None,          None,          None,           Some(Paced), Some(Queued), Some(Failed)]),
        (Sending,  [Some(Waiting), None,         Some(Sending), Some(Sending), Some(Sending), Some(Deferred), Some(Paced), Some(Queued), Some(Failed)]),
        (Delivered,[None,          None,         None,          None,          None,          None,           None,        None,         None]),
        (Failed,   [None,          None,         None,          None,          None,          None,           None,        Some(Queued), Some(Failed)]),
    ];
    assert_eq!(
        table.iter().map(|(s, _)| *s).collect::<Vec<_>>(),
        State::ALL,
        "the table covers every state"
    );
    for (from, row) in table {
        for (event, expected) in events().into_iter().zip(row) {
            let mut d = in_state(from);
            let before = d.clone();
            let name = event.name();
            match (d.apply(event), expected) {
                (Ok(_), Some(to)) => assert_eq!(d.state, to, "{from} + {name}"),
                (Err(e), None) => {
                    assert_eq!((e.from, e.event), (from, name));
                    assert_eq!(
                        d, before,
                        "{from} + {name}: a refused event changes nothing"
                    );
                }
                (got, want) => panic!("{from} + {name}: got {got:?}, expected {want:?}"),
            }
        }
    }
}

#[test]
fn an_attempt_ends_in_the_state_its_recipients_say() {
    let ended = |statuses: Vec<RcptStatus>| {
        let mut d = in_state(State::Sending);
        d.apply(Event::AttemptEnded {
            statuses,
            failure: None,
            retry_at: 500,
        })
        .unwrap();
        d
    };
    let d = ended(vec![status("a", RcptState::Delivered)]);
    assert_eq!((d.state, d.attempts), (State::Delivered, 1));
    let d = ended(vec![
        status("a", RcptState::Failed),
        status("b", RcptState::Delivered),
    ]);
    assert_eq!(d.state, State::Failed);
    let d = ended(vec![
        status("a", RcptState::Failed),
        status("b", RcptState::Deferred),
    ]);
    assert_eq!((d.state, d.next_attempt), (State::Deferred, 500));
}

#[test]
fn postponing_counts_no_attempt_and_says_when() {
    let mut d = in_state(State::Queued);
    d.apply(Event::Postponed {
        until: 1234,
        paced: false,
        failure: failure(),
    })
    .unwrap();
    assert_eq!(
        (d.state, d.next_attempt, d.attempts),
        (State::Deferred, 1234, 0)
    );
    assert_eq!(d.last_cause.as_deref(), Some("server.busy"));
}

#[test]
fn remembered_deliveries_finish_a_message_only_when_none_is_open() {
    let mut d = in_state(State::Sending);
    d.apply(Event::Remembered {
        statuses: vec![status("a", RcptState::Delivered)],
        rcpts: vec!["a".into(), "b".into()],
    })
    .unwrap();
    assert_eq!(d.state, State::Sending, "b is still open");
    d.apply(Event::Remembered {
        statuses: vec![status("b", RcptState::Delivered)],
        rcpts: vec!["a".into(), "b".into()],
    })
    .unwrap();
    assert_eq!(d.state, State::Delivered);
}

#[test]
fn a_hold_says_why_and_a_release_or_retry_forgets_it() {
    let mut d = in_state(State::Deferred);
    d.apply(Event::Held {
        reason: HoldReason::Login,
        note: "log in again".into(),
        cause: Some("oauth.needs_login".into()),
    })
    .unwrap();
    assert_eq!((d.state, d.hold), (State::Waiting, Some(HoldReason::Login)));
    assert_eq!(d.last_cause.as_deref(), Some("oauth.needs_login"));
    d.apply(Event::Released { now: 99 }).unwrap();
    assert_eq!(
        (d.state, d.hold, d.next_attempt, d.retried_at),
        (State::Queued, None, 99, Some(99)),
        "released: due now, and max_age counts from the release"
    );
    d.apply(Event::Held {
        reason: HoldReason::Setup,
        note: "needs Mail.ReadWrite".into(),
        cause: None,
    })
    .unwrap();
    d.apply(Event::Retried {
        now: 120,
        failed_too: false,
    })
    .unwrap();
    assert_eq!((d.state, d.hold), (State::Queued, None));
}

/// Envelope format 2 added route, `paced` and hold reasons; format 3 the device session's
/// TLS. Format 1 and 2 files are read (as routed to the default upstream, without TLS) and
/// written back as 3; a file from a newer scanrelay is left alone (an error the scheduler
/// treats like an unreadable envelope), never rewritten in an older format that would drop
/// what it does not know.
#[tokio::test]
async fn older_envelopes_are_read_and_newer_ones_left_alone() {
    for old in [1, 2] {
        let dir = tempfile::tempdir().unwrap();
        let spool = scanrelay_spool::Spool::open(dir.path()).await.unwrap();
        let id = crate::common::store(&spool, 1, 100).await;
        // A committed message keeps its envelope in the message file's header; the first
        // state change writes env/ID.json, the file older versions wrote at commit.
        spool
            .apply(&id, Event::AttemptStarted { at: 2 })
            .await
            .unwrap();
        let path = dir.path().join("env").join(format!("{id}.json"));
        let mut v: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(v["version"], 3);
        v["version"] = old.into();
        if old == 1 {
            v["envelope"].as_object_mut().unwrap().remove("route");
            v["delivery"].as_object_mut().unwrap().remove("hold");
        }
        std::fs::write(&path, serde_json::to_vec(&v).unwrap()).unwrap();
        let entry = spool.load(&id).await.unwrap();
        assert_eq!((entry.envelope.route, entry.delivery.hold), (None, None));
        assert_eq!(entry.envelope.tls, None, "format {old} has no TLS");
        spool
            .apply(&id, Event::AttemptStarted { at: 5 })
            .await
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(
            v["version"], 3,
            "format {old} rewritten in the current format"
        );
    }
    newer_envelope_left_alone().await;
}

async fn newer_envelope_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let spool = scanrelay_spool::Spool::open(dir.path()).await.unwrap();
    let id = crate::common::store(&spool, 1, 100).await;
    spool.rewrite_state_for_tests(&id, |_| {}).await.unwrap();
    let path = dir.path().join("env").join(format!("{id}.json"));
    let mut newer: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    newer["version"] = 4.into();
    std::fs::write(&path, serde_json::to_vec(&newer).unwrap()).unwrap();
    let err = spool.load(&id).await.unwrap_err();
    assert!(
        err.to_string().contains("newer than this scanrelay reads"),
        "{err}"
    );
    assert!(
        spool
            .apply(&id, Event::AttemptStarted { at: 6 })
            .await
            .is_err()
    );
    let after: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(after, newer, "left exactly as it was");
}

/// A device session's TLS is kept in the envelope (format 3) and survives a rewrite.
#[tokio::test]
async fn session_tls_is_stored_with_the_envelope() {
    let dir = tempfile::tempdir().unwrap();
    let spool = scanrelay_spool::Spool::open(dir.path()).await.unwrap();
    let mut envelope = crate::common::envelope(1, 10);
    let tls = scanrelay_spool::SessionTls {
        version: "TLSv1.0".into(),
        cipher: "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA".into(),
    };
    envelope.tls = Some(tls.clone());
    let mut incoming = spool.begin().await.unwrap();
    incoming.write(b"Subject: x\r\n\r\nhi").await.unwrap();
    let id = incoming.commit(envelope).await.unwrap();
    spool
        .apply(&id, Event::AttemptStarted { at: 5 })
        .await
        .unwrap();
    let entry = spool.load(&id).await.unwrap();
    assert_eq!(entry.envelope.tls, Some(tls));
    let path = dir.path().join("env").join(format!("{id}.json"));
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(v["envelope"]["tls"]["version"], "TLSv1.0");
}
