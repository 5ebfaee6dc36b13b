//! The delivery scheduler: decides when each spooled message is tried, and runs attempts.
//!
//! Shaped like mini-redis' expiry task (`db.rs`): an ordered set of `(when, id)`, a
//! [`Notify`] to be woken early, and `sleep_until` the earliest entry. All scheduling time is
//! tokio time, so tests run with `tokio::time::pause()`. The spool stays the source of truth:
//! the set is rebuilt from [`Spool::scan`] at start, on [`SchedulerHandle::wake`] and every
//! `rescan_interval`, which also picks up `scanrelay queue retry` / `queue delete` run from
//! another process (a changed envelope is re-read; a vanished message is forgotten).
//!
//! Without an upstream every message is held (`waiting`). That is said in one WARN when the
//! first held message is seen (at start, if the spool has some) and again every
//! [`HELD_REMINDER`] while any is held, with their number, not once per message.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use scanrelay_spool::{Entry, MessageId, ScanItem, Spool, SpoolError, Stamp, State};
use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;
use tokio::time::{Instant, sleep_until};

use crate::delivery::attempt::{Ctx, attempt};
use crate::delivery::backoff::{Backoff, BackoffError};
use crate::delivery::clock::{Clock, SystemClock};
use crate::delivery::record::Unrecorded;
use crate::delivery::upstream::Upstream;
use crate::settings::DeliverySettings;
use crate::time::after;

/// The shortest rescan period accepted, whatever the settings say.
const MIN_RESCAN: Duration = Duration::from_millis(100);
/// The longest a stored time can postpone a message. Backoff never schedules further than
/// `retry_max`; anything beyond this comes from a damaged or hand-edited envelope (or a
/// clock that jumped) and must neither overflow nor hide the message for years.
pub(crate) const MAX_WAIT: Duration = Duration::from_secs(24 * 3600);
/// How often the WARN about mail held for lack of an upstream is repeated while it lasts.
pub(crate) const HELD_REMINDER: Duration = Duration::from_secs(3600);
/// How long a stopping scheduler waits for the attempts in flight. Those still running after
/// it are abandoned: their messages stay `Sending` and are tried again `retry_min` after the
/// next start (so a message whose final `.` was already sent may go out twice).
pub const DRAIN_GRACE: Duration = Duration::from_secs(30);

/// Runs deliveries from the spool. Build with [`Scheduler::new`], keep a
/// [`Scheduler::handle`] for the listener, then [`Scheduler::run`] until shutdown. A clone
/// shares the wake-up, so a supervisor can run a clone again if a run ends unexpectedly.
#[derive(Clone)]
pub struct Scheduler {
    spool: Spool,
    upstream: Option<Arc<dyn Upstream>>,
    settings: DeliverySettings,
    backoff: Backoff,
    clock: Arc<dyn Clock>,
    hostname: String,
    config_hint: String,
    wake: Arc<Notify>,
    unrecorded: Arc<Unrecorded>,
}

/// Wakes a running [`Scheduler`]. Cheap to clone.
#[derive(Debug, Clone)]
pub struct SchedulerHandle {
    wake: Arc<Notify>,
}

impl SchedulerHandle {
    /// Tells the scheduler that the spool changed (the listener calls this after each
    /// commit): it rescans at once instead of at the next `rescan_interval`.
    pub fn wake(&self) {
        self.wake.notify_one();
    }
}

impl Scheduler {
    /// A scheduler over `spool`. Without an upstream, messages are held as `Waiting`.
    /// Fails when the retry delays are invalid.
    pub fn new(
        spool: Spool,
        upstream: Option<Arc<dyn Upstream>>,
        settings: DeliverySettings,
    ) -> Result<Scheduler, BackoffError> {
        let backoff = Backoff::new(settings.retry_min, settings.retry_max)?;
        Ok(Scheduler {
            spool,
            upstream,
            settings,
            backoff,
            clock: Arc::new(SystemClock),
            hostname: "localhost".to_string(),
            config_hint: "the config file".to_string(),
            wake: Arc::new(Notify::new()),
            unrecorded: Arc::default(),
        })
    }

