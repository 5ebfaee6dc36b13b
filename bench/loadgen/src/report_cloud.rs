//! The report's tables for the OAuth2 cases, which use the local cloud (`scanrelay-test-cloud`):
//!
//! * `scanrelay-xoauth2` (the gateway logging in upstream with XOAUTH2) beside `scanrelay`
//!   (the same gateway with a password) and `postfix-relay`, same sizes and clients: ratios
//!   of the median rounds;
//! * `scanrelay-graph` (the gateway sending through the fake Microsoft Graph): throughput
//!   from the first accept to the last message Graph reported sent, the Graph path used,
//!   attachments verified, and peak RSS per scan size (flat in message size or not).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;
use serde_json::Value;

use crate::message::parse_size;
use crate::report::{Case, Group, accepts_per_s, delivered_per_s, mib};
use crate::stats::{Latency, round3};

/// The Graph target of bench/run.
pub const GRAPH_TARGET: &str = "scanrelay-graph";
/// The XOAUTH2 target of bench/run.
pub const XOAUTH2_TARGET: &str = "scanrelay-xoauth2";

/// `after - before` for every number of two counter snapshots (recursively); a `max_*`
/// counter is a high-water mark over the whole run, so its `after` value is kept.
pub fn delta(before: &Value, after: &Value) -> Value {
    match (before, after) {
        (Value::Object(b), Value::Object(a)) => Value::Object(
            a.iter()
                .map(|(k, av)| {
                    let v = match b.get(k) {
                        Some(_) if k.starts_with("max_") => av.clone(),
                        Some(bv) => delta(bv, av),
                        None => av.clone(),
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        (Value::Number(b), Value::Number(a)) => match (b.as_i64(), a.as_i64()) {
            (Some(b), Some(a)) => Value::from(a - b),
            _ => after.clone(),
        },
        _ => after.clone(),
    }
}

/// The median round of one target x size x clients.
fn median<'a>(
    cases: &'a [Case],
    groups: &[Group],
    target: &str,
    size: &str,
    clients: u64,
) -> Option<&'a Case> {
    let g = groups
        .iter()
        .find(|g| g.target == target && g.size == size && g.clients == clients)?;
    g.median.map(|i| &cases[i])
}

fn div(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => Some(round3(a / b)),
        _ => None,
    }
}

fn accept(c: &Case, f: fn(&Latency) -> f64) -> Option<f64> {
    c.send.as_ref()?.accept_latency.map(|l| f(&l))
}

fn upstream(c: &Case, f: fn(&Latency) -> f64) -> Option<f64> {
    c.delivered.as_ref()?.upstream_latency.map(|l| f(&l))
}

fn counter(c: &Case, path: &str) -> Option<i64> {
    c.cloud.as_ref()?.pointer(path)?.as_i64()
}

/// XOAUTH2 beside the password login, for one size and client count (median rounds).
#[derive(Debug, Clone, Serialize)]
pub struct OAuthRatio {
    size: String,
    clients: u64,
    /// XOAUTH2 / password.
    accepts_per_s: Option<f64>,
    accept_p50: Option<f64>,
    accept_p99: Option<f64>,
    upstream_p50: Option<f64>,
    upstream_p99: Option<f64>,
    delivered_per_s: Option<f64>,
    peak_rss: Option<f64>,
    /// XOAUTH2 / postfix-relay and password / postfix-relay, accepts/s.
    xoauth2_over_postfix: Option<f64>,
    password_over_postfix: Option<f64>,
    /// The XOAUTH2 case's logins checked by Dovecot at the authority (introspections) and
    /// its token refreshes, measured round included (warm-up and load).
    introspections: Option<i64>,
    refreshes: Option<i64>,
}

/// One [`OAuthRatio`] per size and client count where both gateway cases ran.
pub fn oauth_ratios(cases: &[Case], groups: &[Group]) -> Vec<OAuthRatio> {
    let mut out = Vec::new();
    for g in groups.iter().filter(|g| g.target == XOAUTH2_TARGET) {
        let at = |t: &str| median(cases, groups, t, &g.size, g.clients);
        let (Some(x), Some(p)) = (at(XOAUTH2_TARGET), at("scanrelay")) else {
            continue;
        };
        let pf = at("postfix-relay");
        let pair = |f: fn(&Case) -> Option<f64>| div(f(x), f(p));
        out.push(OAuthRatio {
            size: g.size.clone(),
            clients: g.clients,
            accepts_per_s: pair(accepts_per_s),
            accept_p50: div(accept(x, |l| l.p50_ms), accept(p, |l| l.p50_ms)),
            accept_p99: div(accept(x, |l| l.p99_ms), accept(p, |l| l.p99_ms)),
            upstream_p50: div(upstream(x, |l| l.p50_ms), upstream(p, |l| l.p50_ms)),
            upstream_p99: div(upstream(x, |l| l.p99_ms), upstream(p, |l| l.p99_ms)),
            delivered_per_s: pair(delivered_per_s),
            peak_rss: pair(|c| c.peak_rss_kib.map(|k| k as f64)),
            xoauth2_over_postfix: div(accepts_per_s(x), pf.and_then(accepts_per_s)),
            password_over_postfix: div(accepts_per_s(p), pf.and_then(accepts_per_s)),
            introspections: counter(x, "/oauth/introspections"),
            refreshes: counter(x, "/oauth/smtp_refreshes"),
        });
    }
    out
}

fn f2(x: Option<f64>) -> String {
    x.map_or("-".to_string(), |v| format!("{v:.2}"))
}

/// The XOAUTH2 ratio table (empty when there is none).
pub fn oauth_markdown(ratios: &[OAuthRatio]) -> String {
    if ratios.is_empty() {
        return String::new();
    }
    let mut md = String::from(
        "\n| size | clients | accepts/s | accept p50 | accept p99 | upstream p50 | upstream p99 \
         | delivered/s | peak RSS | accepts/s XOAUTH2 / postfix | accepts/s password / postfix \
         | logins (introspections) | token refreshes |\n\
         |---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n",
    );
    for r in ratios {
        let n = |x: Option<i64>| x.map_or("-".to_string(), |v| v.to_string());
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            r.size,
            r.clients,
            f2(r.accepts_per_s),
            f2(r.accept_p50),
            f2(r.accept_p99),
            f2(r.upstream_p50),
            f2(r.upstream_p99),
            f2(r.delivered_per_s),
            f2(r.peak_rss),
            f2(r.xoauth2_over_postfix),
            f2(r.password_over_postfix),
            n(r.introspections),
            n(r.refreshes)
        );
    }
    md.push_str(
        "\n(ratios: scanrelay-xoauth2 / scanrelay (password) unless named, median rounds)\n",
    );
    md
}

