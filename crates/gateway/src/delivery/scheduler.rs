//! The delivery scheduler: decides when each spooled message is tried, through which
//! upstream, and runs attempts.
//!
//! Shaped like mini-redis' expiry task (`db.rs`): ordered sets of `(when, id)`, a [`Notify`]
//! to be woken early, and `sleep_until` the earliest entry. All scheduling time is tokio time,
//! so tests run with `tokio::time::pause()`. The spool stays the source of truth: the schedule
//! is rebuilt from [`Spool::scan`] at start, on [`SchedulerHandle::wake`] and every
//! `rescan_interval`, which also picks up `scanrelay queue retry` / `queue delete` run from
//! another process (a changed envelope is re-read; a vanished message is forgotten).
//! A message the listener just committed is handed over with [`SchedulerHandle::queued`], as
//! the spool stored it, and scheduled without reading the spool: a rescan per accepted message
//! cost a directory listing and a `stat` per queued message for every new one, which made
//! accepting quadratic in the backlog (4 ms of CPU per message with 2,000 held; issue 10).
//!
//! Each upstream has its own lane (see `lanes`): its own due list, concurrency cap, pacing
//! (`paced` messages wait for their slot), pause (an upstream's `Retry-After`) and login state
//! (a dead OAuth2 grant holds the lane's mail until [`Upstream::credentials_changed`] fires,
//! then it goes out by itself). Every state change goes through the spool's life cycle
//! ([`Event`]); the writes the scheduler makes itself (hold, release, pacing) run as tasks.
//!
//! Without an upstream every message is held (`waiting`). That is said in one WARN when the
//! first held message is seen (at start, if the spool has some) and again every
//! [`HELD_REMINDER`] while any is held, with their number, not once per message.

use std::collections::HashSet;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use scanrelay_spool::{Committed, Event, MessageId, Spool};
use tokio::sync::{Notify, mpsc, watch};
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::{Instant, sleep_until};

use crate::control::events::EventHub;
use crate::delivery::attempt::AttemptEnd;
use crate::delivery::backoff::{Backoff, BackoffError};
use crate::delivery::clock::{Clock, SystemClock};
use crate::delivery::ctx::Ctx;
use crate::delivery::lanes::{Board, Upstreams};
use crate::delivery::record::Unrecorded;
use crate::delivery::upstream::Upstream;
use crate::settings::DeliverySettings;
use crate::time::after;

mod classify;
mod reconfigure;
mod start;

pub use reconfigure::{DeliveryReconfigure, LaneView};

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

/// Runs deliveries from the spool. Build with [`Scheduler::new`] or
/// [`Scheduler::with_upstreams`], keep a [`Scheduler::handle`] for the listener, then
/// [`Scheduler::run`] until shutdown. A clone shares the wake-up, so a supervisor can run a
/// clone again if a run ends unexpectedly.
#[derive(Clone)]
pub struct Scheduler {
    spool: Spool,
    upstreams: Upstreams,
    settings: DeliverySettings,
    backoff: Backoff,
    clock: Arc<dyn Clock>,
    hostname: String,
    config_hint: String,
    wake: Arc<Notify>,
    arrivals: Arc<Arrivals>,
    /// Whether no upstream is configured (kept current by the run loop).
    no_upstream: Arc<AtomicBool>,
    unrecorded: Arc<Unrecorded>,
    events: Arc<EventHub>,
    /// Reloaded upstreams and settings (see [`Scheduler::reconfigurer`]).
    updates: Arc<watch::Sender<Option<Arc<reconfigure::Update>>>>,
    /// The lanes' state, published for the gateway's status.
    lanes_view: Arc<std::sync::Mutex<Vec<LaneView>>>,
}

/// Wakes a running [`Scheduler`]. Cheap to clone.
#[derive(Debug, Clone)]
pub struct SchedulerHandle {
    wake: Arc<Notify>,
    arrivals: Arc<Arrivals>,
    no_upstream: Arc<AtomicBool>,
    held_note: Arc<str>,
}

impl SchedulerHandle {
    /// Tells the scheduler that the spool changed in ways it cannot know (an operator's retry
    /// or delete): it rescans at once instead of at the next `rescan_interval`.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// The state a new message should be committed with: held when no upstream is configured
    /// (the scheduler would write that at once otherwise), `None` for the usual `queued`.
    pub fn first_event(&self) -> Option<Event> {
        self.no_upstream
            .load(Ordering::Relaxed)
            .then(|| Event::Held {
                reason: scanrelay_spool::HoldReason::NoUpstream,
                note: self.held_note.to_string(),
                cause: None,
            })
    }

