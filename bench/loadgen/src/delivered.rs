//! `delivered`: waits until every message of a run is upstream, then computes accept-to-upstream
//! latency per message. Upstream is either the recipient's Maildir (the delivered file's mtime
//! minus the accept time) or, for the Graph cases, the sent log of the benchmark's fake Graph
//! (`--graph-sent-log`: the time it reported the message sent minus the accept time; each
//! scan's attachment is checked against `send`'s summary, see [`crate::graph_sent`]).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use crate::graph_sent;
use crate::message::BENCH_ID_HEADER;
use crate::send::{AcceptRecord, unix_ns};
use crate::stats::{Latency, round3, summarize_ns};

/// Header bytes read at most per delivered file (Received: lines come first).
const MAX_HEADER_BYTES: u64 = 256 * 1024;

/// Arguments of `delivered`.
#[derive(Debug, clap::Args)]
pub struct DeliveredArgs {
    /// Maildir root: `<root>/<domain>/<local part>/{new,cur}`.
    #[arg(long, required_unless_present = "graph_sent_log", requires = "user")]
    pub maildir_root: Option<PathBuf>,
    /// Recipient address whose Maildir to watch.
    #[arg(long)]
    pub user: Option<String>,
    /// Instead of a Maildir: the sent log of scanrelay-test-cloud (one JSON line per message
    /// the fake Graph sent).
    #[arg(long, conflicts_with = "maildir_root")]
    pub graph_sent_log: Option<PathBuf>,
    /// `send`'s JSON summary: with --graph-sent-log, each sent scan's attachment must have
    /// the size and fingerprint it records (--shape scan).
    #[arg(long, requires = "graph_sent_log")]
    pub send_summary: Option<PathBuf>,
    /// Run id given to `send`.
    #[arg(long)]
    pub run_id: String,
    /// Accept log written by `send`.
    #[arg(long)]
    pub accept_log: PathBuf,
    /// Give up after this many seconds.
    #[arg(long, default_value_t = 300)]
    pub timeout_secs: u64,
    /// Poll interval, milliseconds.
    #[arg(long, default_value_t = 100)]
    pub poll_ms: u64,
    /// Delete the run's delivered files afterwards (keeps the disk from filling up).
    #[arg(long)]
    pub remove: bool,
}

/// The JSON summary `delivered` prints.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeliveredSummary {
    /// --run-id.
    pub run_id: String,
    /// Messages accepted by the server under test (lines of the accept log).
    pub expected: usize,
    /// Of those, found in the Maildir.
    pub delivered: usize,
    /// Accepted but not found before the timeout.
    pub missing: usize,
    /// Extra copies of a message (same X-Bench-Id twice).
    pub duplicates: usize,
    /// --graph-sent-log with --send-summary: delivered scans whose attachment was checked.
    #[serde(default)]
    pub verified: usize,
    /// Of those, scans whose attachment differed (size, fingerprint or count).
    #[serde(default)]
    pub corrupt: usize,
    /// --graph-sent-log: how many were sent by each Graph path (`sendMail`, `draft`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub via: BTreeMap<String, usize>,
    /// Seconds spent waiting after the accept log was read.
    pub waited_s: f64,
    /// First accept to last delivered mtime, seconds.
    pub drain_s: f64,
    /// Delivered messages per second over `drain_s`.
    pub delivered_per_s: f64,
    /// Delivered mtime minus accept time.
    pub upstream_latency: Option<Latency>,
    /// A few missing ids.
    pub missing_samples: Vec<String>,
}

