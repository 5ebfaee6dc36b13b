//! The queue page's "Recently delivered" table: a delivered message leaves the spool at once,
//! so the queue itself cannot show that a scan went through. The gateway's recent events can:
//! each `Delivered` event, with the device that sent the message (its `Accepted` event: the
//! address, the device account or else the HELO name), newest first.

use scanrelay_gateway::control::{EventKind, GatewayEvent};
use scanrelay_gateway::queue::{Clock, shown};

/// How many deliveries the queue page lists.
pub const SHOWN: usize = 10;

/// One delivered message.
pub struct Delivered {
    /// When, in local time.
    pub time: String,
    /// The spool id it had.
    pub id: String,
    /// `address (account or HELO name)`; empty when its `Accepted` event is gone.
    pub device: String,
    /// Through which upstream.
    pub upstream: String,
    /// How long the upstream took, seconds.
    pub seconds: String,
}

/// The device that sent message `id`, from its `Accepted` event: its address and account (or
/// HELO name); `None` when that event is no longer kept.
fn sender(events: &[GatewayEvent], id: &str) -> Option<(String, String)> {
    events.iter().find_map(|ev| match &ev.kind {
        EventKind::Accepted {
            id: accepted,
            client,
            helo,
            auth_user,
            ..
        } if accepted == id => {
            let name = auth_user.as_deref().unwrap_or(helo);
            Some((client.to_string(), shown(name)))
        }
        _ => None,
    })
}

/// The last [`SHOWN`] deliveries in `events` (oldest first, as kept), newest first; with
/// `device`, only those from that address.
pub fn recent(events: &[GatewayEvent], device: &str, clock: &Clock) -> Vec<Delivered> {
    events
        .iter()
        .rev()
        .filter_map(|ev| match &ev.kind {
            EventKind::Delivered {
                id,
                upstream,
                latency_ms,
            } => {
                let (client, name) = sender(events, id).unzip();
                if !device.is_empty() && client.as_deref() != Some(device) {
                    return None;
                }
                let device = match (client, name) {
                    (Some(c), Some(n)) => format!("{c} ({n})"),
                    _ => String::new(),
                };
                Some(Delivered {
                    time: clock.local(ev.at),
                    id: shown(id),
                    device,
                    upstream: shown(upstream),
                    seconds: format!("{:.2}", *latency_ms as f64 / 1000.0),
                })
            }
            _ => None,
        })
        .take(SHOWN)
        .collect()
}
