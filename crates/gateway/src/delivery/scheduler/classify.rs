//! Rescanning the spool: which lane each message goes through and when it is due, from its
//! stored state.

use scanrelay_spool::{Committed, Entry, Event, HoldReason, ScanItem, SpoolError, Stamp, State};
use tokio::time::Instant;

use super::{Runner, due_in};

impl Runner {
    /// Re-reads the spool: new and changed messages are (re)scheduled, vanished ones dropped.
    pub(super) async fn rescan(&mut self) {
        let items = match self.ctx.spool.scan().await {
            Ok(items) => items,
            Err(e) => {
                tracing::error!(error = %e, "cannot scan the spool");
                return;
            }
        };
        let present = Runner::present_ids(&items);
        let gone: Vec<_> = self
            .board
            .known
            .iter()
            .filter(|(id, k)| !present.contains(id) && !k.busy)
            .map(|(id, _)| id.clone())
            .collect();
        for id in &gone {
            self.board.forget(id);
        }
        self.absorb(&items).await;
    }

    /// Schedules messages the listener just committed (see [`super::SchedulerHandle::queued`]),
    /// from what the commit stored: no reading the spool.
    pub(super) async fn take_arrivals(&mut self, messages: Vec<Committed>) {
        for Committed { entry, item } in messages {
            if !self.board.is_current(&item.id, item.stamp) {
                self.classify(entry, item.stamp).await;
            }
        }
    }

    /// Reads and schedules the listed messages that are new or whose files changed.
    async fn absorb(&mut self, items: &[ScanItem]) {
        for ScanItem { id, stamp } in items {
            if self.board.is_current(id, *stamp) {
                continue;
            }
            match self.ctx.spool.load(id).await {
                Ok(entry) => self.classify(entry, *stamp).await,
                Err(e) if e.is_not_found() => self.board.forget(id),
                Err(e @ SpoolError::Json { .. }) => {
                    // Remembered by its stamp: logged once, read again only when it changes.
                    tracing::error!(%id, error = %e,
                        "unreadable envelope: the message is left alone until the file changes");
                    self.board.schedule(id, None, None, Some(*stamp));
                }
                Err(e) => tracing::error!(%id, error = %e, "cannot read a spooled message"),
            }
        }
    }

    /// Schedules one message according to its stored state and route.
    async fn classify(&mut self, entry: Entry, stamp: Stamp) {
        let id = entry.id.clone();
        let d = &entry.delivery;
        let lane = self.board.lane_for(entry.envelope.route.as_deref());
        if let Some(route) = entry.envelope.route.as_deref()
            && lane.as_deref() != Some(route)
            && !self.board.lanes.is_empty()
        {
            tracing::warn!(%id, route, "the message's upstream is no longer configured; \
                it goes through the default upstream");
        }
        let hold = (d.state == State::Waiting).then(|| d.hold.unwrap_or(HoldReason::NoUpstream));
        self.board.schedule(&id, lane.clone(), None, Some(stamp));
        if let Some(known) = self.board.known.get_mut(&id) {
            known.hold = hold;
        }
        let due = match (d.state, &lane) {
            (State::Failed, _) => None,
            (State::Delivered, _) => {
                // Delivered but not yet removed when the server stopped.
                if let Err(e) = self.ctx.spool.remove(&id).await {
                    tracing::warn!(%id, error = %e, "cannot remove a delivered message");
                }
                self.board.forget(&id);
                return;
            }
            (_, None) => {
                if hold != Some(HoldReason::NoUpstream) {
                    self.hold_no_upstream(&id);
                }
                None
            }
            (State::Waiting, Some(lane)) => {
                self.release_if_fixed(&id, hold, lane);
                None
            }
            // Interrupted (stop, crash, or the outcome could not be recorded): not sooner
            // than `retry_min` after that attempt, so a spool that cannot record outcomes
            // does not turn into a resend loop.
            (State::Sending, _) => {
                let last = d.last_attempt.unwrap_or(0);
                let retry_min = self.ctx.backoff.min().as_secs();
                Some(self.due_instant(last.saturating_add(retry_min)))
            }
            (State::Queued | State::Deferred | State::Paced, _) => {
                Some(self.due_instant(d.next_attempt))
            }
        };
        self.board.schedule(&id, lane, due, Some(stamp));
    }

    fn hold_no_upstream(&mut self, id: &scanrelay_spool::MessageId) {
        let event = Event::Held {
            reason: HoldReason::NoUpstream,
            note: self.waiting_note.clone(),
            cause: None,
        };
        self.write(id.clone(), event, None);
    }

    /// A held message whose reason is gone (an upstream now exists, or its login was renewed)
    /// is released; one held for its setup waits for an operator's retry.
    fn release_if_fixed(
        &mut self,
        id: &scanrelay_spool::MessageId,
        hold: Option<HoldReason>,
        lane: &str,
    ) {
        let fixed = match hold {
            None | Some(HoldReason::NoUpstream) => true,
            Some(HoldReason::Login) => self.board.lanes.get(lane).is_some_and(|l| !l.needs_login),
            Some(HoldReason::Setup) => false,
        };
        if fixed {
            let now = self.ctx.clock.unix_now();
            self.write(id.clone(), Event::Released { now }, Some(Instant::now()));
        }
    }

    /// The tokio instant for a stored Unix time (now if it is in the past).
    fn due_instant(&self, unix: u64) -> Instant {
        due_in(unix, self.ctx.clock.unix_now())
    }
}