/// One Graph case (median round by scans/s).
#[derive(Debug, Clone, Serialize)]
pub struct GraphRow {
    size: String,
    clients: u64,
    rounds: String,
    scans: usize,
    /// Delivered scans / (last sent - first accept).
    scans_per_s: Option<f64>,
    scans_per_s_range: Option<(f64, f64)>,
    /// Attached file bytes (10^6) of the delivered scans over the same time.
    pdf_mb_per_s: Option<f64>,
    /// Accepted message bytes (10^6) over the same time.
    message_mb_per_s: Option<f64>,
    accepts_per_s: Option<f64>,
    upstream: Option<Latency>,
    via: BTreeMap<String, usize>,
    verified: usize,
    corrupt: usize,
    peak_rss_kib: Option<u64>,
    peak_pss_kib: Option<u64>,
    errors: u64,
    graph_requests: Option<i64>,
    upload_puts: Option<i64>,
}

/// The Graph rows, in order of first appearance.
pub fn graph_rows(cases: &[Case], groups: &[Group]) -> Vec<GraphRow> {
    groups
        .iter()
        .filter(|g| g.target == GRAPH_TARGET)
        .map(|g| {
            let c = g.median.map(|i| &cases[i]);
            let d = c.and_then(|c| c.delivered.as_ref());
            let s = c.and_then(|c| c.send.as_ref());
            let drain = d.map(|d| d.drain_s).filter(|t| *t > 0.0);
            let per_s = |bytes: Option<f64>| Some(round3(bytes? / 1e6 / drain?));
            let pdf = s.and_then(|s| s.attachment_bytes);
            GraphRow {
                size: g.size.clone(),
                clients: g.clients,
                rounds: format!("{}/{}", g.rounds_ok, g.rounds),
                scans: d.map_or(0, |d| d.delivered),
                scans_per_s: d.map(|d| d.delivered_per_s),
                scans_per_s_range: g.delivered_per_s_range,
                pdf_mb_per_s: per_s(pdf.zip(d).map(|(b, d)| (b * d.delivered as u64) as f64)),
                message_mb_per_s: per_s(s.map(|s| s.bytes as f64)),
                accepts_per_s: s.map(|s| s.accepts_per_s),
                upstream: d.and_then(|d| d.upstream_latency),
                via: d.map(|d| d.via.clone()).unwrap_or_default(),
                verified: d.map_or(0, |d| d.verified),
                corrupt: d.map_or(0, |d| d.corrupt),
                peak_rss_kib: c.and_then(|c| c.peak_rss_kib),
                peak_pss_kib: c.and_then(|c| c.peak_pss_kib),
                errors: g.errors,
                graph_requests: c.and_then(|c| counter(c, "/graph/requests")),
                upload_puts: c.and_then(|c| counter(c, "/graph/upload_puts")),
            }
        })
        .collect()
}

