//! The `scanrelay` binary: argument parsing and wiring only. Everything it does lives in the
//! library crates (`scanrelay-client`, `scanrelay-diagnose`, ...).
#![forbid(unsafe_code)]

#[macro_use]
mod out;

mod admin;
mod args;
mod check;
mod explain;
mod fetch;
mod logging;
mod oauth;
mod queue;
mod send;
mod serve;
mod usage;

use std::ffi::OsString;
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
        Command::Check(a) => check::main(a),
        Command::Explain(a) => explain::run(a),
        Command::Serve(a) => {
            logging::init(a.log_format);
            serve::run(a)
        }
        Command::Queue(a) => queue::run(a),
        Command::Oauth(a) => oauth::run(a),
        Command::Admin(a) => admin::run(a),
        Command::Send(a) => send::main(a),
        Command::Fetch(a) => fetch::run(a),
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
        Command::Send(a) => a.json.then_some(Shape::Other),
        Command::Fetch(a) => a.json.then_some(Shape::Other),
        Command::Serve(_) | Command::Admin(_) => None,
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}