    /// Hands the scheduler a message the listener just committed: it is scheduled from what
    /// the commit stored, without rescanning the spool.
    pub fn queued(&self, message: Committed) {
        self.arrivals
            .messages
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(message);
        self.arrivals.notify.notify_one();
    }
}

/// Messages committed since the run loop last looked, and its wake-up for them.
#[derive(Debug, Default)]
struct Arrivals {
    messages: Mutex<Vec<Committed>>,
    notify: Notify,
}

impl Arrivals {
    fn take(&self) -> Vec<Committed> {
        std::mem::take(&mut *self.messages.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

impl Scheduler {
    /// A scheduler over `spool` with at most one upstream (the default, unpaced). Without an
    /// upstream, messages are held as `Waiting`. Fails when the retry delays are invalid.
    pub fn new(
        spool: Spool,
        upstream: Option<Arc<dyn Upstream>>,
        settings: DeliverySettings,
    ) -> Result<Scheduler, BackoffError> {
        let upstreams = upstream.map_or_else(Upstreams::none, Upstreams::single);
        Scheduler::with_upstreams(spool, upstreams, settings)
    }

    /// A scheduler over `spool` delivering through `upstreams`, each in its own lane.
    pub fn with_upstreams(
        spool: Spool,
        upstreams: Upstreams,
        settings: DeliverySettings,
    ) -> Result<Scheduler, BackoffError> {
        let backoff = Backoff::new(settings.retry_min, settings.retry_max)?;
        let no_upstream = Arc::new(AtomicBool::new(upstreams.is_empty()));
        Ok(Scheduler {
            spool,
            upstreams,
            settings,
            backoff,
            clock: Arc::new(SystemClock),
            hostname: "localhost".to_string(),
            config_hint: "the config file".to_string(),
            wake: Arc::new(Notify::new()),
            arrivals: Arc::default(),
            no_upstream,
            unrecorded: Arc::default(),
            events: Arc::default(),
            updates: Arc::new(watch::channel(None).0),
            lanes_view: Arc::default(),
        })
    }

    /// Sends delivery events (delivered, deferred, failed, held) to `events`.
    pub fn with_events(mut self, events: Arc<EventHub>) -> Scheduler {
        self.events = events;
        self
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
            arrivals: self.arrivals.clone(),
            no_upstream: self.no_upstream.clone(),
            held_note: held_note(&self.config_hint).into(),
        }
    }

    /// Delivers until `shutdown` becomes `true` (or its sender is dropped), then waits up to
    /// [`DRAIN_GRACE`] for the attempts in progress to finish and closes idle upstream
    /// sessions.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let rescan_every = self.settings.rescan_interval.max(MIN_RESCAN);
        let wake = self.wake.clone();
        let arrivals = self.arrivals.clone();
        let mut runner = Runner::new(self);
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
            let wake_at = runner.wake_at().map_or(next_rescan, |t| t.min(next_rescan));
            tokio::select! {
                changed = shutdown.changed() => if changed.is_err() { break },
                () = wake.notified() => next_rescan = Instant::now(),
                () = arrivals.notify.notified() => runner.take_arrivals(arrivals.take()).await,
                Some(joined) = runner.tasks.join_next_with_id(), if !runner.tasks.is_empty() => {
                    runner.finished(joined);
                }
                Some(lane) = runner.logins.recv() => runner.login_renewed(&lane),
                Ok(()) = runner.updates.changed() => {
                    runner.apply_update();
                    next_rescan = Instant::now();
                }
                () = sleep_until(wake_at) => {}
            }
            runner.publish_lanes();
        }
        runner.drain().await;
    }
}

/// Why a message is held when no upstream is configured.
fn held_note(config_hint: &str) -> String {
    format!("no upstream configured: add an [upstream] section to {config_hint}")
}

/// What a task the runner started reports.
enum TaskEnd {
    /// A delivery attempt ended.
    Attempt(AttemptEnd),
    /// A state write ended; the message is due at this time (or not).
    Written(Option<Instant>),
}

type Joined = Result<(tokio::task::Id, TaskEnd), tokio::task::JoinError>;

