//! `scanrelay fetch` against the real Dovecot peer (issue 9, items 3 and 6): POP3S and STLS,
//! a second fetch that gets nothing, hostile messages, Korean names checked against Python's
//! `email` package, a kill -9 during a fetch, and `--delete` only after a message is saved.

use std::path::Path;

use serde_json::Value;

use crate::fetch_support::{Account, MAILBOX, account, files_in, lf, messages_in, with_attachment};

fn saved(json: &Value) -> &Vec<Value> {
    json["saved"].as_array().expect("saved is an array")
}

#[tokio::test]
async fn pop3s_then_stls_fetch_each_message_once() {
    let Some(acct) = account() else { return };
    let _guard = MAILBOX.lock().await;
    acct.empty();
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("out");
    let raw: Vec<Vec<u8>> = (1..=3)
        .map(|i| {
            with_attachment(
                &format!("scan {i}"),
                &format!("filename=\"scan-{i}.pdf\""),
                format!("%PDF-{i}").as_bytes(),
            )
        })
        .collect();
    for r in &raw {
        acct.deliver(r);
    }
    let first = acct.fetch(true, &out, &[]).await;
    assert_eq!(first.code, 0, "{}\n{}", first.stdout, first.stderr);
    let json = first.json();
    assert_eq!(json["on_server"], 3);
    assert_eq!(saved(&json).len(), 3);
    let mut got: Vec<Vec<u8>> = messages_in(&out)
        .iter()
        .map(|p| lf(&std::fs::read(p).unwrap()))
        .collect();
    got.sort();
    let mut want = raw.clone();
    want.sort();
    assert_eq!(got, want, "the saved messages are the delivered bytes");
    assert_eq!(files_in(&out), ["scan-1.pdf", "scan-2.pdf", "scan-3.pdf"]);
    assert_eq!(std::fs::read(out.join("scan-2.pdf")).unwrap(), b"%PDF-2");
    // Over STLS, the same mailbox: nothing new.
    let second = acct.fetch(false, &out, &[]).await;
    assert_eq!(second.code, 0, "{}", second.stderr);
    let json = second.json();
    assert_eq!(saved(&json).len(), 0, "{json}");
    assert_eq!(json["already_saved"], 3);
    assert_eq!(json["tls"], "starttls");
    // One more message: only it is fetched.
    acct.deliver(&with_attachment(
        "scan 4",
        "filename=\"scan-4.pdf\"",
        b"%PDF-4",
    ));
    let third = acct.fetch(false, &out, &[]).await;
    let json = third.json();
    assert_eq!(saved(&json).len(), 1, "{json}");
    assert_eq!(saved(&json)[0]["attachments"][0], "scan-4.pdf");
    assert_eq!(messages_in(&out).len(), 4);
    assert_eq!(
        acct.count(),
        4,
        "without --delete nothing is removed from the server"
    );
}

#[tokio::test]
async fn hostile_messages_stay_inside_the_output_directory() {
    let Some(acct) = account() else { return };
    let _guard = MAILBOX.lock().await;
    acct.empty();
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("a").join("out");
    deliver_hostile(&acct);
    let run = acct.fetch(true, &out, &[]).await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(saved(&run.json()).len(), 8);
    check_hostile_results(tmp.path(), &out);
}

/// Traversal and absolute names, control and bidi characters, `..`, the same name twice, a
/// 1 MB header line and a missing boundary.
fn deliver_hostile(acct: &Account) {
    acct.deliver(&with_attachment(
        "traversal",
        "filename=\"../../etc/passwd\"",
        b"root:x:0:0",
    ));
    acct.deliver(&with_attachment(
        "abs",
        "filename=\"/tmp/evil.sh\"",
        b"#!/bin/sh",
    ));
    acct.deliver(&with_attachment(
        "ctl",
        "filename=\"a\\\\b\tc\u{202e}fdp.exe\"",
        b"MZ",
    ));
    acct.deliver(&with_attachment("dots", "filename=\"..\"", b"dots"));
    acct.deliver(&with_attachment("same 1", "filename=\"scan.pdf\"", b"one"));
    acct.deliver(&with_attachment("same 2", "filename=\"scan.pdf\"", b"two"));
    let long = format!(
        "From: a@example.test\nX-Long: {}\nSubject: long header\n\nbody\n",
        "x".repeat(1024 * 1024)
    );
    acct.deliver(long.as_bytes());
    let no_boundary = "From: a@example.test\nSubject: no boundary\nMIME-Version: 1.0\n\
                       Content-Type: multipart/mixed; boundary=\"never\"\n\n\
                       --other\nContent-Type: text/plain\n\nhello\n"
        .to_string();
    acct.deliver(no_boundary.as_bytes());
}