/// The Graph table and, per client count, peak RSS of the largest scan size over the
/// smallest (empty when there is no Graph case).
pub fn graph_markdown(rows: &[GraphRow]) -> String {
    if rows.is_empty() {
        return String::new();
    }
    let mut md = String::from(
        "\n| Graph: scan size | clients | scans | scans/s | scans/s range | scan MB/s | message MB/s \
         | accepts/s | accept-to-sent ms p50 / p95 / max | Graph path | attachments intact \
         | peak RSS MiB | peak PSS MiB | errors |\n\
         |---|--:|--:|--:|--:|--:|--:|--:|--:|---|--:|--:|--:|--:|\n",
    );
    for r in rows {
        let f1 = |x: Option<f64>| x.map_or("-".to_string(), |v| format!("{v:.1}"));
        let f = |x: Option<f64>| x.map_or("-".to_string(), |v| format!("{v:.2}"));
        let up = r.upstream.map_or("-".into(), |l| {
            format!("{:.0} / {:.0} / {:.0}", l.p50_ms, l.p95_ms, l.max_ms)
        });
        let via: Vec<String> = r.via.iter().map(|(k, n)| format!("{k} {n}")).collect();
        let range = r.scans_per_s_range.map_or("-".into(), |(lo, hi)| {
            format!("{lo:.2}-{hi:.2} ({})", r.rounds)
        });
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {}/{} | {} | {} | {} |",
            r.size,
            r.clients,
            r.scans,
            f(r.scans_per_s),
            range,
            f1(r.pdf_mb_per_s),
            f1(r.message_mb_per_s),
            f1(r.accepts_per_s),
            up,
            via.join(", "),
            r.verified - r.corrupt,
            r.verified,
            mib(r.peak_rss_kib),
            mib(r.peak_pss_kib),
            r.errors
        );
    }
    for line in rss_by_size(rows) {
        let _ = writeln!(md, "\n{line}");
    }
    md
}

