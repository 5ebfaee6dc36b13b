//! The gateway end to end with real peers: devices (swaks, curl, Python smtplib) submit to
//! `scanrelay serve`, which delivers through the Postfix submission port (STARTTLS + SASL via
//! Dovecot); the result is fetched back from Dovecot over POP3 and the attachment bytes compared.

use std::collections::HashSet;
use std::time::Duration;

use scanrelay_test_support::peers;

use crate::gateway_support::{
    Gateway, GatewayConfig, curl, pop3_messages, py, random_scan, smtplib, swaks, wait_delivered,
};

fn attachment_hashes(msgs: &[serde_json::Value]) -> Vec<String> {
    msgs.iter()
        .flat_map(|m| m["attachments"].as_object().cloned().unwrap_or_default())
        .map(|(_, v)| v.as_str().unwrap_or("").to_string())
        .collect()
}

#[tokio::test]
async fn swaks_curl_and_smtplib_scans_arrive_byte_exact_with_from_rewritten() {
    let Some(p) = peers() else { return };
    let cfg = GatewayConfig {
        upstream_port: Some(p.submission_port),
        from_policy: "rewrite",
        ..Default::default()
    };
    let gw = Gateway::start(&p, cfg).await;
    let (scan, sha) = random_scan(gw.dir.path(), "scan-001.pdf", 300_000);
    // Ids unique per run: a reused peer mailbox may still hold an earlier run's messages.
    let [sw, sm, cu] = ["e2e-swaks", "e2e-smtplib", "e2e-curl"].map(|n| format!("{n}-{}", gw.port));
    let attach = format!("@{}", scan.display());
    let pdf = [
        "--attach-type",
        "application/pdf",
        "--attach",
        attach.as_str(),
    ];
    let (code, out) = swaks(&gw, "mfp@office.example", &p.user2, &sw, &pdf).await;
    assert_eq!(code, 0, "swaks: {out}");
    smtplib(&gw, "mfp@office.example", &p.user2, &sm, &scan).await;
    curl(&gw, "mfp@office.example", &p.user2, &cu).await;
    for id in [&sw, &sm, &cu] {
        assert!(
            wait_delivered(&p, id, 60).await,
            "{id} delivered to the Maildir"
        );
    }
    for id in [&sw, &sm] {
        let msgs = pop3_messages(&p, id).await;
        assert_eq!(msgs.len(), 1, "{id}: {msgs:?}");
        assert_eq!(
            attachment_hashes(&msgs),
            vec![sha.clone()],
            "{id}: attachment bytes identical"
        );
        assert!(
            msgs[0]["from"].as_str().unwrap().contains(&p.user),
            "From rewritten to the upstream account: {msgs:?}"
        );
        assert!(
            msgs[0]["reply_to"]
                .as_str()
                .unwrap()
                .contains("mfp@office.example"),
            "device From kept in Reply-To: {msgs:?}"
        );
    }
    assert!(
        gw.queue_json().await.is_empty(),
        "delivered mail leaves the spool"
    );
    scanrelay_test_support::assert_no_secrets(&gw.logs(), &[&p.password]);
}

#[tokio::test]
async fn device_auth_login_over_starttls_and_strangers_are_refused() {
    let Some(p) = peers() else { return };
    let gw = devices_only_gateway(&p, DEVICE_3F).await;
    let (code, out) = swaks(&gw, "mfp@office.example", &p.user2, "e2e-stranger", &[]).await;
    assert_ne!(code, 0, "an unauthenticated stranger cannot relay");
    assert!(
        out.contains("530 5.7.0") || out.contains("550 5.7.1"),
        "{out}"
    );
    assert!(
        gw.queue_json().await.is_empty(),
        "nothing was queued for the stranger"
    );

    let id = format!("e2e-auth-login-{}", gw.port);
    let login = [
        "--tls",
        "--auth",
        "LOGIN",
        "--auth-user",
        "mfp-3f",
        "--auth-password",
        "Scan-3F-pass",
    ];
    let (code, out) = swaks(&gw, "mfp@office.example", &p.user2, &id, &login).await;
    assert_eq!(code, 0, "swaks AUTH LOGIN over STARTTLS: {out}");
    assert!(
        out.contains("334 VXNlcm5hbWU6") && out.contains("334 UGFzc3dvcmQ6"),
        "{out}"
    );
    let delivered = wait_delivered(&p, &id, 60).await;
    assert!(
        delivered,
        "{id} not delivered: queue {:?}\nlogs:\n{}",
        gw.queue_json().await,
        gw.logs()
    );
}

