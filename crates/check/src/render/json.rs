//! The JSON object of a check (`scanrelay check --json`): stable English keys and cause codes;
//! the summary, fix and warnings in the plan's language.

use serde_json::{Value, json};

use scanrelay_diagnose::{Cause, Lang};

use crate::{Outcome, Plan};

/// The JSON object, not yet scrubbed.
pub(super) fn object(plan: &Plan, outcome: &Outcome) -> Value {
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
    let warnings: Vec<&str> = outcome
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
        "http_answer": outcome.http_answer,
        "trusted_only_with_ca_file": outcome.trusted_only_with_ca_file,
    })
}
