//! The `scanrelay` binary: argument parsing and wiring only. Everything it does lives in the
//! library crates (`scanrelay-client`, `scanrelay-diagnose`, ...).
#![forbid(unsafe_code)]

mod args;
mod check;
mod explain;
mod logging;
mod oauth;
mod queue;
mod scrub;
mod serve;
mod usage;

use std::ffi::OsString;
use std::io::Write as _;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

use args::{Cli, Command};
use usage::Shape;

fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().collect();
    let cmd = Cli::command();
    let cli = match cmd
        .clone()
        .try_get_matches_from(&args)
        .and_then(|m| Cli::from_arg_matches(&m))
    {
        Ok(cli) => cli,
        Err(e) => return usage::clap_error(e, &cmd, &args),
    };
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let json = json_shape(&cli.command);
    let result = match &cli.command {
        Command::Check(a) => run_check(a),
        Command::Explain(a) => explain::run(a),
        Command::Serve(a) => {
            logging::init(a.log_format);
            serve::run(a)
        }
        Command::Queue(a) => queue::run(a),
        Command::Oauth(a) => oauth::run(a),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => match json {
            Some(shape) => ExitCode::from(usage::print_json_error(shape, &format!("{e:#}"), "")),
            None => {
                eprintln!("scanrelay: error: {e:#}");
                ExitCode::from(2)
            }
        },
    }
}

/// The JSON error shape when the command prints JSON.
fn json_shape(command: &Command) -> Option<Shape> {
    match command {
        Command::Check(a) => a.json.then_some(Shape::Check),
        Command::Explain(a) => a.json.then_some(Shape::Explain),
        Command::Queue(a) => a.json().then_some(Shape::Other),
        Command::Oauth(a) => a.json().then_some(Shape::Other),
        Command::Serve(_) => None,
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

fn run_check(args: &args::CheckArgs) -> anyhow::Result<u8> {
    let oauth = match args
        .oauth
        .as_deref()
        .map(|name| oauth::prepare_check(args, name))
    {
        None => None,
        Some(Ok(prepared)) => Some(prepared),
        Some(Err(e)) if args.json => return Ok(json_error(&e)),
        Some(Err(e)) => return Err(e),
    };
    let args = oauth.as_ref().map_or(args, |o| &o.args);
    let mut plan = match check::plan::plan(args, &|var| std::env::var(var).ok()) {
        Ok(plan) => plan,
        Err(e) if args.json => return Ok(json_error(&e)),
        Err(e) => return Err(e),
    };
    if let Some(o) = oauth {
        let (user, token) = (o.credentials.user(), o.credentials.secret());
        plan.secrets.push(token.to_string());
        plan.secrets
            .push(format!("user={user}\x01auth=Bearer {token}\x01\x01"));
        plan.client.credentials = Some(o.credentials);
    }
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
    usage::print_json_error(Shape::Check, &format!("{e:#}"), "")
}
