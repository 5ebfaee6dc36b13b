//! Failed logins, counted per client address and account, shared by every protocol that logs
//! a device in (SMTP AUTH today; POP3 next), so a guesser cannot spread its tries over them.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use super::client_key;

/// Failed-AUTH bookkeeping per client ([`client_key`]), counted per account inside it: each
/// failure delays the `535` a little more, and `max_failures` failures from one address (over
/// all accounts) lock AUTH from that address for `lockout`.
///
/// A failure is counted under the device account the attempt named, or under "no such device"
/// (the attempted name itself is never kept: it may be a password typed into the wrong field).
/// A successful AUTH clears only the count of the account that succeeded, so a client that
/// knows one device's password cannot go on guessing another's by interleaving good logins
/// (issue 6, item 11). Counts start over when the address's last failure is older than the
/// lockout and at least an hour, so a device's rare mistakes do not add up over days.
///
/// What a lock means is the listener's decision: a client outside `allow_networks` is refused
/// at the greeting; an allow-listed one may still send without AUTH, only AUTH is refused.
///
/// The table is bounded: stale entries are pruned at most once per [`PRUNE_EVERY`] (so a flood
/// of failures from many addresses costs no scan per failure), and at [`MAX_TRACKED`] entries
/// the oldest quarter is dropped at once (unlocked clients first), which keeps the cost of a
/// failure amortised constant.
#[derive(Debug)]
pub(crate) struct AuthThrottle {
    max_failures: u32,
    lockout: Duration,
    state: Mutex<Table>,
}

#[derive(Debug)]
struct Table {
    map: HashMap<IpAddr, Failures>,
    next_prune: Instant,
    /// Full scans for stale entries so far.
    prunes: u64,
}

/// The failures of one client address.
#[derive(Debug, Clone)]
struct Failures {
    /// Failures per account named (`None`: a name that is no configured device).
    by_account: Vec<(Option<String>, u32)>,
    last: Instant,
    locked_until: Option<Instant>,
}

impl Failures {
    fn total(&self) -> u32 {
        self.by_account
            .iter()
            .fold(0u32, |sum, (_, n)| sum.saturating_add(*n))
    }

    fn count_for(&mut self, account: Option<&str>) -> &mut u32 {
        let at = self
            .by_account
            .iter()
            .position(|(name, _)| name.as_deref() == account);
        let at = at.unwrap_or_else(|| {
            self.by_account.push((account.map(str::to_string), 0));
            self.by_account.len() - 1
        });
        &mut self.by_account[at].1
    }
}

/// What one more failure means for the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Penalty {
    /// Wait this long before answering `535`.
    pub delay: Duration,
    /// The address is now locked out of AUTH.
    pub locked: bool,
}

/// Longest delay before a `535`.
const MAX_DELAY: Duration = Duration::from_secs(5);
/// How often stale entries are pruned (at most).
pub(crate) const PRUNE_EVERY: Duration = Duration::from_secs(60);
/// The most clients tracked at once.
pub(crate) const MAX_TRACKED: usize = 16 * 1024;

impl AuthThrottle {
    pub fn new(max_failures: u32, lockout: Duration) -> AuthThrottle {
        AuthThrottle {
            max_failures: max_failures.max(1),
            lockout,
            state: Mutex::new(Table {
                map: HashMap::new(),
                next_prune: Instant::now(),
                prunes: 0,
            }),
        }
    }

    fn table(&self) -> std::sync::MutexGuard<'_, Table> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// After how long without a failure an address's counts start over.
    fn stale_after(&self) -> Duration {
        self.lockout.max(Duration::from_secs(3600))
    }

    /// Whether AUTH from `ip` is locked now.
    pub fn is_locked(&self, ip: IpAddr) -> bool {
        let now = Instant::now();
        self.table()
            .map
            .get(&client_key(ip))
            .and_then(|f| f.locked_until)
            .is_some_and(|until| until > now)
    }

