//! Recording an attempt's outcome in the spool, in an order that survives a failing disk and a
//! crash at any point without delivering twice or losing a failure notice:
//!
//! 1. Everyone delivered: `Delivered` is written, then the message removed (a rescan removes a
//!    `Delivered` leftover, it is never resent).
//! 2. Otherwise, when some recipients failed for good: the recipients delivered in this attempt
//!    are written first, then the bounce is committed, and only then is the message marked
//!    `Failed` (or `Deferred` for the rest). A crash before the bounce is committed leaves the
//!    message `Sending`: it is tried again and the bounce is made then. A bounce that cannot be
//!    queued is not lost either: the message is tried again later.
//!
//! Every write is retried a few times (short backoff on tokio time) before the attempt gives up.
//! Recipients the upstream accepted but whose state could not be written are remembered in
//! memory ([`Unrecorded`]) and written first by the next attempt, which then does not send to
//! them again.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use scanrelay_spool::{Delivery, Entry, MessageId, RcptState, RcptStatus, SpoolError, State};
use tokio::time::Instant;

use crate::dates::rfc3339;
use crate::delivery::attempt::{Ctx, Outcome};
use crate::delivery::bounce::send_bounce;
use crate::delivery::dsn::{BounceReason, FailedRecipient};
use crate::delivery::upstream::Upstream;
use crate::time::after;

/// The pauses between tries of one spool write: it is tried once, then once after each.
const WRITE_RETRIES: [Duration; 4] = [
    Duration::from_millis(100),
    Duration::from_millis(500),
    Duration::from_secs(2),
    Duration::from_secs(5),
];

/// Recipients the upstream accepted whose state could not be written to the spool yet, per
/// message (in memory: a restart forgets them). Shared by every run of a scheduler.
#[derive(Debug, Default)]
pub(crate) struct Unrecorded {
    by_id: Mutex<HashMap<MessageId, Vec<RcptStatus>>>,
}

impl Unrecorded {
    fn remember(&self, id: &MessageId, delivered: &[RcptStatus]) {
        if delivered.is_empty() {
            return;
        }
        let mut map = self.by_id.lock().unwrap_or_else(|e| e.into_inner());
        let known = map.entry(id.clone()).or_default();
        for status in delivered {
            if !known.iter().any(|k| k.rcpt == status.rcpt) {
                known.push(status.clone());
            }
        }
    }

    /// What is remembered for `id` (kept until [`Unrecorded::forget`]).
    pub(crate) fn get(&self, id: &MessageId) -> Vec<RcptStatus> {
        let map = self.by_id.lock().unwrap_or_else(|e| e.into_inner());
        map.get(id).cloned().unwrap_or_default()
    }

    /// The spool now has what was remembered for `id`, or the message is gone.
    pub(crate) fn forget(&self, id: &MessageId) {
        self.by_id
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(id);
    }
}

/// Marks the `remembered` recipients delivered in `d` (at the start of the next attempt). When
/// that leaves no recipient to try, the message is finished: `Failed` if some failed in an
/// earlier attempt (they were bounced then), else `Delivered`.
pub(crate) fn merge_remembered(d: &mut Delivery, rcpts: &[String], remembered: &[RcptStatus]) {
    if remembered.is_empty() {
        return;
    }
    set_statuses(d, rcpts, remembered.iter().cloned());
    let open = rcpts.iter().any(|r| {
        !d.per_rcpt
            .iter()
            .any(|s| s.rcpt == *r && matches!(s.state, RcptState::Delivered | RcptState::Failed))
    });
    if !open {
        let failed = d.per_rcpt.iter().any(|s| s.state == RcptState::Failed);
        d.state = if failed {
            State::Failed
        } else {
            State::Delivered
        };
    }
}

/// `spool.update`, tried again after each of [`WRITE_RETRIES`] while it fails for a reason
/// that may pass (not for a message that is gone or damaged).
async fn update_retrying(
    ctx: &Ctx,
    id: &MessageId,
    f: impl Fn(&mut Delivery) + Sync,
) -> Result<Entry, SpoolError> {
    let mut pauses = WRITE_RETRIES.iter();
    loop {
        let error = match ctx.spool.update(id, &f).await {
            Ok(entry) => return Ok(entry),
            Err(
                e
                @ (SpoolError::NotFound(_) | SpoolError::BodyMissing(_) | SpoolError::Json { .. }),
            ) => {
                return Err(e);
            }
            Err(e) => e,
        };
        let Some(pause) = pauses.next() else {
            return Err(error);
        };
        tracing::warn!(%id, error = %error, "cannot record a delivery outcome; trying again");
        tokio::time::sleep(*pause).await;
    }
}

