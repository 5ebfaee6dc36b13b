//! [`Ctx`]: what every delivery attempt needs, shared by the scheduler and its tasks. Its own
//! module so that `attempt`, `record` and `bounce` share it instead of reaching into the
//! scheduler: the old `attempt` <-> `record` cycle is gone; `attempt` still calls `record`,
//! which calls `bounce`, and this module names `record::Unrecorded`.

use std::sync::Arc;

use scanrelay_spool::Spool;
use tokio::sync::Notify;

use crate::control::events::EventHub;
use crate::delivery::backoff::Backoff;
use crate::delivery::clock::Clock;
use crate::delivery::record::Unrecorded;
use crate::settings::DeliverySettings;

/// What every attempt needs.
pub(crate) struct Ctx {
    pub spool: Spool,
    pub settings: DeliverySettings,
    pub backoff: Backoff,
    pub clock: Arc<dyn Clock>,
    pub hostname: String,
    /// Wakes the scheduler (a bounce was queued).
    pub wake: Arc<Notify>,
    /// Deliveries whose outcome could not be written yet.
    pub unrecorded: Arc<Unrecorded>,
    /// Where delivery events go.
    pub events: Arc<EventHub>,
}
