//! The `scanrelay` binary: argument parsing and wiring only. Everything it does lives in the
//! library crates (`scanrelay-client`, `scanrelay-diagnose`, ...).
#![forbid(unsafe_code)]

mod args;
mod check;
mod explain;
mod queue;
mod scrub;
mod serve;

use std::io::Write as _;
use std::process::ExitCode;

use clap::Parser;

use args::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let result = match cli.command {
        Command::Check(a) => run_check(&a),
        Command::Explain(a) => explain::run(&a),
        Command::Serve(a) => {
            init_logging();
            serve::run(&a)
        }
        Command::Queue(a) => queue::run(&a),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("scanrelay: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("SCANRELAY_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

fn run_check(args: &args::CheckArgs) -> anyhow::Result<u8> {
    let plan = match check::plan::plan(args, &|var| std::env::var(var).ok()) {
        Ok(plan) => plan,
        Err(e) if args.json => return Ok(json_error(&e)),
        Err(e) => return Err(e),
    };
    let rt = runtime()?;
    let outcome = rt.block_on(check::run(&plan));
    // A DNS lookup stuck in the resolver thread must not hold the exit.
    rt.shutdown_timeout(std::time::Duration::from_millis(200));
    let text = if plan.json {
        let mut value = check::render_json(&plan, &outcome);
        scrub::scrub_json(&mut value, &plan.secrets);
        let mut s = serde_json::to_string_pretty(&value)?;
        s.push('\n');
        s
    } else {
        scrub::scrub(check::render_human(&plan, &outcome), &plan.secrets)
    };
    std::io::stdout().write_all(text.as_bytes())?;
    let code = check::exit_status(outcome.cause, outcome.error.as_ref(), &outcome.facts);
    Ok(u8::try_from(code).unwrap_or(17))
}

/// With `--json`, even a usage error prints exactly one JSON object on stdout.
fn json_error(e: &anyhow::Error) -> u8 {
    let v = serde_json::json!({"ok": false, "cause": null, "summary": format!("{e:#}"),
                               "fix": "", "error": format!("{e:#}"), "steps": []});
    println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
    eprintln!("scanrelay: error: {e:#}");
    2
}
