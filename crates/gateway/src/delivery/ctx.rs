//! [`Ctx`]: what every delivery attempt needs, shared by the scheduler and its tasks. Its own
//! module so that `attempt`, `record` and `bounce` depend on it and not on each other.

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
