//! `scanrelay explain`: classify a pasted SMTP reply, OAuth2 sign-in error or Microsoft
//! Graph error.

use std::io::Read as _;

use anyhow::{Context, Result, bail};
use serde_json::json;

use scanrelay_diagnose::{
    Advice, Cause, Explanation, Lang, Service, ServiceError, Stage, advise, explain, provider,
};

use crate::args::ExplainArgs;
use crate::check::plan::lang;

/// Runs `explain`; exit status 0 when a reply or an OAuth2 / Graph error was recognised, 1
/// when nothing in the input looks like one.
pub fn run(args: &ExplainArgs) -> Result<u8> {
    match explain_input(args) {
        Err(e) if args.json => {
            let v = json!({"ok": false, "cause": null, "summary": format!("{e:#}"), "fix": "",
                           "transient": null, "code": null, "enhanced": null, "service": null,
                           "provider": null, "error": format!("{e:#}")});
            outln!("{}", serde_json::to_string_pretty(&v)?);
            eprintln!("scanrelay: error: {e:#}");
            Ok(2)
        }
        other => other,
    }
}

fn explain_input(args: &ExplainArgs) -> Result<u8> {
    let input = if args.reply.is_empty() || args.reply == ["-"] {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .context("failed to read the reply from standard input")?;
        s
    } else {
        args.reply.join(" ")
    };
    let stage: Option<Stage> = match &args.stage {
        Some(s) => Some(s.parse().map_err(|e| anyhow::anyhow!("--stage: {e}"))?),
        None => None,
    };
    let given = match &args.provider {
        Some(name) => Some(provider(name).with_context(|| format!("unknown provider `{name}`"))?),
        None => None,
    };
    if input.trim().is_empty() {
        bail!("no reply given: pass it as arguments or on standard input");
    }
    let lang = lang(args.lang);
    let found = explain(&input, stage, given);
    let advice = advise(found.cause, found.provider, lang);
    if args.json {
        print_json(&found, &advice)?;
    } else {
        print_text(&found, &advice, lang);
    }
    Ok(if found.recognised() { 0 } else { 1 })
}

fn print_json(found: &Explanation, advice: &Advice) -> Result<()> {
    let facts = found.facts.as_ref();
    let v = json!({
        "cause": found.cause.as_str(),
        "summary": advice.summary,
        "fix": advice.fix,
        "transient": found.cause.is_transient(),
        "code": facts.map(|f| f.code),
        "enhanced": facts.and_then(|f| f.enhanced.clone()),
        "service": found.service,
        "provider": found.provider.map(|p| p.id),
    });
    outln!("{}", serde_json::to_string_pretty(&v)?);
    Ok(())
}

fn print_text(found: &Explanation, advice: &Advice, lang: Lang) {
    match (&found.facts, &found.service) {
        (Some(f), _) => {
            let enhanced = f.enhanced.as_deref().unwrap_or("-");
            outln!("{} {enhanced}  [{}]", f.code, found.cause);
        }
        (None, Some(s)) => outln!("{}  [{}]", service_line(s), found.cause),
        (None, None) => outln!("[{}]", found.cause),
    }
    if let Some(p) = found.provider {
        outln!("{}", p.name);
    }
    outln!("{}", advice.summary);
    if found.cause != Cause::Ok {
        let label = if lang == Lang::Ko {
            "해결 방법"
        } else {
            "Fix"
        };
        outln!("{label}: {}", advice.fix);
    }
}

/// `OAuth2 400 invalid_grant AADSTS700082` / `Graph 403 ErrorAccessDenied`: what was found,
/// in the service's own words (no message text, which may be long).
fn service_line(s: &ServiceError) -> String {
    let mut parts = vec![match s.service {
        Service::OAuth => "OAuth2".to_owned(),
        Service::Graph => "Graph".to_owned(),
    }];
    parts.extend(s.status.map(|n| n.to_string()));
    parts.extend(s.code.clone());
    parts.extend(s.aadsts.iter().map(|n| format!("AADSTS{n}")));
    parts.join(" ")
}