/// The run loop's state.
struct Runner {
    ctx: Arc<Ctx>,
    board: Board,
    tasks: JoinSet<TaskEnd>,
    task_ids: std::collections::HashMap<tokio::task::Id, MessageId>,
    waiting_note: String,
    /// Shared with [`SchedulerHandle::first_event`].
    no_upstream: Arc<AtomicBool>,
    /// When mail held for lack of an upstream was last warned about (`None`: none held since).
    held_warned: Option<Instant>,
    /// Names of lanes whose credentials changed (a new login), from the watchers.
    logins: mpsc::UnboundedReceiver<String>,
    /// Sends to `logins`; cloned for the watchers of reloaded upstreams.
    logins_tx: mpsc::UnboundedSender<String>,
    watchers: Vec<JoinHandle<()>>,
    updates: watch::Receiver<Option<Arc<reconfigure::Update>>>,
    lanes_view: Arc<std::sync::Mutex<Vec<LaneView>>>,
}

impl Runner {
    fn new(s: Scheduler) -> Runner {
        let (tx, logins) = mpsc::unbounded_channel();
        let watchers = s
            .upstreams
            .iter()
            .filter_map(|u| Some((u.name().to_string(), u.credentials_changed()?)))
            .map(|(name, rx)| tokio::spawn(watch_logins(name, rx, tx.clone())))
            .collect();
        let mut updates = s.updates.subscribe();
        let pending = updates.borrow_and_update().clone();
        let mut runner = Runner {
            waiting_note: held_note(&s.config_hint),
            no_upstream: s.no_upstream,
            board: Board::new(s.upstreams),
            ctx: Arc::new(Ctx {
                spool: s.spool,
                settings: s.settings,
                backoff: s.backoff,
                clock: s.clock,
                hostname: s.hostname,
                wake: s.wake.clone(),
                unrecorded: s.unrecorded,
                events: s.events,
            }),
            tasks: JoinSet::new(),
            task_ids: std::collections::HashMap::new(),
            held_warned: None,
            logins,
            logins_tx: tx,
            watchers,
            updates,
            lanes_view: s.lanes_view,
        };
        // A run started again by the supervisor after a reload runs with the reloaded setup.
        if let Some(update) = pending {
            runner.reconfigure(&update);
        }
        runner
    }

    /// When the loop must wake for the next due message of any lane.
    fn wake_at(&self) -> Option<Instant> {
        let now = Instant::now();
        self.board
            .lanes
            .values()
            .filter_map(|lane| lane.wake_at(now))
            .min()
    }

    fn finished(&mut self, joined: Joined) {
        let (task, end) = match joined {
            Ok((task, end)) => (task, end),
            Err(e) => {
                tracing::error!(error = %e, "a delivery task failed; the message is retried");
                let retry = Some(after(self.ctx.backoff.min()));
                (e.id(), TaskEnd::Written(retry))
            }
        };
        let Some(id) = self.task_ids.remove(&task) else {
            return;
        };
        if let Some(known) = self.board.known.get_mut(&id) {
            known.busy = false;
        }
        match end {
            TaskEnd::Written(due) => self.board.reschedule(&id, due),
            TaskEnd::Attempt(end) => self.attempt_ended(&id, end),
        }
    }

    fn attempt_ended(&mut self, id: &MessageId, end: AttemptEnd) {
        let lane_name = self.board.known.get(id).and_then(|k| k.lane.clone());
        if let Some(known) = self.board.known.get_mut(id) {
            known.slot = None;
            known.hold = end
                .login_failed
                .is_some()
                .then_some(scanrelay_spool::HoldReason::Login);
        }
        let mut newly_dead = None;
        if let Some(lane) = lane_name.and_then(|n| self.board.lanes.get_mut(&n)) {
            lane.in_flight = lane.in_flight.saturating_sub(1);
            if let Some(pause) = end.pause {
                tracing::warn!(
                    upstream = lane.upstream.name(),
                    ?pause,
                    "the upstream asked to be left alone; its mail waits"
                );
                lane.paused_until = Some(after(pause));
            }
            if let Some(failed) = &end.login_failed
                && !lane.needs_login
            {
                lane.needs_login = true;
                tracing::error!(upstream = lane.upstream.name(), error = %failed.0,
                    "the upstream's login needs a person: its mail is held until a new login, \
                     then goes out by itself");
                newly_dead = Some((lane.upstream.clone(), failed.clone()));
            }
        }
        if let Some((upstream, (detail, cause))) = newly_dead {
            self.notify_admin(upstream, detail, cause);
        }
        self.board.reschedule(id, end.next);
    }

