//! The human report of a check, in English or Korean: every step with its time and lines, the
//! TLS facts, the verdict with its fix.

use std::fmt::Write as _;

use scanrelay_client::{Facts, StepName, TlsInfo, TlsMode};
use scanrelay_diagnose::{Cause, Lang};

use super::labels::{Labels, labels, mode_label, pad, step_label};
use super::translate::translate;
use crate::{Outcome, Plan};

/// The report for people, not yet scrubbed. In Korean every label and client message is
/// Korean; protocol lines and values are not translated.
pub(super) fn report(plan: &Plan, outcome: &Outcome) -> String {
    let lang = plan.lang;
    let l = labels(lang);
    let c = &plan.client;
    let mut out = String::new();
    let mode = mode_label(c.tls, lang);
    let _ = writeln!(out, "{} - {}:{} ({mode})", l.title, c.host, c.port);
    for w in &outcome.warnings {
        let text = if lang == Lang::Ko { &w.ko } else { &w.en };
        let _ = writeln!(out, "{}: {text}", l.warning);
    }
    let _ = writeln!(out);
    render_steps(&mut out, &outcome.facts, lang);
    if let Some(answer) = &outcome.http_answer {
        let _ = writeln!(out, "  {} {answer}", l.http_answer);
    }
    render_tls(&mut out, plan, &outcome.facts, l);
    let _ = writeln!(out);
    if outcome.cause == Cause::Ok {
        let _ = writeln!(out, "{}", l.verdict_ok);
        if outcome.sent_test {
            let _ = writeln!(out, "{} {}", l.sent_test, plan.to.as_deref().unwrap_or(""));
        }
        let _ = writeln!(out, "{}", outcome.advice.summary);
        if outcome.trusted_only_with_ca_file == Some(true) {
            let _ = writeln!(out, "{}", l.ca_file_only);
        }
    } else {
        let _ = writeln!(out, "{} [{}]", l.verdict_fail, outcome.cause);
        let _ = writeln!(out, "{}", outcome.advice.summary);
        if let Some(e) = &outcome.error {
            let _ = writeln!(out, "  ({})", translate(&e.to_string(), lang));
        }
        let _ = writeln!(out, "{}: {}", l.fix, outcome.advice.fix);
    }
    out
}

fn render_steps(out: &mut String, facts: &Facts, lang: Lang) {
    let l = labels(lang);
    // Wide enough for the longest step name (Korean labels are wider).
    let width = if lang == Lang::Ko { 13 } else { 11 };
    for s in &facts.steps {
        let status = if s.ok { l.ok } else { l.fail };
        let name = step_label(s.step, lang);
        let _ = write!(
            out,
            "  {} {} {:>9.1} ms",
            pad(name, width),
            pad(status, 5),
            s.ms
        );
        match &s.note {
            Some(note) => {
                let _ = writeln!(out, "  {}", translate(note, lang));
            }
            None => {
                let _ = writeln!(out);
            }
        }
        for line in &s.exchange {
            let _ = writeln!(out, "      {line}");
        }
    }
}

/// The TLS summary: the session's version, cipher and verdict, or why there is none.
fn render_tls(out: &mut String, plan: &Plan, facts: &Facts, l: &Labels) {
    let Some(tls) = &facts.tls else {
        let connected = facts
            .steps
            .iter()
            .any(|s| s.step == StepName::Connect && s.ok);
        if connected {
            let why = match plan.client.tls {
                TlsMode::None => l.not_encrypted,
                _ => l.not_started,
            };
            let _ = writeln!(out, "\n{}: {why}", l.tls);
        }
        return;
    };
    let verdict = if tls.verified {
        l.verified
    } else {
        l.not_verified
    };
    match (&tls.version, tls.chain.is_empty()) {
        (None, true) => {
            let _ = writeln!(out, "\n{}: {}", l.tls, l.no_session);
        }
        (None, false) => {
            let _ = writeln!(
                out,
                "\n{}: {} - {verdict} ({})",
                l.tls, l.not_completed, tls.server_name
            );
        }
        (Some(version), _) => {
            let cipher = tls.cipher.as_deref().unwrap_or("-");
            let _ = writeln!(
                out,
                "\n{}: {version} {cipher} - {verdict} ({})",
                l.tls, tls.server_name
            );
        }
    }
    render_chain(out, tls, plan.lang);
}

fn render_chain(out: &mut String, tls: &TlsInfo, lang: Lang) {
    let l = labels(lang);
    if let Some(e) = &tls.verify_error {
        let _ = writeln!(out, "  {}{}", l.verify_error, translate(e, lang));
    }
    for (i, cert) in tls.chain.iter().enumerate() {
        let _ = writeln!(out, "  {} #{i}: {}", l.cert, cert.subject);
        let _ = writeln!(out, "      {} {}", pad(l.issuer, 7), cert.issuer);
        if !cert.sans.is_empty() {
            let _ = writeln!(out, "      {} {}", pad(l.names, 7), cert.sans.join(", "));
        }
        let _ = writeln!(
            out,
            "      {} {} .. {}",
            pad(l.valid, 7),
            cert.not_before,
            cert.not_after
        );
    }
}
