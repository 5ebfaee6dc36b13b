//! POP-before-SMTP: a successful POP3 login lets that client address (exactly that address,
//! not its network) send through the SMTP listener without SMTP AUTH, as the device that
//! logged in, for `[listen] pop_before_smtp`. Older office devices that cannot do SMTP AUTH
//! but can check a POP3 mailbox use it. Time is tokio's clock.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// The most addresses holding a window at once; past it, expired windows are dropped and then
/// the one closest to expiry, so a flood of logins cannot grow the table without end.
pub(crate) const MAX_GRANTS: usize = 4096;

/// The open POP-before-SMTP windows, by client address.
#[derive(Debug, Default)]
pub(crate) struct PopGrants {
    map: Mutex<HashMap<IpAddr, Grant>>,
}

#[derive(Debug, Clone)]
struct Grant {
    device: String,
    until: Instant,
}

impl PopGrants {
    fn table(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, Grant>> {
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `device` logged in over POP3 from `ip`: it may send without AUTH for `window` from now
    /// (a later login from the address replaces the window, and the device).
    pub fn grant(&self, ip: IpAddr, device: &str, window: Duration) {
        let now = Instant::now();
        let mut table = self.table();
        if table.len() >= MAX_GRANTS {
            table.retain(|_, g| g.until > now);
        }
        if table.len() >= MAX_GRANTS
            && let Some(oldest) = table.iter().min_by_key(|(_, g)| g.until).map(|(ip, _)| *ip)
        {
            table.remove(&oldest);
        }
        let grant = Grant {
            device: device.to_string(),
            until: crate::time::after(window),
        };
        table.insert(ip.to_canonical(), grant);
    }

    /// The device whose window is open for `ip` now, if any.
    pub fn device_for(&self, ip: IpAddr) -> Option<String> {
        let now = Instant::now();
        let mut table = self.table();
        let key = ip.to_canonical();
        match table.get(&key) {
            Some(g) if g.until > now => Some(g.device.clone()),
            Some(_) => {
                table.remove(&key);
                None
            }
            None => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_window_opens_for_that_address_only_and_closes_on_time() {
        let grants = PopGrants::default();
        let device: IpAddr = "192.0.2.7".parse().unwrap();
        grants.grant(device, "mfp-3f", Duration::from_secs(600));
        // (address asked about, seconds later, device expected)
        let cases = [
            ("192.0.2.7", 0, Some("mfp-3f")),
            ("::ffff:192.0.2.7", 0, Some("mfp-3f")),
            ("192.0.2.8", 0, None),
            ("192.0.2.0", 0, None),
            ("192.0.2.7", 599, Some("mfp-3f")),
            ("192.0.2.7", 1, None),
            ("192.0.2.7", 0, None),
        ];
        for (ip, later, want) in cases {
            tokio::time::advance(Duration::from_secs(later)).await;
            let ip: IpAddr = ip.parse().unwrap();
            assert_eq!(grants.device_for(ip).as_deref(), want, "{ip} +{later}s");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_new_login_replaces_the_window_and_the_table_stays_bounded() {
        let grants = PopGrants::default();
        let ip: IpAddr = "192.0.2.7".parse().unwrap();
        grants.grant(ip, "a", Duration::from_secs(10));
        grants.grant(ip, "b", Duration::from_secs(100));
        tokio::time::advance(Duration::from_secs(50)).await;
        assert_eq!(grants.device_for(ip).as_deref(), Some("b"));
        for n in 0..(MAX_GRANTS as u32 + 10) {
            let other = IpAddr::V4(std::net::Ipv4Addr::from(0x0a00_0000 + n));
            grants.grant(other, "c", Duration::from_secs(1000));
        }
        assert!(grants.table().len() <= MAX_GRANTS);
    }
}