/// Writes the outcome to the spool, bounces what failed, and says when to try again.
pub(crate) async fn record(
    ctx: &Ctx,
    entry: &Entry,
    pending: &[String],
    upstream: &dyn Upstream,
    mut outcome: Outcome,
) -> Result<Option<Instant>, SpoolError> {
    let now = ctx.clock.unix_now();
    let reason = expire_if_too_old(ctx, entry, now, &mut outcome);
    let id = &entry.id;
    let rcpts = &entry.envelope.rcpt_to;
    let delivered = delivered_statuses(&outcome);
    let failed_before = entry
        .delivery
        .per_rcpt
        .iter()
        .any(|s| s.state == RcptState::Failed && !pending.contains(&s.rcpt));
    if outcome.deferred.is_empty() && outcome.failed.is_empty() && !failed_before {
        write(ctx, id, &delivered, |d| d.state = State::Delivered).await?;
        ctx.spool.remove(id).await?;
        tracing::info!(%id, upstream = upstream.name(), "delivered");
        return Ok(None);
    }
    if !outcome.failed.is_empty() {
        if !delivered.is_empty() {
            let statuses = delivered.iter().cloned();
            write(ctx, id, &delivered, |d| {
                set_statuses(d, rcpts, statuses.clone())
            })
            .await?;
        }
        let failed: Vec<FailedRecipient> = outcome
            .failed
            .iter()
            .map(|(rcpt, why)| why.failed(rcpt))
            .collect();
        send_bounce(ctx, entry, upstream, &failed, reason).await?;
    }
    let delay = ctx.backoff.delay(entry.delivery.attempts.saturating_add(1));
    let entry_after = write(ctx, id, &delivered, |d| {
        apply(d, rcpts, &outcome, now, delay);
    })
    .await?;
    log_outcome(&entry_after, &outcome, reason);
    Ok((entry_after.delivery.state == State::Deferred).then(|| after(delay)))
}

/// [`update_retrying`]; when it fails for good, the `delivered` recipients are remembered.
async fn write(
    ctx: &Ctx,
    id: &MessageId,
    delivered: &[RcptStatus],
    f: impl Fn(&mut Delivery) + Sync,
) -> Result<Entry, SpoolError> {
    match update_retrying(ctx, id, f).await {
        Ok(entry) => Ok(entry),
        Err(e) => {
            ctx.unrecorded.remember(id, delivered);
            Err(e)
        }
    }
}

/// Past `max_age`, the recipients still deferred fail (and are bounced as expired). The age
/// counts from the arrival, or from the operator's last `queue retry` when that is later: a
/// retried message gets a new `max_age` of retries before it is given up on again, instead of
/// a second failure notice at its first temporary failure.
fn expire_if_too_old(ctx: &Ctx, entry: &Entry, now: u64, outcome: &mut Outcome) -> BounceReason {
    let since = entry
        .delivery
        .retried_at
        .map_or(entry.envelope.received_at, |at| {
            at.max(entry.envelope.received_at)
        });
    let age = now.saturating_sub(since);
    if outcome.deferred.is_empty() || age <= ctx.settings.max_age.as_secs() {
        return BounceReason::Permanent;
    }
    let expired = std::mem::take(&mut outcome.deferred);
    outcome.failed.extend(expired);
    BounceReason::Expired { hours: age / 3600 }
}

fn delivered_statuses(outcome: &Outcome) -> Vec<RcptStatus> {
    outcome
        .delivered
        .iter()
        .map(|(rcpt, reply)| RcptStatus {
            rcpt: rcpt.clone(),
            state: RcptState::Delivered,
            reply: reply.as_ref().map(|r| r.wire_lines().join("\n")),
        })
        .collect()
}

/// Sets the per-recipient statuses given, kept in envelope order.
fn set_statuses(d: &mut Delivery, rcpts: &[String], statuses: impl Iterator<Item = RcptStatus>) {
    for new in statuses {
        match d.per_rcpt.iter_mut().find(|s| s.rcpt == new.rcpt) {
            Some(status) => *status = new,
            None => d.per_rcpt.push(new),
        }
    }
    d.per_rcpt.sort_by_key(|s| {
        rcpts
            .iter()
            .position(|r| *r == s.rcpt)
            .unwrap_or(usize::MAX)
    });
}

/// The new delivery state after an attempt that did not deliver to everyone.
fn apply(d: &mut Delivery, rcpts: &[String], outcome: &Outcome, now: u64, delay: Duration) {
    d.attempts = d.attempts.saturating_add(1);
    let status = |rcpt: &String, state, reply: Option<&scanrelay_proto::Reply>| RcptStatus {
        rcpt: rcpt.clone(),
        state,
        reply: reply.map(|r| r.wire_lines().join("\n")),
    };
    let statuses = outcome
        .delivered
        .iter()
        .map(|(r, reply)| status(r, RcptState::Delivered, reply.as_ref()))
        .chain(
            outcome
                .deferred
                .iter()
                .map(|(r, w)| status(r, RcptState::Deferred, w.reply.as_ref())),
        )
        .chain(
            outcome
                .failed
                .iter()
                .map(|(r, w)| status(r, RcptState::Failed, w.reply.as_ref())),
        );
    set_statuses(d, rcpts, statuses);
    if let Some(why) = outcome.headline() {
        d.last_reply = why.reply.as_ref().map(|r| r.wire_lines().join("\n"));
        d.last_cause = Some(why.cause.to_string());
        d.last_error = Some(why.error.clone());
    }
    if outcome.deferred.is_empty() {
        d.state = State::Failed;
    } else {
        d.state = State::Deferred;
        let secs = delay.as_secs() + u64::from(delay.subsec_nanos() > 0);
        d.next_attempt = now.saturating_add(secs);
    }
}

fn log_outcome(entry: &Entry, outcome: &Outcome, reason: BounceReason) {
    let id = &entry.id;
    let d = &entry.delivery;
    let cause = d.last_cause.as_deref().unwrap_or("unknown");
    let error = d.last_error.as_deref().unwrap_or("");
    match d.state {
        State::Deferred => tracing::warn!(
            %id, attempts = d.attempts, next_attempt = %rfc3339(d.next_attempt), cause, error,
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
