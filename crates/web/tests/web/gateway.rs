//! The console over a real started gateway (`Gateway::start`, temporary data dir, port 0): a
//! device sends a message with AUTH, the upstream (a closed port) refuses the connection, and
//! every page shows it; retry and delete change the gateway's spool; nothing shows a secret.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use base64::Engine as _;
use scanrelay_gateway::config::{ParseOptions, parse_str};
use scanrelay_gateway::control::{EventKind, GatewayEvent};
use scanrelay_gateway::{Gateway, RunningGateway};
use scanrelay_spool::{MessageId, State};
use scanrelay_test_support::assert_no_secrets;
use scanrelay_web::auth::password;
use scanrelay_web::i18n::{EN, KO};
use scanrelay_web::{AppState, router};
use tempfile::TempDir;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use crate::support::{ADMIN_PASSWORD, Client, DEVICE_SECRET, UPSTREAM_SECRET};

struct Live {
    _dir: TempDir,
    gateway: RunningGateway,
    app: axum::Router,
    upstream_port: u16,
}

impl Live {
    async fn start() -> Live {
        let dir = tempfile::tempdir().unwrap();
        let upstream_port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let text = format!(
            "[listen]\nsmtp = \"127.0.0.1:0\"\nweb = \"127.0.0.1:0\"\nhostname = \"gw.test\"\n\
             allow_plaintext_auth = true\n\n\
             [[device]]\nusername = \"mfp-3f\"\npassword = \"{DEVICE_SECRET}\"\n\n\
             [upstream]\nserver = \"127.0.0.1\"\nport = {upstream_port}\ntls = \"starttls\"\n\
             username = \"scanner@example.com\"\npassword = \"{UPSTREAM_SECRET}\"\n"
        );
        let opts = ParseOptions {
            allow_port_zero: true,
        };
        let path = dir.path().join("scanrelay.toml");
        let settings = parse_str(&text, &path, dir.path(), &opts).unwrap().settings;
        let gateway = Gateway::start(settings).await.unwrap();
        password::store(dir.path(), ADMIN_PASSWORD).unwrap();
        let state = AppState::new(Arc::new(gateway.handle()), false);
        Live {
            app: router(state),
            _dir: dir,
            gateway,
            upstream_port,
        }
    }

    fn client(&self) -> Client {
        Client::over(self.app.clone(), "127.0.0.1:40000")
    }

    async fn admin(&self) -> Client {
        let mut c = self.client();
        c.login(ADMIN_PASSWORD).await.assert_redirect("/");
        c
    }

    /// A device sends one message with AUTH PLAIN; returns once the upstream's refusal has
    /// deferred it.
    async fn send_and_wait_deferred(&self) -> MessageId {
        let handle = self.gateway.handle();
        let mut events = handle.subscribe();
        let addr = self.gateway.smtp_addr().unwrap();
        smtp_send(addr).await;
        let deferred = tokio::time::timeout(Duration::from_secs(30), async {
            loop {
                if let Ok(GatewayEvent {
                    kind: EventKind::Deferred { id, .. },
                    ..
                }) = events.recv().await
                {
                    return id;
                }
            }
        })
        .await
        .expect("deferred within 30 s");
        deferred.parse().unwrap()
    }
}

