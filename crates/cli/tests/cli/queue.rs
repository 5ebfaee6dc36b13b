//! `scanrelay queue` and `serve --check-config` on a gateway with no upstream: mail is held
//! as "waiting", and the operator commands see and change it while the gateway runs; and
//! neither ever creates a data directory, a spool or a config file.

use crate::gateway_support::{Gateway, run_tool};
use crate::scanrelay;

async fn held_gateway() -> Gateway {
    Gateway::start_raw(|port, _| {
        format!("[listen]\nsmtp = \"127.0.0.1:{port}\"\nweb = \"\"\n[delivery]\nrescan_interval = \"1s\"\n")
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
        retry
            .stdout
            .matches("queued again, but held: no upstream is configured")
            .count(),
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

/// Regression (issue 6, item 3): `serve --check-config` wrote `scanrelay.toml` into a fresh
/// data directory. It checks the embedded defaults and writes nothing.
#[tokio::test]
async fn check_config_on_embedded_defaults_accepts_them_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let fresh = dir.path().join("fresh");
    std::fs::create_dir(&fresh).unwrap();
    for data_dir in [fresh.clone(), dir.path().join("not-there")] {
        let d = data_dir.to_string_lossy().into_owned();
        let run = scanrelay(&["serve", "--check-config", "--data-dir", &d], &[]).await;
        assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
        assert!(
            run.stdout.contains("config OK")
                && run.stdout.contains("127.0.0.1:2525")
                && run.stdout.contains("embedded defaults"),
            "{}",
            run.stdout
        );
    }
    assert_eq!(
        std::fs::read_dir(&fresh).unwrap().count(),
        0,
        "nothing written to the data directory"
    );
    assert!(!dir.path().join("not-there").exists(), "no directory made");
}

/// Regression (issue 6, item 3): `queue list --data-dir /nonexistent` created
/// `spool/{lock,env,tmp,msg}` there and said "the queue is empty" (exit 0).
#[tokio::test]
async fn queue_commands_never_create_a_spool_and_say_where_serve_keeps_it() {
    let dir = tempfile::tempdir().unwrap();
    let fresh = dir.path().join("fresh");
    std::fs::create_dir(&fresh).unwrap();
    let default_home = dir.path().join("home");
    let env = [("SCANRELAY_DATA_DIR", default_home.to_str().unwrap())];
    for data_dir in [dir.path().join("nonexistent"), fresh.clone()] {
        let d = data_dir.to_string_lossy().into_owned();
        for action in [&["list"][..], &["list", "--json"], &["retry", "--all"]] {
            let mut args = vec!["queue", "--data-dir", &d];
            args.extend_from_slice(action);
            let run = scanrelay(&args, &env).await;
            assert_eq!(run.code, 2, "{action:?}: {}{}", run.stdout, run.stderr);
            let text = if action.contains(&"--json") {
                let v = run.json();
                assert_eq!(v["ok"], false);
                v["error"].as_str().unwrap().to_string()
            } else {
                assert!(!run.stdout.contains("empty"), "{}", run.stdout);
                run.stderr.clone()
            };
            let spool = data_dir.join("spool").display().to_string();
            assert!(text.contains(&spool), "names the spool: {text}");
            assert!(
                text.contains(&default_home.display().to_string()),
                "says where serve keeps its data: {text}"
            );
        }
    }
    assert!(!dir.path().join("nonexistent").exists(), "nothing created");
    assert_eq!(
        std::fs::read_dir(&fresh).unwrap().count(),
        0,
        "nothing created"
    );
}

#[tokio::test]
async fn queue_with_a_missing_config_file_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir
        .path()
        .join("missing.toml")
        .to_string_lossy()
        .into_owned();
    let d = dir.path().to_string_lossy().into_owned();
    let run = scanrelay(&["queue", "--config", &cfg, "--data-dir", &d, "list"], &[]).await;
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains(&cfg) && run.stderr.contains("does not exist"),
        "{}",
        run.stderr
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}
