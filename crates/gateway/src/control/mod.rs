//! The gateway's control plane: one [`GatewayHandle`] per running gateway, through which
//! the console, the metrics endpoint, `serve`'s SIGHUP and tests see and steer it, instead of
//! each reaching into the spool or the scheduler.
//!
//! * Queue operations over the gateway's own spool (the same functions `scanrelay queue`
//!   runs from another process, in [`crate::queue`]), waking delivery after a change.
//! * Status: listeners, whether delivery runs (the supervisor's [`crate::Health`]), queue
//!   counts, today's counts, each upstream's lane (login, pause) and OAuth2 token state.
//! * Every client seen ([`devices`]), recent events and a live event stream ([`events`]),
//!   and the Prometheus metrics they feed ([`metrics`]).
//! * [`GatewayHandle::reload`]: new settings applied without dropping a connection: new
//!   connections get the new listener settings (allow list, device accounts, limits, routes),
//!   delivery swaps its upstreams and retry settings (attempts in flight finish on the old
//!   upstream). What cannot change in a running process (listening addresses, the TLS
//!   certificate files, the connection cap, directories) is reported as needing a restart.

pub mod devices;
pub mod events;
pub mod metrics;
mod reload;
mod status;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use scanrelay_spool::{Entry, MessageId, Spool, SpoolError};
use tokio::sync::{broadcast, watch};

use crate::delivery::{DeliveryReconfigure, LaneView};
use crate::listener::{Shared, Wake};
use crate::queue::{RetryReport, RetryTarget};
use crate::settings::Settings;
use crate::supervise::Health;
use crate::upstreams::Built;

pub use devices::DeviceSeen;
pub use events::{DayCounts, EventKind, GatewayEvent};
pub use reload::{ReloadError, ReloadReport};
pub use status::{OAuthStatus, QueueCounts, Status, UpstreamStatus};

/// Steers a running gateway. Cheap to clone; every clone sees the same gateway.
#[derive(Clone)]
pub struct GatewayHandle {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for GatewayHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GatewayHandle")
            .field("spool", &self.inner.spool)
            .finish_non_exhaustive()
    }
}

/// What the handle reaches.
pub(crate) struct Inner {
    pub spool: Spool,
    pub settings: watch::Sender<Arc<Settings>>,
    pub config_path: PathBuf,
    pub started_at: u64,
    pub listeners: Vec<(String, SocketAddr)>,
    pub shared: Arc<Shared>,
    pub wake: Wake,
    pub health: Arc<Health>,
    pub delivery: DeliveryReconfigure,
    pub lanes: Arc<Mutex<Vec<LaneView>>>,
    /// The upstreams' OAuth2 token managers and their tasks (replaced by a reload).
    pub built: Mutex<Arc<Built>>,
    /// One reload at a time.
    pub reloading: tokio::sync::Mutex<()>,
}

impl GatewayHandle {
    pub(crate) fn new(inner: Inner) -> GatewayHandle {
        let handle = GatewayHandle {
            inner: Arc::new(inner),
        };
        handle.prepare_metrics(&handle.settings());
        handle
    }

    /// The series known from `settings`, at 0 (see `Metrics::prepare`).
    pub(crate) fn prepare_metrics(&self, settings: &Settings) {
        let listeners: Vec<&str> = self
            .inner
            .listeners
            .iter()
            .map(|(n, _)| n.as_str())
            .collect();
        let upstreams: Vec<String> = settings.upstreams.iter().map(|u| u.name.clone()).collect();
        let devices: Vec<String> = settings
            .devices
            .iter()
            .map(|d| d.username.clone())
            .collect();
        let metrics = self.inner.shared.hub.metrics();
        metrics.prepare(&listeners, &upstreams, &devices);
    }

    /// The settings the gateway runs with now (after any reload).
    pub fn settings(&self) -> Arc<Settings> {
        self.inner.settings.borrow().clone()
    }

    /// A receiver that sees each new [`GatewayHandle::settings`].
    pub fn watch_settings(&self) -> watch::Receiver<Arc<Settings>> {
        self.inner.settings.subscribe()
    }

    /// The config file `serve` read (and a reload reads again).
    pub fn config_path(&self) -> PathBuf {
        self.inner.config_path.clone()
    }

    /// The spool.
    pub fn spool(&self) -> &Spool {
        &self.inner.spool
    }

    /// Every spooled message, oldest first.
    pub async fn messages(&self) -> Result<Vec<Entry>, SpoolError> {
        let mut list = self.inner.spool.list().await?;
        list.sort_by_key(|e| (e.envelope.received_at, e.id.to_string()));
        Ok(list)
    }

    /// One message.
    pub async fn message(&self, id: &MessageId) -> Result<Entry, SpoolError> {
        self.inner.spool.load(id).await
    }

    /// Queues `target` again (see [`crate::queue::retry`]) and wakes delivery.
    pub async fn retry(&self, target: &RetryTarget) -> Result<RetryReport, SpoolError> {
        let now = crate::time::unix_now();
        let report = crate::queue::retry(&self.inner.spool, target, now).await?;
        self.inner.wake.wake();
        Ok(report)
    }

    /// Deletes a message (see [`crate::queue::delete`]).
    pub async fn delete(&self, id: &MessageId) -> Result<(), SpoolError> {
        crate::queue::delete(&self.inner.spool, id).await?;
        self.inner.wake.wake();
        Ok(())
    }

    /// Every client seen since start, most recent first.
    pub fn devices(&self) -> Vec<DeviceSeen> {
        self.inner.shared.devices.list()
    }

    /// The last [`events::RECENT_EVENTS`] events, oldest first.
    pub fn recent_events(&self) -> Vec<GatewayEvent> {
        self.inner.shared.hub.recent()
    }

    /// Every event from now on. A receiver that falls more than 1024 events behind loses
    /// the oldest (`RecvError::Lagged`); the gateway never waits for it.
    pub fn subscribe(&self) -> broadcast::Receiver<GatewayEvent> {
        self.inner.shared.hub.subscribe()
    }

    /// Whether delivery runs.
    pub fn health(&self) -> &Health {
        &self.inner.health
    }
}
