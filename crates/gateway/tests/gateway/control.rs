//! The control plane (`GatewayHandle`): events, devices seen, status, metrics, queue
//! operations and reload, each checked against what really happened on a running gateway:
//! a real client (swaks) for the device side, a scripted upstream for delivery.

use std::time::Duration;

use scanrelay_gateway::control::{EventKind, GatewayEvent};
use scanrelay_gateway::queue::RetryTarget;
use scanrelay_gateway::settings::UpstreamSettings;
use scanrelay_spool::State;
use scanrelay_test_support::{Script, ScriptedSmtpServer, Step};
use tokio::sync::broadcast;

use crate::delivery_support::eventually;
use crate::listener_support::*;

const MESSAGE: &str = "From: Scanner <scan@mfp.test>\r\nTo: Office <office@example.test>\r\n\
Subject: Scan\r\nMessage-ID: <control-1@mfp.test>\r\n\r\nscanned page\r\n";

/// swaks as a device: STARTTLS, AUTH PLAIN with `user`/`password` when given.
async fn swaks(gw: &TestGateway, auth: Option<(&str, &str)>) -> std::process::Output {
    let file = gw.dir.path().join("message.eml");
    std::fs::write(&file, MESSAGE).unwrap();
    let server = gw.smtp().to_string();
    let file = file.display().to_string();
    let mut args = vec![
        "--server",
        &server,
        "--from",
        "scan@mfp.test",
        "--to",
        "office@example.test",
        "--helo",
        "mfp-3f.office.lan",
        "--tls",
        "--data",
        &file,
    ];
    if let Some((user, password)) = auth {
        args.extend([
            "--auth",
            "PLAIN",
            "--auth-user",
            user,
            "--auth-password",
            password,
        ]);
    }
    run("swaks", &args).await
}