async fn smtp_send(addr: SocketAddr) {
    let stream = TcpStream::connect(addr).await.unwrap();
    let (r, mut w) = stream.into_split();
    let mut r = BufReader::new(r);
    let reply = async |r: &mut BufReader<_>| -> String {
        let mut all = String::new();
        loop {
            let mut line = String::new();
            r.read_line(&mut line).await.unwrap();
            all.push_str(&line);
            if line.len() < 4 || line.as_bytes()[3] == b' ' {
                return all;
            }
        }
    };
    assert!(reply(&mut r).await.starts_with("220"));
    let plain =
        base64::engine::general_purpose::STANDARD.encode(format!("\0mfp-3f\0{DEVICE_SECRET}"));
    for (cmd, want) in [
        ("EHLO MFP-3F".to_string(), "250"),
        (format!("AUTH PLAIN {plain}"), "235"),
        ("MAIL FROM:<mfp@office.example>".into(), "250"),
        ("RCPT TO:<boss@example.com>".into(), "250"),
        ("DATA".into(), "354"),
        ("Subject: scan\r\n\r\nscan body\r\n.".into(), "250"),
        ("QUIT".into(), "221"),
    ] {
        w.write_all(format!("{cmd}\r\n").as_bytes()).await.unwrap();
        let got = reply(&mut r).await;
        assert!(got.starts_with(want), "{cmd}: {got}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_shows_the_real_gateway() {
    let live = Live::start().await;
    let id = live.send_and_wait_deferred().await;
    let mut c = live.admin().await;
    let up = format!("127.0.0.1:{} (starttls)", live.upstream_port);

    let dash = c.get("/").await;
    assert_eq!(dash.status, StatusCode::OK);
    for want in [
        format!(
            "{}</span></a></td><td class=\"num\">1</td>",
            EN.state_deferred
        ),
        format!("<td>{}</td><td class=\"num big\">1</td>", EN.dash_accepted),
        up.clone(),
        "<code>connect.refused</code>".into(),
        format!("href=\"/queue/{id}\""),
    ] {
        assert!(
            dash.body.contains(&want),
            "dashboard: {want}\n{}",
            dash.body
        );
    }

    let queue = c.get("/queue?state=deferred&device=127.0.0.1").await.body;
    assert!(queue.contains(&format!("href=\"/queue/{id}\"")), "{queue}");
    assert!(queue.contains("127.0.0.1 (MFP-3F)"));

    let detail = c.get(&format!("/queue/{id}")).await.body;
    for want in [
        "mfp@office.example",
        "boss@example.com",
        "mfp-3f",
        "connect.refused: ",
        EN.state_deferred,
    ] {
        assert!(detail.contains(want), "detail: {want}\n{detail}");
    }

    let devices = c.get("/devices").await.body;
    for want in [
        "<code>127.0.0.1</code>",
        "MFP-3F",
        "PLAIN",
        "mfp-3f",
        "<td class=\"num\">1</td>",
    ] {
        assert!(devices.contains(want), "devices: {want}\n{devices}");
    }

    let events = c.get("/events").await.body;
    assert!(
        events.contains(&format!("accepted {id} from 127.0.0.1 (MFP-3F)")),
        "{events}"
    );
    assert!(
        events.contains(&format!("deferred {id} at default: connect.refused")),
        "{events}"
    );

    let metrics = c.get("/metrics").await;
    assert_eq!(metrics.status, StatusCode::OK);
    assert!(
        metrics.body.contains("scanrelay_messages_accepted_total"),
        "{}",
        metrics.body
    );

    c.accept_language = Some("ko".into());
    let ko = c.get("/").await.body;
    assert!(ko.contains(KO.dash_title) && ko.contains("<code>connect.refused</code>"));
    live.gateway.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_and_delete_change_the_gateways_spool() {
    let live = Live::start().await;
    let id = live.send_and_wait_deferred().await;
    let handle = live.gateway.handle();
    let before = handle.message(&id).await.unwrap();
    assert_eq!(before.delivery.state, State::Deferred);
    assert!(before.delivery.retried_at.is_none());
    let mut c = live.admin().await;
    let page = format!("/queue/{id}");
    c.submit(&page, &format!("/queue/{id}/retry"), &[])
        .await
        .assert_redirect(&format!("/queue/{id}?done=retried"));
    let after = handle.message(&id).await.unwrap();
    assert!(after.delivery.retried_at.is_some(), "queued again");

    c.submit(
        &format!("/queue/{id}/delete"),
        &format!("/queue/{id}/delete"),
        &[],
    )
    .await
    .assert_redirect(&format!("/queue?deleted={id}"));
    let gone = handle.message(&id).await.unwrap_err();
    assert!(gone.is_not_found(), "{gone}");
    assert!(handle.messages().await.unwrap().is_empty());
    live.gateway.shutdown().await;
}

/// The upstream password and the device account's password are in the gateway's config and
/// went over SMTP; the admin password and its hash are in the data dir: no page shows any.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_page_of_a_real_gateway_shows_a_secret() {
    let live = Live::start().await;
    let id = live.send_and_wait_deferred().await;
    let hash = password::load(&live.gateway.handle().settings().data_dir)
        .unwrap()
        .unwrap();
    let secrets = [
        UPSTREAM_SECRET,
        DEVICE_SECRET,
        ADMIN_PASSWORD,
        hash.as_str(),
    ];
    let mut c = live.admin().await;
    for lang in ["en", "ko"] {
        c.accept_language = Some(lang.into());
        for path in [
            "/".to_string(),
            "/queue".into(),
            format!("/queue/{id}"),
            format!("/queue/{id}/delete"),
            "/devices".into(),
            "/events".into(),
            "/events.json".into(),
            "/metrics".into(),
        ] {
            let res = c.get(&path).await;
            assert_eq!(res.status, StatusCode::OK, "{path}");
            let headers: String = res
                .headers
                .iter()
                .map(|(k, v)| format!("{k}: {}\n", v.to_str().unwrap_or("")))
                .collect();
            assert_no_secrets(&format!("{path}\n{headers}\n{}", res.body), &secrets);
        }
    }
    live.gateway.shutdown().await;
}
