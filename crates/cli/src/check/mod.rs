//! `scanrelay check`: the flags (and, with `--oauth`, the account's token) become a request of
//! the check library (`scanrelay-check`), which runs it; this prints its report and maps the
//! outcome to the exit status.

pub mod plan;
mod pop;

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
    crate::out::write_all(text.as_bytes())?;
    Ok(outcome.exit_status())
}

/// The plan: with `--oauth NAME` the account's token and the config's upstream fill the
/// request; otherwise the flags and the secret they point at.
fn build(args: &CheckArgs) -> Result<Plan> {
    let envelope = |mut request: scanrelay_check::CheckRequest| {
        request.from.clone_from(&args.from);
        request.to.clone_from(&args.to);
        request.send_test = args.send_test;
        request
    };
    let endpoint = &args.endpoint;
    match endpoint.oauth.as_deref() {
        Some(name) => {
            let request = envelope(crate::oauth::check_request(endpoint, name)?);
            request.plan().map_err(plan::usage_error)
        }
        None => plan::plan(endpoint, envelope(plan::request(endpoint)), &|var| {
            std::env::var(var).ok()
        }),
    }
}
