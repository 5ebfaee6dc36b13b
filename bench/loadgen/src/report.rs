//! `report`: gathers the per-case files bench/run wrote into one results JSON and prints a
//! markdown table, with scanrelay/postfix ratios where both targets ran.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::delivered::DeliveredSummary;
use crate::memwatch::MemSummary;
use crate::send::SendSummary;
use crate::stats::{Latency, round3};

/// Arguments of `report`.
#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// Directory with one subdirectory per case (meta.json, send.json, delivered.json, mem.json).
    #[arg(long)]
    pub cases: PathBuf,
    /// Results file to write.
    #[arg(long)]
    pub out: PathBuf,
    /// Date of the run (goes into the results).
    #[arg(long)]
    pub date: String,
    /// Extra facts about the run, KEY=VALUE (repeatable).
    #[arg(long = "info", value_parser = parse_kv)]
    pub info: Vec<(String, String)>,
}

fn parse_kv(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .ok_or_else(|| format!("expected KEY=VALUE, got {s:?}"))
}

/// What bench/run knows about a case before measuring.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Meta {
    /// Position in the run.
    pub order: u32,
    /// postfix-relay or scanrelay.
    pub target: String,
    /// Body size as given (100KB, 10MB).
    pub size: String,
    /// Concurrent clients.
    pub clients: u64,
    /// Messages sent in total.
    pub messages: u64,
    /// Run id.
    pub run_id: String,
    /// ok, failed or skipped.
    pub status: String,
    /// Why skipped or failed.
    #[serde(default)]
    pub note: String,
    /// VmHWM of the scanrelay serve process after the case.
    #[serde(default)]
    pub vmhwm_kib: Option<u64>,
}

/// One case in the results.
#[derive(Debug, Clone, Serialize)]
struct Case {
    #[serde(flatten)]
    meta: Meta,
    /// Peak RSS figure shown in the table.
    peak_rss_kib: Option<u64>,
    /// How `peak_rss_kib` was obtained.
    peak_rss_method: &'static str,
    /// Peak over samples of the summed proportional set size (shared pages split).
    peak_pss_kib: Option<u64>,
    send: Option<SendSummary>,
    delivered: Option<DeliveredSummary>,
    memory: Option<MemSummary>,
}

/// scanrelay divided by postfix-relay for one size and client count.
#[derive(Debug, Clone, Serialize)]
struct Ratio {
    size: String,
    clients: u64,
    accepts_per_s: Option<f64>,
    accept_p50: Option<f64>,
    accept_p99: Option<f64>,
    upstream_p50: Option<f64>,
    upstream_p99: Option<f64>,
    peak_rss: Option<f64>,
    peak_pss: Option<f64>,
}

/// Runs `report`.
pub fn run(args: &ReportArgs) -> Result<()> {
    let cases = load_cases(&args.cases)?;
    let ratios = ratios(&cases);
    let info: BTreeMap<_, _> = args.info.iter().cloned().collect();
    let results = serde_json::json!({
        "date": args.date,
        "environment": info,
        "cases": cases,
        "ratios_scanrelay_over_postfix": ratios,
    });
    std::fs::write(&args.out, serde_json::to_string_pretty(&results)? + "\n")
        .with_context(|| format!("write {}", args.out.display()))?;
    print!("{}", markdown(&cases, &ratios));
    Ok(())
}

fn load_cases(dir: &Path) -> Result<Vec<Case>> {
    let mut cases = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("read {}", dir.display()))? {
        let d = entry?.path();
        let Some(meta) = read_json::<Meta>(&d.join("meta.json")) else {
            continue;
        };
        let memory: Option<MemSummary> = read_json(&d.join("mem.json"));
        let (peak_rss_kib, peak_rss_method) = if meta.target == "scanrelay" {
            let hwm = meta.vmhwm_kib.or(memory.as_ref().map(|m| m.hwm_sum_kib));
            (hwm, "VmHWM of the scanrelay serve process")
        } else {
            let hwm = memory.as_ref().map(|m| m.hwm_sum_kib);
            (
                hwm,
                "sum of VmHWM over the relay's smtpd, cleanup, qmgr, smtp processes",
            )
        };
        cases.push(Case {
            peak_pss_kib: memory.as_ref().map(|m| m.peak_pss_sum_kib),
            send: read_json(&d.join("send.json")),
            delivered: read_json(&d.join("delivered.json")),
            memory,
            peak_rss_kib,
            peak_rss_method,
            meta,
        });
    }
    cases.sort_by_key(|c| c.meta.order);
    Ok(cases)
}

/// Reads a JSON file; `None` if absent or unreadable (a failed case may lack some).
fn read_json<T: DeserializeOwned>(path: &Path) -> Option<T> {
    let text = std::fs::read_to_string(path).ok()?;
    serde_json::from_str(&text).ok()
}

