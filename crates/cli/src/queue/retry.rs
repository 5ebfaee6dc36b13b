//! `scanrelay queue retry ID | --all [--include-failed]`: runs the gateway library's retry
//! (`scanrelay_gateway::queue::retry`, shared with the console) and says what it did: each
//! message queued again, what `--all` left out and which flag includes it.

use anyhow::Result;
use scanrelay_gateway::queue::{RetryReport, RetryTarget};
use scanrelay_spool::{MessageId, Spool};

use super::parse_id;

/// What `retry` was asked to do.
pub struct Request<'a> {
    /// One message, by id.
    pub id: Option<&'a str>,
    /// With `--all`: also failed messages and failure notices.
    pub include_failed: bool,
    /// Unix time now.
    pub now: u64,
    /// When the config has no upstream: where to add one (retried mail stays held).
    pub held: Option<String>,
}

/// Runs the retry; returns the exit status.
pub async fn retry(spool: &Spool, req: &Request<'_>) -> Result<u8> {
    let target = match req.id {
        Some(id) => RetryTarget::One(parse_id(id)?),
        None => RetryTarget::All {
            include_failed: req.include_failed,
        },
    };
    let report = scanrelay_gateway::queue::retry(spool, &target, req.now).await?;
    if let RetryTarget::One(id) = &target
        && report.already_delivered
    {
        outln!("{id}: already delivered; nothing to retry");
        return Ok(0);
    }
    for r in &report.retried {
        announce(&r.id, r.reopened, req);
    }
    if report.retried.is_empty() {
        outln!("nothing to retry");
    }
    report_left_out(&report);
    Ok(0)
}

fn announce(id: &MessageId, reopened: usize, req: &Request<'_>) {
    let again = match reopened {
        0 => String::new(),
        1 => " (with its failed recipient)".to_string(),
        n => format!(" (with its {n} failed recipients)"),
    };
    match &req.held {
        Some(config) => {
            outln!("{id}: queued again{again}, but held: no upstream is configured in {config}")
        }
        None => outln!("{id}: will be retried now{again}"),
    }
}

fn report_left_out(report: &RetryReport) {
    let mut parts = Vec::new();
    if report.left_failed > 0 {
        parts.push(count(
            report.left_failed,
            "failed message",
            "failed messages",
        ));
    }
    if report.left_notices > 0 {
        parts.push(count(
            report.left_notices,
            "failure notice",
            "failure notices",
        ));
    }
    if !parts.is_empty() {
        outln!(
            "left out {}: `scanrelay queue retry --all --include-failed` retries those too \
             (a failure notice is sent again only if the new attempt fails for good)",
            parts.join(" and ")
        );
    }
    if report.left_sending > 0 {
        outln!(
            "left alone {}: an attempt is in progress",
            count(
                report.left_sending,
                "message being sent",
                "messages being sent"
            )
        );
    }
}

fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