/// "peak RSS, 4 clients: 30MB scans / 1MB scans = 1.02 (20.1 / 19.7 MiB)" per client count.
fn rss_by_size(rows: &[GraphRow]) -> Vec<String> {
    let mut by_clients: BTreeMap<u64, Vec<&GraphRow>> = BTreeMap::new();
    for r in rows {
        by_clients.entry(r.clients).or_default().push(r);
    }
    let mut out = Vec::new();
    for (clients, mut list) in by_clients {
        list.sort_by_key(|r| parse_size(&r.size).unwrap_or(0));
        let (Some(small), Some(large)) = (list.first(), list.last()) else {
            continue;
        };
        if small.size == large.size {
            continue;
        }
        let ratio = div(
            large.peak_rss_kib.map(|k| k as f64),
            small.peak_rss_kib.map(|k| k as f64),
        );
        out.push(format!(
            "Peak RSS (Graph), {clients} client(s): {} scans / {} scans = {} ({} / {} MiB)",
            large.size,
            small.size,
            f2(ratio),
            mib(large.peak_rss_kib),
            mib(small.peak_rss_kib)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::delivered::DeliveredSummary;
    use crate::report::tests::case;
    use serde_json::json;

    #[test]
    fn counter_delta_subtracts_and_keeps_high_water_marks() {
        let before = json!({"graph": {"messages": 3, "max_request_body": 10}, "x": "a"});
        let after = json!({"graph": {"messages": 8, "max_request_body": 12, "new": 1}, "x": "b"});
        assert_eq!(
            delta(&before, &after),
            json!({"graph": {"messages": 5, "max_request_body": 12, "new": 1}, "x": "b"})
        );
    }

    fn delivered(drain_s: f64, n: usize) -> DeliveredSummary {
        DeliveredSummary {
            run_id: String::new(),
            expected: n,
            delivered: n,
            missing: 0,
            duplicates: 0,
            verified: n,
            corrupt: 0,
            via: BTreeMap::from([("draft".to_string(), n)]),
            waited_s: 0.0,
            drain_s,
            delivered_per_s: n as f64 / drain_s,
            upstream_latency: None,
            missing_samples: Vec::new(),
        }
    }

    #[test]
    fn xoauth2_ratios_and_graph_rows() {
        let mut cases = vec![
            case("postfix-relay", 1, 100.0, "ok"),
            case("scanrelay", 1, 400.0, "ok"),
            case(XOAUTH2_TARGET, 1, 300.0, "ok"),
        ];
        cases[2].cloud = Some(json!({"oauth": {"introspections": 4, "smtp_refreshes": 1}}));
        for (size, rss, round) in [("1MB", 10_240, 1), ("30MB", 11_264, 1)] {
            let mut c = case(GRAPH_TARGET, round, 2.0, "ok");
            c.meta.size = size.into();
            c.meta.clients = 4;
            c.peak_rss_kib = Some(rss);
            c.send.as_mut().unwrap().attachment_bytes = Some(parse_size(size).unwrap());
            c.delivered = Some(delivered(2.0, 8));
            cases.push(c);
        }
        let groups = crate::report::group(&cases);
        let r = oauth_ratios(&cases, &groups);
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].accepts_per_s, Some(0.75));
        assert_eq!(r[0].xoauth2_over_postfix, Some(3.0));
        assert_eq!(r[0].password_over_postfix, Some(4.0));
        assert_eq!(r[0].introspections, Some(4));
        let rows = graph_rows(&cases, &groups);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].scans_per_s, Some(4.0));
        assert_eq!(rows[1].pdf_mb_per_s, Some(120.0), "8 x 30 MB in 2 s");
        let md = graph_markdown(&rows);
        assert!(md.contains("| 30MB | 4 | 8 | 4.00 |"), "{md}");
        assert!(md.contains("| draft 8 | 8/8 |"), "{md}");
        assert!(
            md.contains("4 client(s): 30MB scans / 1MB scans = 1.10 (11.0 / 10.0 MiB)"),
            "{md}"
        );
    }
}
