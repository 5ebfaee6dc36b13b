//! Reloading delivery without a restart: new upstreams (lanes) and settings (retry delays,
//! `admin_notify`) from a config reload, and the lanes' state published for the gateway's
//! status page.
//!
//! Attempts already running finish on the upstream they started with (they hold it); a lane
//! whose upstream keeps its name keeps its count of attempts in flight, its pause and its
//! pacing slots, so a reload neither exceeds a concurrency cap nor forgets a provider's
//! `Retry-After`. Every message that is not being sent is classified again against the new
//! lanes at the rescan that follows, and mail held for a login or a setup problem is released
//! once: the new settings may have fixed it (if not, it is held again after one attempt, and
//! the administrator's login notice is not sent twice: its marker stays).

use std::sync::Arc;

use scanrelay_spool::{Event, HoldReason, MessageId};
use tokio::sync::watch;
use tokio::time::Instant;

use super::{Runner, Scheduler, watch_logins};
use crate::delivery::backoff::{Backoff, BackoffError};
use crate::delivery::ctx::Ctx;
use crate::delivery::lanes::{Lane, Upstreams};
use crate::settings::DeliverySettings;

/// A reloaded delivery setup.
pub(crate) struct Update {
    upstreams: Upstreams,
    settings: DeliverySettings,
    backoff: Backoff,
    hostname: String,
}

/// Hands reloaded upstreams and settings to a running [`Scheduler`] (and to the runs its
/// supervisor starts after it). Cheap to clone.
#[derive(Clone)]
pub struct DeliveryReconfigure {
    updates: Arc<watch::Sender<Option<Arc<Update>>>>,
}

impl std::fmt::Debug for DeliveryReconfigure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeliveryReconfigure")
            .finish_non_exhaustive()
    }
}

impl DeliveryReconfigure {
    /// Delivery goes through `upstreams` with `settings` from now on. Fails, changing
    /// nothing, when the retry delays are invalid.
    pub fn apply(
        &self,
        upstreams: Upstreams,
        settings: DeliverySettings,
        hostname: String,
    ) -> Result<(), BackoffError> {
        let backoff = Backoff::new(settings.retry_min, settings.retry_max)?;
        let update = Update {
            upstreams,
            settings,
            backoff,
            hostname,
        };
        self.updates.send_replace(Some(Arc::new(update)));
        Ok(())
    }
}

/// One lane (upstream) as the status shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaneView {
    /// The upstream's name.
    pub name: String,
    /// Its OAuth2 login needs a person; its mail is held.
    pub needs_login: bool,
    /// It asked to be left alone (`Retry-After`) until this Unix time.
    pub paused_until: Option<u64>,
    /// Attempts running now.
    pub in_flight: usize,
}

impl Scheduler {
    /// A handle to reload this scheduler's upstreams and settings.
    pub fn reconfigurer(&self) -> DeliveryReconfigure {
        DeliveryReconfigure {
            updates: self.updates.clone(),
        }
    }

    /// The lanes' state as last published by the running scheduler.
    pub fn lanes(&self) -> Arc<std::sync::Mutex<Vec<LaneView>>> {
        self.lanes_view.clone()
    }
}

impl Runner {
    /// Takes the newest update, if any.
    pub(super) fn apply_update(&mut self) {
        let update = self.updates.borrow_and_update().clone();
        if let Some(update) = update {
            self.reconfigure(&update);
        }
    }

    /// Runs with `update` from now on.
    pub(super) fn reconfigure(&mut self, update: &Update) {
        self.ctx = Arc::new(Ctx {
            spool: self.ctx.spool.clone(),
            settings: update.settings.clone(),
            backoff: update.backoff,
            clock: self.ctx.clock.clone(),
            hostname: update.hostname.clone(),
            wake: self.ctx.wake.clone(),
            unrecorded: self.ctx.unrecorded.clone(),
            events: self.ctx.events.clone(),
        });
        for watcher in self.watchers.drain(..) {
            watcher.abort();
        }
        for upstream in update.upstreams.iter() {
            if let Some(rx) = upstream.credentials_changed() {
                let name = upstream.name().to_string();
                let task = watch_logins(name, rx, self.logins_tx.clone());
                self.watchers.push(tokio::spawn(task));
            }
        }
        self.replace_lanes(update.upstreams.clone());
        let release: Vec<MessageId> = [HoldReason::Login, HoldReason::Setup]
            .into_iter()
            .flat_map(|reason| self.board.held(reason, None))
            .collect();
        tracing::info!(
            upstreams = self.board.lanes.len(),
            released = release.len(),
            "delivery reloaded"
        );
        let now = self.ctx.clock.unix_now();
        for id in release {
            self.write(id, Event::Released { now }, Some(Instant::now()));
        }
    }

    /// New lanes; a lane that keeps its name keeps its attempts in flight, pause and pacing
    /// slots. Every message not being sent is classified again at the next rescan.
    fn replace_lanes(&mut self, upstreams: Upstreams) {
        let mut old = std::mem::take(&mut self.board.lanes);
        for (upstream, pacing) in upstreams.list {
            let name = upstream.name().to_string();
            let mut lane = Lane::new(upstream, pacing);
            if let Some(previous) = old.remove(&name) {
                lane.in_flight = previous.in_flight;
                lane.paused_until = previous.paused_until;
                if previous.pacer.pacing() == pacing {
                    lane.pacer = previous.pacer;
                }
            }
            self.board.lanes.insert(name, lane);
        }
        self.board.default = upstreams.default;
        for known in self.board.known.values_mut() {
            if !known.busy {
                known.stamp = None;
                known.due = None;
            }
        }
    }

    /// Publishes the lanes' state for the status page.
    pub(super) fn publish_lanes(&self) {
        self.no_upstream.store(
            self.board.lanes.is_empty(),
            std::sync::atomic::Ordering::Relaxed,
        );
        let now = Instant::now();
        let now_unix = self.ctx.clock.unix_now();
        let mut view: Vec<LaneView> = self
            .board
            .lanes
            .iter()
            .map(|(name, lane)| LaneView {
                name: name.clone(),
                needs_login: lane.needs_login,
                paused_until: lane
                    .paused_until
                    .filter(|until| *until > now)
                    .map(|until| now_unix + (until - now).as_secs()),
                in_flight: lane.in_flight,
            })
            .collect();
        view.sort_by(|a, b| a.name.cmp(&b.name));
        *self.lanes_view.lock().unwrap_or_else(|e| e.into_inner()) = view;
    }
}
