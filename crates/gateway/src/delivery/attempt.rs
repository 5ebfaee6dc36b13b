//! One delivery attempt of one spooled message through one upstream, and what its outcome
//! does to the spool.
//!
//! The spool is the source of truth: the attempt re-reads the message (an operator may have
//! deleted or changed it), records [`Event::AttemptStarted`], hands it to the upstream, then
//! records the outcome per recipient (`record`). Delivered to everyone: removed. Some
//! recipients temporarily refused: `Deferred` with backoff (or the upstream's own "retry
//! after"), only those recipients are retried. Refused for good (or expired): bounced, then
//! `Failed` and kept for `queue show`. An upstream whose login needs a person, or that cannot
//! carry the message as set up, holds it ([`Event::Held`]): no attempt is counted and it is
//! never bounced for that. A message whose body file vanished is marked `Failed`; one whose
//! envelope cannot be parsed is left alone until the file changes.

use std::sync::Arc;
use std::time::Duration;

use scanrelay_diagnose::Cause;
use scanrelay_spool::{Entry, Event, HoldReason, MessageId, RcptState, SpoolError, State};
use tokio::time::Instant;

use crate::control::events::EventKind;
use crate::delivery::body::outgoing;
use crate::delivery::ctx::Ctx;
use crate::delivery::outcome::Outcome;
use crate::delivery::record::record;
use crate::delivery::upstream::{DeliveryError, Upstream};
use crate::time::after;

/// How an attempt ended, for the scheduler.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct AttemptEnd {
    /// When the message is due again; `None` when it left the queue, failed or is held.
    pub next: Option<Instant>,
    /// The upstream asked to be left alone this long (HTTP `Retry-After`): the whole lane
    /// pauses.
    pub pause: Option<Duration>,
    /// The upstream's login needs a person: the lane holds its mail until new credentials.
    /// What failed and its diagnosis, for the administrator's notice.
    pub login_failed: Option<(String, Cause)>,
}

impl AttemptEnd {
    fn due(next: Option<Instant>) -> AttemptEnd {
        AttemptEnd {
            next,
            ..AttemptEnd::default()
        }
    }
}

/// Runs one attempt of `id` through `upstream`.
pub(crate) async fn attempt(
    ctx: Arc<Ctx>,
    upstream: Arc<dyn Upstream>,
    id: MessageId,
) -> AttemptEnd {
    match try_attempt(&ctx, upstream.as_ref(), &id).await {
        Ok(end) => end,
        Err(e) if e.is_not_found() => {
            tracing::info!(%id, "message left the spool during delivery (deleted by an operator?)");
            ctx.unrecorded.forget(&id);
            AttemptEnd::default()
        }
        Err(SpoolError::BodyMissing(_)) => AttemptEnd::due(fail_damaged(&ctx, &id).await),
        Err(e @ SpoolError::Json { .. }) => {
            // Not retried: the scheduler's rescan remembers it until the file changes.
            tracing::error!(%id, error = %e, "unreadable envelope; the message is left alone");
            AttemptEnd::default()
        }
        Err(SpoolError::Transition(e)) => {
            tracing::info!(%id, error = %e, "not delivered: the message changed meanwhile");
            AttemptEnd::default()
        }
        Err(e) => {
            tracing::error!(%id, error = %e, "spool error during delivery; retrying later");
            AttemptEnd::due(Some(after(ctx.backoff.min())))
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

/// Marks the attempt started (merging deliveries an earlier attempt could not record); `None`
/// when that finished the message.
async fn start(ctx: &Ctx, id: &MessageId) -> Result<Option<Entry>, SpoolError> {
    let entry = ctx.spool.load(id).await?;
    if entry.delivery.state.is_final() {
        return Ok(None);
    }
    let at = ctx.clock.unix_now();
    let (mut entry, _) = ctx.spool.apply(id, Event::AttemptStarted { at }).await?;
    let remembered = ctx.unrecorded.get(id);
    if !remembered.is_empty() {
        let rcpts = entry.envelope.rcpt_to.clone();
        let event = Event::Remembered {
            statuses: remembered,
            rcpts,
        };
        (entry, _) = ctx.spool.apply(id, event).await?;
        ctx.unrecorded.forget(id);
    }
    match entry.delivery.state {
        State::Failed => Ok(None),
        State::Delivered => {
            ctx.spool.remove(id).await?;
            tracing::info!(%id, "delivered (recorded late)");
            Ok(None)
        }
        _ => Ok(Some(entry)),
    }
}

async fn try_attempt(
    ctx: &Ctx,
    upstream: &dyn Upstream,
    id: &MessageId,
) -> Result<AttemptEnd, SpoolError> {
    let Some(entry) = start(ctx, id).await? else {
        return Ok(AttemptEnd::default());
    };
    let pending = pending_recipients(&entry);
    if pending.is_empty() {
        ctx.spool.remove(id).await?;
        return Ok(AttemptEnd::default());
    }
    let started = Instant::now();
    let result = match outgoing(&ctx.spool, &entry, &pending, upstream.rewrite_sender()).await {
        Ok(msg) => upstream.deliver(msg).await,
        Err(e) => Err(e),
    };
    let took = started.elapsed();
    match &result {
        Err(DeliveryError::Spool(e)) if e.is_not_found() => {
            return Err(SpoolError::NotFound(id.clone()));
        }
        Err(error) if error.holds() => return hold(ctx, upstream, id, error).await,
        _ => {}
    }
    let pause = result.as_ref().err().and_then(DeliveryError::retry_after);
    let outcome = Outcome::from_result(&pending, result);
    let next = record(ctx, &entry, upstream, outcome, pause, took).await?;
    Ok(AttemptEnd {
        next,
        pause,
        login_failed: None,
    })
}

/// Holds the message: the upstream needs a person's login, or cannot carry it as set up.
async fn hold(
    ctx: &Ctx,
    upstream: &dyn Upstream,
    id: &MessageId,
    error: &DeliveryError,
) -> Result<AttemptEnd, SpoolError> {
    let needs_login = matches!(error, DeliveryError::Credentials { .. });
    let detail = error.to_string();
    let reason = if needs_login {
        HoldReason::Login
    } else {
        HoldReason::Setup
    };
    let event = Event::Held {
        reason,
        note: detail.clone(),
        cause: Some(error.cause().to_string()),
    };
    ctx.spool.apply(id, event).await?;
    tracing::warn!(%id, upstream = upstream.name(), cause = %error.cause(), error = %error,
        "message held until this is fixed");
    ctx.events.emit(EventKind::Held {
        id: id.to_string(),
        upstream: upstream.name().to_string(),
        cause: error.cause().to_string(),
    });
    Ok(AttemptEnd {
        login_failed: needs_login.then(|| (detail, error.cause())),
        ..AttemptEnd::default()
    })
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
