//! The scheduler's bookkeeping: one [`Lane`] per upstream (its own due list, concurrency cap,
//! pacing, pause and login state), and what is known about each message ([`Known`]).
//!
//! A message belongs to the lane of the upstream its envelope was routed to at acceptance
//! (the default upstream when it names none, or names one no longer configured). One slow or
//! paused upstream therefore never holds another's mail: each lane starts its own due messages
//! up to its own cap.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use scanrelay_spool::{HoldReason, MessageId, Stamp};
use tokio::time::Instant;

use crate::delivery::pacing::{Pacer, Pacing};
use crate::delivery::upstream::Upstream;

/// The upstreams a scheduler delivers through, and which one is the default.
#[derive(Clone, Default)]
pub struct Upstreams {
    pub(crate) list: Vec<(Arc<dyn Upstream>, Pacing)>,
    pub(crate) default: Option<String>,
}

impl Upstreams {
    /// No upstream: every message is held.
    pub fn none() -> Upstreams {
        Upstreams::default()
    }

    /// One upstream, the default, unpaced.
    pub fn single(upstream: Arc<dyn Upstream>) -> Upstreams {
        let default = Some(upstream.name().to_string());
        Upstreams {
            list: vec![(upstream, Pacing::default())],
            default,
        }
    }

    /// Several upstreams with their pacing; `default` names the one for messages routed to no
    /// upstream in particular (the first when `None`).
    pub fn new(list: Vec<(Arc<dyn Upstream>, Pacing)>, default: Option<String>) -> Upstreams {
        let default = default.or_else(|| list.first().map(|(u, _)| u.name().to_string()));
        Upstreams { list, default }
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The upstreams.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<dyn Upstream>> {
        self.list.iter().map(|(u, _)| u)
    }
}

/// One upstream's queue.
pub(crate) struct Lane {
    pub upstream: Arc<dyn Upstream>,
    /// Most attempts at once.
    pub limit: usize,
    /// Attempts running.
    pub in_flight: usize,
    /// Due messages, earliest first.
    pub due: BTreeSet<(Instant, MessageId)>,
    pub pacer: Pacer,
    /// The upstream asked to be left alone until then.
    pub paused_until: Option<Instant>,
    /// Its login needs a person: its mail is held until new credentials arrive.
    pub needs_login: bool,
}

impl Lane {
    pub(crate) fn new(upstream: Arc<dyn Upstream>, pacing: Pacing) -> Lane {
        Lane {
            limit: upstream.max_concurrency().max(1),
            upstream,
            in_flight: 0,
            due: BTreeSet::new(),
            pacer: Pacer::new(pacing),
            paused_until: None,
            needs_login: false,
        }
    }

    /// Whether the lane may start another attempt at `now`.
    pub(crate) fn can_start(&self, now: Instant) -> bool {
        self.in_flight < self.limit && self.paused_until.is_none_or(|until| until <= now)
    }

    /// The first message due at `now`, taken off the list.
    pub(crate) fn pop_due(&mut self, now: Instant) -> Option<MessageId> {
        let (when, _) = self.due.first()?;
        if *when > now {
            return None;
        }
        self.due.pop_first().map(|(_, id)| id)
    }

