//! `report`: gathers the per-case files bench/run wrote into one results JSON and prints
//! markdown tables: the SMTP targets with scanrelay/postfix ratios where both ran, the
//! XOAUTH2/password ratios, and the Graph cases ([`crate::report_cloud`]).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::delivered::DeliveredSummary;
use crate::memwatch::MemSummary;
use crate::report_cloud::{self, GRAPH_TARGET};
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
    /// Round (1-based) of the matrix this case belongs to.
    #[serde(default)]
    pub round: u32,
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
    /// CPU used by other work on the machine just before the case, percent.
    #[serde(default)]
    pub cpu_busy_before_pct: Option<f64>,
}

/// One case in the results.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Case {
    #[serde(flatten)]
    pub meta: Meta,
    /// Peak RSS figure shown in the table.
    pub peak_rss_kib: Option<u64>,
    /// How `peak_rss_kib` was obtained.
    pub peak_rss_method: &'static str,
    /// Peak over samples of the summed proportional set size (shared pages split).
    pub peak_pss_kib: Option<u64>,
    pub send: Option<SendSummary>,
    pub delivered: Option<DeliveredSummary>,
    pub memory: Option<MemSummary>,
    /// The fake Graph's and the OAuth2 authority's counters over the case (cloud cases).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cloud: Option<serde_json::Value>,
}

/// Every round of one target x size x clients, and the round the table shows.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Group {
    pub target: String,
    pub size: String,
    pub clients: u64,
    pub rounds: usize,
    pub rounds_ok: usize,
    /// Smallest and largest accepts/s over the successful rounds.
    pub accepts_per_s_range: Option<(f64, f64)>,
    /// Smallest and largest delivered/s (first accept to last delivered) over them.
    pub delivered_per_s_range: Option<(f64, f64)>,
    /// Run id of the round with the median accepts/s (Graph: the median delivered/s, the
    /// throughput that case measures); its figures are the ones shown.
    pub median_run_id: Option<String>,
    /// Messages not accepted, not delivered or delivered altered, over all rounds.
    pub errors: u64,
    #[serde(skip)]
    pub median: Option<usize>,
    #[serde(skip)]
    pub first: usize,
}

/// scanrelay divided by postfix-relay for one size and client count (median rounds).
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
    let groups = group(&cases);
    let ratios = ratios(&cases, &groups);
    let oauth = report_cloud::oauth_ratios(&cases, &groups);
    let graph = report_cloud::graph_rows(&cases, &groups);
    let info: BTreeMap<_, _> = args.info.iter().cloned().collect();
    let results = serde_json::json!({
        "date": args.date,
        "environment": info,
        "summary": groups,
        "ratios_scanrelay_over_postfix": ratios,
        "ratios_xoauth2": oauth,
        "graph": graph,
        "cases": cases,
    });
    std::fs::write(&args.out, serde_json::to_string_pretty(&results)? + "\n")
        .with_context(|| format!("write {}", args.out.display()))?;
    print!("{}", markdown(&cases, &groups, &ratios));
    print!("{}", report_cloud::oauth_markdown(&oauth));
    print!("{}", report_cloud::graph_markdown(&graph));
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
        let (peak_rss_kib, peak_rss_method) = if meta.target.starts_with("scanrelay") {
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
            cloud: cloud_delta(&d),
            memory,
            peak_rss_kib,
            peak_rss_method,
            meta,
        });
    }
    cases.sort_by_key(|c| c.meta.order);
    Ok(cases)
}

/// The cloud's counters over a case: `cloud-after.json` minus `cloud-before.json`.
fn cloud_delta(dir: &Path) -> Option<serde_json::Value> {
    let before: serde_json::Value = read_json(&dir.join("cloud-before.json"))?;
    let after: serde_json::Value = read_json(&dir.join("cloud-after.json"))?;
    Some(report_cloud::delta(&before, &after))
}

/// Reads a JSON file; `None` if absent or unreadable (a failed case may lack some).
fn read_json<T: DeserializeOwned>(path: &Path) -> Option<T> {
    let text = std::fs::read_to_string(path).ok()?;
    serde_json::from_str(&text).ok()
}

pub(crate) fn accepts_per_s(c: &Case) -> Option<f64> {
    c.send.as_ref().map(|s| s.accepts_per_s)
}

pub(crate) fn delivered_per_s(c: &Case) -> Option<f64> {
    c.delivered.as_ref().map(|d| d.delivered_per_s)
}

fn case_errors(c: &Case) -> u64 {
    c.send.as_ref().map_or(0, |s| s.errors)
        + c.delivered
            .as_ref()
            .map_or(0, |d| (d.missing + d.corrupt) as u64)
}

/// Smallest and largest of `f` over these cases.
fn range(cases: &[Case], idx: &[usize], f: fn(&Case) -> Option<f64>) -> Option<(f64, f64)> {
    let mut v: Vec<f64> = idx.iter().filter_map(|&i| f(&cases[i])).collect();
    v.sort_by(f64::total_cmp);
    Some((*v.first()?, *v.last()?))
}

