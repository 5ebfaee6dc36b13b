//! `scanrelay serve` with `[listen] tls_min_version = "1.0"` (issue 9, item 1), end to end:
//! `serve --check-config` says devices may use TLS 1.0, the config's warning about the
//! generated ECDSA certificate and the start-up warning naming the listeners that allow old
//! TLS reach the log, a device pinned to TLS 1.0 (Python's ssl at `@SECLEVEL=0`) sends over
//! STARTTLS, and `scanrelay queue show` (text and `--json`) says which TLS version and cipher
//! the message came in with.

use scanrelay_test_support::OLD_TLS_DEVICE_PY;

use crate::gateway_support::{Gateway, run_tool};

#[tokio::test]
async fn a_tls_1_0_device_sends_and_queue_show_names_its_tls() {
    let gw = Gateway::start_raw(|port, _| {
        format!(
            "[listen]\nsmtp = \"127.0.0.1:{port}\"\nweb = \"\"\nallow_networks = [\"127.0.0.0/8\"]\n\
             tls_min_version = \"1.0\"\n"
        )
    })
    .await;
    let port = gw.port.to_string();
    let (code, out, err) = run_tool(
        "python3",
        &[
            "-c",
            OLD_TLS_DEVICE_PY,
            "127.0.0.1",
            &port,
            "starttls",
            "1.0",
        ],
        &[],
    )
    .await;
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.starts_with("TLSv1 "), "{out}");

    let logs = gw.logs();
    let warning = format!("listener smtp on 127.0.0.1:{port} (STARTTLS) accepts TLS 1.0 and later");
    assert!(logs.contains(&warning), "{logs}");
    assert!(
        logs.contains("listen.tls_min_version"),
        "config warning: {logs}"
    );

    let (cfg, dir) = (gw.config.to_string_lossy(), gw.dir.path().to_string_lossy());
    let check = [
        "serve",
        "--check-config",
        "--config",
        &cfg,
        "--data-dir",
        &dir,
    ];
    let check = crate::scanrelay(&check, &[]).await;
    assert_eq!(check.code, 0, "{}", check.stderr);
    let all = format!("{}{}", check.stdout, check.stderr);
    assert!(
        all.contains("devices may use TLS 1.0 and later (OpenSSL at security level 0)"),
        "{all}"
    );

    let list = gw.queue_json().await;
    assert_eq!(list.len(), 1, "{list:?}");
    let id = list[0]["id"].as_str().unwrap().to_string();
    let show = gw.queue(&["show", &id]).await;
    assert_eq!(show.code, 0, "{}", show.stderr);
    let tls = show
        .stdout
        .lines()
        .find(|l| l.starts_with("tls:"))
        .unwrap_or_else(|| panic!("no tls line:\n{}", show.stdout));
    let value = tls["tls:".len()..].trim();
    assert!(value.starts_with("TLSv1.0 TLS_"), "{tls}");
    assert!(value.ends_with("_CBC_SHA"), "{tls}");

    let json = gw.queue(&["show", &id, "--json"]).await;
    assert_eq!(json.code, 0, "{}", json.stderr);
    let v = json.json();
    assert_eq!(v["envelope"]["tls"]["version"], "TLSv1.0");
    let cipher = v["envelope"]["tls"]["cipher"].as_str().unwrap();
    assert_eq!(value, format!("TLSv1.0 {cipher}"));
}