    /// How long AUTH from `ip` stays locked, when it is locked now.
    pub fn locked_for(&self, ip: IpAddr) -> Option<Duration> {
        let now = Instant::now();
        self.table()
            .map
            .get(&client_key(ip))
            .and_then(|f| f.locked_until)
            .filter(|until| *until > now)
            .map(|until| until - now)
    }

    /// Records a failed attempt naming `account` (a configured device, or `None`): 1 s delay
    /// after the address's first failure, growing by 1 s per failure up to 5 s; at
    /// `max_failures` from the address (all accounts together) AUTH from it is locked and its
    /// counts start over.
    pub fn failure(&self, ip: IpAddr, account: Option<&str>) -> Penalty {
        let now = Instant::now();
        let stale = self.stale_after();
        let mut table = self.table();
        let key = client_key(ip);
        if !table.map.contains_key(&key) {
            self.make_room(&mut table, now);
        }
        let entry = table.map.entry(key).or_insert(Failures {
            by_account: Vec::new(),
            last: now,
            locked_until: None,
        });
        if entry.locked_until.is_some_and(|until| until <= now) {
            entry.locked_until = None;
        }
        if now.saturating_duration_since(entry.last) >= stale {
            entry.by_account.clear();
        }
        entry.last = now;
        let count = entry.count_for(account);
        *count = count.saturating_add(1);
        let total = entry.total();
        let delay = (Duration::from_secs(1) * total).min(MAX_DELAY);
        let locked = total >= self.max_failures;
        if locked {
            entry.by_account.clear();
            entry.locked_until = Some(crate::time::after(self.lockout));
        }
        Penalty { delay, locked }
    }

    /// Before a new client is added: prunes stale entries when due, and drops the oldest
    /// quarter when the table is full.
    fn make_room(&self, table: &mut Table, now: Instant) {
        if now >= table.next_prune {
            let stale = self.stale_after();
            let live = |f: &Failures| {
                now.saturating_duration_since(f.last) < stale
                    || f.locked_until.is_some_and(|u| u > now)
            };
            table.map.retain(|_, f| live(f));
            table.next_prune = now + PRUNE_EVERY;
            table.prunes += 1;
        }
        if table.map.len() < MAX_TRACKED {
            return;
        }
        let mut order: Vec<(bool, Instant, IpAddr)> = table
            .map
            .iter()
            .map(|(ip, f)| (f.locked_until.is_some_and(|u| u > now), f.last, *ip))
            .collect();
        let drop = MAX_TRACKED / 4;
        order.select_nth_unstable(drop - 1);
        for (_, _, ip) in &order[..drop] {
            table.map.remove(ip);
        }
    }

    /// After a successful AUTH as `account` from `ip`: forgets that account's failures from
    /// the address, and only those.
    pub fn success(&self, ip: IpAddr, account: &str) {
        let mut table = self.table();
        let key = client_key(ip);
        let Some(entry) = table.map.get_mut(&key) else {
            return;
        };
        entry
            .by_account
            .retain(|(name, _)| name.as_deref() != Some(account));
        if entry.by_account.is_empty() && entry.locked_until.is_none() {
            table.map.remove(&key);
        }
    }