/// Groups the rounds of each target x size x clients, in order of first appearance.
pub(crate) fn group(cases: &[Case]) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    let mut members: Vec<Vec<usize>> = Vec::new();
    for (i, c) in cases.iter().enumerate() {
        let m = &c.meta;
        let pos = groups
            .iter()
            .position(|g| g.target == m.target && g.size == m.size && g.clients == m.clients);
        let pos = pos.unwrap_or_else(|| {
            groups.push(Group {
                target: m.target.clone(),
                size: m.size.clone(),
                clients: m.clients,
                rounds: 0,
                rounds_ok: 0,
                accepts_per_s_range: None,
                delivered_per_s_range: None,
                median_run_id: None,
                errors: 0,
                median: None,
                first: i,
            });
            members.push(Vec::new());
            groups.len() - 1
        });
        members[pos].push(i);
    }
    for (g, idx) in groups.iter_mut().zip(members) {
        g.rounds = idx.len();
        g.errors = idx.iter().map(|&i| case_errors(&cases[i])).sum();
        let ok_idx: Vec<usize> = idx
            .iter()
            .copied()
            .filter(|&i| cases[i].meta.status == "ok")
            .collect();
        g.accepts_per_s_range = range(cases, &ok_idx, accepts_per_s);
        g.delivered_per_s_range = range(cases, &ok_idx, delivered_per_s);
        let metric = if g.target == GRAPH_TARGET {
            delivered_per_s
        } else {
            accepts_per_s
        };
        let mut ok: Vec<(f64, usize)> = ok_idx
            .iter()
            .filter_map(|&i| Some((metric(&cases[i])?, i)))
            .collect();
        ok.sort_by(|a, b| a.0.total_cmp(&b.0));
        g.rounds_ok = ok.len();
        if !ok.is_empty() {
            let mid = ok[(ok.len() - 1) / 2].1;
            g.median = Some(mid);
            g.median_run_id = Some(cases[mid].meta.run_id.clone());
        }
    }
    groups
}

fn ratios(cases: &[Case], groups: &[Group]) -> Vec<Ratio> {
    let median = |target: &str, size: &str, clients: u64| {
        groups
            .iter()
            .find(|g| g.target == target && g.size == size && g.clients == clients)
            .and_then(|g| g.median)
            .map(|i| &cases[i])
    };
    let mut out = Vec::new();
    for g in groups.iter().filter(|g| g.target == "scanrelay") {
        let (Some(s), Some(p)) = (
            median("scanrelay", &g.size, g.clients),
            median("postfix-relay", &g.size, g.clients),
        ) else {
            continue;
        };
        out.push(ratio(s, p));
    }
    out
}

fn ratio(s: &Case, p: &Case) -> Ratio {
    let div = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => Some(round3(a / b)),
        _ => None,
    };
    let acc = |c: &Case, f: fn(&Latency) -> f64| c.send.as_ref()?.accept_latency.map(|l| f(&l));
    let up =
        |c: &Case, f: fn(&Latency) -> f64| c.delivered.as_ref()?.upstream_latency.map(|l| f(&l));
    let rss = |c: &Case| c.peak_rss_kib.map(|k| k as f64);
    let pss = |c: &Case| c.peak_pss_kib.map(|k| k as f64);
    Ratio {
        size: s.meta.size.clone(),
        clients: s.meta.clients,
        accepts_per_s: div(accepts_per_s(s), accepts_per_s(p)),
        accept_p50: div(acc(s, |l| l.p50_ms), acc(p, |l| l.p50_ms)),
        accept_p99: div(acc(s, |l| l.p99_ms), acc(p, |l| l.p99_ms)),
        upstream_p50: div(up(s, |l| l.p50_ms), up(p, |l| l.p50_ms)),
        upstream_p99: div(up(s, |l| l.p99_ms), up(p, |l| l.p99_ms)),
        peak_rss: div(rss(s), rss(p)),
        peak_pss: div(pss(s), pss(p)),
    }
}

