//! Commit throughput with and without group commit.
//!
//! N concurrent writers commit M messages of S bytes in total (16 KiB writes, as the listener
//! would) with each committer mode on a fresh spool, modes interleaved, R rounds; prints every
//! run and the median commits/s per mode, and how many directory fsyncs a commit cost. The numbers depend entirely on the disk's fsync latency: run
//! it on the filesystem the spool will live on (`--dir`), not on tmpfs.
//!
//! ```text
//! cargo run --release -p scanrelay-spool --example commit_bench -- \
//!     [--writers 16] [--messages 800] [--size 102400] [--rounds 3] [--dir PATH]
//! ```

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use scanrelay_spool::{Envelope, Options, Spool, SpoolStats};

struct Args {
    writers: usize,
    messages: usize,
    size: usize,
    rounds: usize,
    dir: Option<PathBuf>,
}

fn parse_args() -> Args {
    let mut args = Args {
        writers: 16,
        messages: 800,
        size: 100 * 1024,
        rounds: 3,
        dir: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        let number = || {
            value
                .parse()
                .unwrap_or_else(|_| panic!("bad {flag} {value}"))
        };
        match flag.as_str() {
            "--writers" => args.writers = number(),
            "--messages" => args.messages = number(),
            "--size" => args.size = number(),
            "--rounds" => args.rounds = number(),
            "--dir" => args.dir = Some(PathBuf::from(&value)),
            _ => panic!("unknown flag {flag}; see the example's doc comment"),
        }
    }
    args
}

fn envelope(size: u64) -> Envelope {
    Envelope {
        mail_from: "scanner@printers.example".into(),
        rcpt_to: vec!["alice@example.com".into()],
        received_at: 1_700_000_000,
        client_addr: "192.0.2.7:51234".into(),
        helo: "mfp-3f".into(),
        auth_user: Some("scanner".into()),
        size,
        route: None,
        tls: None,
    }
}

/// Run one mode on a fresh spool in `dir`; returns the elapsed time and the spool's counters.
async fn run(dir: &Path, options: Options, args: &Args) -> (Duration, SpoolStats) {
    let spool = Spool::open_with(dir, options).await.expect("open spool");
    let body: Arc<Vec<u8>> = Arc::new((0..args.size).map(|i| b'a' + (i % 26) as u8).collect());
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let writers: Vec<_> = (0..args.writers)
        .map(|_| {
            let (spool, body, next, total) =
                (spool.clone(), body.clone(), next.clone(), args.messages);
            tokio::spawn(async move {
                while next.fetch_add(1, Ordering::Relaxed) < total {
                    let mut incoming = spool.begin().await.expect("begin");
                    for chunk in body.chunks(16 * 1024) {
                        incoming.write(chunk).await.expect("write");
                    }
                    incoming
                        .commit(envelope(body.len() as u64))
                        .await
                        .expect("commit");
                }
            })
        })
        .collect();
    for writer in writers {
        writer.await.expect("writer task");
    }
    (start.elapsed(), spool.stats())
}

#[tokio::main]
async fn main() {
    let args = parse_args();
    let base = match &args.dir {
        Some(dir) => tempfile::tempdir_in(dir),
        None => tempfile::tempdir(),
    }
    .expect("create benchmark directory");
    println!(
        "{} writers, {} messages of {} bytes, spool under {}",
        args.writers,
        args.messages,
        args.size,
        base.path().display()
    );
    let modes = [
        ("per-commit fsync ", false, Duration::ZERO),
        ("group commit     ", true, Duration::ZERO),
        ("group commit +1ms", true, Duration::from_millis(1)),
    ];
    let mut rates = vec![Vec::new(); modes.len()];
    for round in 0..args.rounds {
        for (i, &(name, group_commit, group_window)) in modes.iter().enumerate() {
            let dir = base.path().join(format!("r{round}m{i}"));
            let options = Options {
                group_commit,
                group_window,
            };
            let (elapsed, stats) = run(&dir, options, &args).await;
            let (secs, commits) = (elapsed.as_secs_f64(), stats.commits as f64);
            rates[i].push(commits / secs);
            println!(
                "{name}: {:7.0} commits/s {:6.1} MB/s {:5.2} dir fsyncs/commit ({commits} in {secs:.2} s)",
                commits / secs,
                commits * args.size as f64 / secs / 1e6,
                stats.dir_fsyncs as f64 / commits,
            );
            std::fs::remove_dir_all(&dir).expect("clean up");
        }
    }
    for ((name, ..), mut rate) in modes.iter().zip(rates) {
        rate.sort_by(f64::total_cmp);
        println!("median {name}: {:7.0} commits/s", rate[rate.len() / 2]);
    }
}
