//! Who gets a connection slot, and for how long a client outside `allow_networks` may stay
//! without authenticating (see the listener's module doc for the numbers).
//!
//! Every connection holds a permit of the listener's [`Semaphore`] (`max_connections`). A
//! client outside `allow_networks` also holds an [`OutsiderSlot`]: its place in its address's
//! count (`max_connections_per_ip`) and, until it authenticates, in the count of unauthenticated
//! outsiders, which may never reach the last [`reserved_slots`] permits. It also gets a
//! deadline, `unauthenticated_timeout` after it connected, by which AUTH must have succeeded.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, MutexGuard};

use scanrelay_proto::Reply;
use tokio::sync::OwnedSemaphorePermit;
use tokio::time::Instant;

use super::{ListenConfig, Shared};

/// How many of `max_connections` slots clients outside `allow_networks` can never take before
/// they authenticate: a quarter, and at least one when there are two slots or more.
pub(crate) fn reserved_slots(max_connections: usize) -> usize {
    if max_connections < 2 {
        0
    } else {
        (max_connections / 4).max(1)
    }
}

/// Open connections of clients outside `allow_networks`.
#[derive(Debug, Default)]
pub(crate) struct Outsiders {
    /// Per client ([`crate::accounts::client_key`]).
    per_client: HashMap<IpAddr, usize>,
    /// Those that have not authenticated (yet).
    unauthenticated: usize,
}

/// `421 4.7.0 Too many connections, try again later`.
pub(crate) fn too_many_connections_reply() -> Reply {
    Reply::new(421, "4.7.0 Too many connections, try again later")
}

/// `421 4.7.0 Too many connections from your address, try again later`.
pub(crate) fn too_many_from_client_reply() -> Reply {
    Reply::new(
        421,
        "4.7.0 Too many connections from your address, try again later",
    )
}

/// A connection's right to run: a global permit and, for a client outside `allow_networks`,
/// its outsider slot and deadline. Dropping it frees both.
pub(crate) struct Admission {
    /// The configuration the connection runs with.
    pub cfg: Arc<ListenConfig>,
    _permit: OwnedSemaphorePermit,
    outsider: Option<OutsiderSlot>,
    /// When a client outside `allow_networks` must have authenticated by.
    auth_deadline: Option<Instant>,
}

impl Admission {
    /// The deadline for AUTH, for a client outside `allow_networks` that has not
    /// authenticated; `None` otherwise.
    pub fn auth_deadline(&self) -> Option<Instant> {
        self.auth_deadline
    }

    /// The client authenticated: it no longer needs to hurry, and no longer counts against
    /// the outsiders' share of the slots (still against its address's limit).
    pub fn authenticated(&mut self) {
        self.auth_deadline = None;
        if let Some(slot) = &mut self.outsider {
            slot.authenticated();
        }
    }

    /// `now + limit`, but not past the AUTH deadline (if any).
    pub fn bounded(&self, limit: std::time::Duration) -> Instant {
        let own = crate::time::after(limit);
        self.auth_deadline.map_or(own, |d| d.min(own))
    }
}

/// One connection counted against its address's `max_connections_per_ip` and, while
/// unauthenticated, against the outsiders' share.
struct OutsiderSlot {
    shared: Arc<Shared>,
    key: IpAddr,
    unauthenticated: bool,
}

impl OutsiderSlot {
    fn authenticated(&mut self) {
        if std::mem::replace(&mut self.unauthenticated, false) {
            let mut counts = outsiders(&self.shared);
            counts.unauthenticated = counts.unauthenticated.saturating_sub(1);
        }
    }
}

impl Drop for OutsiderSlot {
    fn drop(&mut self) {
        let mut counts = outsiders(&self.shared);
        if self.unauthenticated {
            counts.unauthenticated = counts.unauthenticated.saturating_sub(1);
        }
        if let Some(n) = counts.per_client.get_mut(&self.key) {
            *n -= 1;
            if *n == 0 {
                counts.per_client.remove(&self.key);
            }
        }
    }
}

fn outsiders(shared: &Shared) -> MutexGuard<'_, Outsiders> {
    shared.outsiders.lock().unwrap_or_else(|e| e.into_inner())
}

/// Admits a connection from `peer`, or gives the reply to refuse it with.
pub(crate) fn admit(shared: &Arc<Shared>, peer: SocketAddr) -> Result<Admission, Reply> {
    let cfg = shared.config();
    let settings = &cfg.settings;
    let outsider = if cfg.policy.allowed_network(peer.ip()) {
        None
    } else {
        let key = crate::accounts::client_key(peer.ip());
        let share = shared.max_connections - reserved_slots(shared.max_connections);
        let mut counts = outsiders(shared);
        let n = counts.per_client.get(&key).copied().unwrap_or(0);
        if n >= settings.max_connections_per_ip {
            return Err(too_many_from_client_reply());
        }
        if counts.unauthenticated >= share {
            return Err(too_many_connections_reply());
        }
        *counts.per_client.entry(key).or_insert(0) += 1;
        counts.unauthenticated += 1;
        Some(OutsiderSlot {
            shared: shared.clone(),
            key,
            unauthenticated: true,
        })
    };
    let auth_deadline = outsider
        .as_ref()
        .map(|_| crate::time::after(settings.unauthenticated_timeout));
    let permit = shared
        .limit
        .clone()
        .try_acquire_owned()
        .map_err(|_| too_many_connections_reply())?;
    Ok(Admission {
        cfg: cfg.clone(),
        _permit: permit,
        outsider,
        auth_deadline,
    })
}

#[cfg(test)]
mod tests {
    use super::reserved_slots;

    #[test]
    fn a_quarter_of_the_slots_is_kept_for_devices() {
        // (max_connections, reserved)
        let cases = [
            (0, 0),
            (1, 0),
            (2, 1),
            (4, 1),
            (7, 1),
            (8, 2),
            (200, 50),
            (1000, 250),
        ];
        for (max, reserved) in cases {
            assert_eq!(reserved_slots(max), reserved, "{max}");
        }
    }
}
