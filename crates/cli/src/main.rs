//! The `scanrelay` binary: argument parsing and wiring only. Everything it does lives in the
//! library crates (`scanrelay-client`, `scanrelay-diagnose`, ...).
#![forbid(unsafe_code)]

mod args;
mod check;
mod explain;
mod queue;
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
    let plan = check::plan::plan(args, &|var| std::env::var(var).ok())?;
    let outcome = runtime()?.block_on(check::run(&plan));
    let text = if plan.json {
        let mut s = serde_json::to_string_pretty(&check::render_json(&plan, &outcome))?;
        s.push('\n');
        s
    } else {
        check::render_human(&plan, &outcome)
    };
    let text = scrub(text, &plan.secrets);
    std::io::stdout().write_all(text.as_bytes())?;
    let code = check::exit_code(outcome.cause, &outcome.facts);
    Ok(u8::try_from(code).unwrap_or(1))
}

/// Last line of defence: no secret leaves the process even if a server echoed one back.
fn scrub(mut text: String, secrets: &[String]) -> String {
    for s in secrets.iter().filter(|s| s.len() >= 4) {
        text = text.replace(s.as_str(), "<redacted>");
    }
    text
}