    /// How many clients are tracked, and how many prune scans ran (for tests).
    #[cfg(test)]
    fn tracked(&self) -> (usize, u64) {
        let table = self.table();
        (table.map.len(), table.prunes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv6Addr;

    #[test]
    fn clients_are_keyed_by_address_and_ipv6_by_slash_64() {
        let cases = [
            ("192.0.2.9", "192.0.2.9"),
            ("::ffff:192.0.2.9", "192.0.2.9"),
            ("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::"),
            ("2001:db8:1:2::1", "2001:db8:1:2::"),
            ("::1", "::"),
        ];
        for (ip, key) in cases {
            let ip: IpAddr = ip.parse().unwrap();
            assert_eq!(client_key(ip).to_string(), key, "{ip}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn an_ipv6_attacker_cannot_dodge_the_lockout_by_changing_address_in_its_64() {
        let t = AuthThrottle::new(3, Duration::from_secs(900));
        for host in 1..=3u16 {
            let ip = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 7, 7, 0, 0, 0, host));
            t.failure(ip, None);
        }
        assert!(t.is_locked("2001:db8:7:7::ffff".parse().unwrap()));
        assert!(!t.is_locked("2001:db8:7:8::1".parse().unwrap()));
    }

    #[tokio::test(start_paused = true)]
    async fn failed_auth_table_stays_bounded_and_prunes_stale_entries_on_a_timer() {
        let t = AuthThrottle::new(5, Duration::from_secs(900));
        let v4 = |n: u32| IpAddr::V4(std::net::Ipv4Addr::from(0x0a00_0000 + n));
        let locked = v4(u32::MAX >> 8);
        for _ in 0..5 {
            t.failure(locked, None);
        }
        for n in 0..(MAX_TRACKED as u32 * 2) {
            t.failure(v4(n), None);
        }
        let (tracked, prunes) = t.tracked();
        assert!(tracked <= MAX_TRACKED, "{tracked} tracked");
        assert_eq!(
            prunes, 1,
            "one scan for 32k failures within a minute, not one each"
        );
        assert!(t.is_locked(locked), "a locked client is dropped last");
        // An hour later every entry is stale (the lockout is over): the next failure prunes.
        tokio::time::advance(Duration::from_secs(3601)).await;
        t.failure(v4(u32::MAX >> 9), None);
        assert_eq!(t.tracked(), (1, 2));
    }

    #[tokio::test(start_paused = true)]
    async fn throttle_grows_then_locks_then_expires() {
        let t = AuthThrottle::new(3, Duration::from_secs(900));
        let ip: IpAddr = "192.0.2.9".parse().unwrap();
        assert_eq!(t.failure(ip, None).delay, Duration::from_secs(1));
        assert_eq!(t.failure(ip, Some("mfp")).delay, Duration::from_secs(2));
        assert!(t.failure(ip, None).locked);
        assert!(t.is_locked(ip));
        tokio::time::advance(Duration::from_secs(901)).await;
        assert!(!t.is_locked(ip));
        assert!(!t.failure(ip, None).locked);
    }

    /// Regression (issue 6, item 11, "lockout bypass"): a success cleared every failure of the
    /// address, so guesses at one account interleaved with good logins to another were never
    /// locked out.
    #[tokio::test(start_paused = true)]
    async fn a_success_clears_only_its_own_accounts_failures() {
        let t = AuthThrottle::new(3, Duration::from_secs(900));
        let ip: IpAddr = "192.0.2.9".parse().unwrap();
        // (account that fails, account that then succeeds, locked after the failure)
        let cases = [
            (Some("b"), Some("a"), false),
            (Some("b"), Some("a"), false),
            (Some("b"), None, true),
        ];
        for (round, (fails, succeeds, locked)) in cases.into_iter().enumerate() {
            assert_eq!(t.failure(ip, fails).locked, locked, "round {round}");
            if let Some(account) = succeeds {
                t.success(ip, account);
            }
        }
        // The failing account's own success does clear its count.
        let other: IpAddr = "192.0.2.10".parse().unwrap();
        t.failure(other, Some("a"));
        t.failure(other, Some("a"));
        t.success(other, "a");
        assert!(!t.failure(other, Some("a")).locked);
        assert!(!t.failure(other, None).locked);
        assert!(t.failure(other, None).locked);
    }

    #[tokio::test(start_paused = true)]
    async fn counts_start_over_after_a_quiet_hour() {
        let t = AuthThrottle::new(3, Duration::from_secs(900));
        let ip: IpAddr = "192.0.2.9".parse().unwrap();
        t.failure(ip, Some("a"));
        t.failure(ip, Some("a"));
        tokio::time::advance(Duration::from_secs(3600)).await;
        let penalty = t.failure(ip, Some("a"));
        assert_eq!(penalty.delay, Duration::from_secs(1));
        assert!(!penalty.locked);
    }
}
