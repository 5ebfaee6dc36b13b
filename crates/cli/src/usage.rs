//! Usage errors: with `--json` on the command line, every error, also one clap finds while
//! parsing, is one JSON object on stdout (exit 2); without it clap's human text stays.
//! `--help` and `--version` print as always and exit 0.
//!
//! Whether `--json` was given is decided the way clap reads the command line: not after `--`,
//! not when it is the value of an option (`--stage=--json`), and only for the subcommand it
//! follows. Clap treats `--stage --json` as a missing value followed by the `--json` flag, and
//! so does this.

use std::ffi::OsString;
use std::process::ExitCode;

use clap::error::ErrorKind;
use serde_json::{Value, json};

/// The shape of a JSON error: each command keeps the keys its JSON output already has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `check`: `ok`, `cause`, `summary`, `fix`, `error`, `steps`.
    Check,
    /// `explain`: `ok`, `cause`, `summary`, `fix`, `code`, `enhanced`, `provider`, `error`.
    Explain,
    /// Anything else (`queue`): `ok`, `error`, `fix`.
    Other,
}

impl Shape {
    fn for_path(path: &[String]) -> Shape {
        match path.first().map(String::as_str) {
            Some("check") => Shape::Check,
            Some("explain") => Shape::Explain,
            _ => Shape::Other,
        }
    }

    /// The error object.
    pub fn error(self, error: &str, fix: &str) -> Value {
        // No fix known (a runtime error): null, not an empty string a script would print.
        let fix = if fix.is_empty() {
            Value::Null
        } else {
            Value::from(fix)
        };
        match self {
            Shape::Check => json!({"ok": false, "cause": null, "summary": error, "fix": fix,
                                   "error": error, "steps": []}),
            Shape::Explain => json!({"ok": false, "cause": null, "summary": error, "fix": fix,
                                     "code": null, "enhanced": null, "provider": null,
                                     "error": error}),
            Shape::Other => json!({"ok": false, "error": error, "fix": fix}),
        }
    }
}

/// Prints `error` as the one JSON object on stdout (and as text on stderr); returns 2.
pub fn print_json_error(shape: Shape, error: &str, fix: &str) -> u8 {
    let v = shape.error(error, fix);
    outln!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
    eprintln!("scanrelay: error: {error}");
    2
}

/// Handles a clap error for the command line `args`: help and version print and exit 0;
/// with `--json`, a JSON object; otherwise clap's own text (exit 2).
pub fn clap_error(e: clap::Error, cmd: &clap::Command, args: &[OsString]) -> ExitCode {
    if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
        e.exit();
    }
    let Some(path) = json_requested(cmd, args) else {
        e.exit();
    };
    let (error, fix) = message(&e, &path);
    ExitCode::from(print_json_error(Shape::for_path(&path), &error, &fix))
}

/// clap's message as one line, and the usage line as the fix.
fn message(e: &clap::Error, path: &[String]) -> (String, String) {
    let help = format!("run `scanrelay {} --help`", path.join(" "));
    if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
        let error = format!("`scanrelay {}` needs a subcommand", path.join(" "));
        return (error, help);
    }
    let text = e.to_string();
    let mut blocks = text.split("\n\n");
    let first = blocks.next().unwrap_or_default();
    let error = first
        .strip_prefix("error: ")
        .unwrap_or(first)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let usage = blocks.find(|b| b.starts_with("Usage: "));
    let fix = match usage {
        Some(usage) => format!("{}; {help}", usage.trim()),
        None => help,
    };
    (error, fix)
}

/// The subcommand path (e.g. `["queue", "list"]`) when `--json` is among the flags clap
/// reads from `args` (the program name first), else `None`.
pub fn json_requested(cmd: &clap::Command, args: &[OsString]) -> Option<Vec<String>> {
    let mut chain = vec![cmd];
    let mut path = Vec::new();
    let mut json = false;
    let mut tokens = args.iter().skip(1).peekable();
    while let Some(token) = tokens.next() {
        let Some(token) = token.to_str() else {
            continue;
        };
        if token == "--" {
            break;
        }
        if let Some(long) = token.strip_prefix("--") {
            if long == "json" {
                json = true;
            } else if !long.contains('=') && takes_value(&chain, long) {
                // clap takes the next token as the value unless it looks like an option.
                if tokens
                    .peek()
                    .and_then(|t| t.to_str())
                    .is_some_and(|t| !t.starts_with('-') || t == "-")
                {
                    tokens.next();
                }
            }
            continue;
        }
        if token.starts_with('-') && token != "-" {
            continue; // short flags: -h, -V
        }
        let current = chain[chain.len() - 1];
        if let Some(sub) = current.find_subcommand(token) {
            path.push(sub.get_name().to_string());
            chain.push(sub);
        }
    }
    json.then_some(path)
}

/// Whether the long option `name` of the current subcommand or one of its parents (global
/// options) takes a value.
fn takes_value(chain: &[&clap::Command], name: &str) -> bool {
    chain.iter().rev().any(|cmd| {
        cmd.get_arguments()
            .any(|a| a.get_long() == Some(name) && a.get_action().takes_values())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn requested(line: &str) -> Option<String> {
        let cmd = crate::args::Cli::command();
        let args: Vec<OsString> = std::iter::once("scanrelay")
            .chain(line.split(' '))
            .map(OsString::from)
            .collect();
        json_requested(&cmd, &args).map(|p| p.join(" "))
    }

    #[test]
    fn json_flag_is_found_where_clap_would_read_it() {
        for (line, want) in [
            ("check --json --password-env A --token-env B", Some("check")),
            ("check --server x --send-test --json", Some("check")),
            ("check --json --tls bogus", Some("check")),
            ("check --port 99999 --json", Some("check")),
            ("explain --stage --json 550", Some("explain")),
            (
                "queue --data-dir /x list --json --bogus",
                Some("queue list"),
            ),
            ("queue show --json", Some("queue show")),
            ("queue --config --json show", Some("queue show")),
            ("check --server x --tls bogus", None),
            ("explain -- --json", None),
            ("explain --stage=--json 550", None),
            ("explain 550 -- --json", None),
            ("queue --data-dir json list", None),
            ("check --helo json", None),
        ] {
            assert_eq!(requested(line).as_deref(), want, "{line}");
        }
    }
}
