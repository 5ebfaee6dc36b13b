//! `kill -9` while committing: every acknowledged message survives, nothing partial shows.
//!
//! The test re-executes its own binary (`std::env::current_exe`) running only
//! [`crash_writer_helper`], selected by an environment variable. That child commits messages
//! from several tasks and prints each id only after `commit` returned, i.e. exactly when the
//! gateway would answer `250`. The parent SIGKILLs it mid-stream, reopens the spool and checks.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use scanrelay_spool::{MessageId, Spool, State};

use crate::common::{assert_consistent, body, envelope, read_body, tag, write_chunks};

const DIR_VAR: &str = "SCANRELAY_SPOOL_CRASH_DIR";
const ROUND_VAR: &str = "SCANRELAY_SPOOL_CRASH_ROUND";
const WRITERS: u64 = 4;

/// Message `n` as the child writes it: 0–150 KB.
fn message(n: u64) -> Vec<u8> {
    body(n, (n as usize).wrapping_mul(7919) % 150_000)
}

/// Child mode: commit messages until killed (or a safety limit is reached).
#[test]
fn crash_writer_helper() {
    let Ok(dir) = std::env::var(DIR_VAR) else {
        return; // an ordinary test run: nothing to do
    };
    let round: u64 = std::env::var(ROUND_VAR).unwrap().parse().unwrap();
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(write_until_killed(Path::new(&dir), round));
}

async fn write_until_killed(dir: &Path, round: u64) {
    let spool = Spool::open(dir).await.unwrap();
    let next = Arc::new(AtomicU64::new(round * 1_000_000));
    let deadline = Instant::now() + Duration::from_secs(60);
    let tasks: Vec<_> = (0..WRITERS)
        .map(|_| {
            let (spool, next) = (spool.clone(), next.clone());
            tokio::spawn(async move {
                while Instant::now() < deadline {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    let data = message(n);
                    let mut incoming = spool.begin().await.unwrap();
                    write_chunks(&mut incoming, &data, 8 * 1024).await.unwrap();
                    let id = incoming
                        .commit(envelope(n, data.len() as u64))
                        .await
                        .unwrap();
                    println!("COMMITTED {id} {n}");
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
}

/// Run one child, kill it after `kill_after` acknowledgements; returns every acknowledged id.
fn run_child(dir: &Path, round: u64, kill_after: usize) -> BTreeMap<MessageId, u64> {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "crash::crash_writer_helper",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(DIR_VAR, dir)
        .env(ROUND_VAR, round.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut acked = BTreeMap::new();
    let mut killed = false;
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        let Some(rest) = line.strip_prefix("COMMITTED ") else {
            continue;
        };
        let (id, n) = rest.split_once(' ').unwrap();
        acked.insert(id.parse().unwrap(), n.parse().unwrap());
        if !killed && acked.len() >= kill_after {
            child.kill().unwrap(); // SIGKILL; lines already in the pipe are still read
            killed = true;
        }
    }
    let status = child.wait().unwrap();
    assert!(
        killed,
        "child stopped after {} messages: {status}",
        acked.len()
    );
    assert_eq!(
        status.signal(),
        Some(9),
        "child was not killed by SIGKILL: {status}"
    );
    acked
}

#[test]
fn kill_9_loses_no_acknowledged_message() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mut known: BTreeMap<MessageId, u64> = BTreeMap::new();
    for round in 1..=3 {
        let acked = run_child(dir.path(), round, 10 + 7 * round as usize);
        known.extend(acked.clone());
        let extra = runtime.block_on(verify(dir.path(), &known));
        // Committed but killed before printing: at most one per writer.
        assert!(
            extra.len() as u64 <= WRITERS,
            "unexpected extra messages: {extra:?}"
        );
        known.extend(extra);
    }
}

/// Reopen and check: every acknowledged id present with the right body, every listed message
/// complete, no partial files. Returns the messages committed but never acknowledged.
async fn verify(dir: &Path, known: &BTreeMap<MessageId, u64>) -> BTreeMap<MessageId, u64> {
    let spool = Spool::open(dir).await.unwrap();
    assert!(
        spool.recovery().performed,
        "the killed child still holds the lock?"
    );
    let report = spool.recovery();
    assert!(report.corrupt.is_empty());
    println!(
        "recovered {} messages; removed {} partial and {} orphan files",
        report.messages, report.removed_partial, report.removed_orphans
    );
    let entries = spool.list().await.unwrap();
    let mut extra = BTreeMap::new();
    for entry in &entries {
        let n = tag(&entry.envelope);
        assert_eq!(entry.delivery.state, State::Queued);
        let expected = message(n);
        assert_eq!(entry.body_len, expected.len() as u64, "{}", entry.id);
        assert!(
            read_body(&spool, &entry.id).await == expected,
            "{}",
            entry.id
        );
        match known.get(&entry.id) {
            Some(&k) => assert_eq!(k, n),
            None => drop(extra.insert(entry.id.clone(), n)),
        }
    }
    let listed: Vec<&MessageId> = entries.iter().map(|e| &e.id).collect();
    for id in known.keys() {
        assert!(
            listed.binary_search(&id).is_ok(),
            "acknowledged message {id} lost"
        );
    }
    assert_consistent(dir);
    extra
}
