//! The Graph upstream through the scheduler, against the contract-enforcing fake Graph of
//! test-support (issue 7, item 6): scans of every size delivered with each attachment
//! byte-identical and its Korean name intact, no request over 4 MiB, From rewritten to the
//! mailbox; an app with Mail.Send only sends small scans and holds large ones for its setup;
//! Graph's 429 pauses the lane for its Retry-After; a dead token source holds mail for a login.
//!
//! Real time, not paused: the fake Graph runs on its own thread, and paused time would jump
//! past the HTTP client's timeouts while a request is in flight.

use std::sync::Arc;
use std::time::Duration;

use scanrelay_gateway::delivery::{
    CredentialError, GraphCredentials, GraphSettings, GraphUpstream, Upstream,
};
use scanrelay_graph::{BearerError, BearerSource, HttpSettings, StaticBearer};
use scanrelay_spool::{HoldReason, State};
use scanrelay_test_support::graph_server::{
    Fault, FaultReply, FaultStage, GraphServer, GraphServerConfig,
};
use scanrelay_test_support::scans::{Att, NameForm, scan};

use crate::delivery_support::{
    Running, delivery_settings, entries, eventually, spool_message, temp_spool,
};

const MAILBOX: &str = "scanner@contoso.example";
const TOKEN: &str = "graph-test-token";
const MIB: usize = 1024 * 1024;

fn upstream(server: &GraphServer, credentials: Arc<dyn GraphCredentials>) -> Arc<dyn Upstream> {
    let settings = GraphSettings {
        name: "graph".to_string(),
        mailbox: MAILBOX.to_string(),
        graph_url: server.base_url(),
        max_connections: 2,
        rewrite_from: true,
        http: HttpSettings::default(),
    };
    Arc::new(GraphUpstream::new(settings, credentials).expect("loopback http is allowed"))
}

fn static_token() -> Arc<dyn GraphCredentials> {
    Arc::new(StaticBearer::new(TOKEN))
}

fn korean_scan(total: usize, seed: u64) -> (Vec<u8>, Vec<Att>) {
    let atts = vec![
        Att::new(
            "스캔 문서.pdf",
            "application/pdf",
            total * 2 / 3,
            seed,
            NameForm::Rfc2231EucKrSplit,
        ),
        Att::new(
            "견적서 2026.pdf",
            "application/pdf",
            total / 3,
            seed + 1,
            NameForm::Rfc2047,
        ),
    ];
    (
        scan(&["boss@contoso.example"], "스캔 3층", &atts, true),
        atts,
    )
}

#[tokio::test]
async fn scans_of_every_size_arrive_intact_through_the_gateway() {
    let server = GraphServer::start(GraphServerConfig::with_token(
        TOKEN,
        &["Mail.Send", "Mail.ReadWrite"],
    ));
    let t = temp_spool().await;
    let mut expected = Vec::new();
    for (i, size) in [100 * 1024, 3 * MIB, 12 * MIB, 30 * MIB]
        .into_iter()
        .enumerate()
    {
        let (body, atts) = korean_scan(size, i as u64 * 10);
        spool_message(
            &t.spool,
            "scan@office.lan",
            &["boss@contoso.example"],
            &body,
        )
        .await;
        expected.push(atts);
    }
    let running = Running::start(
        &t.spool,
        Some(upstream(&server, static_token())),
        delivery_settings(),
    );
    eventually("all four delivered", Duration::from_secs(600), || async {
        entries(&t.spool).await.is_empty()
    })
    .await;
    running.stop().await;
    let sent = server.sent(MAILBOX);
    assert_eq!(sent.len(), 4);
    for atts in &expected {
        let message = sent
            .iter()
            .find(|m| m.attachments.iter().any(|a| a.bytes == atts[0].bytes))
            .expect("a sent message with this scan's first attachment");
        assert_eq!(message.recipients(), ["boss@contoso.example"]);
        for att in atts {
            let stored = message
                .attachments
                .iter()
                .find(|a| a.name == att.name)
                .unwrap_or_else(|| panic!("attachment {:?} arrived under its name", att.name));
            assert!(stored.bytes == att.bytes, "{} byte-identical", att.name);
        }
        assert!(
            message.from.as_deref().is_some_and(|f| f.contains(MAILBOX)),
            "From is the mailbox"
        );
    }
    let largest = server.requests().iter().map(|r| r.body_len).max().unwrap();
    assert!(largest <= 4 * MIB, "a request of {largest} bytes");
    assert_eq!(server.open_drafts(), 0);
}

