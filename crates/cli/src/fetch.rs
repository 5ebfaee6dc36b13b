//! `scanrelay fetch`: the flags become an endpoint, a login and an output directory for the
//! POP3 client (`scanrelay-pop3-client`), which does the work; this prints what it did (or the
//! diagnosis) and maps the outcome to the exit status: 0 done, the `check` statuses for a
//! server or connection failure (10 DNS, 11 connection, 12 TLS, 13 greeting, 14 login,
//! 17 other), 1 for a local failure (the directory, the state file, a held lock), 2 for usage.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use scanrelay_client::TlsMode;
use scanrelay_diagnose::{Lang, pop3_advice};
use scanrelay_oauth::TokenManager;
use scanrelay_pop3_client::diagnosis::{cause_of, exit_status};
use scanrelay_pop3_client::mailbox::files::OutDir;
use scanrelay_pop3_client::{
    Endpoint, FetchError, FetchOptions, FetchReport, Login, StepRecord, fetch_once, open,
};
use serde_json::{Value, json};

use crate::args::{FetchArgs, PopTlsFlag};
use crate::usage::{self, Shape};

/// The exit status of a local failure.
const LOCAL_FAILURE: u8 = 1;

/// Where the secret comes from.
enum Secret {
    Password(String),
    OAuth {
        name: String,
        manager: Box<TokenManager>,
    },
}

/// What the flags ask for, validated.
struct Plan {
    endpoint: Endpoint,
    user: String,
    secret: Secret,
    out: PathBuf,
    options: FetchOptions,
    watch: Option<Duration>,
    json: bool,
    lang: Lang,
}

/// Runs `scanrelay fetch`; returns the exit status.
pub fn run(args: &FetchArgs) -> Result<u8> {
    let plan = match plan(args) {
        Ok(plan) => plan,
        Err(e) if args.json => {
            return Ok(usage::print_json_error(Shape::Other, &format!("{e:#}"), ""));
        }
        Err(e) => return Err(e),
    };
    let rt = crate::runtime()?;
    let code = rt.block_on(async {
        loop {
            let code = round(&plan).await;
            match plan.watch {
                Some(every) => tokio::time::sleep(every).await,
                None => return code,
            }
        }
    });
    rt.shutdown_timeout(Duration::from_millis(200));
    Ok(code)
}

/// The TLS mode of `fetch`'s `--tls` flag.
fn tls_mode(flag: PopTlsFlag) -> TlsMode {
    match flag {
        PopTlsFlag::Implicit => TlsMode::Implicit,
        PopTlsFlag::Starttls => TlsMode::StartTls,
        PopTlsFlag::None => TlsMode::None,
    }
}

fn plan(args: &FetchArgs) -> Result<Plan> {
    let (port, tls) = scanrelay_diagnose::pop3_port_and_tls(args.port, args.tls.map(tls_mode));
    if args.server.trim().is_empty() {
        bail!("--server is empty: give the POP3 server's host name");
    }
    let mut endpoint = Endpoint::new(args.server.trim(), port, tls);
    endpoint.ca_file = args.ca_file.clone();
    endpoint.timeout = Duration::from_secs(args.timeout.max(1));
    let secret = match (&args.oauth, &args.password_env, &args.password_file) {
        (Some(name), _, _) => Secret::OAuth {
            name: name.clone(),
            manager: Box::new(crate::oauth::token_manager(&args.location, name)?),
        },
        (None, Some(var), _) => Secret::Password(password_env(var)?),
        (None, None, Some(path)) => Secret::Password(password_file(path)?),
        (None, None, None) => {
            bail!("give --password-env VAR, --password-file PATH or --oauth NAME")
        }
    };
    Ok(Plan {
        options: FetchOptions {
            account: format!("{}@{}", args.user, args.server.trim().to_ascii_lowercase()),
            delete: args.delete,
        },
        endpoint,
        user: args.user.clone(),
        secret,
        out: args.out.clone(),
        watch: args.watch.map(Duration::from_secs),
        json: args.json,
        lang: crate::check::plan::lang(args.lang),
    })
}

/// The password in environment variable `var` (`--password-env`).
pub fn password_env(var: &str) -> Result<String> {
    std::env::var(var)
        .ok()
        .filter(|p| !p.is_empty())
        .ok_or_else(|| anyhow!("--password-env {var}: the variable is not set or empty"))
}

