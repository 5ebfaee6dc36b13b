//! One delivery attempt of one spooled message, and what its outcome does to the spool.
//!
//! The spool is the source of truth: the attempt re-reads the message (an operator may have
//! deleted or changed it), marks it `Sending`, hands it to the upstream, then records the
//! outcome per recipient. Delivered to everyone: removed. Some recipients temporarily refused:
//! `Deferred` with backoff, only those recipients are retried. Refused for good (or expired):
//! bounced, then `Failed` and kept for `queue show` (the order and the retries of the spool
//! writes are in `record`). A message whose body file vanished is marked `Failed`; one whose
//! envelope cannot be parsed is left alone until the file changes.

use std::io::Cursor;
use std::sync::Arc;

use scanrelay_diagnose::Cause;
use scanrelay_proto::Reply;
use scanrelay_spool::{Entry, Envelope, MessageId, RcptState, Spool, SpoolError, State};
use tokio::io::AsyncReadExt;
use tokio::sync::Notify;
use tokio::time::Instant;

use crate::delivery::backoff::Backoff;
use crate::delivery::clock::Clock;
use crate::delivery::dsn::FailedRecipient;
use crate::delivery::record::{Unrecorded, merge_remembered, record};
use crate::delivery::rewrite::{
    HeaderReadError, MAX_HEADER_BLOCK, read_header_block, rewrite_from_header,
};
use crate::delivery::upstream::{DeliveryError, DeliveryReport, OutgoingMessage, Upstream};
use crate::settings::DeliverySettings;
use crate::time::after;

/// What every attempt needs; shared by the scheduler and its delivery tasks.
pub(crate) struct Ctx {
    pub spool: Spool,
    pub upstream: Option<Arc<dyn Upstream>>,
    pub settings: DeliverySettings,
    pub backoff: Backoff,
    pub clock: Arc<dyn Clock>,
    pub hostname: String,
    /// Wakes the scheduler (a bounce was queued).
    pub wake: Arc<Notify>,
    /// Deliveries whose outcome could not be written yet.
    pub unrecorded: Arc<Unrecorded>,
}

/// Why a recipient did not get the message in this attempt.
#[derive(Debug, Clone)]
pub(crate) struct Why {
    pub reply: Option<Reply>,
    pub cause: Cause,
    pub error: String,
}

impl Why {
    fn of(error: &DeliveryError) -> Why {
        Why {
            reply: error.reply().cloned(),
            cause: error.cause(),
            error: error.to_string(),
        }
    }

    pub(crate) fn failed(&self, rcpt: &str) -> FailedRecipient {
        FailedRecipient {
            rcpt: rcpt.to_string(),
            reply: self.reply.clone(),
            cause: self.cause,
            error: self.error.clone(),
        }
    }
}

/// The outcome of one attempt, per recipient.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    pub delivered: Vec<(String, Option<Reply>)>,
    pub deferred: Vec<(String, Why)>,
    pub failed: Vec<(String, Why)>,
}

impl Outcome {
    fn from_result(pending: &[String], result: Result<DeliveryReport, DeliveryError>) -> Outcome {
        let mut outcome = Outcome::default();
        match result {
            Ok(report) => {
                for rcpt in report.accepted {
                    outcome.delivered.push((rcpt, report.reply.clone()));
                }
                for refusal in report.refused {
                    let transient = refusal.is_transient();
                    let why = Why {
                        error: refusal.describe(),
                        reply: refusal.reply,
                        cause: refusal.cause,
                    };
                    let list = if transient {
                        &mut outcome.deferred
                    } else {
                        &mut outcome.failed
                    };
                    list.push((refusal.rcpt, why));
                }
                outcome.defer_unreported(pending);
            }
            Err(error) => {
                let why = Why::of(&error);
                let list = if error.is_transient() {
                    &mut outcome.deferred
                } else {
                    &mut outcome.failed
                };
                list.extend(pending.iter().map(|r| (r.clone(), why.clone())));
            }
        }
        outcome
    }

    /// A recipient the upstream neither accepted nor refused stays queued (never dropped).
    fn defer_unreported(&mut self, pending: &[String]) {
        for rcpt in pending {
            let reported = self.delivered.iter().any(|(r, _)| r == rcpt)
                || self
                    .deferred
                    .iter()
                    .chain(&self.failed)
                    .any(|(r, _)| r == rcpt);
            if !reported {
                let why = Why {
                    reply: None,
                    cause: Cause::Unknown,
                    error: "the upstream did not report on this recipient".to_string(),
                };
                self.deferred.push((rcpt.clone(), why));
            }
        }
    }

    /// The failure to show as the message's last error: a deferral first, else a failure.
    pub(crate) fn headline(&self) -> Option<&Why> {
        self.deferred
            .first()
            .or(self.failed.first())
            .map(|(_, why)| why)
    }
}

/// Runs one attempt. Returns when the message should be tried next, if it stays queued.
pub(crate) async fn attempt(ctx: Arc<Ctx>, id: MessageId) -> Option<Instant> {
    match try_attempt(&ctx, &id).await {
        Ok(next) => next,
        Err(e) if e.is_not_found() => {
            tracing::info!(%id, "message left the spool during delivery (deleted by an operator?)");
            ctx.unrecorded.forget(&id);
            None
        }
        Err(SpoolError::BodyMissing(_)) => fail_damaged(&ctx, &id).await,
        Err(e @ SpoolError::Json { .. }) => {
            // Not retried: the scheduler's rescan remembers it until the file changes.
            tracing::error!(%id, error = %e, "unreadable envelope; the message is left alone");
            None
        }
        Err(e) => {
            tracing::error!(%id, error = %e, "spool error during delivery; retrying later");
            Some(after(ctx.backoff.min()))
        }
    }
}