/// The next event from `rx` matching `want`, within 10 s.
async fn next_event(
    rx: &mut broadcast::Receiver<GatewayEvent>,
    want: impl Fn(&EventKind) -> bool,
) -> GatewayEvent {
    let wait = async {
        loop {
            let event = rx.recv().await.expect("event stream open");
            if want(&event.kind) {
                return event;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(10), wait)
        .await
        .expect("the event came")
}

/// The value of the metric line starting with `series ` in `text`.
fn metric(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

#[tokio::test]
async fn a_device_message_is_an_event_a_device_seen_a_count_and_a_metric() {
    let t = TestGateway::start(|s| s.devices = vec![device("scanner-3f", "pw-3f-secret")]).await;
    let handle = t.gw.handle();
    let mut rx = handle.subscribe();
    let out = swaks(&t, Some(("scanner-3f", "pw-3f-secret"))).await;
    assert!(out.status.success(), "{}", text(&out));

    let event = next_event(&mut rx, |k| matches!(k, EventKind::Accepted { .. })).await;
    let EventKind::Accepted {
        id,
        client,
        helo,
        auth_user,
        size,
        rcpts,
    } = &event.kind
    else {
        unreachable!()
    };
    let (entry, body) = t.only_message().await;
    assert_eq!(id, &entry.id.to_string());
    assert_eq!(client.to_string(), "127.0.0.1");
    assert_eq!(helo, "mfp-3f.office.lan");
    assert_eq!(auth_user.as_deref(), Some("scanner-3f"));
    assert_eq!((*size, *rcpts), (body.len() as u64, 1));
    assert!(handle.recent_events().contains(&event));

    let devices = handle.devices();
    assert_eq!(devices.len(), 1, "{devices:?}");
    let d = &devices[0];
    assert_eq!(d.helo.as_deref(), Some("mfp-3f.office.lan"));
    assert!(
        d.tls.as_deref().is_some_and(|t| t.starts_with("TLSv1.")),
        "{d:?}"
    );
    assert_eq!(d.auth_mechanism.as_deref(), Some("PLAIN"));
    assert_eq!(d.auth_user.as_deref(), Some("scanner-3f"));
    assert_eq!(d.messages, 1);
    assert_eq!(d.last_error, None);

    let status = handle.status().await.unwrap();
    assert!(status.delivery_running);
    assert_eq!(status.today.accepted, 1);
    assert_eq!(status.queue.total(), 1);
    assert_eq!(status.listeners.len(), 2);

    let metrics = handle.metrics_text().await;
    let accepted = r#"scanrelay_messages_accepted_total{device="scanner-3f"}"#;
    assert_eq!(metric(&metrics, accepted), Some(1.0), "{metrics}");
    // No upstream: the message is held as waiting once the scheduler has seen it.
    let h = handle.clone();
    eventually("held as waiting", Duration::from_secs(10), || {
        let h = h.clone();
        async move {
            let m = h.metrics_text().await;
            metric(&m, r#"scanrelay_queue_messages{state="waiting"}"#) == Some(1.0)
        }
    })
    .await;
    let m = handle.metrics_text().await;
    assert_eq!(
        metric(&m, r#"scanrelay_queue_messages{state="queued"}"#),
        Some(0.0)
    );
    assert!(m.ends_with("# EOF\n"), "OpenMetrics text ends with EOF");
    assert!(!m.contains("pw-3f-secret"));
}

#[tokio::test]
async fn a_failed_auth_is_counted_per_listener_and_is_the_device_last_error() {
    let t = TestGateway::start(|s| {
        s.listen.allow_networks = Vec::new();
        s.devices = vec![device("scanner-3f", "pw-3f-secret")];
    })
    .await;
    let handle = t.gw.handle();
    let mut rx = handle.subscribe();
    let out = swaks(&t, Some(("scanner-3f", "wrong-password"))).await;
    assert!(!out.status.success());
    let event = next_event(&mut rx, |k| matches!(k, EventKind::AuthFailed { .. })).await;
    let EventKind::AuthFailed {
        device, listener, ..
    } = &event.kind
    else {
        unreachable!()
    };
    assert_eq!(device.as_deref(), Some("scanner-3f"));
    assert_eq!(listener, "smtp");
    let metrics = handle.metrics_text().await;
    let series = r#"scanrelay_auth_failures_total{listener="smtp"}"#;
    assert_eq!(metric(&metrics, series), Some(1.0), "{metrics}");
    let d = &handle.devices()[0];
    assert_eq!(
        d.last_error.as_deref(),
        Some("AUTH failed for device account scanner-3f")
    );
    assert!(!format!("{:?}", handle.recent_events()).contains("wrong-password"));
}

fn scripted_upstream(port: u16) -> UpstreamSettings {
    crate::delivery_smtp::upstream_settings(port, None)
}

/// An upstream that takes one message, or refuses its recipient with `rcpt_reply`.
fn one_message(rcpt_reply: Option<&str>) -> Script {
    let mut steps = vec![
        Step::send("220 smtp.scripted.test ESMTP ready"),
        Step::expect("EHLO gw.office.lan"),
        Step::send("250-smtp.scripted.test\n250 ENHANCEDSTATUSCODES"),
        Step::expect("MAIL FROM:"),
        Step::send("250 2.1.0 OK"),
        Step::expect("RCPT TO:"),
    ];
    match rcpt_reply {
        Some(reply) => steps.extend([Step::send(reply), Step::ExpectQuitOrClose]),
        None => steps.extend([
            Step::send("250 2.1.5 OK"),
            Step::expect("DATA"),
            Step::send("354 Go ahead"),
            Step::ExpectData,
            Step::send("250 2.0.0 OK queued"),
            Step::ExpectQuitOrClose,
        ]),
    }
    Script::new(steps).with_read_timeout(Duration::from_secs(30))
}

#[tokio::test]
async fn a_reload_with_an_upstream_delivers_held_mail_and_counts_it() {
    let t = TestGateway::start(|s| s.delivery.rescan_interval = Duration::from_millis(200)).await;
    let handle = t.gw.handle();
    let mut rx = handle.subscribe();
    let mut raw = Raw::connect(t.smtp()).await;
    expect_code(
        &raw.send_mail("scan@mfp.test", &["office@example.test"], MESSAGE)
            .await,
        "250",
    );
    let h = handle.clone();
    eventually("held", Duration::from_secs(10), || {
        let h = h.clone();
        async move {
            h.messages()
                .await
                .unwrap()
                .iter()
                .all(|e| e.delivery.state == State::Waiting)
        }
    })
    .await;

    let server = ScriptedSmtpServer::start(one_message(None)).await;
    let mut new = (*handle.settings()).clone();
    new.upstreams = vec![scripted_upstream(server.port())];
    let report = handle.reload(new).await.expect("reload");
    assert_eq!(report.applied, vec!["upstreams".to_string()]);
    assert!(report.needs_restart.is_empty());

    let delivered = next_event(&mut rx, |k| matches!(k, EventKind::Delivered { .. })).await;
    let EventKind::Delivered { upstream, .. } = &delivered.kind else {
        unreachable!()
    };
    assert_eq!(upstream, "default");
    let status = handle.status().await.unwrap();
    assert_eq!(status.today.delivered, 1);
    assert_eq!(status.queue.total(), 0);
    assert_eq!(status.upstreams.len(), 1);
    assert_eq!(
        status.upstreams[0].summary,
        format!("127.0.0.1:{} (none)", server_port(&status))
    );
    let metrics = handle.metrics_text().await;
    let series = r#"scanrelay_deliveries_total{upstream="default",result="delivered"}"#;
    assert_eq!(metric(&metrics, series), Some(1.0), "{metrics}");
    let count = r#"scanrelay_upstream_latency_seconds_count{upstream="default"}"#;
    assert_eq!(metric(&metrics, count), Some(1.0), "{metrics}");
    assert_eq!(
        metric(&metrics, r#"scanrelay_reloads_total{result="applied"}"#),
        Some(1.0)
    );
    // The pooled upstream session ends with the gateway.
    t.gw.shutdown().await;
    let log = server.finish().await.unwrap_or_else(|why| panic!("{why}"));
    assert_eq!(log.messages.len(), 1);
}

/// The port in the status's upstream summary (the scripted server's).
fn server_port(status: &scanrelay_gateway::control::Status) -> u16 {
    let s = &status.upstreams[0].summary;
    s["127.0.0.1:".len()..s.find(' ').unwrap()].parse().unwrap()
}

#[tokio::test]
async fn a_refused_recipient_is_a_failure_event_with_its_cause_and_reply() {
    let server = ScriptedSmtpServer::start(one_message(Some(
        "550 5.1.1 The email account that you tried to reach does not exist.",
    )))
    .await;
    let port = server.port();
    let t = TestGateway::start(move |s| s.upstreams = vec![scripted_upstream(port)]).await;
    let handle = t.gw.handle();
    let mut rx = handle.subscribe();
    let mut raw = Raw::connect(t.smtp()).await;
    expect_code(
        &raw.send_mail("scan@mfp.test", &["nobody@example.test"], MESSAGE)
            .await,
        "250",
    );
    let failed = next_event(&mut rx, |k| matches!(k, EventKind::Failed { .. })).await;
    let EventKind::Failed { cause, reply, .. } = &failed.kind else {
        unreachable!()
    };
    assert_eq!(cause, "recipient.rejected");
    assert!(reply.contains("550 5.1.1"), "{reply}");
    let status = handle.status().await.unwrap();
    assert!(status.last_failures.contains(&failed));
    assert_eq!(status.today.failed, 1);
    let metrics = handle.metrics_text().await;
    let series = r#"scanrelay_deliveries_total{upstream="default",result="failed"}"#;
    assert_eq!(metric(&metrics, series), Some(1.0), "{metrics}");
    drop(server);
}

#[tokio::test]
async fn a_reload_applies_to_new_connections_and_leaves_open_ones_alone() {
    let t = TestGateway::start(|_| {}).await;
    let handle = t.gw.handle();
    // A device mid-session when the reload comes.
    let mut open = Raw::connect(t.smtp()).await;
    expect_code(&open.reply().await, "220");
    expect_code(&open.cmd("EHLO device.test").await, "250");

    let mut new = (*handle.settings()).clone();
    new.listen.allow_networks = Vec::new();
    new.devices = vec![device("scanner-3f", "pw-3f-secret")];
    new.listen.smtp = Some("127.0.0.1:1".parse().unwrap());
    new.listen.web.addr = Some("127.0.0.1:1".parse().unwrap());
    new.listen.web.metrics_allow = Vec::new();
    let report = handle.reload(new).await.expect("reload");
    assert_eq!(
        report.applied,
        vec![
            "listen.allow_networks".to_string(),
            "listen.metrics_allow".to_string(),
            "device accounts".to_string()
        ]
    );
    assert_eq!(
        report.needs_restart,
        vec!["listen.smtp".to_string(), "listen.web".to_string()]
    );
    assert_eq!(handle.settings().listen.smtp, t.gw.settings().listen.smtp);
    assert_eq!(
        handle.settings().listen.web.addr,
        t.gw.settings().listen.web.addr
    );
    assert!(handle.settings().listen.web.metrics_allow.is_empty());

    // New connection: no longer allow-listed, so no relay without AUTH.
    let mut fresh = Raw::connect(t.smtp()).await;
    expect_code(&fresh.reply().await, "220");
    expect_code(&fresh.cmd("EHLO device.test").await, "250");
    expect_code(&fresh.cmd("MAIL FROM:<scan@mfp.test>").await, "250");
    expect_code(&fresh.cmd("RCPT TO:<office@example.test>").await, "5");
    // The open session keeps the settings it started with.
    expect_code(&open.cmd("MAIL FROM:<scan@mfp.test>").await, "250");
    expect_code(&open.cmd("RCPT TO:<office@example.test>").await, "250");
    expect_code(&open.cmd("DATA").await, "354");
    open.send(MESSAGE).await;
    expect_code(&open.cmd(".").await, "250");
    assert_eq!(t.messages().await.len(), 1);
    let reloaded = handle
        .recent_events()
        .into_iter()
        .any(|e| matches!(e.kind, EventKind::Reloaded { .. }));
    assert!(reloaded);
}

#[tokio::test]
async fn an_invalid_reload_changes_nothing_and_is_an_event() {
    let t = TestGateway::start(|_| {}).await;
    let handle = t.gw.handle();
    let before = format!("{:?}", handle.settings());
    let mut new = (*handle.settings()).clone();
    new.delivery.retry_min = Duration::from_secs(600);
    new.delivery.retry_max = Duration::from_secs(60);
    new.listen.allow_networks = Vec::new();
    assert!(handle.reload(new).await.is_err());
    assert_eq!(format!("{:?}", handle.settings()), before);
    let mut raw = Raw::connect(t.smtp()).await;
    expect_code(
        &raw.send_mail("scan@mfp.test", &["office@example.test"], MESSAGE)
            .await,
        "250",
    );
    let failed = handle
        .recent_events()
        .into_iter()
        .any(|e| matches!(e.kind, EventKind::ReloadFailed { .. }));
    assert!(failed);
}

#[tokio::test]
async fn retry_and_delete_through_the_handle_change_the_spool() {
    let t = TestGateway::start(|_| {}).await;
    let handle = t.gw.handle();
    for _ in 0..2 {
        let mut raw = Raw::connect(t.smtp()).await;
        expect_code(
            &raw.send_mail("scan@mfp.test", &["office@example.test"], MESSAGE)
                .await,
            "250",
        );
    }
    let list = handle.messages().await.unwrap();
    assert_eq!(list.len(), 2);
    assert!(list[0].envelope.received_at <= list[1].envelope.received_at);
    let report = handle
        .retry(&RetryTarget::One(list[0].id.clone()))
        .await
        .unwrap();
    assert_eq!(report.retried.len(), 1);
    handle.delete(&list[1].id).await.unwrap();
    let left = handle.messages().await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].id, list[0].id);
    assert!(
        handle
            .message(&list[1].id)
            .await
            .unwrap_err()
            .is_not_found()
    );
}

#[tokio::test]
async fn every_metric_the_sample_dashboard_queries_is_exported() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../contrib/grafana/scanrelay-dashboard.json"
    );
    let dashboard = std::fs::read_to_string(path).unwrap();
    let t = TestGateway::start(|s| {
        s.upstreams = vec![scripted_upstream(1)];
        s.devices = vec![device("scanner-3f", "pw-3f-secret")];
    })
    .await;
    let metrics = t.gw.handle().metrics_text().await;
    let mut names: Vec<&str> = dashboard
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| w.starts_with("scanrelay_"))
        .collect();
    names.sort_unstable();
    names.dedup();
    assert!(names.len() >= 7, "{names:?}");
    for name in names {
        // Exported per OAuth2 account: none here (see the OAuth2 gateway tests).
        if name == "scanrelay_oauth_token_expiry_seconds" {
            continue;
        }
        let base = ["_bucket", "_count", "_sum", "_total"]
            .iter()
            .find_map(|s| name.strip_suffix(s))
            .unwrap_or(name);
        assert!(
            metrics.contains(&format!("# TYPE {base} ")),
            "the dashboard queries {name}, which is not exported:\n{metrics}"
        );
    }
}

#[tokio::test]
async fn an_oauth_account_shows_its_token_state_and_expiry_in_status_and_metrics() {
    use scanrelay_gateway::config::{ParseOptions, parse_str};
    use scanrelay_oauth::{Grant, Secret, TokenStore};
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let text = format!(
        "[listen]\nsmtp = \"127.0.0.1:{port}\"\nallow_networks = [\"127.0.0.0/8\"]\n\n\
        [[oauth]]\nname = \"office\"\nprovider = \"microsoft\"\nauthority = \"http://127.0.0.1:9\"\n\
        tenant = \"tests\"\nclient_id = \"t\"\n\n\
        [upstream]\nserver = \"127.0.0.1\"\nport = 9\ntls = \"none\"\nauth = \"oauth2\"\n\
        oauth = \"office\"\nusername = \"scan@example.test\"\n"
    );
    let config = dir.path().join("scanrelay.toml");
    let loaded = parse_str(&text, &config, dir.path(), &ParseOptions::default()).unwrap();
    let expires = std::time::SystemTime::now() + Duration::from_secs(3000);
    let grant = Grant {
        refresh_token: Some(Secret::new("rt-known-secret-value")),
        access_token: Some(Secret::new("at-known-secret-value")),
        access_expires: Some(expires),
        ..Grant::default()
    };
    TokenStore::new(dir.path()).save("office", &grant).unwrap();
    let gw = scanrelay_gateway::Gateway::start(loaded.settings)
        .await
        .unwrap();
    let handle = gw.handle();
    let status = handle.status().await.unwrap();
    let oauth = status.upstreams[0].oauth.as_ref().expect("the account");
    assert_eq!(
        (oauth.account.as_str(), oauth.state.as_str()),
        ("office", "ok")
    );
    let metrics = handle.metrics_text().await;
    let left = metric(
        &metrics,
        r#"scanrelay_oauth_token_expiry_seconds{account="office"}"#,
    )
    .unwrap_or_else(|| panic!("{metrics}"));
    assert!((2990.0..=3000.0).contains(&left), "{left}");
    let shown = format!("{metrics}{status:?}");
    assert!(!shown.contains("known-secret-value"));
    gw.shutdown().await;
}