/// The first line of `path` (`--password-file`).
pub fn password_file(path: &std::path::Path) -> Result<String> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("failed to read password file `{}`", path.display()))?;
    let line = text.lines().next().unwrap_or("").trim_end_matches('\r');
    if line.is_empty() {
        bail!("password file `{}` is empty", path.display());
    }
    Ok(line.to_string())
}

/// One pass; prints its result and returns the exit status.
async fn round(plan: &Plan) -> u8 {
    let out = match OutDir::prepare(&plan.out) {
        Ok(out) => out,
        Err(e) => return local_failure(plan, &e.to_string()),
    };
    let login = match &plan.secret {
        Secret::Password(password) => Login::Password {
            user: plan.user.clone(),
            password: password.clone(),
        },
        Secret::OAuth { name, manager } => match crate::oauth::bearer(manager, name).await {
            Ok(token) => Login::XOAuth2 {
                user: plan.user.clone(),
                token,
            },
            Err(e) => return local_failure(plan, &format!("{e:#}")),
        },
    };
    let mut session = match open(&plan.endpoint, Some(&login)).await {
        Ok(session) => session,
        Err(failure) => {
            let steps = failure.transcript.steps;
            return server_failure(plan, &FetchError::Server(failure.error), &steps);
        }
    };
    match fetch_once(&mut session, &out, &plan.options).await {
        Ok(report) => {
            print_report(plan, &report);
            0
        }
        Err(e) => {
            let steps = session.transcript().steps.clone();
            server_failure(plan, &e, &steps)
        }
    }
}

fn print_report(plan: &Plan, report: &FetchReport) {
    if plan.json {
        let mut v = json!({"ok": true});
        v["server"] = json!(plan.endpoint.host);
        v["port"] = json!(plan.endpoint.port);
        v["tls"] = json!(plan.endpoint.tls.to_string());
        v["out"] = json!(plan.out.display().to_string());
        v["on_server"] = json!(report.on_server);
        v["saved"] = json!(report.saved);
        v["already_saved"] = json!(report.already_saved);
        v["deleted"] = json!(report.deleted);
        outln!("{}", serde_json::to_string(&v).unwrap_or_default());
        return;
    }
    outln!(
        "{} new message(s) saved into {} ({} on the server, {} saved before{})",
        report.saved.len(),
        plan.out.display(),
        report.on_server,
        report.already_saved,
        if plan.options.delete {
            format!(", {} deleted on the server", report.deleted)
        } else {
            String::new()
        }
    );
    for saved in &report.saved {
        outln!("  {} ({} bytes)", saved.file, saved.size);
        for name in &saved.attachments {
            outln!("    attachment: {name}");
        }
    }
}

/// A failure in this machine: exit 1.
fn local_failure(plan: &Plan, error: &str) -> u8 {
    if plan.json {
        let v = json!({"ok": false, "cause": null, "summary": error, "fix": "", "error": error,
                       "steps": []});
        outln!("{}", serde_json::to_string(&v).unwrap_or_default());
    }
    eprintln!("scanrelay fetch: error: {error}");
    LOCAL_FAILURE
}

/// A failure of the server or the connection: the diagnosis, and `check`'s exit status.
fn server_failure(plan: &Plan, error: &FetchError, steps: &[StepRecord]) -> u8 {
    let FetchError::Server(e) = error else {
        return local_failure(plan, &error.to_string());
    };
    let token = matches!(plan.secret, Secret::OAuth { .. });
    let cause = cause_of(e, plan.endpoint.tls, token);
    let advice = pop3_advice(cause, plan.lang);
    let code = exit_status(cause, e.step());
    if plan.json {
        let v = json!({"ok": false, "cause": cause.as_str(), "summary": advice.summary,
                       "fix": advice.fix, "error": e.to_string(), "exit_status": code,
                       "steps": steps_json(steps)});
        outln!("{}", serde_json::to_string(&v).unwrap_or_default());
    } else {
        eprintln!("scanrelay fetch: {e}");
        eprintln!("  cause: {} ({})", cause.as_str(), advice.summary);
        eprintln!("  fix: {}", advice.fix);
    }
    code
}

/// The steps as JSON, shared with `check --pop`.
pub fn steps_json(steps: &[StepRecord]) -> Value {
    json!(steps)
}