fn ratios(cases: &[Case]) -> Vec<Ratio> {
    let ok = |target: &str, c: &Case| c.meta.target == target && c.meta.status == "ok";
    let mut out = Vec::new();
    for s in cases.iter().filter(|c| ok("scanrelay", c)) {
        let Some(p) = cases.iter().find(|p| {
            ok("postfix-relay", p) && p.meta.size == s.meta.size && p.meta.clients == s.meta.clients
        }) else {
            continue;
        };
        let div = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(a), Some(b)) if b > 0.0 => Some(round3(a / b)),
            _ => None,
        };
        let acc = |c: &Case, f: fn(&Latency) -> f64| c.send.as_ref()?.accept_latency.map(|l| f(&l));
        let up = |c: &Case, f: fn(&Latency) -> f64| {
            c.delivered.as_ref()?.upstream_latency.map(|l| f(&l))
        };
        let aps = |c: &Case| c.send.as_ref().map(|x| x.accepts_per_s);
        let rss = |c: &Case| c.peak_rss_kib.map(|k| k as f64);
        let pss = |c: &Case| c.peak_pss_kib.map(|k| k as f64);
        out.push(Ratio {
            size: s.meta.size.clone(),
            clients: s.meta.clients,
            accepts_per_s: div(aps(s), aps(p)),
            accept_p50: div(acc(s, |l| l.p50_ms), acc(p, |l| l.p50_ms)),
            accept_p99: div(acc(s, |l| l.p99_ms), acc(p, |l| l.p99_ms)),
            upstream_p50: div(up(s, |l| l.p50_ms), up(p, |l| l.p50_ms)),
            upstream_p99: div(up(s, |l| l.p99_ms), up(p, |l| l.p99_ms)),
            peak_rss: div(rss(s), rss(p)),
            peak_pss: div(pss(s), pss(p)),
        });
    }
    out
}

fn markdown(cases: &[Case], ratios: &[Ratio]) -> String {
    let mut md = String::new();
    md.push_str(
        "| target | size | clients | msgs | accepts/s | MB/s | accept ms p50 / p95 / p99 \
         | accept-to-upstream ms p50 / p95 / p99 / max | peak RSS MiB | peak PSS MiB | errors |\n\
         |---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n",
    );
    for c in cases {
        let _ = writeln!(md, "{}", case_row(c));
    }
    if !ratios.is_empty() {
        md.push_str(
            "\n| size | clients | accepts/s ratio | accept p50 ratio | accept p99 ratio \
             | upstream p50 ratio | upstream p99 ratio | peak RSS ratio | peak PSS ratio |\n\
             |---|--:|--:|--:|--:|--:|--:|--:|--:|\n",
        );
        for r in ratios {
            let f = |x: Option<f64>| x.map_or("-".to_string(), |v| format!("{v:.2}"));
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                r.size,
                r.clients,
                f(r.accepts_per_s),
                f(r.accept_p50),
                f(r.accept_p99),
                f(r.upstream_p50),
                f(r.upstream_p99),
                f(r.peak_rss),
                f(r.peak_pss)
            );
        }
        md.push_str("\n(ratios are scanrelay / postfix-relay)\n");
    }
    md
}

fn case_row(c: &Case) -> String {
    let m = &c.meta;
    if m.status != "ok" && c.send.is_none() {
        return format!(
            "| {} | {} | {} | {} | {}: {} | | | | | | |",
            m.target, m.size, m.clients, m.messages, m.status, m.note
        );
    }
    let s = c.send.as_ref();
    let acc = s.and_then(|s| s.accept_latency).map_or("-".into(), |l| {
        format!("{:.1} / {:.1} / {:.1}", l.p50_ms, l.p95_ms, l.p99_ms)
    });
    let up = c
        .delivered
        .as_ref()
        .and_then(|d| d.upstream_latency)
        .map_or("-".into(), |l| {
            format!(
                "{:.0} / {:.0} / {:.0} / {:.0}",
                l.p50_ms, l.p95_ms, l.p99_ms, l.max_ms
            )
        });
    let errors = s.map_or(0, |s| s.errors) + c.delivered.as_ref().map_or(0, |d| d.missing as u64);
    format!(
        "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
        m.target,
        m.size,
        m.clients,
        s.map_or(0, |s| s.messages),
        s.map_or("-".into(), |s| format!("{:.1}", s.accepts_per_s)),
        s.map_or("-".into(), |s| format!("{:.1}", s.mb_per_s)),
        acc,
        up,
        mib(c.peak_rss_kib),
        mib(c.peak_pss_kib),
        errors
    )
}

fn mib(kib: Option<u64>) -> String {
    kib.map_or("-".into(), |k| format!("{:.1}", k as f64 / 1024.0))
}
