//! Who may relay, whose credentials are good, and how failed AUTH attempts are throttled.
//!
//! The relay rule is the whole "never an open relay" promise: a client may relay only if its
//! address is in `allow_networks` or it authenticated as a `[[device]]`. Everything else gets a
//! refusal at RCPT, so nothing is ever queued for it.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Duration;

use ipnet::IpNet;
use scanrelay_proto::Reply;
use scanrelay_proto::server::{ServerCredentials, replies};
use tokio::time::Instant;

use crate::settings::DeviceAccount;

/// The relay decision and the device table.
#[derive(Debug)]
pub(crate) struct RelayPolicy {
    allow: Vec<IpNet>,
    devices: Vec<DeviceAccount>,
}

impl RelayPolicy {
    pub fn new(allow: Vec<IpNet>, devices: Vec<DeviceAccount>) -> RelayPolicy {
        RelayPolicy { allow, devices }
    }

    /// Whether AUTH is offered at all (there are device accounts).
    pub fn auth_enabled(&self) -> bool {
        !self.devices.is_empty()
    }

    /// Whether a client at `ip` may relay without authenticating. IPv4-mapped IPv6 addresses
    /// (a dual-stack listener) count as their IPv4 address.
    pub fn allowed_network(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.allow.iter().any(|net| net.contains(&ip))
    }

    /// The RCPT verdict: `Ok` for an allowed network or an authenticated device, else
    /// `530 5.7.0` when AUTH could help, `550 5.7.1` when it could not.
    pub fn rcpt_verdict(&self, ip: IpAddr, authenticated: bool) -> Result<(), Reply> {
        if authenticated || self.allowed_network(ip) {
            Ok(())
        } else if self.auth_enabled() {
            Err(replies::auth_required())
        } else {
            Err(replies::relay_denied())
        }
    }

    /// The device the credentials prove, if any. Every account is checked (constant-time
    /// password comparison), so the time taken does not tell which user names exist. A PLAIN
    /// authorization identity other than the user is refused (no proxy authorization).
    pub fn verify(&self, creds: &ServerCredentials) -> Option<&str> {
        if let ServerCredentials::Plain {
            authzid: Some(authzid),
            user,
            ..
        } = creds
            && authzid != user
        {
            return None;
        }
        let mut found = None;
        for device in &self.devices {
            let name_ok = device.username == creds.user();
            let pass_ok = creds.verify_password(&device.password);
            if name_ok && pass_ok {
                found = Some(device.username.as_str());
            }
        }
        found
    }
}

/// Failed-AUTH bookkeeping per client address: each failure delays the `535` a little more,
/// and `max_failures` failures lock the address out for `lockout`.
#[derive(Debug)]
pub(crate) struct AuthThrottle {
    max_failures: u32,
    lockout: Duration,
    state: Mutex<HashMap<IpAddr, Failures>>,
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: Instant,
    locked_until: Option<Instant>,
}

/// What one more failure means for the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Penalty {
    /// Wait this long before answering `535`.
    pub delay: Duration,
    /// The address is now locked out: close with `421` after the `535`.
    pub locked: bool,
}

/// Longest delay before a `535`.
const MAX_DELAY: Duration = Duration::from_secs(5);
/// Above this many tracked addresses, stale entries are dropped.
const PRUNE_AT: usize = 4096;

impl AuthThrottle {
    pub fn new(max_failures: u32, lockout: Duration) -> AuthThrottle {
        AuthThrottle {
            max_failures: max_failures.max(1),
            lockout,
            state: Mutex::new(HashMap::new()),
        }
    }

    /// Whether `ip` is locked out now.
    pub fn is_locked(&self, ip: IpAddr) -> bool {
        let now = Instant::now();
        let map = self.state.lock().expect("throttle lock");
        map.get(&ip.to_canonical())
            .and_then(|f| f.locked_until)
            .is_some_and(|until| until > now)
    }

