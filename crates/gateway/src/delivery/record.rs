//! Recording an attempt's outcome in the spool, in an order that survives a failing disk and a
//! crash at any point without delivering twice or losing a failure notice:
//!
//! 1. Everyone delivered: [`Event::AttemptEnded`] makes it `Delivered`, then the message is
//!    removed (a rescan removes a `Delivered` leftover, it is never resent).
//! 2. Otherwise, when some recipients failed for good: the recipients delivered in this attempt
//!    are written first ([`Event::Delivered`]), then the bounce is committed, and only then does
//!    [`Event::AttemptEnded`] mark the message `Failed` (or `Deferred` for the rest). A crash before the bounce is committed leaves the
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

use scanrelay_spool::{Entry, Event, MessageId, RcptStatus, SpoolError, State};
use tokio::time::Instant;

use crate::control::events::EventKind;
use crate::dates::rfc3339;
use crate::delivery::bounce::send_bounce;
use crate::delivery::ctx::Ctx;
use crate::delivery::dsn::{BounceReason, FailedRecipient};
use crate::delivery::outcome::Outcome;
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

/// `spool.apply`, tried again after each of [`WRITE_RETRIES`] while it fails for a reason
/// that may pass (not for a message that is gone, damaged or changed meanwhile).
async fn apply_retrying(ctx: &Ctx, id: &MessageId, event: &Event) -> Result<Entry, SpoolError> {
    let mut pauses = WRITE_RETRIES.iter();
    loop {
        let error = match ctx.spool.apply(id, event.clone()).await {
            Ok((entry, _)) => return Ok(entry),
            Err(
                e @ (SpoolError::NotFound(_)
                | SpoolError::BodyMissing(_)
                | SpoolError::Json { .. }
                | SpoolError::Transition(_)),
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

/// [`apply_retrying`]; when it fails for good, the `delivered` recipients are remembered.
async fn write(
    ctx: &Ctx,
    id: &MessageId,
    delivered: &[RcptStatus],
    event: Event,
) -> Result<Entry, SpoolError> {
    match apply_retrying(ctx, id, &event).await {
        Ok(entry) => Ok(entry),
        Err(e) => {
            ctx.unrecorded.remember(id, delivered);
            Err(e)
        }
    }
}

/// Writes the outcome to the spool, bounces what failed, and says when to try again:
/// after the backoff delay, or after `pause` when the upstream asked for a longer one.
pub(crate) async fn record(
    ctx: &Ctx,
    entry: &Entry,
    upstream: &dyn Upstream,
    mut outcome: Outcome,
    pause: Option<Duration>,
    took: Duration,
) -> Result<Option<Instant>, SpoolError> {
    let now = ctx.clock.unix_now();
    let reason = expire_if_too_old(ctx, entry, now, &mut outcome);
    let id = &entry.id;
    let delivered = outcome.delivered_statuses();
    if !outcome.failed.is_empty() {
        if !delivered.is_empty() {
            let event = Event::Delivered(delivered.clone());
            write(ctx, id, &delivered, event).await?;
        }
        let failed: Vec<FailedRecipient> = outcome
            .failed
            .iter()
            .map(|(rcpt, why)| why.failed(rcpt))
            .collect();
        send_bounce(ctx, entry, upstream, &failed, reason).await?;
    }
    let backoff = ctx.backoff.delay(entry.delivery.attempts.saturating_add(1));
    let delay = pause.map_or(backoff, |p| p.max(backoff));
    let secs = delay.as_secs() + u64::from(delay.subsec_nanos() > 0);
    // In envelope order, so `queue show` lists recipients as the device gave them.
    let mut statuses = outcome.statuses();
    let rcpts = &entry.envelope.rcpt_to;
    statuses.sort_by_key(|s| rcpts.iter().position(|r| *r == s.rcpt));
    let event = Event::AttemptEnded {
        statuses,
        failure: outcome.headline().map(|why| why.failure()),
        retry_at: now.saturating_add(secs),
    };
    let entry_after = write(ctx, id, &delivered, event).await?;
    if entry_after.delivery.state == State::Delivered {
        ctx.spool.remove(id).await?;
        tracing::info!(%id, upstream = upstream.name(), "delivered");
        ctx.events.emit(EventKind::Delivered {
            id: id.to_string(),
            upstream: upstream.name().to_string(),
            latency_ms: u64::try_from(took.as_millis()).unwrap_or(u64::MAX),
        });
        return Ok(None);
    }
    log_outcome(&entry_after, &outcome, reason);
    emit_outcome(
        ctx,
        &entry_after,
        upstream.name(),
        !outcome.failed.is_empty(),
    );
    Ok((entry_after.delivery.state == State::Deferred).then(|| after(delay)))
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

/// The event for an attempt that did not deliver everything: some recipients failed for
/// good, or the message waits for another attempt.
fn emit_outcome(ctx: &Ctx, entry: &Entry, upstream: &str, failed: bool) {
    let d = &entry.delivery;
    let (id, upstream) = (entry.id.to_string(), upstream.to_string());
    let cause = d
        .last_cause
        .clone()
        .unwrap_or_else(|| "unknown".to_string());
    let reply = d
        .last_error
        .as_deref()
        .map(|e| crate::queue::first_line(e).to_string())
        .unwrap_or_default();
    let kind = if failed {
        EventKind::Failed {
            id,
            upstream,
            cause,
            reply,
        }
    } else if d.state == State::Deferred {
        EventKind::Deferred {
            id,
            upstream,
            cause,
            reply,
        }
    } else {
        return;
    };
    ctx.events.emit(kind);
}
