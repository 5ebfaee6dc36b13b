//! Memory stays flat in message size: the client sends a 3 MB and a 30 MB scan from a file
//! in a child process (this test binary run again), which reports its peak RSS (VmHWM); the
//! fake Graph, which keeps what it receives, runs in the parent.

use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use scanrelay_graph::{FileSource, GraphClient, HttpSettings, StaticBearer};
use scanrelay_test_support::graph_server::{GraphServer, GraphServerConfig};

use crate::scans::{Att, NameForm, scan};

const CHILD: &str = "SCANRELAY_GRAPH_RSS_CHILD";

fn vm_hwm_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/self/status")
}

/// The child: sends the file named in the environment, prints `peak_kib before after ms`.
#[tokio::test]
#[ignore = "run by peak_memory_is_flat_in_message_size as a child process"]
async fn rss_child() {
    let (Ok(spec), Ok(path)) = (
        std::env::var(CHILD),
        std::env::var("SCANRELAY_GRAPH_RSS_FILE"),
    ) else {
        panic!("run only as a child of peak_memory_is_flat_in_message_size");
    };
    let before = vm_hwm_kib();
    let client = GraphClient::new(
        &spec,
        &HttpSettings::default(),
        Arc::new(StaticBearer::new("tok")),
    )
    .expect("client");
    let source = FileSource::new(&path).await.expect("source");
    let start = Instant::now();
    client
        .send(
            "scanner@contoso.example",
            &["kim@contoso.example".to_string()],
            &source,
        )
        .await
        .expect("send");
    let ms = start.elapsed().as_millis();
    println!("RSS-REPORT {before} {} {ms}", vm_hwm_kib());
}

fn child_report(base: &str, path: &std::path::Path) -> (u64, u64, u128) {
    let output = Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "--exact",
            "memory::rss_child",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, base)
        .env("SCANRELAY_GRAPH_RSS_FILE", path)
        .output()
        .expect("run the child");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "child failed: {stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let line = stdout
        .lines()
        .find_map(|l| l.split_once("RSS-REPORT ").map(|(_, r)| r))
        .unwrap_or_else(|| panic!("no report line in: {stdout}"));
    let v: Vec<u128> = line
        .split(' ')
        .map(|x| x.parse().expect("number"))
        .collect();
    (v[0] as u64, v[1] as u64, v[2])
}

#[test]
fn peak_memory_is_flat_in_message_size() {
    let server = GraphServer::start(GraphServerConfig::with_token(
        "tok",
        &["Mail.Send", "Mail.ReadWrite"],
    ));
    let dir = tempfile::tempdir().expect("temp dir");
    let mut growth = Vec::new();
    for (mib, seed) in [(3usize, 1u64), (30, 2)] {
        let per = mib * 1024 * 1024 / 3;
        let atts: Vec<Att> = (0..3)
            .map(|i| {
                Att::new(
                    &format!("스캔 {i}.pdf"),
                    "application/pdf",
                    per,
                    seed * 10 + i,
                    NameForm::Rfc2231EucKrSplit,
                )
            })
            .collect();
        let path = dir.path().join(format!("{mib}.eml"));
        std::fs::write(&path, scan(&["kim@contoso.example"], "rss", &atts, false)).expect("write");
        let (before, after, ms) = child_report(&server.base_url(), &path);
        eprintln!(
            "{mib} MiB scan: peak RSS {before} KiB before, {after} KiB after send ({} KiB growth), {ms} ms",
            after - before
        );
        growth.push(after.saturating_sub(before));
    }
    assert_eq!(server.sent("scanner@contoso.example").len(), 2);
    // A client that held the message would grow by at least its size (30 MiB) for the big
    // one; bounded memory grows by about two upload chunks whatever the size.
    let (small, large) = (growth[0], growth[1]);
    assert!(
        large < 24 * 1024,
        "30 MiB scan grew peak RSS by {large} KiB"
    );
    assert!(
        large < small + 12 * 1024,
        "peak RSS grew with message size: {small} KiB vs {large} KiB"
    );
}