    /// When the scheduler must look at this lane again (`None`: only when something changes).
    pub(crate) fn wake_at(&self, now: Instant) -> Option<Instant> {
        if self.in_flight >= self.limit {
            return None;
        }
        let first = self.due.first().map(|(when, _)| *when)?;
        Some(match self.paused_until {
            Some(until) if until > now => until.max(first),
            _ => first,
        })
    }
}

/// What the scheduler knows about one message.
#[derive(Debug, Clone, Default)]
pub(crate) struct Known {
    /// The envelope stamp the schedule was derived from; `None` forces a re-read.
    pub stamp: Option<Stamp>,
    /// The lane (upstream name) it goes through; `None` when no upstream can take it.
    pub lane: Option<String>,
    /// When it is due; `None` for messages not to be tried now (failed, held, busy).
    pub due: Option<Instant>,
    /// Why it is held, when it is.
    pub hold: Option<HoldReason>,
    /// A pacing slot reserved for it (Unix seconds): when due, it goes without asking again.
    pub slot: Option<u64>,
    /// An attempt or a state write for it is running.
    pub busy: bool,
}

/// Every message seen, and the lanes.
#[derive(Default)]
pub(crate) struct Board {
    pub lanes: HashMap<String, Lane>,
    pub default: Option<String>,
    pub known: HashMap<MessageId, Known>,
}

impl Board {
    pub(crate) fn new(upstreams: Upstreams) -> Board {
        let lanes = upstreams
            .list
            .into_iter()
            .map(|(u, pacing)| (u.name().to_string(), Lane::new(u, pacing)))
            .collect();
        Board {
            lanes,
            default: upstreams.default,
            known: HashMap::new(),
        }
    }

    /// The lane for a message routed to `route`: that upstream when it exists, else the
    /// default; `None` when there is no upstream at all.
    pub(crate) fn lane_for(&self, route: Option<&str>) -> Option<String> {
        match route {
            Some(name) if self.lanes.contains_key(name) => Some(name.to_string()),
            _ => self.default.clone().filter(|d| self.lanes.contains_key(d)),
        }
    }

    /// Takes `id` off its lane's due list.
    fn unschedule(&mut self, id: &MessageId) {
        let Some(known) = self.known.get_mut(id) else {
            return;
        };
        if let (Some(when), Some(lane)) = (known.due.take(), known.lane.as_ref())
            && let Some(lane) = self.lanes.get_mut(lane)
        {
            lane.due.remove(&(when, id.clone()));
        }
    }

    /// Records `id` as going through `lane`, due at `due`, derived from the envelope `stamp`.
    pub(crate) fn schedule(
        &mut self,
        id: &MessageId,
        lane: Option<String>,
        due: Option<Instant>,
        stamp: Option<Stamp>,
    ) {
        self.unschedule(id);
        let known = self.known.entry(id.clone()).or_default();
        known.lane = lane;
        known.stamp = stamp;
        known.due = due;
        if let (Some(when), Some(name)) = (due, known.lane.as_ref())
            && let Some(lane) = self.lanes.get_mut(name)
        {
            lane.due.insert((when, id.clone()));
        }
    }

    /// Sets when `id` is due again, keeping its lane (`None` for the stamp: re-read it at the
    /// next rescan, since the attempt or write changed its envelope).
    pub(crate) fn reschedule(&mut self, id: &MessageId, due: Option<Instant>) {
        let lane = self.known.get(id).and_then(|k| k.lane.clone());
        self.schedule(id, lane, due, None);
    }

    /// Forgets `id` (gone from the spool), giving back a pacing slot it had reserved.
    pub(crate) fn forget(&mut self, id: &MessageId) {
        self.unschedule(id);
        if let Some(known) = self.known.remove(id)
            && let (Some(slot), Some(lane)) = (known.slot, known.lane)
            && let Some(lane) = self.lanes.get_mut(&lane)
        {
            lane.pacer.release(slot);
        }
    }

    /// Whether the schedule for `id` is current with its envelope (or something runs for it).
    pub(crate) fn is_current(&self, id: &MessageId, stamp: Stamp) -> bool {
        self.known
            .get(id)
            .is_some_and(|k| k.busy || k.stamp == Some(stamp))
    }

    /// The messages held for `reason` (in lane `lane`, when given).
    pub(crate) fn held(&self, reason: HoldReason, lane: Option<&str>) -> Vec<MessageId> {
        self.known
            .iter()
            .filter(|(_, k)| k.hold == Some(reason) && !k.busy)
            .filter(|(_, k)| lane.is_none_or(|l| k.lane.as_deref() == Some(l)))
            .map(|(id, _)| id.clone())
            .collect()
    }
}