fn check_hostile_results(tmp: &Path, out: &Path) {
    // Nothing was created beside or above --out.
    let above: Vec<_> = std::fs::read_dir(tmp.join("a")).unwrap().collect();
    assert_eq!(above.len(), 1, "only out/ under its parent");
    assert!(
        !Path::new("/tmp/evil.sh").exists()
            || std::fs::read("/tmp/evil.sh").unwrap() != b"#!/bin/sh"
    );
    let names = files_in(out);
    // `a\b<TAB>c<RLO>fdp.exe`: the path part goes, the tab becomes `_`, the RLO goes.
    assert_has_all(
        &names,
        &[
            "passwd",
            "evil.sh",
            "scan.pdf",
            "scan (2).pdf",
            "b_cfdp.exe",
        ],
    );
    assert_eq!(std::fs::read(out.join("passwd")).unwrap(), b"root:x:0:0");
    let mut pair = [
        std::fs::read(out.join("scan.pdf")).unwrap(),
        std::fs::read(out.join("scan (2).pdf")).unwrap(),
    ];
    pair.sort();
    assert_eq!(pair, [b"one".to_vec(), b"two".to_vec()], "no overwrite");
    for name in &names {
        assert!(
            !name.chars().any(char::is_control),
            "control character in {name:?}"
        );
        assert!(
            !name.contains('\u{202e}') && !name.starts_with('.'),
            "{name:?}"
        );
    }
    assert!(
        names.iter().any(|n| n.starts_with("attachment-")),
        "`..` gets a fallback name: {names:?}"
    );
    let sizes: Vec<u64> = messages_in(out)
        .iter()
        .map(|p| std::fs::metadata(p).unwrap().len())
        .collect();
    assert!(
        sizes.iter().any(|&s| s > 1024 * 1024),
        "the 1 MB header line is kept: {sizes:?}"
    );
}