fn markdown(cases: &[Case], groups: &[Group], ratios: &[Ratio]) -> String {
    let mut md = String::new();
    md.push_str(
        "| target | size | clients | msgs | accepts/s | accepts/s range | MB/s \
         | accept ms p50 / p95 / p99 | accept-to-upstream ms p50 / p95 / p99 / max \
         | delivered/s | peak RSS MiB | peak PSS MiB | errors |\n\
         |---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n",
    );
    for g in groups.iter().filter(|g| g.target != GRAPH_TARGET) {
        let _ = writeln!(md, "{}", group_row(cases, g));
    }
    if !ratios.is_empty() {
        md.push_str(
            "\n| size | clients | accepts/s | accept p50 | accept p99 \
             | upstream p50 | upstream p99 | peak RSS | peak PSS |\n\
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
        md.push_str("\n(ratios: scanrelay / postfix-relay, median rounds)\n");
    }
    md
}

fn group_row(cases: &[Case], g: &Group) -> String {
    let Some(c) = g.median.map(|i| &cases[i]) else {
        let m = &cases[g.first].meta;
        return format!(
            "| {} | {} | {} | {} | {}: {} | | | | | | | | |",
            m.target, m.size, m.clients, m.messages, m.status, m.note
        );
    };
    let s = c.send.as_ref();
    let acc = s.and_then(|s| s.accept_latency).map_or("-".into(), |l| {
        format!("{:.1} / {:.1} / {:.1}", l.p50_ms, l.p95_ms, l.p99_ms)
    });
    let d = c.delivered.as_ref();
    let up = d.and_then(|d| d.upstream_latency).map_or("-".into(), |l| {
        format!(
            "{:.0} / {:.0} / {:.0} / {:.0}",
            l.p50_ms, l.p95_ms, l.p99_ms, l.max_ms
        )
    });
    let range = g.accepts_per_s_range.map_or("-".into(), |(lo, hi)| {
        format!("{lo:.0}-{hi:.0} ({}/{})", g.rounds_ok, g.rounds)
    });
    format!(
        "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
        g.target,
        g.size,
        g.clients,
        s.map_or(0, |s| s.messages),
        s.map_or("-".into(), |s| format!("{:.1}", s.accepts_per_s)),
        range,
        s.map_or("-".into(), |s| format!("{:.1}", s.mb_per_s)),
        acc,
        up,
        d.map_or("-".into(), |d| format!("{:.1}", d.delivered_per_s)),
        mib(c.peak_rss_kib),
        mib(c.peak_pss_kib),
        g.errors
    )
}

pub(crate) fn mib(kib: Option<u64>) -> String {
    kib.map_or("-".into(), |k| format!("{:.1}", k as f64 / 1024.0))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::send::ConnMode;

    pub(crate) fn case(target: &str, round: u32, aps: f64, status: &str) -> Case {
        let send = SendSummary {
            label: target.into(),
            run_id: format!("{target}-r{round}"),
            server: String::new(),
            connection: ConnMode::PerClient,
            clients: 1,
            body_bytes: 100_000,
            shape: crate::message::Shape::Plain,
            attachment_bytes: None,
            attachment_fnv1a64: None,
            attempted: 10,
            messages: 10,
            bytes: 1_000_000,
            elapsed_s: 1.0,
            accepts_per_s: aps,
            mb_per_s: 1.0,
            accept_latency: None,
            errors: 0,
            error_samples: Vec::new(),
        };
        Case {
            meta: Meta {
                order: round * 2 + u32::from(target == "scanrelay"),
                round,
                target: target.into(),
                size: "100KB".into(),
                clients: 1,
                messages: 10,
                run_id: format!("{target}-r{round}"),
                status: status.into(),
                note: String::new(),
                vmhwm_kib: None,
                cpu_busy_before_pct: None,
            },
            peak_rss_kib: Some(1024),
            peak_rss_method: "",
            peak_pss_kib: Some(512),
            send: Some(send),
            delivered: None,
            memory: None,
            cloud: None,
        }
    }

    #[test]
    fn median_round_and_ratio() {
        let cases = vec![
            case("postfix-relay", 1, 100.0, "ok"),
            case("scanrelay", 1, 300.0, "ok"),
            case("postfix-relay", 2, 80.0, "ok"),
            case("scanrelay", 2, 500.0, "ok"),
            case("postfix-relay", 3, 120.0, "ok"),
            case("scanrelay", 3, 10.0, "failed"),
        ];
        let groups = group(&cases);
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[0].median_run_id.as_deref(), Some("postfix-relay-r1"));
        assert_eq!(groups[0].accepts_per_s_range, Some((80.0, 120.0)));
        // Two good rounds: the lower median.
        assert_eq!(groups[1].median_run_id.as_deref(), Some("scanrelay-r1"));
        assert_eq!((groups[1].rounds, groups[1].rounds_ok), (3, 2));
        let r = ratios(&cases, &groups);
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].accepts_per_s, Some(3.0));
        assert_eq!(r[0].peak_rss, Some(1.0));
        let md = markdown(&cases, &groups, &r);
        assert!(
            md.contains("| scanrelay | 100KB | 1 | 10 | 300.0 | 300-500 (2/3) |"),
            "{md}"
        );
    }

    #[test]
    fn skipped_target_has_a_row_and_no_ratio() {
        let mut skipped = case("scanrelay", 1, 0.0, "skipped");
        skipped.send = None;
        skipped.meta.note = "'scanrelay serve' does not exist yet".into();
        let cases = vec![case("postfix-relay", 1, 100.0, "ok"), skipped];
        let groups = group(&cases);
        assert!(ratios(&cases, &groups).is_empty());
        let md = markdown(&cases, &groups, &[]);
        assert!(
            md.contains("skipped: 'scanrelay serve' does not exist yet"),
            "{md}"
        );
    }
}
