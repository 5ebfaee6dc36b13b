//! `send` against the real Postfix submission port (STARTTLS + AUTH through Dovecot), the
//! mail read back over Dovecot POP3 and decoded by Python's `email` package: Korean file
//! names and subjects, split parts numbered and each under the limit, attachments
//! byte-identical, and the size-limit errors with their exit statuses.

use std::path::{Path, PathBuf};
use std::time::Duration;

use scanrelay_test_support::{Peers, peers};
use serde_json::Value;

use crate::gateway_support::{py, random_scan, run_tool};
use crate::scanrelay;

/// The endpoint flags for the submission port, logged in as the peers' user.
pub fn endpoint(p: &Peers) -> Vec<String> {
    [
        "send",
        "--server",
        &p.host,
        "--port",
        &p.submission_port.to_string(),
        "--tls",
        "starttls",
        "--ca-file",
        &p.ca.to_string_lossy(),
        "--helo",
        "device.example.test",
        "--timeout",
        "10",
        "--user",
        &p.user,
        "--password-env",
        "PEER_PASSWORD",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

pub async fn send(p: &Peers, mut args: Vec<String>, more: &[&str], files: &[&Path]) -> crate::Run {
    args.extend(more.iter().map(|s| s.to_string()));
    args.extend(files.iter().map(|f| f.to_string_lossy().into_owned()));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = scanrelay(&refs, &[("PEER_PASSWORD", &p.password)]).await;
    run.assert_no_secrets(&[&p.password]);
    run
}

/// A token unique to this run, for finding its messages in the shared mailbox.
pub fn token(name: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{name}-{nanos:x}")
}

/// The messages of `user` whose subject has `token`, once `want` of them arrived.
pub async fn read_back(
    p: &Peers,
    user: &str,
    password: &str,
    token: &str,
    want: usize,
) -> Vec<Value> {
    let port = p.pop3_port.to_string();
    let ca = p.ca.to_string_lossy().into_owned();
    let script = py("pop3_sent.py");
    let args = [script.as_str(), &p.host, &port, &ca, user, password, token];
    for _ in 0..60 {
        let (code, out, err) = run_tool("python3", &args, &[]).await;
        assert_eq!(code, 0, "pop3 read-back failed: {err}");
        let found: Vec<Value> = serde_json::from_str(&out).expect("json from pop3_sent.py");
        if found.len() >= want {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    panic!("{want} message(s) with {token} never arrived for {user}");
}

/// SHA-256 of a file by coreutils (independent of the code under test).
pub fn sha256_of(path: &Path) -> String {
    let out = std::process::Command::new("sha256sum")
        .arg(path)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    text.split(' ').next().unwrap_or_default().to_string()
}

#[tokio::test]
async fn korean_scans_split_over_numbered_messages_arrive_byte_identical() {
    let Some(p) = peers() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (a, _) = random_scan(
        dir.path(),
        "스캔 문서 2026년 12월 5일 회의록 첫째 장.pdf",
        150_000,
    );
    let (b, _) = random_scan(dir.path(), "견적서.pdf", 150_000);
    let c: PathBuf = dir.path().join("영수증 scan.bin");
    std::fs::write(
        &c,
        (0..120_000u32)
            .map(|i| (i * 7 % 256) as u8)
            .collect::<Vec<_>>(),
    )
    .unwrap();
    let t = token("split");
    let subject = format!("스캔 결과 {t}");
    let from = format!("복합기 <{}>", p.user);
    let run = send(
        &p,
        endpoint(&p),
        &[
            "--from",
            &from,
            "--to",
            &p.user,
            "--cc",
            &p.user2,
            "--bcc",
            &p.user2,
            "--subject",
            &subject,
            "--body",
            "스캔한 문서를 보냅니다.",
            "--max-size",
            "300KB",
            "--split",
            "--json",
        ],
        &[&a, &b, &c],
    )
    .await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let v = run.json();
    assert_eq!(v["ok"], true);
    assert_eq!(v["max_size"], 300_000);
    let sent = v["messages"].as_array().unwrap();
    // 150 000 bytes are 205 000 as base64 lines: one file per message.
    assert_eq!(sent.len(), 3, "{v}");
    for m in sent {
        assert!(m["size"].as_u64().unwrap() <= 300_000, "{m}");
    }
    let got = read_back(&p, &p.user, &p.password, &t, 3).await;
    assert_eq!(got.len(), 3, "{got:?}");
    let files = [&a, &b, &c];
    for (i, m) in got.iter().enumerate() {
        assert_eq!(m["subject"], format!("{subject} ({}/3)", i + 1));
        assert_eq!(m["from"], from);
        assert_eq!(m["cc"], p.user2);
        assert!(m["bcc"].is_null(), "Bcc must never be a header: {m}");
        assert!(!m["date"].as_str().unwrap().is_empty());
        assert!(m["message_id"].as_str().unwrap().starts_with("<scanrelay."));
        assert_eq!(m["defects"], serde_json::json!([]), "{m}");
        assert_eq!(
            m["body"].as_str().unwrap().trim(),
            "스캔한 문서를 보냅니다."
        );
        let atts = m["attachments"].as_array().unwrap();
        assert_eq!(atts.len(), 1);
        let want_name = files[i].file_name().unwrap().to_string_lossy();
        assert_eq!(atts[0]["name"], *want_name);
        assert_eq!(
            atts[0]["sha256"],
            sha256_of(files[i]),
            "{} differs",
            want_name
        );
    }
    assert_eq!(got[0]["attachments"][0]["content_type"], "application/pdf");
    assert_eq!(
        got[2]["attachments"][0]["content_type"],
        "application/octet-stream"
    );
    // The Cc and the Bcc copy went to user2: one copy of each message (the same address).
    let copies = read_back(&p, &p.user2, &p.password2, &t, 3).await;
    assert_eq!(copies.len(), 3);
}

#[tokio::test]
async fn a_file_over_max_size_is_refused_before_anything_is_sent() {
    let Some(p) = peers() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (small, _) = random_scan(dir.path(), "small.pdf", 1_000);
    let (big, _) = random_scan(dir.path(), "큰 스캔.pdf", 200_000);
    let from = p.user.clone();
    let args = [
        "--from",
        &from,
        "--to",
        &p.user,
        "--max-size",
        "100KB",
        "--split",
        "--json",
    ];
    let run = send(&p, endpoint(&p), &args, &[&small, &big]).await;
    assert_eq!(run.code, 20, "{}\n{}", run.stdout, run.stderr);
    let v = run.json();
    assert_eq!(v["cause"], "send.file_too_large");
    assert_eq!(v["limit"], 100_000);
    assert_eq!(v["size"], 200_000);
    assert_eq!(v["limit_from"], "flag");
    assert!(v["file"].as_str().unwrap().ends_with("큰 스캔.pdf"));
    let error = v["error"].as_str().unwrap();
    assert!(
        error.contains("200000 bytes") && error.contains("100000 bytes"),
        "{error}"
    );
    // Without --split, files that fit only apart are the other error.
    let (other, _) = random_scan(dir.path(), "other.pdf", 60_000);
    let (another, _) = random_scan(dir.path(), "another.pdf", 60_000);
    let run = send(&p, endpoint(&p), &args[..6], &[&other, &another]).await;
    assert_eq!(run.code, 21, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("--split"), "{}", run.stderr);
}

#[tokio::test]
async fn the_limit_defaults_to_the_servers_ehlo_size() {
    let Some(p) = peers() else { return };
    let dir = tempfile::tempdir().unwrap();
    // 40 MB (sparse: nothing is read) is 54 MB as base64, over Postfix's 50 MiB SIZE.
    let big = dir.path().join("sparse.pdf");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(40_000_000)
        .unwrap();
    let from = p.user.clone();
    let run = send(
        &p,
        endpoint(&p),
        &["--from", &from, "--to", &p.user, "--json"],
        &[&big],
    )
    .await;
    assert_eq!(run.code, 20, "{}\n{}", run.stdout, run.stderr);
    let v = run.json();
    assert_eq!(v["limit_from"], "server");
    assert_eq!(v["limit"], 52_428_800);
}

#[tokio::test]
async fn a_rejected_recipient_gets_checks_diagnosis_in_korean() {
    let Some(p) = peers() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (scan, _) = random_scan(dir.path(), "scan.pdf", 1_000);
    let from = p.user.clone();
    let args = ["--from", &from, "--to", &p.reject_rcpt, "--lang", "ko"];
    let run = send(&p, endpoint(&p), &args, &[&scan]).await;
    assert_eq!(run.code, 15, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("550 5.7.1"), "{}", run.stderr);
    assert!(
        run.stderr.contains("원인:") && run.stderr.contains("recipient.rejected"),
        "{}",
        run.stderr
    );
    // A wrong password: AUTH's exit status, and no password in the output.
    let mut wrong = endpoint(&p);
    let at = wrong.iter().position(|a| a == "PEER_PASSWORD").unwrap();
    wrong[at] = "WRONG_PASSWORD".into();
    wrong.extend(["--from", &from, "--to", &p.user, "--json"].map(String::from));
    wrong.push(scan.to_string_lossy().into_owned());
    let refs: Vec<&str> = wrong.iter().map(String::as_str).collect();
    let run = scanrelay(&refs, &[("WRONG_PASSWORD", "not-the-password-42")]).await;
    run.assert_no_secrets(&["not-the-password-42", &p.password]);
    assert_eq!(run.code, 14, "{}\n{}", run.stdout, run.stderr);
    assert!(run.json()["cause"].as_str().unwrap().starts_with("auth."));
}

#[tokio::test]
async fn config_sends_through_the_gateways_upstream() {
    let Some(p) = peers() else { return };
    let dir = tempfile::tempdir().unwrap();
    let pwfile = dir.path().join("upstream-password");
    std::fs::write(&pwfile, &p.password).unwrap();
    let config = dir.path().join("scanrelay.toml");
    std::fs::write(
        &config,
        format!(
            "[upstream]\nserver = \"{}\"\nport = {}\ntls = \"starttls\"\nusername = \"{}\"\npassword_file = \"{}\"\nca_file = \"{}\"\n",
            p.host,
            p.submission_port,
            p.user,
            pwfile.display(),
            p.ca.display()
        ),
    )
    .unwrap();
    let (scan, _) = random_scan(dir.path(), "설정 경유.pdf", 5_000);
    let t = token("config");
    let args: Vec<String> = [
        "send",
        "--config",
        &config.to_string_lossy(),
        "--data-dir",
        &dir.path().to_string_lossy(),
        "--from",
        &p.user,
        "--to",
        &p.user,
        "--subject",
        &t,
        "--json",
        &scan.to_string_lossy(),
    ]
    .map(String::from)
    .to_vec();
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = scanrelay(&refs, &[]).await;
    run.assert_no_secrets(&[&p.password]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.json()["server"]["port"], p.submission_port);
    let got = read_back(&p, &p.user, &p.password, &t, 1).await;
    assert_eq!(got[0]["attachments"][0]["name"], "설정 경유.pdf");
    assert_eq!(got[0]["attachments"][0]["sha256"], sha256_of(&scan));
}