/// Runs `delivered` and prints the summary as JSON; fails if messages are missing.
pub fn run(args: &DeliveredArgs) -> Result<()> {
    let accepts = read_accept_log(&args.accept_log)?;
    let started = Instant::now();
    let (found, checks) = match (&args.graph_sent_log, &args.maildir_root, &args.user) {
        (Some(log), _, _) => {
            let expect = graph_sent::expectation(args.send_summary.as_deref())?;
            let mut checks = graph_sent::Checks::default();
            let found = poll_until(&accepts, args, |found| {
                graph_sent::scan(log, &args.run_id, &expect, found, &mut checks)
            })?;
            (found, checks)
        }
        (None, Some(root), Some(user)) => {
            let dir = maildir_of(root, user)?;
            let mut seen = HashSet::new();
            let found = poll_until(&accepts, args, |found| {
                for sub in ["new", "cur"] {
                    scan(&dir.join(sub), &args.run_id, &mut seen, found)?;
                }
                Ok(())
            })?;
            (found, graph_sent::Checks::default())
        }
        _ => bail!("give --maildir-root and --user, or --graph-sent-log"),
    };
    let mut summary = summarize(args, &accepts, &found, started.elapsed());
    (summary.verified, summary.corrupt, summary.via) =
        (checks.verified, checks.corrupt, checks.via);
    if args.remove {
        for path in found.values().flatten().filter_map(|f| f.path.as_ref()) {
            let _ = std::fs::remove_file(path);
        }
    }
    println!("{}", serde_json::to_string_pretty(&summary)?);
    if summary.missing > 0 {
        bail!(
            "{} of {} messages not delivered",
            summary.missing,
            summary.expected
        );
    }
    if summary.corrupt > 0 {
        bail!(
            "{} of {} checked scans arrived with a different attachment",
            summary.corrupt,
            summary.verified
        );
    }
    Ok(())
}

fn read_accept_log(path: &Path) -> Result<HashMap<String, AcceptRecord>> {
    let file = File::open(path).with_context(|| format!("open {}", path.display()))?;
    let mut map = HashMap::new();
    for line in BufReader::new(file).lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let rec: AcceptRecord = serde_json::from_str(&line)
            .with_context(|| format!("{}: bad line {line:?}", path.display()))?;
        map.insert(rec.id.clone(), rec);
    }
    Ok(map)
}

/// `<root>/<domain>/<local part>` of `user@domain`.
fn maildir_of(root: &Path, user: &str) -> Result<PathBuf> {
    let (local, domain) = user
        .rsplit_once('@')
        .with_context(|| format!("--user {user:?} is not an address"))?;
    Ok(root.join(domain).join(local))
}

/// A delivered copy of a message of the run.
#[derive(Debug, Clone)]
pub(crate) struct Delivered {
    /// The Maildir file (none for Graph).
    pub path: Option<PathBuf>,
    /// When it arrived upstream: the file's mtime, or when Graph sent it; unix nanoseconds.
    pub mtime_ns: u64,
}

/// What has arrived so far: per message id, its copies.
pub(crate) type Found = HashMap<String, Vec<Delivered>>;

/// Calls `look` (which adds what arrived since its last call) until every accepted id is
/// present or the timeout passes.
fn poll_until(
    accepts: &HashMap<String, AcceptRecord>,
    args: &DeliveredArgs,
    mut look: impl FnMut(&mut Found) -> Result<()>,
) -> Result<Found> {
    let deadline = Instant::now() + Duration::from_secs(args.timeout_secs);
    let mut found = Found::new();
    loop {
        look(&mut found)?;
        let complete = accepts.keys().all(|id| found.contains_key(id));
        if complete || Instant::now() >= deadline {
            return Ok(found);
        }
        std::thread::sleep(Duration::from_millis(args.poll_ms));
    }
}

/// Reads the bench id of every file of `dir` not seen before.
fn scan(
    dir: &Path,
    run_id: &str,
    seen: &mut HashSet<PathBuf>,
    found: &mut HashMap<String, Vec<Delivered>>,
) -> Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e).with_context(|| format!("read {}", dir.display())),
    };
    for entry in entries {
        let path = entry?.path();
        if seen.contains(&path) {
            continue;
        }
        // A file may move from new/ to cur/ or vanish between listing and opening: an error
        // leaves it unseen, to be looked at again.
        let id = match bench_id(&path) {
            Ok(id) => id,
            Err(_) => continue,
        };
        seen.insert(path.clone());
        let Some(id) = id.filter(|id| is_of_run(id, run_id)) else {
            continue;
        };
        let Ok(meta) = std::fs::metadata(&path) else {
            continue;
        };
        let mtime_ns = unix_ns(meta.modified()?);
        found.entry(id).or_default().push(Delivered {
            path: Some(path),
            mtime_ns,
        });
    }
    Ok(())
}

