//! `scanrelay explain`: classify a pasted reply.

use std::io::Read as _;

use anyhow::{Context, Result, bail};
use serde_json::json;

use scanrelay_diagnose::{Cause, Stage, advise, explain, provider};

use crate::args::ExplainArgs;
use crate::check::plan::lang;

/// Runs `explain`; exit status 0 when a reply was recognised, 1 when nothing in the input
/// looks like an SMTP reply.
pub fn run(args: &ExplainArgs) -> Result<u8> {
    match explain_input(args) {
        Err(e) if args.json => {
            let v = json!({"ok": false, "cause": null, "summary": format!("{e:#}"), "fix": "",
                           "code": null, "enhanced": null, "provider": null, "error": format!("{e:#}")});
            println!("{}", serde_json::to_string_pretty(&v)?);
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
    let facts = found.facts.as_ref();
    if args.json {
        let v = json!({
            "cause": found.cause.as_str(),
            "summary": advice.summary,
            "fix": advice.fix,
            "code": facts.map(|f| f.code),
            "enhanced": facts.and_then(|f| f.enhanced.clone()),
            "provider": found.provider.map(|p| p.id),
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        if let Some(f) = facts {
            let enhanced = f.enhanced.as_deref().unwrap_or("-");
            println!("{} {enhanced}  [{}]", f.code, found.cause);
        } else {
            println!("[{}]", found.cause);
        }
        if let Some(p) = found.provider {
            println!("{}", p.name);
        }
        println!("{}", advice.summary);
        if found.cause != Cause::Ok {
            let label = if lang == scanrelay_diagnose::Lang::Ko {
                "해결 방법"
            } else {
                "Fix"
            };
            println!("{label}: {}", advice.fix);
        }
    }
    Ok(if facts.is_some() { 0 } else { 1 })
}