    /// Uses `clock` for the wall-clock times stored in the spool (tests: a
    /// [`crate::delivery::TokioClock`]).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Scheduler {
        self.clock = clock;
        self
    }

    /// This gateway's host name, used in bounces (`Reporting-MTA`, `MAILER-DAEMON@`).
    pub fn with_hostname(mut self, hostname: impl Into<String>) -> Scheduler {
        self.hostname = hostname.into();
        self
    }

    /// The config file's path, named in the "no upstream configured" note on held messages.
    pub fn with_config_path(mut self, path: &Path) -> Scheduler {
        self.config_hint = path.display().to_string();
        self
    }

    /// A handle to wake the scheduler.
    pub fn handle(&self) -> SchedulerHandle {
        SchedulerHandle {
            wake: self.wake.clone(),
        }
    }

    /// Delivers until `shutdown` becomes `true` (or its sender is dropped), then waits up to
    /// [`DRAIN_GRACE`] for the attempts in progress to finish and closes idle upstream
    /// sessions.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let limit = self
            .upstream
            .as_ref()
            .map_or(0, |u| u.max_concurrency().max(1));
        let rescan_every = self.settings.rescan_interval.max(MIN_RESCAN);
        let mut runner = Runner {
            waiting_note: format!(
                "no upstream configured: add an [upstream] section to {}",
                self.config_hint
            ),
            ctx: Arc::new(Ctx {
                spool: self.spool,
                upstream: self.upstream,
                settings: self.settings,
                backoff: self.backoff,
                clock: self.clock,
                hostname: self.hostname,
                wake: self.wake.clone(),
                unrecorded: self.unrecorded,
            }),
            queue: Queue::default(),
            tasks: JoinSet::new(),
            task_ids: HashMap::new(),
            limit,
            held_warned: None,
        };
        let mut next_rescan = Instant::now();
        loop {
            if *shutdown.borrow_and_update() {
                break;
            }
            if Instant::now() >= next_rescan {
                runner.rescan().await;
                runner.warn_held();
                next_rescan = after(rescan_every);
            }
            runner.start_due();
            let wake_at = runner
                .next_due()
                .map_or(next_rescan, |due| due.min(next_rescan));
            tokio::select! {
                changed = shutdown.changed() => if changed.is_err() { break },
                () = self.wake.notified() => next_rescan = Instant::now(),
                Some(joined) = runner.tasks.join_next_with_id(), if !runner.tasks.is_empty() => {
                    runner.finished(joined);
                }
                () = sleep_until(wake_at) => {}
            }
        }
        runner.drain().await;
    }
}

/// The run loop's state.
struct Runner {
    ctx: Arc<Ctx>,
    queue: Queue,
    tasks: JoinSet<Option<Instant>>,
    task_ids: HashMap<tokio::task::Id, MessageId>,
    limit: usize,
    waiting_note: String,
    /// When mail held for lack of an upstream was last warned about (`None`: none held since).
    held_warned: Option<Instant>,
}

type Joined = Result<(tokio::task::Id, Option<Instant>), tokio::task::JoinError>;

impl Runner {
    /// Starts due attempts while fewer than `limit` are in flight.
    fn start_due(&mut self) {
        while self.tasks.len() < self.limit {
            let Some(id) = self.queue.pop_due(Instant::now()) else {
                break;
            };
            let handle = self.tasks.spawn(attempt(self.ctx.clone(), id.clone()));
            self.task_ids.insert(handle.id(), id);
        }
    }

    /// When the loop must wake for the next due message (none while at the limit).
    fn next_due(&self) -> Option<Instant> {
        (self.tasks.len() < self.limit)
            .then(|| self.queue.next_due())
            .flatten()
    }

    fn finished(&mut self, joined: Joined) {
        let (task, next) = match joined {
            Ok((task, next)) => (task, next),
            Err(e) => {
                tracing::error!(error = %e, "a delivery task failed; the message is retried");
                (e.id(), Some(after(self.ctx.backoff.min())))
            }
        };
        if let Some(id) = self.task_ids.remove(&task) {
            self.queue.finished(id, next);
        }
    }

