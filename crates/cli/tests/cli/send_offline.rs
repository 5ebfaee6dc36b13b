//! `send` errors that need no server: the size limit from `--max-size` is applied before any
//! connection (the port here is closed), and bad flags, addresses and files exit 2 naming what
//! is wrong, as one JSON object with `--json`.

use crate::{closed_port, scanrelay};

fn args(port: u16, more: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = [
        "send",
        "--server",
        "127.0.0.1",
        "--port",
        &port.to_string(),
        "--tls",
        "none",
        "--from",
        "scanner@example.test",
        "--to",
        "user@example.test",
    ]
    .map(String::from)
    .to_vec();
    v.extend(more.iter().map(|s| s.to_string()));
    v
}

async fn run(v: &[String]) -> crate::Run {
    let refs: Vec<&str> = v.iter().map(String::as_str).collect();
    scanrelay(&refs, &[]).await
}

#[tokio::test]
async fn max_size_refuses_before_connecting_in_korean_too() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("스캔.pdf");
    std::fs::write(&file, vec![7u8; 20_000]).unwrap();
    let path = file.to_string_lossy().into_owned();
    let r = run(&args(
        closed_port(),
        &["--max-size", "10KiB", "--lang", "ko", &path],
    ))
    .await;
    assert_eq!(r.code, 20, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("20000바이트") && r.stderr.contains("10240바이트"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("아무것도 보내지 않았습니다"),
        "{}",
        r.stderr
    );
    let r = run(&args(
        closed_port(),
        &["--max-size", "10KiB", "--json", &path],
    ))
    .await;
    assert_eq!(r.code, 20);
    let v = r.json();
    assert_eq!(v["limit"], 10_240);
    assert_eq!(v["size"], 20_000);
}

#[tokio::test]
async fn bad_flags_addresses_and_files_exit_2_naming_them() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("scan.pdf");
    std::fs::write(&file, b"%PDF-1.4\n").unwrap();
    let path = file.to_string_lossy().into_owned();
    let missing = dir
        .path()
        .join("missing.pdf")
        .to_string_lossy()
        .into_owned();
    let table: &[(&[&str], &str)] = &[
        (&["--max-size", "12 parsecs", &path], "--max-size"),
        (&["--cc", "not-an-address", &path], "not-an-address"),
        (&["--bcc", "x@y\r\nRCPT TO:<z@w>", &path], "invalid address"),
        (&[&missing], "missing.pdf"),
        (&["--body-file", &missing, &path], "missing.pdf"),
    ];
    for (more, needle) in table {
        let mut more = more.to_vec();
        more.push("--json");
        let r = run(&args(closed_port(), &more)).await;
        assert_eq!(r.code, 2, "{more:?}: {}\n{}", r.stdout, r.stderr);
        let v = r.json();
        assert_eq!(v["ok"], false);
        assert!(
            v["error"].as_str().unwrap().contains(needle),
            "{more:?}: {v}"
        );
    }
}

#[tokio::test]
async fn a_closed_port_is_checks_connection_failure() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("scan.pdf");
    std::fs::write(&file, b"%PDF-1.4\n").unwrap();
    let r = run(&args(closed_port(), &["--json", &file.to_string_lossy()])).await;
    assert_eq!(r.code, 11, "{}\n{}", r.stdout, r.stderr);
    assert!(r.json()["cause"].as_str().unwrap().starts_with("connect."));
}

#[tokio::test]
async fn a_graph_upstream_in_the_config_is_refused_with_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("secret"), "s3cret-client-value\n").unwrap();
    let config = dir.path().join("scanrelay.toml");
    std::fs::write(
        &config,
        "[[oauth]]\nname = \"graph-app\"\nprovider = \"microsoft\"\ntenant = \"contoso.onmicrosoft.com\"\n\
         client_id = \"app-id\"\nclient_secret_file = \"secret\"\nflow = \"client_credentials\"\nuse = \"graph\"\n\
         [upstream]\nkind = \"graph\"\noauth = \"graph-app\"\nmailbox = \"hr@contoso.com\"\n",
    )
    .unwrap();
    let file = dir.path().join("scan.pdf");
    std::fs::write(&file, b"%PDF-1.4\n").unwrap();
    let v: Vec<String> = [
        "send",
        "--config",
        &config.to_string_lossy(),
        "--data-dir",
        &dir.path().to_string_lossy(),
        "--from",
        "hr@contoso.com",
        "--to",
        "user@example.test",
        &file.to_string_lossy(),
    ]
    .map(String::from)
    .to_vec();
    let r = run(&v).await;
    assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("Microsoft Graph") && r.stderr.contains("--server"),
        "{}",
        r.stderr
    );
    r.assert_no_secrets(&["s3cret-client-value"]);
    // No config at all: the error says what to give.
    let missing = dir.path().join("nothing.toml");
    let v: Vec<String> = [
        "send",
        "--config",
        &missing.to_string_lossy(),
        "--from",
        "a@b.c",
        "--to",
        "d@e.f",
        &file.to_string_lossy(),
    ]
    .map(String::from)
    .to_vec();
    let r = run(&v).await;
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("give --server HOST or --provider NAME"),
        "{}",
        r.stderr
    );
}

/// A scan truncated while it is sent (a device or a sync tool still writing it): the message
/// must not be completed with the final dot, or the server would deliver a broken file.
#[tokio::test]
async fn a_file_that_shrinks_while_sent_is_never_completed() {
    use scanrelay_test_support::{Script, ScriptedSmtpServer, Step};
    let server = ScriptedSmtpServer::start(Script::new([
        Step::send("220 fake.example.test ESMTP"),
        Step::expect("EHLO"),
        Step::send("250-fake.example.test\n250 8BITMIME"),
        Step::expect("MAIL FROM:<scanner@example.test>"),
        Step::send("250 ok"),
        Step::expect("RCPT TO:<user@example.test>"),
        Step::send("250 ok"),
        Step::expect("DATA"),
        Step::send("354 go ahead"),
        // Read nothing for a while: the client blocks with the file half read.
        Step::Silent(std::time::Duration::from_secs(2)),
        Step::ExpectData,
    ]))
    .await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("growing-scan.pdf");
    std::fs::write(&file, vec![b'x'; 30_000_000]).unwrap();
    let path = file.to_string_lossy().into_owned();
    let v = args(server.port(), &["--json", &path]);
    let running = tokio::spawn(async move { run(&v).await });
    tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    std::fs::File::options()
        .write(true)
        .open(&file)
        .unwrap()
        .set_len(1_000)
        .unwrap();
    let r = running.await.unwrap();
    assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.json()["error"]
            .as_str()
            .unwrap()
            .contains("changed while it was being sent"),
        "{}",
        r.stdout
    );
    let log = server.finish().await;
    let err = log.expect_err("the server must not have received the final dot");
    assert!(
        err.to_lowercase().contains("data") || err.contains("closed"),
        "{err}"
    );
}
