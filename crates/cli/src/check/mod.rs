//! `scanrelay check`: the flags (and, with `--oauth`, the account's token) become a request of
//! the check library (`scanrelay-check`), which runs it; this prints its report and maps the
//! outcome to the exit status.

pub mod plan;
mod pop;

use std::io::Write as _;

use anyhow::Result;
use scanrelay_check::{Plan, render_human, render_json, run};

use crate::args::CheckArgs;
use crate::usage::{self, Shape};

/// Runs `scanrelay check`; returns the exit status.
pub fn main(args: &CheckArgs) -> Result<u8> {
    if args.pop {
        return pop::main(args);
    }
    let plan = match build(args) {
        Ok(plan) => plan,
        // With `--json`, even a usage error prints exactly one JSON object on stdout.
        Err(e) if args.json => {
            return Ok(usage::print_json_error(Shape::Check, &format!("{e:#}"), ""));
        }
        Err(e) => return Err(e),
    };
    let rt = crate::runtime()?;
    let outcome = rt.block_on(run(&plan, None));
    // A DNS lookup stuck in the resolver thread must not hold the exit.
    rt.shutdown_timeout(std::time::Duration::from_millis(200));
    let text = if args.json {
        let mut s = serde_json::to_string_pretty(&render_json(&plan, &outcome))?;
        s.push('\n');
        s
    } else {
        render_human(&plan, &outcome)
    };
    std::io::stdout().write_all(text.as_bytes())?;
    Ok(outcome.exit_status())
}

/// The plan: with `--oauth NAME` the account's token and the config's upstream fill the
/// request; otherwise the flags and the secret they point at.
fn build(args: &CheckArgs) -> Result<Plan> {
    match args.oauth.as_deref() {
        Some(name) => {
            let request = crate::oauth::check_request(args, name)?;
            request.plan().map_err(plan::usage_error)
        }
        None => plan::plan(args, &|var| std::env::var(var).ok()),
    }
}
