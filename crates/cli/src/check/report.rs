//! Rendering a check: the human report (English or Korean) and the JSON object.

use std::fmt::Write as _;

use serde_json::{Value, json};

use scanrelay_client::{Facts, TlsInfo};
use scanrelay_diagnose::{Cause, Lang};

use super::{Outcome, Plan};

struct Labels {
    title: &'static str,
    tls: &'static str,
    verified: &'static str,
    not_verified: &'static str,
    cert: &'static str,
    ok: &'static str,
    fail: &'static str,
    verdict_ok: &'static str,
    verdict_fail: &'static str,
    fix: &'static str,
    warning: &'static str,
    sent_test: &'static str,
}

const EN: Labels = Labels {
    title: "SMTP connection check",
    tls: "TLS",
    verified: "certificate verified",
    not_verified: "certificate NOT verified",
    cert: "certificate",
    ok: "ok",
    fail: "FAIL",
    verdict_ok: "Result: OK",
    verdict_fail: "Result: FAILED",
    fix: "Fix",
    warning: "Warning",
    sent_test: "A test message was sent to",
};

const KO: Labels = Labels {
    title: "SMTP 연결확인",
    tls: "TLS",
    verified: "인증서 검증됨",
    not_verified: "인증서 검증 실패",
    cert: "인증서",
    ok: "성공",
    fail: "실패",
    verdict_ok: "결과: 성공",
    verdict_fail: "결과: 실패",
    fix: "해결 방법",
    warning: "주의",
    sent_test: "테스트 메일을 보냈습니다:",
};

fn labels(lang: Lang) -> &'static Labels {
    match lang {
        Lang::Ko => &KO,
        Lang::En => &EN,
    }
}

/// The report for people: every step with its time and lines, the TLS facts, the verdict.
pub fn render_human(plan: &Plan, outcome: &Outcome) -> String {
    let l = labels(plan.lang);
    let c = &plan.client;
    let mut out = String::new();
    let _ = writeln!(out, "{} - {}:{} ({})", l.title, c.host, c.port, c.tls);
    for w in &plan.warnings {
        let text = if plan.lang == Lang::Ko { &w.ko } else { &w.en };
        let _ = writeln!(out, "{}: {text}", l.warning);
    }
    let _ = writeln!(out);
    render_steps(&mut out, &outcome.facts, l);
    if let Some(tls) = &outcome.facts.tls {
        render_tls(&mut out, tls, l);
    }
    let _ = writeln!(out);
    if outcome.cause == Cause::Ok {
        let _ = writeln!(out, "{}", l.verdict_ok);
        if outcome.sent_test {
            let _ = writeln!(out, "{} {}", l.sent_test, plan.to.as_deref().unwrap_or(""));
        }
        let _ = writeln!(out, "{}", outcome.advice.summary);
    } else {
        let _ = writeln!(out, "{} [{}]", l.verdict_fail, outcome.cause);
        let _ = writeln!(out, "{}", outcome.advice.summary);
        if let Some(e) = &outcome.error {
            let _ = writeln!(out, "  ({e})");
        }
        let _ = writeln!(out, "{}: {}", l.fix, outcome.advice.fix);
    }
    out
}

fn render_steps(out: &mut String, facts: &Facts, l: &Labels) {
    for s in &facts.steps {
        let status = if s.ok { l.ok } else { l.fail };
        let _ = write!(
            out,
            "  {:<11} {:<5} {:>9.1} ms",
            s.step.as_str(),
            status,
            s.ms
        );
        match &s.note {
            Some(note) => {
                let _ = writeln!(out, "  {note}");
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

fn render_tls(out: &mut String, tls: &TlsInfo, l: &Labels) {
    let verdict = if tls.verified {
        l.verified
    } else {
        l.not_verified
    };
    let _ = writeln!(
        out,
        "\n{}: {} {} - {verdict} ({})",
        l.tls,
        tls.version.as_deref().unwrap_or("-"),
        tls.cipher.as_deref().unwrap_or("-"),
        tls.server_name
    );
    if let Some(e) = &tls.verify_error {
        let _ = writeln!(out, "  {e}");
    }
    for (i, cert) in tls.chain.iter().enumerate() {
        let _ = writeln!(out, "  {} #{i}: {}", l.cert, cert.subject);
        let _ = writeln!(out, "      issuer: {}", cert.issuer);
        if !cert.sans.is_empty() {
            let _ = writeln!(out, "      names:  {}", cert.sans.join(", "));
        }
        let _ = writeln!(
            out,
            "      valid:  {} .. {}",
            cert.not_before, cert.not_after
        );
    }
}

/// The JSON object printed by `--json`.
pub fn render_json(plan: &Plan, outcome: &Outcome) -> Value {
    let facts = &outcome.facts;
    let ok = outcome.cause == Cause::Ok;
    let steps: Vec<Value> = facts
        .steps
        .iter()
        .map(|s| {
            json!({"step": s.step.as_str(), "ok": s.ok, "ms": s.ms, "sent": s.sent,
                   "received": s.received, "note": s.note})
        })
        .collect();
    let server = json!({
        "banner": facts.banner.as_ref().map(|b| b.wire_lines().join("\n")).unwrap_or_default(),
        "capabilities": facts.ehlo.as_ref().map(|e| e.capability_lines()).unwrap_or_default(),
        "auth_mechanisms": facts.ehlo.as_ref().map(|e| e.auth_mechanism_names()).unwrap_or_default(),
        "size_limit": facts.ehlo.as_ref().and_then(|e| e.size_limit()),
    });
    let warnings: Vec<&str> = plan
        .warnings
        .iter()
        .map(|w| {
            if plan.lang == Lang::Ko {
                w.ko.as_str()
            } else {
                w.en.as_str()
            }
        })
        .collect();
    json!({
        "ok": ok,
        "cause": if ok { Value::Null } else { json!(outcome.cause.as_str()) },
        "summary": outcome.advice.summary,
        "fix": if ok { String::new() } else { outcome.advice.fix.clone() },
        "error": outcome.error.as_ref().map(|e| e.to_string()),
        "provider": outcome.provider.map(|p| p.id),
        "endpoint": {"host": plan.client.host, "port": plan.client.port, "tls": plan.client.tls.as_str()},
        "steps": steps,
        "tls": facts.tls.as_ref().map(|t| serde_json::to_value(t).unwrap_or(Value::Null)),
        "server": server,
        "warnings": warnings,
        "sent_test": outcome.sent_test,
    })
}
