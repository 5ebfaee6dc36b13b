//! Server-side sessions in memory. A session is a random id (the cookie's value) mapped to its
//! CSRF token, whether it is logged in, and its times. Visitors of the login and setup pages get
//! an anonymous session (so those forms carry a CSRF token too); logging in replaces it with a
//! new id (no session fixation). A logged-in session ends after [`IDLE`] without a request or
//! [`ABSOLUTE`] after login, whichever comes first; anonymous ones after [`IDLE`]. Times are
//! tokio's, so tests run them with paused time. Sessions do not survive a restart.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use super::random_token;

/// A session ends after this long without a request.
pub const IDLE: Duration = Duration::from_secs(30 * 60);
/// A logged-in session ends this long after login, however active.
pub const ABSOLUTE: Duration = Duration::from_secs(12 * 3600);
/// Anonymous sessions kept at most (the oldest go first), so unauthenticated visitors cannot
/// fill the memory.
const MAX_ANONYMOUS: usize = 1024;

/// One session as handlers see it.
#[derive(Debug, Clone)]
pub struct Session {
    /// The cookie value.
    pub id: String,
    /// The token every form of this session must carry.
    pub csrf: String,
    /// Whether the admin logged in with it.
    pub authed: bool,
    /// Whether it opened a valid one-time setup link (and may set the first password).
    pub setup: bool,
}

#[derive(Debug)]
struct Record {
    session: Session,
    created: Instant,
    last_seen: Instant,
}

/// The store.
#[derive(Debug, Default)]
pub struct Sessions {
    map: Mutex<HashMap<String, Record>>,
}

impl Sessions {
    /// The live session with this id, its idle time restarted; expired ones are removed.
    pub fn get(&self, id: &str) -> Option<Session> {
        let now = Instant::now();
        let mut map = self.map.lock().expect("sessions lock");
        let record = map.get_mut(id)?;
        if expired(record, now) {
            map.remove(id);
            return None;
        }
        record.last_seen = now;
        Some(record.session.clone())
    }

    /// A new anonymous session.
    pub fn anonymous(&self) -> Session {
        self.insert(false)
    }

    /// Ends `old` (if any) and starts a logged-in session with a new id and CSRF token.
    pub fn login(&self, old: Option<&str>) -> Session {
        if let Some(old) = old {
            self.remove(old);
        }
        self.insert(true)
    }

    /// Marks `id` as having opened a valid setup link.
    pub fn allow_setup(&self, id: &str) {
        if let Some(record) = self.map.lock().expect("sessions lock").get_mut(id) {
            record.session.setup = true;
        }
    }

    /// Ends a session (logout).
    pub fn remove(&self, id: &str) {
        self.map.lock().expect("sessions lock").remove(id);
    }

    /// Ends every session (a new admin password logs everybody out).
    pub fn clear(&self) {
        self.map.lock().expect("sessions lock").clear();
    }

    /// How many sessions are stored (tests).
    pub fn len(&self) -> usize {
        self.map.lock().expect("sessions lock").len()
    }

    /// Whether none is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn insert(&self, authed: bool) -> Session {
        let now = Instant::now();
        let session = Session {
            id: random_token(),
            csrf: random_token(),
            authed,
            setup: false,
        };
        let mut map = self.map.lock().expect("sessions lock");
        map.retain(|_, r| !expired(r, now));
        if !authed {
            evict_anonymous(&mut map);
        }
        map.insert(
            session.id.clone(),
            Record {
                session: session.clone(),
                created: now,
                last_seen: now,
            },
        );
        session
    }
}

fn expired(record: &Record, now: Instant) -> bool {
    now.duration_since(record.last_seen) >= IDLE
        || (record.session.authed && now.duration_since(record.created) >= ABSOLUTE)
}

/// Drops the oldest anonymous sessions until there is room for one more.
fn evict_anonymous(map: &mut HashMap<String, Record>) {
    let mut anonymous: Vec<(Instant, String)> = map
        .iter()
        .filter(|(_, r)| !r.session.authed)
        .map(|(id, r)| (r.last_seen, id.clone()))
        .collect();
    if anonymous.len() < MAX_ANONYMOUS {
        return;
    }
    anonymous.sort();
    let excess = anonymous.len() + 1 - MAX_ANONYMOUS;
    for (_, id) in anonymous.into_iter().take(excess) {
        map.remove(&id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn idle_and_absolute_expiry() {
        let store = Sessions::default();
        let s = store.login(None);
        tokio::time::advance(IDLE - Duration::from_secs(1)).await;
        assert!(
            store.get(&s.id).is_some(),
            "activity restarts the idle time"
        );
        tokio::time::advance(IDLE - Duration::from_secs(1)).await;
        assert!(store.get(&s.id).is_some());
        tokio::time::advance(IDLE).await;
        assert!(store.get(&s.id).is_none(), "idle too long");

        let s = store.login(None);
        for _ in 0..(ABSOLUTE.as_secs() / 600) {
            tokio::time::advance(Duration::from_secs(600)).await;
            if store.get(&s.id).is_none() {
                break;
            }
        }
        assert!(store.get(&s.id).is_none(), "ends 12 h after login");
    }

    #[tokio::test(start_paused = true)]
    async fn login_replaces_the_session_id() {
        let store = Sessions::default();
        let anon = store.anonymous();
        let authed = store.login(Some(&anon.id));
        assert_ne!(anon.id, authed.id);
        assert_ne!(anon.csrf, authed.csrf);
        assert!(store.get(&anon.id).is_none());
        assert!(store.get(&authed.id).unwrap().authed);
    }

    #[tokio::test(start_paused = true)]
    async fn anonymous_sessions_are_capped() {
        let store = Sessions::default();
        let admin = store.login(None);
        for _ in 0..(MAX_ANONYMOUS + 50) {
            store.anonymous();
        }
        assert_eq!(store.len(), MAX_ANONYMOUS + 1);
        assert!(
            store.get(&admin.id).is_some(),
            "logged-in sessions are never evicted"
        );
    }
}
