//! `memwatch`: samples the memory of a process (scanrelay) or of every process of a process
//! group (a Postfix instance) from /proc until SIGTERM/SIGINT or a time limit, then writes
//! peak figures as JSON.
//!
//! Per sample it reads VmRSS and VmHWM from /proc/PID/status and Pss from
//! /proc/PID/smaps_rollup. Reported: the peak over samples of the summed RSS and PSS of the
//! selected processes, and the sum over every selected process ever seen of its VmHWM (its own
//! peak, kept after it exits). For one process the VmHWM figure is exact; sums over many
//! processes are bounds: RSS counts shared pages once per process, PSS splits them.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use tokio::signal::unix::{SignalKind, signal};

/// Arguments of `memwatch`.
#[derive(Debug, clap::Args)]
pub struct MemwatchArgs {
    /// Watch every process of this process group.
    #[arg(long, conflicts_with = "pid")]
    pub pgid: Option<u32>,
    /// Watch this one process.
    #[arg(long)]
    pub pid: Option<u32>,
    /// Only processes with these names (/proc/PID/comm) count; empty: all.
    #[arg(long, value_delimiter = ',')]
    pub names: Vec<String>,
    /// Sampling interval, milliseconds.
    #[arg(long, default_value_t = 200)]
    pub interval_ms: u64,
    /// Stop by itself after this many seconds.
    #[arg(long, default_value_t = 1800)]
    pub max_secs: u64,
    /// Where to write the JSON result.
    #[arg(long)]
    pub out: PathBuf,
}

/// One process at one moment.
#[derive(Debug, Clone)]
struct ProcSample {
    pid: u32,
    name: String,
    rss_kib: u64,
    hwm_kib: u64,
    pss_kib: u64,
}

/// Per process name: how many processes, their VmHWM.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct NameStats {
    /// Processes of this name seen.
    pub processes: usize,
    /// Sum of their VmHWM.
    pub hwm_sum_kib: u64,
    /// Largest VmHWM among them.
    pub hwm_max_kib: u64,
}

/// The JSON `memwatch` writes.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct MemSummary {
    /// "pid N" or "pgid N".
    pub watched: String,
    /// Name filter (empty: every process).
    pub names: Vec<String>,
    /// Samples taken.
    pub samples: u64,
    /// Sampling interval.
    pub interval_ms: u64,
    /// Peak over samples of the summed VmRSS of the selected processes.
    pub peak_rss_sum_kib: u64,
    /// Peak over samples of the summed Pss of the selected processes.
    pub peak_pss_sum_kib: u64,
    /// Sum over selected processes ever seen of their VmHWM.
    pub hwm_sum_kib: u64,
    /// Peak over samples of the summed VmRSS of every watched process (no name filter).
    pub peak_rss_sum_all_kib: u64,
    /// Most selected processes alive at once.
    pub peak_processes: usize,
    /// VmHWM by process name.
    pub by_name: BTreeMap<String, NameStats>,
}

/// Runs `memwatch` until SIGTERM, SIGINT or --max-secs.
pub fn run(args: &MemwatchArgs) -> Result<()> {
    if args.pgid.is_none() && args.pid.is_none() {
        bail!("give --pgid or --pid");
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let summary = rt.block_on(watch(args))?;
    let tmp = args.out.with_extension("tmp");
    std::fs::write(&tmp, serde_json::to_string_pretty(&summary)?)
        .with_context(|| format!("write {}", tmp.display()))?;
    std::fs::rename(&tmp, &args.out).with_context(|| format!("write {}", args.out.display()))
}

async fn watch(args: &MemwatchArgs) -> Result<MemSummary> {
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let mut tick = tokio::time::interval(Duration::from_millis(args.interval_ms.max(10)));
    let stop = tokio::time::sleep(Duration::from_secs(args.max_secs));
    tokio::pin!(stop);
    let mut acc = Accumulator::default();
    loop {
        tokio::select! {
            _ = tick.tick() => acc.add(&sample(args), &args.names),
            _ = term.recv() => break,
            _ = int.recv() => break,
            () = &mut stop => break,
        }
    }
    // A last look, so a process's final VmHWM is in.
    acc.add(&sample(args), &args.names);
    let watched = match (args.pid, args.pgid) {
        (Some(p), _) => format!("pid {p}"),
        (None, Some(g)) => format!("pgid {g}"),
        (None, None) => String::new(),
    };
    Ok(acc.finish(watched, args))
}

/// Running maxima over the samples.
#[derive(Default)]
struct Accumulator {
    samples: u64,
    peak_rss: u64,
    peak_pss: u64,
    peak_rss_all: u64,
    peak_processes: usize,
    hwm: HashMap<u32, (String, u64)>,
}

impl Accumulator {
    fn add(&mut self, procs: &[ProcSample], names: &[String]) {
        self.samples += 1;
        let selected: Vec<&ProcSample> = procs
            .iter()
            .filter(|p| names.is_empty() || names.contains(&p.name))
            .collect();
        self.peak_rss = self.peak_rss.max(selected.iter().map(|p| p.rss_kib).sum());
        self.peak_pss = self.peak_pss.max(selected.iter().map(|p| p.pss_kib).sum());
        self.peak_rss_all = self.peak_rss_all.max(procs.iter().map(|p| p.rss_kib).sum());
        self.peak_processes = self.peak_processes.max(selected.len());
        for p in selected {
            let e = self.hwm.entry(p.pid).or_insert_with(|| (p.name.clone(), 0));
            e.1 = e.1.max(p.hwm_kib);
        }
    }

    fn finish(self, watched: String, args: &MemwatchArgs) -> MemSummary {
        let mut by_name: BTreeMap<String, NameStats> = BTreeMap::new();
        for (name, hwm) in self.hwm.values() {
            let s = by_name.entry(name.clone()).or_default();
            s.processes += 1;
            s.hwm_sum_kib += hwm;
            s.hwm_max_kib = s.hwm_max_kib.max(*hwm);
        }
        MemSummary {
            watched,
            names: args.names.clone(),
            samples: self.samples,
            interval_ms: args.interval_ms,
            peak_rss_sum_kib: self.peak_rss,
            peak_pss_sum_kib: self.peak_pss,
            hwm_sum_kib: self.hwm.values().map(|(_, h)| h).sum(),
            peak_rss_sum_all_kib: self.peak_rss_all,
            peak_processes: self.peak_processes,
            by_name,
        }
    }
}

/// Samples the watched processes (those that vanish meanwhile are skipped).
fn sample(args: &MemwatchArgs) -> Vec<ProcSample> {
    let pids = match (args.pid, args.pgid) {
        (Some(p), _) => vec![p],
        (None, Some(g)) => group_members(g),
        (None, None) => Vec::new(),
    };
    pids.into_iter().filter_map(read_proc).collect()
}

/// PIDs whose process group is `pgid`.
fn group_members(pgid: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| pgid_of(pid) == Some(pgid))
        .collect()
}

