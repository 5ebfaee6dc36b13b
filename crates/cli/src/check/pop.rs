//! `scanrelay check --pop`: a POP3 server checked step by step (DNS, TCP, TLS or STLS,
//! greeting, CAPA, login, STAT, QUIT) with the POP3 client of `fetch`, diagnosed with the same
//! cause codes and exit statuses as the SMTP check.

use std::fmt::Write as _;
use std::time::Duration;

use anyhow::{Result, anyhow, bail};
use scanrelay_diagnose::{Cause, Lang, pop3_advice};
use scanrelay_pop3_client::diagnosis::{cause_of, exit_status};
use scanrelay_pop3_client::{Endpoint, Login, Pop3Error, Transcript, open};
use serde_json::json;

use crate::args::CheckArgs;
use crate::usage::{self, Shape};

/// Runs `check --pop`; returns the exit status.
pub fn main(args: &CheckArgs) -> Result<u8> {
    let rt = crate::runtime()?;
    let planned = plan(args).and_then(|(endpoint, login)| {
        let login = match login {
            Some(Pending::Ready(login)) => Some(login),
            Some(Pending::OAuth(name, user)) => {
                let manager = crate::oauth::token_manager(&args.endpoint.location, &name)?;
                let token = rt.block_on(crate::oauth::bearer(&manager, &name))?;
                Some(Login::XOAuth2 { user, token })
            }
            None => None,
        };
        Ok((endpoint, login))
    });
    let (endpoint, login) = match planned {
        Ok(p) => p,
        Err(e) if args.json => {
            return Ok(usage::print_json_error(Shape::Check, &format!("{e:#}"), ""));
        }
        Err(e) => return Err(e),
    };
    let (transcript, error) = rt.block_on(run(&endpoint, login.as_ref()));
    rt.shutdown_timeout(Duration::from_millis(200));
    let token = matches!(login, Some(Login::XOAuth2 { .. }));
    let cause = error
        .as_ref()
        .map_or(Cause::Ok, |e| cause_of(e, endpoint.tls, token));
    let code = exit_status(cause, error.as_ref().and_then(Pop3Error::step));
    let lang = super::plan::lang(args.endpoint.lang);
    let report = Report {
        endpoint: &endpoint,
        transcript: &transcript,
        error: error.as_ref(),
        cause,
        lang,
    };
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&report.json())?);
    } else {
        out!("{}", report.human());
    }
    Ok(code)
}

/// A login still to be completed (an OAuth2 token is fetched after the flags are checked).
enum Pending {
    Ready(Login),
    OAuth(String, String),
}

fn plan(args: &CheckArgs) -> Result<(Endpoint, Option<Pending>)> {
    let server = args
        .endpoint
        .server
        .clone()
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| anyhow!("check --pop needs --server HOST (the POP3 server)"))?;
    let tls = args.endpoint.tls.map(super::plan::tls_mode);
    let (port, tls) = scanrelay_diagnose::pop3_port_and_tls(args.endpoint.port, tls);
    let mut endpoint = Endpoint::new(server.trim(), port, tls);
    endpoint.ca_file = args.endpoint.ca_file.clone();
    endpoint.timeout = Duration::from_secs(args.endpoint.timeout.max(1));
    endpoint.record_messages = true;
    let login = match (&args.endpoint.user, &args.endpoint.oauth) {
        (None, Some(_)) => bail!("--oauth needs the mailbox as --user"),
        (None, None)
            if args.endpoint.password_env.is_some() || args.endpoint.password_file.is_some() =>
        {
            bail!("a password was given without --user")
        }
        (None, None) => None,
        (Some(user), Some(name)) => Some(Pending::OAuth(name.clone(), user.clone())),
        (Some(user), None) => Some(Pending::Ready(Login::Password {
            user: user.clone(),
            password: password(args)?,
        })),
    };
    Ok((endpoint, login))
}

fn password(args: &CheckArgs) -> Result<String> {
    match (&args.endpoint.password_env, &args.endpoint.password_file) {
        (Some(var), _) => crate::fetch::password_env(var),
        (None, Some(path)) => crate::fetch::password_file(path),
        (None, None) => {
            bail!("--user needs a password: give --password-env VAR or --password-file PATH")
        }
    }
}

/// Connects and logs in, then `STAT` and `QUIT`.
async fn run(endpoint: &Endpoint, login: Option<&Login>) -> (Transcript, Option<Pop3Error>) {
    let mut session = match open(endpoint, login).await {
        Ok(session) => session,
        Err(failure) => return (failure.transcript, Some(failure.error)),
    };
    let mut error = None;
    if login.is_some()
        && let Err(e) = session.stat().await
    {
        error = Some(e);
    }
    if error.is_none() {
        error = session.quit().await.err();
    }
    (session.into_transcript(), error)
}

struct Report<'a> {
    endpoint: &'a Endpoint,
    transcript: &'a Transcript,
    error: Option<&'a Pop3Error>,
    cause: Cause,
    lang: Lang,
}

impl Report<'_> {
    fn json(&self) -> serde_json::Value {
        let advice = (!self.cause.is_ok()).then(|| pop3_advice(self.cause, self.lang));
        json!({
            "ok": self.cause.is_ok(),
            "protocol": "pop3",
            "server": self.endpoint.host,
            "port": self.endpoint.port,
            "tls_mode": self.endpoint.tls.to_string(),
            "cause": (!self.cause.is_ok()).then(|| self.cause.as_str()),
            "summary": advice.as_ref().map(|a| a.summary.clone()),
            "fix": advice.as_ref().map(|a| a.fix.clone()),
            "error": self.error.map(ToString::to_string),
            "greeting": self.transcript.greeting,
            "capabilities": self.transcript.capabilities.as_ref().map(|c| c.lines()),
            "tls": self.transcript.tls,
            "steps": self.transcript.steps,
        })
    }

    fn human(&self) -> String {
        let mut out = String::new();
        let e = &self.endpoint;
        let _ = writeln!(out, "POP3 check of {}:{} ({})", e.host, e.port, e.tls);
        for step in &self.transcript.steps {
            let mark = if step.ok { "ok  " } else { "FAIL" };
            let note = step.note.as_deref().unwrap_or("");
            let _ = writeln!(
                out,
                "  [{mark}] {:<8} {:>8.1} ms  {note}",
                step.step.as_str(),
                step.ms
            );
            for line in &step.exchange {
                let _ = writeln!(out, "           {line}");
            }
        }
        if self.cause.is_ok() {
            let _ = writeln!(out, "Result: ok");
        } else {
            let advice = pop3_advice(self.cause, self.lang);
            let _ = writeln!(out, "Result: {} ({})", self.cause.as_str(), advice.summary);
            if let Some(error) = self.error {
                let _ = writeln!(out, "Error: {error}");
            }
            let _ = writeln!(out, "Fix: {}", advice.fix);
        }
        out
    }
}