/// One device account.
const DEVICE_3F: &str = "[[device]]\nusername = \"mfp-3f\"\npassword = \"Scan-3F-pass\"\n";

/// A gateway that relays only for authenticated devices (`extra` holds the accounts).
async fn devices_only_gateway(p: &scanrelay_test_support::Peers, extra: &str) -> Gateway {
    let cfg = GatewayConfig {
        upstream_port: Some(p.submission_port),
        allow_networks: "[\"10.0.0.0/8\"]",
        extra,
        ..Default::default()
    };
    Gateway::start(p, cfg).await
}

#[tokio::test]
async fn upstream_4xx_is_retried_and_5xx_bounces_with_the_diagnosis() {
    let Some(p) = peers() else { return };
    let cfg = GatewayConfig {
        upstream_port: Some(p.submission_port),
        ..Default::default()
    };
    let gw = Gateway::start(&p, cfg).await;
    let tempfail_id = format!("e2e-tempfail-{}", gw.port);
    let (code, out) = swaks(
        &gw,
        "mfp@office.example",
        &p.tempfail_rcpt,
        &tempfail_id,
        &[],
    )
    .await;
    assert_eq!(code, 0, "{out}");
    let rejected_id = format!("e2e-rejected-{}", gw.port);
    let (code, out) = swaks(&gw, &p.user2, &p.reject_rcpt, &rejected_id, &[]).await;
    assert_eq!(code, 0, "{out}");
    let mut deferred_attempts = 0;
    for _ in 0..100 {
        let q = gw.queue_json().await;
        deferred_attempts = q
            .iter()
            .filter(|e| e["envelope"]["rcpt_to"][0] == p.tempfail_rcpt.as_str())
            .map(|e| e["delivery"]["attempts"].as_u64().unwrap_or(0))
            .max()
            .unwrap_or(0);
        if deferred_attempts >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        deferred_attempts >= 2,
        "the 451 is retried (attempts {deferred_attempts})"
    );
    let dsn = p
        .wait_for_message(
            &p.user2,
            |m| {
                let m = String::from_utf8_lossy(m);
                m.contains("multipart/report") && m.contains(&rejected_id)
            },
            Duration::from_secs(60),
        )
        .await
        .expect("a delivery status notification reached the sender");
    let text = String::from_utf8_lossy(&dsn.1).into_owned();
    assert!(
        text.contains("5.7.1"),
        "the upstream's reply is quoted: {text}"
    );
    assert!(
        text.contains("Final-Recipient: rfc822;") || text.contains("Final-Recipient: rfc822; "),
        "{text}"
    );
}