/// The names Python's `email` package finds in the messages of `out` (the test oracle).
fn python_names(out: &Path) -> Vec<String> {
    let script = r#"
import email, email.policy, pathlib, sys
names = []
for p in sorted(pathlib.Path(sys.argv[1]).glob("*.eml")):
    m = email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
    names += [a.get_filename() for a in m.iter_attachments()]
print("\n".join(sorted(names)))
"#;
    let output = std::process::Command::new("python3")
        .args(["-c", script])
        .arg(out.join("messages"))
        .output()
        .expect("python3");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

#[tokio::test]
async fn korean_attachment_names_match_pythons_email_package() {
    let Some(acct) = account() else { return };
    let _guard = MAILBOX.lock().await;
    acct.empty();
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("out");
    let forms = [
        // RFC 2231 continuations, charset on section 0 only (mail-parser gets these wrong).
        "filename*0*=euc-kr''%BD%BA%C4%B5; filename*1*=%20%B9%AE%BC%AD.pdf",
        // A UTF-8 character split across sections.
        "filename*0*=utf-8''%EC%8A%A4%EC; filename*1*=%BA%94%20%EB%B3%B4%EA%B3%A0%EC%84%9C.pdf",
        // A quoted section after an encoded one.
        "filename*0*=UTF-8''%ED%8C%A9%EC%8A%A4; filename*1=\"_2026.tif\"",
        // RFC 2231 in one piece.
        "filename*=UTF-8''%EA%B2%AC%EC%A0%81%EC%84%9C.pdf",
        // RFC 2047 in a quoted string (what many mailers send).
        "filename=\"=?UTF-8?B?7KCV7IKw7IScLnBkZg==?=\"",
        "filename=\"=?EUC-KR?B?vLyx3bDou+q8rS5wZGY=?=\"",
    ];
    for (i, form) in forms.iter().enumerate() {
        acct.deliver(&with_attachment(&format!("korean {i}"), form, b"data"));
    }
    let run = acct.fetch(true, &out, &[]).await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let ours = files_in(&out);
    let oracle = python_names(&out);
    assert_eq!(ours, oracle, "our names vs Python's email package");
    assert_has_all(
        &ours,
        &[
            "스캔 문서.pdf",
            "스캔 보고서.pdf",
            "팩스_2026.tif",
            "견적서.pdf",
            "정산서.pdf",
            "세금계산서.pdf",
        ],
    );
}

/// Every name in `want` is among the saved `names`.
#[track_caller]
fn assert_has_all(names: &[String], want: &[&str]) {
    for want in want {
        assert!(
            names.iter().any(|n| n == want),
            "{want} missing from {names:?}"
        );
    }
}

/// Fills the mailbox with `n` messages, each with attachment `scan-NNN.pdf`.
fn fill(acct: &Account, n: usize) {
    let pad = "x".repeat(20_000);
    for i in 0..n {
        let disposition = format!("filename=\"scan-{i:03}.pdf\"");
        acct.deliver(&with_attachment(
            &format!("bulk {i} {pad}"),
            &disposition,
            pad.as_bytes(),
        ));
    }
}

#[tokio::test]
async fn a_kill_during_a_fetch_loses_nothing_and_the_rerun_gets_each_message_once() {
    let Some(acct) = account() else { return };
    let _guard = MAILBOX.lock().await;
    acct.empty();
    const N: usize = 150;
    fill(&acct, N);
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("out");
    let mut args = vec!["fetch".to_string()];
    args.extend(acct.endpoint_args(true));
    args.extend(["--out".to_string(), out.display().to_string()]);
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_scanrelay"))
        .args(&args)
        .env(crate::fetch_support::PASSWORD_VAR, &acct.password)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn fetch");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while messages_in(&out).len() < 20 {
        assert!(
            std::time::Instant::now() < deadline,
            "the fetch made no progress"
        );
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    child.start_kill().expect("kill -9");
    let status = child.wait().await.expect("wait");
    assert!(
        status.code().is_none(),
        "killed by a signal, not finished: {status:?}"
    );
    let before = messages_in(&out).len();
    assert!(before < N, "killed in the middle ({before} of {N} saved)");
    let rerun = acct.fetch(true, &out, &[]).await;
    assert_eq!(rerun.code, 0, "{}\n{}", rerun.stdout, rerun.stderr);
    let json = rerun.json();
    let total = saved(&json).len() + json["already_saved"].as_u64().unwrap() as usize;
    assert_eq!(total, N);
    assert_eq!(
        messages_in(&out).len(),
        N,
        "every message saved exactly once"
    );
    let names = files_in(&out);
    for i in 0..N {
        assert!(
            names.contains(&format!("scan-{i:03}.pdf")),
            "scan-{i:03}.pdf missing"
        );
    }
    let duplicates = names.iter().filter(|n| n.contains(" (2)")).count();
    assert!(
        duplicates <= 1,
        "at most the message in flight is extracted twice: {duplicates}"
    );
    assert_eq!(names.len(), N + duplicates);
    let again = acct.fetch(true, &out, &[]).await;
    assert_eq!(saved(&again.json()).len(), 0, "a second fetch gets nothing");
    assert_eq!(acct.count(), N);
}

#[tokio::test]
async fn delete_removes_only_messages_already_saved() {
    let Some(acct) = account() else { return };
    let _guard = MAILBOX.lock().await;
    acct.empty();
    for i in 1..=3 {
        acct.deliver(&with_attachment(
            &format!("del {i}"),
            &format!("filename=\"del-{i}.pdf\""),
            b"d",
        ));
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    // Learn the unique ids without deleting.
    let probe = acct.fetch(true, &tmp.path().join("probe"), &[]).await;
    let uids: Vec<String> = saved(&probe.json())
        .iter()
        .map(|s| s["file"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(uids.len(), 3);
    // The second message cannot be saved: its file name is taken by a directory.
    let out = tmp.path().join("out");
    std::fs::create_dir_all(out.join(&uids[1])).expect("obstacle");
    let failed = acct.fetch(true, &out, &["--delete"]).await;
    assert_eq!(
        failed.code, 1,
        "a local failure: {}\n{}",
        failed.stdout, failed.stderr
    );
    assert_eq!(failed.json()["ok"], false);
    assert_eq!(
        acct.count(),
        3,
        "no QUIT after a failure, so not even the saved one is deleted"
    );
    std::fs::remove_dir(out.join(&uids[1])).expect("remove obstacle");
    let done = acct.fetch(true, &out, &["--delete"]).await;
    assert_eq!(done.code, 0, "{}\n{}", done.stdout, done.stderr);
    let json = done.json();
    assert_eq!(json["deleted"], 3);
    assert_eq!(
        json["already_saved"], 1,
        "the first message was saved by the failed run"
    );
    assert_eq!(acct.count(), 0);
    assert_eq!(messages_in(&out).len(), 3);
    assert_eq!(files_in(&out), ["del-1.pdf", "del-2.pdf", "del-3.pdf"]);
}

#[tokio::test]
async fn tls_none_is_plain_text_and_usage_errors_are_json() {
    let Some(acct) = account() else { return };
    let _guard = MAILBOX.lock().await;
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("out");
    // --tls none is honoured (Dovecot allows clear text on loopback); without it, the same
    // port is STLS (see the first test: `"tls": "starttls"`).
    let mut args = vec!["fetch".to_string()];
    args.extend(acct.endpoint_args(false));
    let tls = args.iter().position(|a| a == "starttls").unwrap();
    args[tls] = "none".into();
    args.extend(["--out".into(), out.display().to_string(), "--json".into()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = crate::scanrelay(
        &args,
        &[(crate::fetch_support::PASSWORD_VAR, &acct.password)],
    )
    .await;
    run.assert_no_secrets(&[&acct.password]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.json()["tls"], "none");
    // No --out: a usage error, one JSON object, exit 2.
    let run = crate::scanrelay(
        &[
            "fetch",
            "--server",
            "localhost",
            "--user",
            "u",
            "--password-env",
            "X",
            "--json",
        ],
        &[],
    )
    .await;
    assert_eq!(run.code, 2);
    assert_eq!(run.json()["ok"], false);
    let run = crate::scanrelay(
        &[
            "fetch",
            "--server",
            "localhost",
            "--user",
            "u",
            "--password-env",
            "UNSET_VAR_9",
            "--out",
            "/nonexistent-x",
            "--json",
        ],
        &[],
    )
    .await;
    assert_eq!(run.code, 2);
    assert!(
        run.json()["error"]
            .as_str()
            .unwrap()
            .contains("UNSET_VAR_9")
    );
}

#[tokio::test]
async fn watch_fetches_each_new_message_in_the_next_round() {
    use tokio::io::AsyncBufReadExt as _;
    let Some(acct) = account() else { return };
    let _guard = MAILBOX.lock().await;
    acct.empty();
    acct.deliver(&with_attachment("w1", "filename=\"w-1.pdf\"", b"1"));
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("out");
    let mut args = vec!["fetch".to_string()];
    args.extend(acct.endpoint_args(false));
    args.extend(["--out".into(), out.display().to_string(), "--json".into()]);
    args.extend(["--watch".into(), "1".into()]);
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_scanrelay"))
        .args(&args)
        .env(crate::fetch_support::PASSWORD_VAR, &acct.password)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn fetch --watch");
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let mut next = async || -> Value {
        let line = tokio::time::timeout(std::time::Duration::from_secs(20), lines.next_line())
            .await
            .expect("a round within 20 s")
            .expect("read")
            .expect("a line");
        serde_json::from_str(&line).expect("one JSON object per line")
    };
    let first = next().await;
    assert_eq!(saved(&first).len(), 1, "{first}");
    acct.deliver(&with_attachment("w2", "filename=\"w-2.pdf\"", b"2"));
    let mut rounds = 1;
    loop {
        let round = next().await;
        rounds += 1;
        if !saved(&round).is_empty() {
            assert_eq!(saved(&round)[0]["attachments"][0], "w-2.pdf");
            assert_eq!(round["already_saved"], 1);
            break;
        }
        assert!(rounds < 10, "the new message never came");
    }
    child.start_kill().expect("stop");
    assert_eq!(files_in(&out), ["w-1.pdf", "w-2.pdf"]);
}