#[tokio::test]
async fn with_mail_send_only_small_scans_go_and_large_ones_are_held_for_the_setup() {
    let server = GraphServer::start(GraphServerConfig::with_token(TOKEN, &["Mail.Send"]));
    let t = temp_spool().await;
    let (small, _) = korean_scan(200 * 1024, 1);
    let (large, _) = korean_scan(6 * MIB, 2);
    spool_message(
        &t.spool,
        "scan@office.lan",
        &["boss@contoso.example"],
        &small,
    )
    .await;
    let held = spool_message(
        &t.spool,
        "scan@office.lan",
        &["boss@contoso.example"],
        &large,
    )
    .await;
    let running = Running::start(
        &t.spool,
        Some(upstream(&server, static_token())),
        delivery_settings(),
    );
    eventually("the large one is held", Duration::from_secs(60), || async {
        let left = entries(&t.spool).await;
        left.len() == 1 && left[0].delivery.hold == Some(HoldReason::Setup)
    })
    .await;
    let d = t.spool.load(&held).await.unwrap().delivery;
    assert_eq!(d.last_cause.as_deref(), Some("graph.drafts_not_allowed"));
    assert!(
        d.last_error.as_deref().unwrap().contains("Mail.ReadWrite"),
        "{d:?}"
    );
    assert_eq!(
        server.sent(MAILBOX).len(),
        1,
        "the small scan went through sendMail"
    );
    running.stop().await;
}

#[tokio::test]
async fn graph_throttling_pauses_the_lane_for_its_retry_after() {
    let server = GraphServer::start(GraphServerConfig::with_token(TOKEN, &["Mail.Send"]));
    server.add_fault(Fault {
        stage: FaultStage::SendMail,
        reply: FaultReply::Throttle("3".to_string()),
        times: 1,
    });
    let t = temp_spool().await;
    let (body, _) = korean_scan(50 * 1024, 3);
    let id = spool_message(
        &t.spool,
        "scan@office.lan",
        &["boss@contoso.example"],
        &body,
    )
    .await;
    let mut settings = delivery_settings();
    settings.retry_min = Duration::from_secs(1);
    let running = Running::start(&t.spool, Some(upstream(&server, static_token())), settings);
    eventually("throttled", Duration::from_secs(30), || async {
        t.spool
            .load(&id)
            .await
            .is_ok_and(|e| e.delivery.state == State::Deferred)
    })
    .await;
    let throttled_at = tokio::time::Instant::now();
    let d = t.spool.load(&id).await.unwrap().delivery;
    assert_eq!(d.last_cause.as_deref(), Some("graph.throttled"));
    assert!(
        d.last_reply.as_deref().unwrap().starts_with("HTTP 429"),
        "{d:?}"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        server.sent(MAILBOX).is_empty(),
        "nothing before Retry-After"
    );
    eventually("sent after the pause", Duration::from_secs(30), || async {
        entries(&t.spool).await.is_empty()
    })
    .await;
    assert!(throttled_at.elapsed() >= Duration::from_millis(2500));
    running.stop().await;
}

/// A token source whose grant is dead.
struct DeadGrant;

impl BearerSource for DeadGrant {
    fn bearer(&self) -> futures_util::future::BoxFuture<'_, Result<String, BearerError>> {
        Box::pin(async {
            Err(BearerError {
                message: "invalid_grant".into(),
                transient: false,
            })
        })
    }

    fn rejected(&self, _token: &str) -> futures_util::future::BoxFuture<'_, ()> {
        Box::pin(async {})
    }
}

impl GraphCredentials for DeadGrant {
    fn last_error(&self) -> Option<CredentialError> {
        Some(CredentialError {
            detail: "the refresh token expired: run `scanrelay oauth login graph-app`".into(),
            cause: scanrelay_diagnose::Cause::OauthNeedsLogin,
            needs_login: true,
        })
    }
}

#[tokio::test]
async fn a_dead_grant_holds_graph_mail_for_a_login() {
    let server = GraphServer::start(GraphServerConfig::with_token(TOKEN, &["Mail.Send"]));
    let t = temp_spool().await;
    let (body, _) = korean_scan(50 * 1024, 4);
    let id = spool_message(
        &t.spool,
        "scan@office.lan",
        &["boss@contoso.example"],
        &body,
    )
    .await;
    let running = Running::start(
        &t.spool,
        Some(upstream(&server, Arc::new(DeadGrant))),
        delivery_settings(),
    );
    eventually("held for a login", Duration::from_secs(30), || async {
        t.spool
            .load(&id)
            .await
            .is_ok_and(|e| e.delivery.hold == Some(HoldReason::Login))
    })
    .await;
    let d = t.spool.load(&id).await.unwrap().delivery;
    assert_eq!(d.last_cause.as_deref(), Some("oauth.needs_login"));
    assert!(
        d.last_error
            .as_deref()
            .unwrap()
            .contains("scanrelay oauth login graph-app")
    );
    assert_eq!(d.attempts, 0);
    running.stop().await;
}
