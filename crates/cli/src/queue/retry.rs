//! `scanrelay queue retry ID | --all [--include-failed]`.
//!
//! A message named by its id is queued again with its failed recipients, whatever its state:
//! the operator asked for it. `--all` re-queues what is queued, waiting or deferred, and by
//! default leaves out messages that failed for good and the gateway's own failure notices
//! (retrying those sends the same failure again), saying how many it left out and which flag
//! includes them. A retry never queues a failure notice itself: a new one is sent only when
//! the new attempt fails for good again (see `Event::Retried`).

use anyhow::Result;
use scanrelay_spool::{Entry, Event, MessageId, Spool, SpoolError, State};

use super::parse_id;
use super::view::is_bounce;

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

/// Why `--all` left a message out.
#[derive(Debug, Default)]
struct LeftOut {
    failed: usize,
    bounces: usize,
    sending: usize,
}

/// Runs the retry; returns the exit status.
pub async fn retry(spool: &Spool, req: &Request<'_>) -> Result<u8> {
    if let Some(id) = req.id {
        let id = parse_id(id)?;
        let entry = spool.load(&id).await?;
        if entry.delivery.state == State::Delivered {
            println!("{id}: already delivered; nothing to retry");
            return Ok(0);
        }
        let reopened = requeue(spool, &id, true, req.now).await?;
        announce(&id, reopened, req);
        return Ok(0);
    }
    let mut left_out = LeftOut::default();
    let mut retried = 0;
    for entry in spool.list().await? {
        if !chosen(&entry, req.include_failed, &mut left_out) {
            continue;
        }
        match requeue(spool, &entry.id, req.include_failed, req.now).await {
            Ok(reopened) => {
                announce(&entry.id, reopened, req);
                retried += 1;
            }
            // Delivered or deleted meanwhile.
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e.into()),
        }
    }
    if retried == 0 {
        println!("nothing to retry");
    }
    report_left_out(&left_out);
    Ok(0)
}

/// Whether `--all` retries `entry`; counts what it leaves out.
fn chosen(entry: &Entry, include_failed: bool, left_out: &mut LeftOut) -> bool {
    match entry.delivery.state {
        State::Delivered => false,
        State::Sending => {
            left_out.sending += 1;
            false
        }
        _ if include_failed => true,
        State::Failed => {
            left_out.failed += 1;
            false
        }
        _ if is_bounce(entry) => {
            left_out.bounces += 1;
            false
        }
        State::Queued | State::Waiting | State::Deferred | State::Paced => true,
    }
}

/// Queues `id` again; returns how many failed recipients were put back.
async fn requeue(
    spool: &Spool,
    id: &MessageId,
    failed_too: bool,
    now: u64,
) -> Result<usize, SpoolError> {
    let (_, applied) = spool.apply(id, Event::Retried { now, failed_too }).await?;
    Ok(applied.reopened)
}

fn announce(id: &MessageId, reopened: usize, req: &Request<'_>) {
    let again = match reopened {
        0 => String::new(),
        1 => " (with its failed recipient)".to_string(),
        n => format!(" (with its {n} failed recipients)"),
    };
    match &req.held {
        Some(config) => {
            println!("{id}: queued again{again}, but held: no upstream is configured in {config}")
        }
        None => println!("{id}: will be retried now{again}"),
    }
}

fn report_left_out(left: &LeftOut) {
    let mut parts = Vec::new();
    if left.failed > 0 {
        parts.push(count(left.failed, "failed message", "failed messages"));
    }
    if left.bounces > 0 {
        parts.push(count(left.bounces, "failure notice", "failure notices"));
    }
    if !parts.is_empty() {
        println!(
            "left out {}: `scanrelay queue retry --all --include-failed` retries those too \
             (a failure notice is sent again only if the new attempt fails for good)",
            parts.join(" and ")
        );
    }
    if left.sending > 0 {
        println!(
            "left alone {}: an attempt is in progress",
            count(left.sending, "message being sent", "messages being sent")
        );
    }
}

fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