    /// One notice to `admin_notify` when an upstream's login dies (see `notice`), sent
    /// through another upstream whose login works, if there is one.
    fn notify_admin(
        &mut self,
        upstream: Arc<dyn Upstream>,
        detail: String,
        cause: scanrelay_diagnose::Cause,
    ) {
        let Some(to) = self.ctx.settings.admin_notify.clone() else {
            return;
        };
        let route = self
            .board
            .lanes
            .iter()
            .find(|(name, lane)| *name != upstream.name() && !lane.needs_login)
            .map(|(name, _)| name.clone())
            .or_else(|| Some(upstream.name().to_string()));
        let ctx = self.ctx.clone();
        tracing::debug!(upstream = upstream.name(), to = %to, "queueing the login notice");
        tokio::spawn(async move {
            let notice = crate::delivery::notice::LoginNotice {
                upstream: upstream.name(),
                account: upstream.oauth_account(),
                detail: &detail,
                cause,
                hostname: &ctx.hostname,
                to: &to,
            };
            let now = ctx.clock.unix_now();
            let sent = crate::delivery::notice::send_login_notice(&ctx.spool, &notice, route, now);
            match sent.await {
                Ok(Some(id)) => {
                    tracing::info!(%id, to = %to, "login notice queued for the administrator");
                    ctx.wake.notify_one();
                }
                Ok(None) => tracing::info!(
                    upstream = upstream.name(),
                    "login notice already sent for this dead login; not sent again"
                ),
                Err(e) => tracing::error!(error = %e, "cannot queue the login notice"),
            }
        });
    }

    /// A new login for `lane`: its held mail is released and goes out.
    fn login_renewed(&mut self, lane: &str) {
        let Some(l) = self.board.lanes.get_mut(lane) else {
            return;
        };
        l.needs_login = false;
        crate::delivery::notice::login_renewed(&self.ctx.spool, lane);
        let held = self
            .board
            .held(scanrelay_spool::HoldReason::Login, Some(lane));
        tracing::info!(
            upstream = lane,
            held = held.len(),
            "new credentials for the upstream: releasing its held mail"
        );
        let now = self.ctx.clock.unix_now();
        for id in held {
            self.write(id, Event::Released { now }, Some(Instant::now()));
        }
    }

    /// Runs a state write for `id` as a task; when it succeeds the message is due at `due`.
    fn write(&mut self, id: MessageId, event: Event, due: Option<Instant>) {
        let Some(known) = self.board.known.get_mut(&id) else {
            return;
        };
        known.busy = true;
        if let scanrelay_spool::Event::Held { reason, .. } = &event {
            known.hold = Some(*reason);
        } else {
            known.hold = None;
        }
        let ctx = self.ctx.clone();
        let task_id = id.clone();
        let handle = self.tasks.spawn(async move {
            match ctx.spool.apply(&task_id, event).await {
                Ok(_) => TaskEnd::Written(due),
                Err(e) if e.is_not_found() => TaskEnd::Written(None),
                Err(e) => {
                    tracing::error!(id = %task_id, error = %e, "cannot record a message's state");
                    TaskEnd::Written(None)
                }
            }
        });
        self.task_ids.insert(handle.id(), id);
    }

    /// One WARN when mail starts being held for lack of an upstream, and one per
    /// [`HELD_REMINDER`] while some is.
    fn warn_held(&mut self) {
        let held = self
            .board
            .held(scanrelay_spool::HoldReason::NoUpstream, None)
            .len();
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
        for watcher in &self.watchers {
            watcher.abort();
        }
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
        for lane in self.board.lanes.values() {
            let close = lane.upstream.close_idle();
            let _ = tokio::time::timeout(Duration::from_secs(5), close).await;
        }
    }

    /// The messages the scheduler knows, for forgetting vanished ones.
    fn present_ids(items: &[scanrelay_spool::ScanItem]) -> HashSet<&MessageId> {
        items.iter().map(|i| &i.id).collect()
    }
}

/// Forwards changes of one upstream's credentials to the run loop.
async fn watch_logins(
    name: String,
    mut rx: watch::Receiver<u64>,
    tx: mpsc::UnboundedSender<String>,
) {
    while rx.changed().await.is_ok() {
        if tx.send(name.clone()).is_err() {
            return;
        }
    }
}

/// When a message stored as due at Unix time `unix` is due, `now_unix` being now: at once if
/// that is past, and never later than [`MAX_WAIT`] from now, whatever the file says.
pub(crate) fn due_in(unix: u64, now_unix: u64) -> Instant {
    after(Duration::from_secs(unix.saturating_sub(now_unix)).min(MAX_WAIT))
}