    /// Records a failed attempt: 1 s delay after the first, growing by 1 s per failure up to
    /// 5 s; at `max_failures` the address is locked out and its count starts over.
    pub fn failure(&self, ip: IpAddr) -> Penalty {
        let now = Instant::now();
        let mut map = self.state.lock().expect("throttle lock");
        if map.len() > PRUNE_AT {
            let stale = self.lockout.max(Duration::from_secs(3600));
            map.retain(|_, f| f.last + stale > now || f.locked_until.is_some_and(|u| u > now));
        }
        let entry = map.entry(ip.to_canonical()).or_insert(Failures {
            count: 0,
            last: now,
            locked_until: None,
        });
        if entry.locked_until.is_some_and(|until| until <= now) {
            entry.locked_until = None;
        }
        entry.count += 1;
        entry.last = now;
        let delay = (Duration::from_secs(1) * entry.count).min(MAX_DELAY);
        let locked = entry.count >= self.max_failures;
        if locked {
            entry.count = 0;
            entry.locked_until = Some(now + self.lockout);
        }
        Penalty { delay, locked }
    }

    /// Forgets the failures of `ip` after a successful AUTH.
    pub fn success(&self, ip: IpAddr) {
        let mut map = self.state.lock().expect("throttle lock");
        let ip = ip.to_canonical();
        if map.get(&ip).is_some_and(|f| f.locked_until.is_none()) {
            map.remove(&ip);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(devices: &[(&str, &str)]) -> RelayPolicy {
        let devices = devices
            .iter()
            .map(|(u, p)| DeviceAccount {
                username: u.to_string(),
                password: p.to_string(),
            })
            .collect();
        RelayPolicy::new(vec!["10.0.0.0/8".parse().unwrap()], devices)
    }

    #[test]
    fn relay_rule() {
        let open = policy(&[]);
        let lan: IpAddr = "10.1.2.3".parse().unwrap();
        let mapped: IpAddr = "::ffff:10.1.2.3".parse().unwrap();
        let outside: IpAddr = "192.0.2.1".parse().unwrap();
        assert!(open.rcpt_verdict(lan, false).is_ok());
        assert!(open.rcpt_verdict(mapped, false).is_ok());
        assert_eq!(open.rcpt_verdict(outside, false).unwrap_err().code, 550);
        let with_auth = policy(&[("mfp", "pw")]);
        assert_eq!(
            with_auth.rcpt_verdict(outside, false).unwrap_err().code,
            530
        );
        assert!(with_auth.rcpt_verdict(outside, true).is_ok());
    }

    #[test]
    fn credentials() {
        let p = policy(&[("mfp", "secret"), ("other", "pw2")]);
        let login = |user: &str, password: &str| ServerCredentials::Login {
            user: user.into(),
            password: password.into(),
        };
        assert_eq!(p.verify(&login("mfp", "secret")), Some("mfp"));
        assert_eq!(p.verify(&login("mfp", "pw2")), None);
        assert_eq!(p.verify(&login("nobody", "secret")), None);
        let proxy = ServerCredentials::Plain {
            authzid: Some("other".into()),
            user: "mfp".into(),
            password: "secret".into(),
        };
        assert_eq!(p.verify(&proxy), None);
    }

    #[tokio::test(start_paused = true)]
    async fn throttle_grows_then_locks_then_expires() {
        let t = AuthThrottle::new(3, Duration::from_secs(900));
        let ip: IpAddr = "192.0.2.9".parse().unwrap();
        assert_eq!(t.failure(ip).delay, Duration::from_secs(1));
        assert_eq!(t.failure(ip).delay, Duration::from_secs(2));
        assert!(t.failure(ip).locked);
        assert!(t.is_locked(ip));
        tokio::time::advance(Duration::from_secs(901)).await;
        assert!(!t.is_locked(ip));
        assert!(!t.failure(ip).locked);
    }
}
