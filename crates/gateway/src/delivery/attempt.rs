//! One delivery attempt of one spooled message, and what its outcome does to the spool.
//!
//! The spool is the source of truth: the attempt re-reads the message (an operator may have
//! deleted or changed it), marks it `Sending`, hands it to the upstream, then records the
//! outcome per recipient. Delivered to everyone: removed. Some recipients temporarily refused:
//! `Deferred` with backoff, only those recipients are retried. Refused for good (or expired):
//! `Failed`, kept for `queue show`, and bounced.

use std::io::Cursor;
use std::sync::Arc;
use std::time::Duration;

use scanrelay_diagnose::Cause;
use scanrelay_proto::Reply;
use scanrelay_spool::{
    Delivery, Entry, Envelope, MessageId, RcptState, RcptStatus, Spool, SpoolError, State,
};
use tokio::io::AsyncReadExt;
use tokio::sync::Notify;
use tokio::time::Instant;

use crate::delivery::backoff::Backoff;
use crate::delivery::bounce::send_bounce;
use crate::delivery::clock::Clock;
use crate::delivery::dsn::{BounceReason, FailedRecipient};
use crate::delivery::rewrite::{
    HeaderReadError, MAX_HEADER_BLOCK, read_header_block, rewrite_from_header,
};
use crate::delivery::upstream::{DeliveryError, DeliveryReport, OutgoingMessage, Upstream};
use crate::settings::DeliverySettings;

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
}

/// Why a recipient did not get the message in this attempt.
#[derive(Debug, Clone)]
struct Why {
    reply: Option<Reply>,
    cause: Cause,
    error: String,
}

impl Why {
    fn of(error: &DeliveryError) -> Why {
        Why {
            reply: error.reply().cloned(),
            cause: error.cause(),
            error: error.to_string(),
        }
    }

    fn failed(&self, rcpt: &str) -> FailedRecipient {
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
struct Outcome {
    delivered: Vec<(String, Option<Reply>)>,
    deferred: Vec<(String, Why)>,
    failed: Vec<(String, Why)>,
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
    fn headline(&self) -> Option<&Why> {
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
            None
        }
        Err(e) => {
            tracing::error!(%id, error = %e, "spool error during delivery; retrying later");
            Some(Instant::now() + ctx.backoff.min())
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
    let entry = ctx
        .spool
        .update(id, |d| {
            d.state = State::Sending;
            d.last_attempt = Some(now);
        })
        .await?;
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

/// Writes the outcome to the spool, bounces what failed, and says when to try again.
async fn record(
    ctx: &Ctx,
    entry: &Entry,
    pending: &[String],
    upstream: &dyn Upstream,
    mut outcome: Outcome,
) -> Result<Option<Instant>, SpoolError> {
    let now = ctx.clock.unix_now();
    let age = now.saturating_sub(entry.envelope.received_at);
    let mut reason = BounceReason::Permanent;
    if !outcome.deferred.is_empty() && age > ctx.settings.max_age.as_secs() {
        reason = BounceReason::Expired { hours: age / 3600 };
        let expired = std::mem::take(&mut outcome.deferred);
        outcome.failed.extend(expired);
    }
    let id = &entry.id;
    let failed_before = entry
        .delivery
        .per_rcpt
        .iter()
        .any(|s| s.state == RcptState::Failed && !pending.contains(&s.rcpt));
    if outcome.deferred.is_empty() && outcome.failed.is_empty() && !failed_before {
        // Recorded first: if the removal fails, a rescan removes it, it is never resent.
        ctx.spool.update(id, |d| d.state = State::Delivered).await?;
        ctx.spool.remove(id).await?;
        tracing::info!(%id, upstream = upstream.name(), "delivered");
        return Ok(None);
    }
    let delay = ctx.backoff.delay(entry.delivery.attempts + 1);
    let entry_after = ctx
        .spool
        .update(id, |d| {
            apply(d, &entry.envelope.rcpt_to, &outcome, now, delay)
        })
        .await?;
    log_outcome(&entry_after, &outcome, reason);
    if !outcome.failed.is_empty() {
        let failed: Vec<FailedRecipient> = outcome
            .failed
            .iter()
            .map(|(rcpt, why)| why.failed(rcpt))
            .collect();
        send_bounce(ctx, entry, upstream, &failed, reason).await;
    }
    Ok((entry_after.delivery.state == State::Deferred).then(|| Instant::now() + delay))
}

/// The new delivery state after an attempt that did not deliver to everyone.
fn apply(d: &mut Delivery, rcpts: &[String], outcome: &Outcome, now: u64, delay: Duration) {
    d.attempts += 1;
    let statuses = outcome
        .delivered
        .iter()
        .map(|(r, reply)| (r, RcptState::Delivered, reply.as_ref()))
        .chain(
            outcome
                .deferred
                .iter()
                .map(|(r, w)| (r, RcptState::Deferred, w.reply.as_ref())),
        )
        .chain(
            outcome
                .failed
                .iter()
                .map(|(r, w)| (r, RcptState::Failed, w.reply.as_ref())),
        );
    for (rcpt, state, reply) in statuses {
        let reply = reply.map(|r| r.wire_lines().join("\n"));
        match d.per_rcpt.iter_mut().find(|s| s.rcpt == *rcpt) {
            Some(status) => {
                status.state = state;
                status.reply = reply;
            }
            None => d.per_rcpt.push(RcptStatus {
                rcpt: rcpt.clone(),
                state,
                reply,
            }),
        }
    }
    d.per_rcpt.sort_by_key(|s| {
        rcpts
            .iter()
            .position(|r| *r == s.rcpt)
            .unwrap_or(usize::MAX)
    });
    if let Some(why) = outcome.headline() {
        d.last_reply = why.reply.as_ref().map(|r| r.wire_lines().join("\n"));
        d.last_cause = Some(why.cause.to_string());
        d.last_error = Some(why.error.clone());
    }
    if outcome.deferred.is_empty() {
        d.state = State::Failed;
    } else {
        d.state = State::Deferred;
        d.next_attempt = now + delay.as_secs() + u64::from(delay.subsec_nanos() > 0);
    }
}

fn log_outcome(entry: &Entry, outcome: &Outcome, reason: BounceReason) {
    let id = &entry.id;
    let d = &entry.delivery;
    let cause = d.last_cause.as_deref().unwrap_or("unknown");
    let error = d.last_error.as_deref().unwrap_or("");
    match d.state {
        State::Deferred => tracing::warn!(
            %id, attempts = d.attempts, next_attempt = d.next_attempt, cause, error,
            "delivery deferred"
        ),
        _ if outcome.failed.is_empty() => tracing::info!(
            %id, "delivered to the remaining recipients; earlier failures stay recorded"
        ),
        _ => tracing::error!(
            %id, attempts = d.attempts, cause, error, failed = outcome.failed.len(),
            expired = matches!(reason, BounceReason::Expired { .. }),
            "delivery failed"
        ),
    }
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
