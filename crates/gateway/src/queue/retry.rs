//! Retrying queued mail (`scanrelay queue retry`, the console's Retry button).
//!
//! A message named by its id is queued again with its failed recipients, whatever its state:
//! the operator asked for it. "All" re-queues what is queued, waiting, deferred or paced, and
//! by default leaves out messages that failed for good and the gateway's own notices
//! (retrying those sends the same failure again), counting what it left out. A retry never
//! queues a failure notice itself: a new one is sent only when the new attempt fails for good
//! again (see `Event::Retried`).

use scanrelay_spool::{Entry, Event, MessageId, Spool, SpoolError, State};

use super::view::is_bounce;

/// What to retry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RetryTarget {
    /// One message (with its failed recipients).
    One(MessageId),
    /// Every message that is not delivered; with `include_failed`, also failed messages and
    /// the gateway's own notices.
    All {
        /// Also failed messages and notices.
        include_failed: bool,
    },
}

/// One message queued again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retried {
    /// The message.
    pub id: MessageId,
    /// Failed recipients put back.
    pub reopened: usize,
}

/// What a retry did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RetryReport {
    /// The messages queued again.
    pub retried: Vec<Retried>,
    /// Left out: failed for good (without `include_failed`).
    pub left_failed: usize,
    /// Left out: the gateway's own notices (without `include_failed`).
    pub left_notices: usize,
    /// Left alone: an attempt is running.
    pub left_sending: usize,
    /// The one message asked for was already delivered.
    pub already_delivered: bool,
}

/// Queues `target` again at Unix time `now`.
pub async fn retry(
    spool: &Spool,
    target: &RetryTarget,
    now: u64,
) -> Result<RetryReport, SpoolError> {
    let mut report = RetryReport::default();
    match target {
        RetryTarget::One(id) => {
            let entry = spool.load(id).await?;
            if entry.delivery.state == State::Delivered {
                report.already_delivered = true;
                return Ok(report);
            }
            let reopened = requeue(spool, id, true, now).await?;
            report.retried.push(Retried {
                id: id.clone(),
                reopened,
            });
        }
        RetryTarget::All { include_failed } => {
            for entry in spool.list().await? {
                if !chosen(&entry, *include_failed, &mut report) {
                    continue;
                }
                match requeue(spool, &entry.id, *include_failed, now).await {
                    Ok(reopened) => report.retried.push(Retried {
                        id: entry.id,
                        reopened,
                    }),
                    // Delivered or deleted meanwhile.
                    Err(e) if e.is_not_found() => {}
                    Err(e) => return Err(e),
                }
            }
        }
    }
    Ok(report)
}

/// Whether "all" retries `entry`; counts what it leaves out.
fn chosen(entry: &Entry, include_failed: bool, report: &mut RetryReport) -> bool {
    match entry.delivery.state {
        State::Delivered => false,
        State::Sending => {
            report.left_sending += 1;
            false
        }
        _ if include_failed => true,
        State::Failed => {
            report.left_failed += 1;
            false
        }
        _ if is_bounce(entry) => {
            report.left_notices += 1;
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