/// True for `<run_id>-<digits>`.
pub(crate) fn is_of_run(id: &str, run_id: &str) -> bool {
    id.strip_prefix(run_id)
        .and_then(|rest| rest.strip_prefix('-'))
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// The `X-Bench-Id` header value of a message file, reading only its header.
fn bench_id(path: &Path) -> Result<Option<String>> {
    let file = File::open(path)?;
    let mut reader = BufReader::new(std::io::Read::take(file, MAX_HEADER_BYTES));
    let mut line = String::new();
    let prefix = format!("{}:", BENCH_ID_HEADER.to_ascii_lowercase());
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Ok(None);
        }
        let trimmed = line.trim_end_matches(['\r', '\n']);
        if trimmed.is_empty() {
            return Ok(None);
        }
        let head = trimmed.get(..prefix.len());
        if head.is_some_and(|h| h.eq_ignore_ascii_case(&prefix)) {
            return Ok(Some(trimmed[prefix.len()..].trim().to_string()));
        }
    }
}

fn summarize(
    args: &DeliveredArgs,
    accepts: &HashMap<String, AcceptRecord>,
    found: &HashMap<String, Vec<Delivered>>,
    waited: Duration,
) -> DeliveredSummary {
    let mut latencies = Vec::new();
    let mut missing = Vec::new();
    let mut last_mtime = 0u64;
    for (id, acc) in accepts {
        match found
            .get(id)
            .and_then(|v| v.iter().map(|d| d.mtime_ns).min())
        {
            Some(mtime) => {
                latencies.push(i128::from(mtime) - i128::from(acc.accept_unix_ns));
                last_mtime = last_mtime.max(mtime);
            }
            None => missing.push(id.clone()),
        }
    }
    missing.sort();
    let first_accept = accepts
        .values()
        .map(|a| a.accept_unix_ns)
        .min()
        .unwrap_or(0);
    let drain_s = if latencies.is_empty() {
        0.0
    } else {
        (i128::from(last_mtime) - i128::from(first_accept)).max(0) as f64 / 1e9
    };
    let duplicates = found.values().map(|v| v.len().saturating_sub(1)).sum();
    DeliveredSummary {
        run_id: args.run_id.clone(),
        expected: accepts.len(),
        delivered: latencies.len(),
        missing: missing.len(),
        duplicates,
        verified: 0,
        corrupt: 0,
        via: BTreeMap::new(),
        waited_s: round3(waited.as_secs_f64()),
        drain_s: round3(drain_s),
        delivered_per_s: round3(latencies.len() as f64 / drain_s.max(1e-9)),
        upstream_latency: summarize_ns(&latencies),
        missing_samples: missing.into_iter().take(10).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_membership_is_exact() {
        assert!(is_of_run("r-c3-12", "r-c3"));
        assert!(!is_of_run("r-c32-12", "r-c3"));
        assert!(!is_of_run("r-c3-", "r-c3"));
        assert!(!is_of_run("r-c3-x1", "r-c3"));
    }

    #[test]
    fn reads_the_header_only() {
        let dir = std::env::temp_dir().join(format!("loadgen-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("m1");
        std::fs::write(
            &f,
            "Received: x\r\nx-bench-id:  r1-5 \r\n\r\nX-Bench-Id: no\r\n",
        )
        .unwrap();
        assert_eq!(bench_id(&f).unwrap().as_deref(), Some("r1-5"));
        std::fs::write(&f, "Subject: a\r\n\r\nX-Bench-Id: body\r\n").unwrap();
        assert_eq!(bench_id(&f).unwrap(), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn maildir_path() {
        let p = maildir_of(Path::new("/m"), "scanner@example.test").unwrap();
        assert_eq!(p, Path::new("/m/example.test/scanner"));
        assert!(maildir_of(Path::new("/m"), "nobody").is_err());
    }
}