#[tokio::test]
async fn kill_9_during_a_500_message_load_loses_no_acknowledged_message() {
    let Some(p) = peers() else { return };
    let cfg = GatewayConfig {
        upstream_port: Some(p.submission_port),
        ..Default::default()
    };
    let mut gw = Gateway::start(&p, cfg).await;
    let port = gw.port.to_string();
    let prefix = format!("kill9-{}", gw.port);
    let mut load = tokio::process::Command::new("python3")
        .args([
            &py("load.py"),
            "127.0.0.1",
            &port,
            &p.user2,
            &prefix,
            "500",
            "8",
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("load");
    let mut lines = tokio::io::BufReader::new(load.stdout.take().unwrap());
    let mut acked = HashSet::new();
    use tokio::io::AsyncBufReadExt;
    let mut line = String::new();
    while acked.len() < 150 {
        line.clear();
        if lines.read_line(&mut line).await.unwrap() == 0 {
            break;
        }
        acked.insert(line.trim().to_string());
    }
    gw.kill9().await;
    // Collect the rest of what the load generator saw acknowledged before the kill.
    loop {
        line.clear();
        if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
            break;
        }
        acked.insert(line.trim().to_string());
    }
    acked.retain(|s| !s.is_empty());
    let _ = load.wait().await;
    assert!(acked.len() >= 150, "load ran: {}", acked.len());
    gw.restart().await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(180);
    let mut missing: Vec<String> = acked.iter().cloned().collect();
    while !missing.is_empty() && tokio::time::Instant::now() < deadline {
        let delivered = delivered_ids(&p, &prefix);
        missing.retain(|id| !delivered.contains(id));
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(
        missing.is_empty(),
        "{} acknowledged messages lost, e.g. {:?}",
        missing.len(),
        missing.first()
    );
}

fn delivered_ids(p: &scanrelay_test_support::Peers, prefix: &str) -> HashSet<String> {
    let mut ids = HashSet::new();
    for path in p.maildir_messages(&p.user2) {
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        let text = String::from_utf8_lossy(&bytes);
        for line in text.lines().take(60) {
            if let Some(id) = line.strip_prefix("X-Test-Id: ")
                && id.starts_with(prefix)
            {
                ids.insert(id.trim().to_string());
            }
        }
    }
    ids
}

/// Forwards every connection on `listener` to `target` (the upstream coming back).
async fn forward(listener: tokio::net::TcpListener, target: u16) {
    loop {
        let Ok((mut inbound, _)) = listener.accept().await else {
            return;
        };
        tokio::spawn(async move {
            if let Ok(mut out) = tokio::net::TcpStream::connect(("127.0.0.1", target)).await {
                let _ = tokio::io::copy_bidirectional(&mut inbound, &mut out).await;
            }
        });
    }
}

#[tokio::test]
async fn upstream_down_then_back_delivers_the_held_message() {
    let Some(p) = peers() else { return };
    let upstream = crate::closed_port();
    let cfg = GatewayConfig {
        upstream_port: Some(upstream),
        ..Default::default()
    };
    let gw = Gateway::start(&p, cfg).await;
    let id = format!("e2e-down-up-{}", gw.port);
    let (code, out) = swaks(&gw, "mfp@office.example", &p.user2, &id, &[]).await;
    assert_eq!(code, 0, "accepted while the upstream is down: {out}");
    let mut seen_deferred = false;
    for _ in 0..50 {
        let q = gw.queue_json().await;
        if q.iter().any(|e| {
            e["delivery"]["state"] == "deferred" && e["delivery"]["last_cause"] == "connect.refused"
        }) {
            seen_deferred = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        seen_deferred,
        "held as deferred with cause connect.refused: {:?}",
        gw.queue_json().await
    );
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", upstream))
        .await
        .expect("rebind upstream port");
    let proxy = tokio::spawn(forward(listener, p.submission_port));
    assert!(
        wait_delivered(&p, &id, 60).await,
        "delivered once the upstream is back"
    );
    proxy.abort();
}

#[tokio::test]
async fn no_secret_reaches_the_gateway_logs() {
    let Some(p) = peers() else { return };
    let device_pw = "Dev1ce-Secret-77";
    let extra = format!("[[device]]\nusername = \"mfp-9f\"\npassword = \"{device_pw}\"\n");
    let mut gw = devices_only_gateway(&p, &extra).await;
    let ok_id = format!("e2e-secret-ok-{}", gw.port);
    for (pw, id) in [
        ("wrong-Guess-1234", "e2e-secret-bad"),
        (device_pw, ok_id.as_str()),
    ] {
        let auth = [
            "--tls",
            "--auth",
            "PLAIN",
            "--auth-user",
            "mfp-9f",
            "--auth-password",
            pw,
        ];
        swaks(&gw, "mfp@office.example", &p.user2, id, &auth).await;
    }
    assert!(wait_delivered(&p, &ok_id, 60).await);
    gw.kill9().await;
    let logs = gw.logs();
    assert!(logs.contains("DEBUG"), "debug logging was on: {logs}");
    scanrelay_test_support::assert_no_secrets(&logs, &[device_pw, "wrong-Guess-1234", &p.password]);
}
