//! The gateway's log fits where it goes (issue 6, item 8): no ANSI colour when standard
//! error is not a terminal, RFC 3339 times, and `--log-format json` for collectors. Under
//! systemd (issue 8, item 7) it goes to journald natively, and stays text where journald is
//! not running.

use std::process::Stdio;
use std::time::Duration;

use crate::gateway_support::free_port;

/// Starts `serve` with stderr to a file (not a terminal; `NO_COLOR` unset), waits until it
/// listens, stops it, and returns what it logged.
async fn serve_log(extra: &[&str]) -> String {
    serve_log_with(extra, false).await
}

/// [`serve_log`], with `JOURNAL_STREAM` naming the stderr file as systemd names the journal's
/// stream when `journal_stream` is true.
async fn serve_log_with(extra: &[&str], journal_stream: bool) -> String {
    use std::os::unix::fs::MetadataExt as _;
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let config = dir.path().join("scanrelay.toml");
    std::fs::write(
        &config,
        format!("[listen]\nsmtp = \"127.0.0.1:{port}\"\nweb = \"\"\n"),
    )
    .unwrap();
    let log = dir.path().join("stderr.log");
    let stderr = std::fs::File::create(&log).unwrap();
    let meta = stderr.metadata().unwrap();
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_scanrelay"));
    if journal_stream {
        command.env("JOURNAL_STREAM", format!("{}:{}", meta.dev(), meta.ino()));
    } else {
        command.env_remove("JOURNAL_STREAM");
    }
    let mut child = command
        .args(["serve", "--config"])
        .arg(&config)
        .arg("--data-dir")
        .arg(dir.path())
        .args(extra)
        .env_remove("NO_COLOR")
        .env_remove("SCANRELAY_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr)
        .kill_on_drop(true)
        .spawn()
        .expect("spawn scanrelay serve");
    let tries = if journal_stream && journald_running() {
        40
    } else {
        200
    };
    for _ in 0..tries {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        if text.contains(&format!("127.0.0.1:{port}")) {
            break;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("serve exited: {status}: {text}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    child.start_kill().unwrap();
    let _ = child.wait().await;
    std::fs::read_to_string(&log).unwrap()
}

fn is_rfc3339_utc(t: &str) -> bool {
    let b = t.as_bytes();
    b.len() >= 20 && b[4] == b'-' && b[10] == b'T' && b[13] == b':' && t.ends_with('Z')
}

#[tokio::test]
async fn text_logs_have_no_colour_off_a_terminal_and_rfc3339_times() {
    let log = serve_log(&[]).await;
    assert!(!log.is_empty());
    assert!(!log.contains('\u{1b}'), "ANSI escapes in a file: {log:?}");
    for line in log.lines().filter(|l| !l.is_empty()) {
        let time = line.split(' ').next().unwrap();
        assert!(is_rfc3339_utc(time), "{line}");
    }
}

#[tokio::test]
async fn json_logs_are_one_object_per_line() {
    let log = serve_log(&["--log-format", "json"]).await;
    let mut lines = 0;
    for line in log.lines().filter(|l| !l.is_empty()) {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert!(
            is_rfc3339_utc(v["timestamp"].as_str().unwrap_or("")),
            "{line}"
        );
        assert!(v["level"].is_string() && v["message"].is_string(), "{line}");
        lines += 1;
    }
    assert!(lines > 0, "{log}");
    assert!(!log.contains('\u{1b}'));
}

/// Whether journald listens on this machine (then journal entries do not reach stderr).
fn journald_running() -> bool {
    std::path::Path::new("/run/systemd/journal/socket").exists()
}

#[tokio::test]
async fn journal_stream_without_journald_falls_back_to_plain_text() {
    let log = serve_log_with(&[], true).await;
    if journald_running() {
        // The entries went to journald, not to the stream systemd would have connected.
        assert!(
            !log.contains(" INFO "),
            "text logged although journald runs: {log}"
        );
        return;
    }
    assert!(log.contains(" INFO "), "no text log: {log:?}");
    assert!(!log.contains('\u{1b}'), "ANSI escapes in a file: {log:?}");
    for line in log.lines().filter(|l| !l.is_empty()) {
        let time = line.split(' ').next().unwrap();
        assert!(is_rfc3339_utc(time), "{line}");
    }
}

#[tokio::test]
async fn explicit_log_format_wins_over_the_journal_stream() {
    let log = serve_log_with(&["--log-format", "json"], true).await;
    let first = log
        .lines()
        .next()
        .unwrap_or_else(|| panic!("no log: {log:?}"));
    let v: serde_json::Value =
        serde_json::from_str(first).unwrap_or_else(|e| panic!("{e}: {first}"));
    assert!(v["message"].is_string(), "{first}");
}
