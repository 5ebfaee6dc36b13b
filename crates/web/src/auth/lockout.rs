//! Wrong admin passwords: each one is answered after [`FAILURE_DELAY`]; after
//! [`MAX_FAILURES`] from one client address within [`LOCKOUT`], that address gets `429 Too Many
//! Requests` with `Retry-After` for [`LOCKOUT`], whatever password it sends. A good login
//! clears the address's count. Times are tokio's (tests use paused time).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// How long a wrong password's answer is held back.
pub const FAILURE_DELAY: Duration = Duration::from_secs(1);
/// Wrong passwords from one address before it is locked out.
pub const MAX_FAILURES: u32 = 5;
/// How long a lockout lasts (and how long failures are remembered).
pub const LOCKOUT: Duration = Duration::from_secs(15 * 60);
/// Addresses remembered at most; the stalest are forgotten first.
const MAX_TRACKED: usize = 10_000;

#[derive(Debug, Clone, Copy)]
struct Record {
    failures: u32,
    last: Instant,
    locked_until: Option<Instant>,
}

/// Failure counts per client address.
#[derive(Debug, Default)]
pub struct Lockout {
    map: Mutex<HashMap<IpAddr, Record>>,
}

impl Lockout {
    /// `Err(time left)` while `ip` is locked out.
    pub fn check(&self, ip: IpAddr) -> Result<(), Duration> {
        let now = Instant::now();
        let map = self.map.lock().expect("lockout lock");
        match map.get(&ip).and_then(|r| r.locked_until) {
            Some(until) if until > now => Err(until - now),
            _ => Ok(()),
        }
    }

    /// Counts a wrong password from `ip`; `Err(lockout)` when this one locks it out.
    pub fn fail(&self, ip: IpAddr) -> Result<(), Duration> {
        let now = Instant::now();
        let mut map = self.map.lock().expect("lockout lock");
        if map.len() >= MAX_TRACKED && !map.contains_key(&ip) {
            forget_stalest(&mut map, now);
        }
        let record = map.entry(ip).or_insert(Record {
            failures: 0,
            last: now,
            locked_until: None,
        });
        let stale = now.duration_since(record.last) >= LOCKOUT
            || record.locked_until.is_some_and(|u| u <= now);
        if stale {
            record.failures = 0;
            record.locked_until = None;
        }
        record.failures += 1;
        record.last = now;
        if record.failures >= MAX_FAILURES {
            record.locked_until = Some(now + LOCKOUT);
            return Err(LOCKOUT);
        }
        Ok(())
    }

    /// A good login from `ip`.
    pub fn succeed(&self, ip: IpAddr) {
        self.map.lock().expect("lockout lock").remove(&ip);
    }
}

fn forget_stalest(map: &mut HashMap<IpAddr, Record>, now: Instant) {
    map.retain(|_, r| {
        now.duration_since(r.last) < LOCKOUT || r.locked_until.is_some_and(|u| u > now)
    });
    if map.len() >= MAX_TRACKED
        && let Some(ip) = map.iter().min_by_key(|(_, r)| r.last).map(|(ip, _)| *ip)
    {
        map.remove(&ip);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn locks_after_max_failures_then_releases() {
        let lockout = Lockout::default();
        let ip: IpAddr = "192.0.2.7".parse().unwrap();
        let other: IpAddr = "192.0.2.8".parse().unwrap();
        for _ in 1..MAX_FAILURES {
            assert!(lockout.fail(ip).is_ok());
        }
        assert_eq!(lockout.fail(ip), Err(LOCKOUT));
        assert!(lockout.check(ip).is_err());
        assert!(lockout.check(other).is_ok(), "per address");
        tokio::time::advance(LOCKOUT - Duration::from_secs(1)).await;
        assert_eq!(lockout.check(ip), Err(Duration::from_secs(1)));
        tokio::time::advance(Duration::from_secs(1)).await;
        assert!(lockout.check(ip).is_ok());
        assert!(lockout.fail(ip).is_ok(), "the count starts again");
    }

    #[tokio::test(start_paused = true)]
    async fn success_clears_the_count() {
        let lockout = Lockout::default();
        let ip: IpAddr = "::1".parse().unwrap();
        for _ in 1..MAX_FAILURES {
            lockout.fail(ip).unwrap();
        }
        lockout.succeed(ip);
        for _ in 1..MAX_FAILURES {
            assert!(lockout.fail(ip).is_ok());
        }
    }
}