/// The process group of `pid`, from /proc/PID/stat (fields after the parenthesized comm).
fn pgid_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_stat_pgid(&stat)
}

fn parse_stat_pgid(stat: &str) -> Option<u32> {
    let after = &stat[stat.rfind(')')? + 1..];
    // state ppid pgrp ...
    after.split_whitespace().nth(2)?.parse().ok()
}

fn read_proc(pid: u32) -> Option<ProcSample> {
    let dir = PathBuf::from(format!("/proc/{pid}"));
    let status = std::fs::read_to_string(dir.join("status")).ok()?;
    // Zombies and kernel threads have no VmRSS line.
    let rss_kib = kib_field(&status, "VmRSS:")?;
    Some(ProcSample {
        pid,
        name: status_field(&status, "Name:")?.to_string(),
        rss_kib,
        hwm_kib: kib_field(&status, "VmHWM:").unwrap_or(rss_kib),
        pss_kib: pss_of(&dir).unwrap_or(rss_kib),
    })
}

fn pss_of(dir: &Path) -> Option<u64> {
    let rollup = std::fs::read_to_string(dir.join("smaps_rollup")).ok()?;
    kib_field(&rollup, "Pss:")
}

fn status_field<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    text.lines()
        .find_map(|l| l.strip_prefix(key))
        .map(str::trim)
}

/// "VmRSS:     1234 kB" -> 1234.
fn kib_field(text: &str, key: &str) -> Option<u64> {
    status_field(text, key)?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_proc_files() {
        let stat = "123 (cleanup (x)) S 1 77 77 0 -1 4194560";
        assert_eq!(parse_stat_pgid(stat), Some(77));
        let status = "Name:\tsmtpd\nVmHWM:\t    5120 kB\nVmRSS:\t    4096 kB\n";
        assert_eq!(status_field(status, "Name:"), Some("smtpd"));
        assert_eq!(kib_field(status, "VmRSS:"), Some(4096));
        assert_eq!(kib_field(status, "VmHWM:"), Some(5120));
        assert_eq!(kib_field(status, "Pss:"), None);
    }

    #[test]
    fn sees_itself() {
        let me = read_proc(std::process::id()).expect("own /proc entry");
        assert!(me.rss_kib > 0 && me.hwm_kib >= me.rss_kib);
    }

    #[test]
    fn accumulates_peaks_and_filters_names() {
        let p = |pid, name: &str, rss| ProcSample {
            pid,
            name: name.into(),
            rss_kib: rss,
            hwm_kib: rss + 1,
            pss_kib: rss / 2,
        };
        let names = vec!["smtpd".to_string()];
        let mut acc = Accumulator::default();
        acc.add(&[p(1, "smtpd", 10), p(2, "master", 100)], &names);
        acc.add(&[p(3, "smtpd", 20), p(4, "smtpd", 30)], &names);
        assert_eq!(
            (acc.peak_rss, acc.peak_pss, acc.peak_rss_all),
            (50, 25, 110)
        );
        let hwm: u64 = acc.hwm.values().map(|(_, h)| h).sum();
        assert_eq!(hwm, 11 + 21 + 31);
    }
}
