//! `scanrelay send`: scan-to-email from the command line or a script. The endpoint flags (and
//! `--oauth`, and the gateway's upstream) become a plan of the check library, the files a
//! draft of `scanrelay-compose`; one session sends the messages, the body streamed from disk;
//! a failure gets the diagnosis `check` would give.

mod args;
mod deliver;
mod ifax;
mod report;
mod upstream;

use std::io::{IsTerminal as _, Write as _};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, anyhow};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use scanrelay_compose::{Attachment, Draft, envelope_address};

pub use args::SendArgs;
use deliver::Job;

/// Runs `scanrelay send`; returns the exit status.
pub fn main(args: &SendArgs) -> Result<u8> {
    let job = prepare(args, &|var| std::env::var(var).ok())?;
    let progress = progress_bar(args.json);
    let rt = crate::runtime()?;
    let ending = rt.block_on(deliver::run(&job, &progress));
    progress.finish_and_clear();
    rt.shutdown_timeout(Duration::from_millis(200));
    let report = report::render(&job.plan, ending, args.json);
    // The JSON object and a success report go to stdout; a failure report to stderr.
    if args.json || report.status == 0 {
        crate::out::write_all(report.text.as_bytes())?;
    } else {
        std::io::stderr().write_all(report.text.as_bytes())?;
    }
    Ok(report.status)
}

/// The job the flags describe: files measured and typed, addresses checked, the body read,
/// the connection planned (secrets read last, after everything else is known to be fine).
fn prepare(args: &SendArgs, env: &dyn Fn(&str) -> Option<String>) -> Result<Job> {
    let fax = if args.ifax {
        Some(ifax::FaxFile::convert(&args.files, args.ifax_resolution)?)
    } else {
        None
    };
    let attachments = match &fax {
        Some(fax) => vec![fax.attachment()?],
        None => args
            .files
            .iter()
            .map(|path| Attachment::from_path(path).map_err(anyhow::Error::new))
            .collect::<Result<Vec<_>>>()?,
    };
    let body = match (&args.body, &args.body_file) {
        (Some(text), _) => text.clone(),
        (None, Some(path)) => read_body(path)?,
        (None, None) => String::new(),
    };
    let subject = args.subject.clone().unwrap_or_else(|| {
        let names: Vec<&str> = attachments.iter().map(|a| a.file_name.as_str()).collect();
        names.join(", ")
    });
    let envelope_from = envelope_address(&args.from).context("--from")?;
    let recipients = args
        .to
        .iter()
        .chain(&args.cc)
        .chain(&args.bcc)
        .map(|a| envelope_address(a).map_err(anyhow::Error::new))
        .collect::<Result<Vec<_>>>()?;
    let max_size = args
        .max_size
        .as_deref()
        .map(|text| {
            scanrelay_gateway::config::parse_size(text).map_err(|e| anyhow!("--max-size: {e}"))
        })
        .transpose()?;
    let draft = Draft {
        from: args.from.clone(),
        to: args.to.clone(),
        cc: args.cc.clone(),
        subject,
        body,
        attachments,
    };
    let plan = upstream::plan(&args.endpoint, env)?;
    Ok(Job {
        plan,
        draft,
        envelope_from,
        recipients,
        max_size,
        split: args.split,
        _fax: fax,
    })
}

fn read_body(path: &PathBuf) -> Result<String> {
    let bytes = std::fs::read(path)
        .with_context(|| format!("failed to read body file `{}`", path.display()))?;
    String::from_utf8(bytes)
        .map_err(|_| anyhow!("body file `{}` is not UTF-8 text", path.display()))
}

/// A progress bar on standard error when it is a terminal (hidden with `--json`).
fn progress_bar(json: bool) -> ProgressBar {
    if json || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template(
        "{bar:40.cyan/blue} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
    ) {
        bar.set_style(style);
    }
    bar
}