    /// One WARN when mail starts being held for lack of an upstream, and one per
    /// [`HELD_REMINDER`] while some is.
    fn warn_held(&mut self) {
        let held = self.queue.held.len();
        if held == 0 {
            self.held_warned = None;
            return;
        }
        let now = Instant::now();
        if self
            .held_warned
            .is_some_and(|at| now.saturating_duration_since(at) < HELD_REMINDER)
        {
            return;
        }
        self.held_warned = Some(now);
        tracing::warn!(
            held,
            "mail is held, not delivered: {} (this is repeated every hour while mail is held)",
            self.waiting_note
        );
    }

    /// Waits for the attempts in flight, at most [`DRAIN_GRACE`]; abandons the rest.
    async fn drain(mut self) {
        let deadline = Instant::now() + DRAIN_GRACE;
        loop {
            tokio::select! {
                joined = self.tasks.join_next_with_id() => match joined {
                    Some(joined) => self.finished(joined),
                    None => break,
                },
                () = sleep_until(deadline) => {
                    tracing::warn!(
                        abandoned = self.tasks.len(),
                        "deliveries still running after the shutdown grace period are abandoned; \
                         those messages stay `sending` and are retried after the next start"
                    );
                    self.tasks.shutdown().await;
                    break;
                }
            }
        }
        if let Some(upstream) = &self.ctx.upstream {
            let _ = tokio::time::timeout(Duration::from_secs(5), upstream.close_idle()).await;
        }
    }

    /// Re-reads the spool: new and changed messages are (re)scheduled, vanished ones dropped.
    async fn rescan(&mut self) {
        let items = match self.ctx.spool.scan().await {
            Ok(items) => items,
            Err(e) => {
                tracing::error!(error = %e, "cannot scan the spool");
                return;
            }
        };
        let present: HashSet<&MessageId> = items.iter().map(|i| &i.id).collect();
        self.queue.forget_missing(&present);
        for ScanItem { id, stamp } in &items {
            if self.queue.is_current(id, *stamp) {
                continue;
            }
            match self.ctx.spool.load(id).await {
                Ok(entry) => self.classify(entry, *stamp).await,
                Err(e) if e.is_not_found() => self.queue.forget(id),
                Err(e @ SpoolError::Json { .. }) => {
                    // Remembered by its stamp: logged once, read again only when it changes.
                    tracing::error!(%id, error = %e,
                        "unreadable envelope: the message is left alone until the file changes");
                    self.queue.schedule(id.clone(), None, Some(*stamp));
                }
                Err(e) => tracing::error!(%id, error = %e, "cannot read a spooled message"),
            }
        }
    }

    /// Schedules one message according to its stored state.
    async fn classify(&mut self, entry: Entry, stamp: Stamp) {
        let id = entry.id.clone();
        let state = entry.delivery.state;
        self.queue.held.remove(&id);
        let due = match state {
            State::Failed => None,
            State::Delivered => {
                // Delivered but not yet removed when the server stopped.
                if let Err(e) = self.ctx.spool.remove(&id).await {
                    tracing::warn!(%id, error = %e, "cannot remove a delivered message");
                }
                self.queue.forget(&id);
                return;
            }
            _ if self.ctx.upstream.is_none() => {
                self.queue.held.insert(id.clone());
                if state != State::Waiting {
                    self.hold(&id).await;
                    self.queue.schedule(id, None, None);
                    return;
                }
                None
            }
            State::Waiting => Some(Instant::now()),
            // Interrupted (stop, crash, or the outcome could not be recorded): not sooner
            // than `retry_min` after that attempt, so a spool that cannot record outcomes
            // does not turn into a resend loop.
            State::Sending => {
                let last = entry.delivery.last_attempt.unwrap_or(0);
                let retry_min = self.ctx.backoff.min().as_secs();
                Some(self.due_instant(last.saturating_add(retry_min)))
            }
            State::Queued | State::Deferred => Some(self.due_instant(entry.delivery.next_attempt)),
        };
        self.queue.schedule(id, due, Some(stamp));
    }

