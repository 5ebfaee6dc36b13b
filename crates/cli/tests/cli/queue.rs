//! `scanrelay queue` and `serve --check-config` on a gateway with no upstream: mail is held
//! as "waiting", and the operator commands see and change it while the gateway runs.

use crate::gateway_support::{Gateway, run_tool};
use crate::scanrelay;

async fn held_gateway() -> Gateway {
    Gateway::start_raw(|port, _| {
        format!("[listen]\nsmtp = \"127.0.0.1:{port}\"\n[delivery]\nrescan_interval = \"1s\"\n")
    })
    .await
}

async fn send(gw: &Gateway, rcpt: &str) {
    let server = format!("127.0.0.1:{}", gw.port);
    let (code, out, err) = run_tool(
        "swaks",
        &[
            "--server",
            &server,
            "--from",
            "mfp@office.example",
            "--to",
            rcpt,
        ],
        &[],
    )
    .await;
    assert_eq!(code, 0, "{out}{err}");
}

#[tokio::test]
async fn held_mail_is_listed_shown_retried_and_deleted() {
    let gw = held_gateway().await;
    send(&gw, "boss@example.com").await;
    send(&gw, "team@example.com").await;
    let mut q = gw.queue_json().await;
    for _ in 0..50 {
        if q.len() == 2 && q.iter().all(|e| e["delivery"]["state"] == "waiting") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        q = gw.queue_json().await;
    }
    assert_eq!(q.len(), 2, "{q:?}");
    assert!(
        q.iter().all(|e| e["delivery"]["state"] == "waiting"),
        "held for the upstream: {q:?}"
    );
    let id = q[0]["id"].as_str().unwrap().to_string();

    let list = gw.queue(&["list"]).await;
    assert!(
        list.stdout.contains(&id) && list.stdout.contains("waiting"),
        "{}",
        list.stdout
    );
    let show = gw.queue(&["show", &id]).await;
    assert_eq!(show.code, 0, "{}", show.stderr);
    assert!(
        show.stdout.contains("boss@example.com") || show.stdout.contains("team@example.com"),
        "{}",
        show.stdout
    );
    assert!(
        show.stdout.contains("no upstream configured"),
        "{}",
        show.stdout
    );

    let retry = gw.queue(&["retry", "--all"]).await;
    assert_eq!(retry.code, 0, "{}", retry.stderr);
    assert_eq!(
        retry.stdout.matches("will be retried now").count(),
        2,
        "{}",
        retry.stdout
    );

    let del = gw.queue(&["delete", &id]).await;
    assert_eq!(del.code, 0, "{}", del.stderr);
    let q = gw.queue_json().await;
    assert_eq!(q.len(), 1, "one message left: {q:?}");
    assert_ne!(q[0]["id"], id.as_str());

    let bad = gw.queue(&["show", "../../etc/passwd"]).await;
    assert_ne!(bad.code, 0);
    assert!(bad.stderr.contains("not a message id"), "{}", bad.stderr);
}

#[tokio::test]
async fn check_config_names_the_key_and_line_of_a_mistake() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("bad.toml");
    std::fs::write(&cfg, "[listen]\nsmtp = \"127.0.0.1:2525\"\n\n[upstream]\nserver = \"smtp.gmail.com\"\ntls = \"ssl3\"\n").unwrap();
    let c = cfg.to_string_lossy().into_owned();
    let d = dir.path().to_string_lossy().into_owned();
    let run = scanrelay(
        &["serve", "--check-config", "--config", &c, "--data-dir", &d],
        &[],
    )
    .await;
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(
        run.stderr.contains("line 6") && run.stderr.contains("upstream.tls"),
        "{}",
        run.stderr
    );

    std::fs::write(
        &cfg,
        "[listen]\nsmtp = \"0.0.0.0:2525\"\nallow_networks = [\"0.0.0.0/0\"]\n",
    )
    .unwrap();
    let run = scanrelay(
        &["serve", "--check-config", "--config", &c, "--data-dir", &d],
        &[],
    )
    .await;
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("open relay"), "{}", run.stderr);
}

#[tokio::test]
async fn check_config_on_embedded_defaults_writes_and_accepts_them() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_string_lossy().into_owned();
    let run = scanrelay(&["serve", "--check-config", "--data-dir", &d], &[]).await;
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("config OK") && run.stdout.contains("127.0.0.1:2525"),
        "{}",
        run.stdout
    );
    assert!(dir.path().join("scanrelay.toml").exists());
}
