//! [`GatewayEvent`]s: what happened in the gateway, as values. One [`EventHub`] per gateway
//! receives every event at the place it happens (the listener, the delivery attempt, the
//! reload), and from there feeds the metrics, the recent-events list and today's counts
//! shown by the console, and a broadcast that live views subscribe to. Recording never
//! blocks the mail path: a subscriber that falls behind loses events, not the gateway.

use std::collections::VecDeque;
use std::net::IpAddr;
use std::sync::Mutex;

use serde::Serialize;
use tokio::sync::broadcast;

use super::metrics::Metrics;

/// How many recent events are kept for the console.
pub const RECENT_EVENTS: usize = 500;
/// How many recent failures the status carries.
pub const RECENT_FAILURES: usize = 10;

/// Something that happened, at Unix time `at`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GatewayEvent {
    /// Unix time, seconds.
    pub at: u64,
    /// What happened.
    #[serde(flatten)]
    pub kind: EventKind,
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum EventKind {
    /// A device's message was committed to the spool and answered `250`.
    Accepted {
        /// The spool id.
        id: String,
        /// The device's address.
        client: IpAddr,
        /// Its HELO/EHLO name.
        helo: String,
        /// The device account it authenticated as.
        auth_user: Option<String>,
        /// Octets stored.
        size: u64,
        /// Recipients.
        rcpts: usize,
    },
    /// Every recipient of a message was delivered.
    Delivered {
        /// The spool id.
        id: String,
        /// Through which upstream.
        upstream: String,
        /// How long the upstream took, milliseconds.
        latency_ms: u64,
    },
    /// An attempt failed for now; the message is tried again.
    Deferred {
        /// The spool id.
        id: String,
        /// Through which upstream.
        upstream: String,
        /// The diagnosis (a `docs/causes.md` code).
        cause: String,
        /// The upstream's reply or the error, first line.
        reply: String,
    },
    /// Some recipients failed for good (a failure notice was queued).
    Failed {
        /// The spool id.
        id: String,
        /// Through which upstream.
        upstream: String,
        /// The diagnosis.
        cause: String,
        /// The upstream's reply or the error, first line.
        reply: String,
    },
    /// A message is held until a person fixes something (a login, the setup).
    Held {
        /// The spool id.
        id: String,
        /// The upstream.
        upstream: String,
        /// The diagnosis.
        cause: String,
    },
    /// A device's login failed (SMTP AUTH, or POP3 on the `pop3`/`pop3s` listeners).
    AuthFailed {
        /// Its address.
        client: IpAddr,
        /// The device account named, when it is one (never an unknown user name: devices with
        /// swapped fields send the password there).
        device: Option<String>,
        /// `smtp`, `smtps`, `pop3` or `pop3s`.
        listener: String,
    },
    /// The settings were reloaded.
    Reloaded {
        /// What changed, in words.
        applied: Vec<String>,
        /// Changes that need a restart.
        needs_restart: Vec<String>,
    },
    /// A reload was refused; the old settings stay.
    ReloadFailed {
        /// Why.
        error: String,
    },
}

impl EventKind {
    /// Whether the event is a delivery failure (shown among the last failures).
    pub fn is_failure(&self) -> bool {
        matches!(
            self,
            EventKind::Deferred { .. } | EventKind::Failed { .. } | EventKind::Held { .. }
        )
    }
}

/// Counts since local midnight.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DayCounts {
    /// Messages accepted from devices.
    pub accepted: u64,
    /// Messages delivered.
    pub delivered: u64,
    /// Messages that failed for good.
    pub failed: u64,
}

#[derive(Debug, Default)]
struct Recent {
    events: VecDeque<GatewayEvent>,
    failures: VecDeque<GatewayEvent>,
    day: i64,
    today: DayCounts,
}

/// Receives every event of one gateway.
#[derive(Debug)]
pub struct EventHub {
    tx: broadcast::Sender<GatewayEvent>,
    recent: Mutex<Recent>,
    metrics: Metrics,
}

impl Default for EventHub {
    fn default() -> Self {
        EventHub::new()
    }
}

impl EventHub {
    /// A hub with its own metrics registry.
    pub fn new() -> EventHub {
        EventHub {
            tx: broadcast::channel(1024).0,
            recent: Mutex::default(),
            metrics: Metrics::new(),
        }
    }

    /// Records `kind` as happening now.
    pub fn emit(&self, kind: EventKind) {
        self.emit_at(crate::time::unix_now(), kind);
    }

    /// Records `kind` as happening at Unix time `at`.
    pub fn emit_at(&self, at: u64, kind: EventKind) {
        self.metrics.record(&kind);
        let event = GatewayEvent { at, kind };
        {
            let mut recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
            recent.count(&event);
            if event.kind.is_failure() {
                push_bounded(&mut recent.failures, event.clone(), RECENT_FAILURES);
            }
            push_bounded(&mut recent.events, event.clone(), RECENT_EVENTS);
        }
        // No receiver is not an error.
        let _ = self.tx.send(event);
    }

    /// A receiver of every event from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<GatewayEvent> {
        self.tx.subscribe()
    }

    /// The last [`RECENT_EVENTS`], oldest first.
    pub fn recent(&self) -> Vec<GatewayEvent> {
        let recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
        recent.events.iter().cloned().collect()
    }

    /// The last [`RECENT_FAILURES`] delivery failures, oldest first.
    pub fn recent_failures(&self) -> Vec<GatewayEvent> {
        let recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
        recent.failures.iter().cloned().collect()
    }

    /// Counts since local midnight.
    pub fn today(&self) -> DayCounts {
        let mut recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
        recent.roll(local_day(crate::time::unix_now()));
        recent.today
    }

    /// The metrics the events feed.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }
}

impl Recent {
    fn roll(&mut self, day: i64) {
        if day != self.day {
            self.day = day;
            self.today = DayCounts::default();
        }
    }

    fn count(&mut self, event: &GatewayEvent) {
        self.roll(local_day(event.at));
        match event.kind {
            EventKind::Accepted { .. } => self.today.accepted += 1,
            EventKind::Delivered { .. } => self.today.delivered += 1,
            EventKind::Failed { .. } => self.today.failed += 1,
            _ => {}
        }
    }
}

fn push_bounded(list: &mut VecDeque<GatewayEvent>, event: GatewayEvent, max: usize) {
    if list.len() == max {
        list.pop_front();
    }
    list.push_back(event);
}

/// The local calendar day of Unix time `unix` (days since 1970 in the system's time zone).
fn local_day(unix: u64) -> i64 {
    let Ok(ts) = jiff::Timestamp::from_second(i64::try_from(unix).unwrap_or(i64::MAX)) else {
        return 0;
    };
    let date = ts.to_zoned_datetime(jiff::tz::TimeZone::system()).date();
    i64::from(date.year()) * 400 + i64::from(date.day_of_year())
}