/// A message whose body file vanished is marked `Failed` (as recovery does at start), so it
/// is not tried every `retry_min` for ever and `queue show` says what happened.
async fn fail_damaged(ctx: &Ctx, id: &MessageId) -> Option<Instant> {
    match ctx.spool.fail_damaged(id).await {
        Ok(entry) if entry.delivery.state == State::Failed => {
            tracing::error!(%id, "message body missing from the spool; marked failed");
            None
        }
        Ok(_) => Some(after(ctx.backoff.min())),
        Err(e) if e.is_not_found() => None,
        Err(e) => {
            tracing::error!(%id, error = %e, "cannot mark a damaged message failed");
            Some(after(ctx.backoff.min()))
        }
    }
}

async fn try_attempt(ctx: &Ctx, id: &MessageId) -> Result<Option<Instant>, SpoolError> {
    let Some(upstream) = ctx.upstream.clone() else {
        return Ok(None);
    };
    let entry = ctx.spool.load(id).await?;
    if entry.delivery.state.is_final() {
        return Ok(None);
    }
    let now = ctx.clock.unix_now();
    let remembered = ctx.unrecorded.get(id);
    let rcpts = &entry.envelope.rcpt_to;
    let entry = ctx
        .spool
        .update(id, |d| {
            d.state = State::Sending;
            d.last_attempt = Some(now);
            merge_remembered(d, rcpts, &remembered);
        })
        .await?;
    ctx.unrecorded.forget(id);
    match entry.delivery.state {
        State::Failed => return Ok(None),
        State::Delivered => {
            ctx.spool.remove(id).await?;
            tracing::info!(%id, "delivered (recorded late)");
            return Ok(None);
        }
        _ => {}
    }
    let pending = pending_recipients(&entry);
    if pending.is_empty() {
        ctx.spool.remove(id).await?;
        return Ok(None);
    }
    let result = match prepare(ctx, &entry, &pending, upstream.rewrite_sender()).await {
        Ok(msg) => upstream.deliver(msg).await,
        Err(e) => Err(e),
    };
    if let Err(DeliveryError::Spool(e)) = &result
        && e.is_not_found()
    {
        return Err(SpoolError::NotFound(id.clone()));
    }
    let outcome = Outcome::from_result(&pending, result);
    record(ctx, &entry, &pending, upstream.as_ref(), outcome).await
}

/// Recipients still to try: those neither delivered to nor failed for good. When only failed
/// ones are left, the message was failed and an operator queued it again (`queue retry`):
/// then the failed recipients are tried again.
pub(crate) fn pending_recipients(entry: &Entry) -> Vec<String> {
    let state_of = |rcpt: &String| {
        entry
            .delivery
            .per_rcpt
            .iter()
            .find(|s| s.rcpt == *rcpt)
            .map_or(RcptState::Pending, |s| s.state)
    };
    let rcpts = &entry.envelope.rcpt_to;
    let open: Vec<String> = rcpts
        .iter()
        .filter(|r| !matches!(state_of(r), RcptState::Delivered | RcptState::Failed))
        .cloned()
        .collect();
    if !open.is_empty() {
        return open;
    }
    rcpts
        .iter()
        .filter(|r| state_of(r) == RcptState::Failed)
        .cloned()
        .collect()
}

/// The message as it goes out: the spooled bytes, or (sender rewrite) the rewritten header
/// block followed by the rest of the file, streamed.
async fn prepare(
    ctx: &Ctx,
    entry: &Entry,
    rcpts: &[String],
    rewrite: Option<&str>,
) -> Result<OutgoingMessage, DeliveryError> {
    let mut file = ctx.spool.open_body(&entry.id).await?;
    let Some(account) = rewrite else {
        return Ok(OutgoingMessage {
            id: entry.id.clone(),
            mail_from: entry.envelope.mail_from.clone(),
            rcpt_to: rcpts.to_vec(),
            size: entry.body_len,
            body: Box::pin(file),
        });
    };
    let block = read_header_block(&mut file, MAX_HEADER_BLOCK)
        .await
        .map_err(|e| match e {
            HeaderReadError::TooLong { limit } => DeliveryError::HeaderTooLong { limit },
            HeaderReadError::Io(source) => DeliveryError::Spool(SpoolError::Io {
                path: ctx.spool.body_path(&entry.id),
                op: "read",
                source,
            }),
        })?;
    let head = rewrite_from_header(&block.head, account);
    let size = entry.body_len.saturating_sub(block.head.len() as u64) + head.len() as u64;
    let mut prefix = head;
    prefix.extend_from_slice(&block.rest);
    Ok(OutgoingMessage {
        id: entry.id.clone(),
        mail_from: account.to_string(),
        rcpt_to: rcpts.to_vec(),
        size,
        body: Box::pin(Cursor::new(prefix).chain(file)),
    })
}

/// The envelope of a bounce about `original`, sent `now` to `to`.
pub(crate) fn bounce_envelope(ctx: &Ctx, to: Vec<String>, now: u64, size: u64) -> Envelope {
    Envelope {
        mail_from: String::new(),
        rcpt_to: to,
        received_at: now,
        client_addr: crate::delivery::dsn::DSN_CLIENT_ADDR.to_string(),
        helo: ctx.hostname.clone(),
        auth_user: None,
        size,
    }
}