    /// Marks a message as held until an upstream is configured.
    async fn hold(&self, id: &MessageId) {
        let note = self.waiting_note.clone();
        let result = self
            .ctx
            .spool
            .update(id, |d| {
                d.state = State::Waiting;
                d.last_error = Some(note);
            })
            .await;
        match result {
            Ok(_) => tracing::debug!(%id, "holding message: {}", self.waiting_note),
            Err(e) if e.is_not_found() => {}
            Err(e) => tracing::error!(%id, error = %e, "cannot mark a message as waiting"),
        }
    }

    /// The tokio instant for a stored Unix time (now if it is in the past).
    fn due_instant(&self, unix: u64) -> Instant {
        due_in(unix, self.ctx.clock.unix_now())
    }
}

/// When a message stored as due at Unix time `unix` is due, `now_unix` being now: at once if
/// that is past, and never later than [`MAX_WAIT`] from now, whatever the file says.
pub(crate) fn due_in(unix: u64, now_unix: u64) -> Instant {
    after(Duration::from_secs(unix.saturating_sub(now_unix)).min(MAX_WAIT))
}

/// What the scheduler knows about one message.
#[derive(Debug, Clone, Copy)]
struct Known {
    /// The envelope stamp the schedule was derived from; `None` forces a re-read.
    stamp: Option<Stamp>,
    /// When it is due; `None` for messages not to be tried (failed, held).
    due: Option<Instant>,
}

/// The schedule: due messages ordered by time, and every message seen.
#[derive(Debug, Default)]
struct Queue {
    due: BTreeSet<(Instant, MessageId)>,
    known: HashMap<MessageId, Known>,
    in_flight: HashSet<MessageId>,
    /// Messages held for lack of an upstream.
    held: HashSet<MessageId>,
}

impl Queue {
    fn schedule(&mut self, id: MessageId, due: Option<Instant>, stamp: Option<Stamp>) {
        if let Some(old) = self.known.get(&id).and_then(|k| k.due) {
            self.due.remove(&(old, id.clone()));
        }
        if let Some(when) = due {
            self.due.insert((when, id.clone()));
        }
        self.known.insert(id, Known { stamp, due });
    }

    fn forget(&mut self, id: &MessageId) {
        self.held.remove(id);
        if let Some(Known {
            due: Some(when), ..
        }) = self.known.remove(id)
        {
            self.due.remove(&(when, id.clone()));
        }
    }

    /// Forgets messages no longer in the spool (unless an attempt is running).
    fn forget_missing(&mut self, present: &HashSet<&MessageId>) {
        let gone: Vec<MessageId> = self
            .known
            .keys()
            .filter(|id| !present.contains(id) && !self.in_flight.contains(*id))
            .cloned()
            .collect();
        for id in &gone {
            self.forget(id);
        }
    }

    /// Whether the schedule for `id` is up to date with its envelope (or it is in flight).
    fn is_current(&self, id: &MessageId, stamp: Stamp) -> bool {
        self.in_flight.contains(id) || self.known.get(id).and_then(|k| k.stamp) == Some(stamp)
    }

    fn next_due(&self) -> Option<Instant> {
        self.due.first().map(|(when, _)| *when)
    }

    /// The earliest message due at `now`, now in flight.
    fn pop_due(&mut self, now: Instant) -> Option<MessageId> {
        let (when, _) = self.due.first()?;
        if *when > now {
            return None;
        }
        let (_, id) = self.due.pop_first()?;
        self.known.insert(
            id.clone(),
            Known {
                stamp: None,
                due: None,
            },
        );
        self.in_flight.insert(id.clone());
        Some(id)
    }

    /// An attempt ended; the message is due again at `next` (or waits for a rescan).
    fn finished(&mut self, id: MessageId, next: Option<Instant>) {
        self.in_flight.remove(&id);
        self.schedule(id, next, None);
    }
}
