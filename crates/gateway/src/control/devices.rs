//! Every client the listener has seen since the gateway started, by address: its HELO name,
//! when it was first and last seen, the TLS version and cipher it used, the AUTH mechanism and
//! device account, how many messages it sent and its last error. In memory only (a restart
//! starts over), bounded: past [`MAX_DEVICES`] addresses the least recently seen is forgotten,
//! so a scan of the port cannot grow it without end.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

use serde::Serialize;

/// The most addresses remembered.
pub const MAX_DEVICES: usize = 4096;

/// One client, as seen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeviceSeen {
    /// Its address.
    pub addr: IpAddr,
    /// The name it gave in HELO/EHLO, last seen.
    pub helo: Option<String>,
    /// Unix time it first connected.
    pub first_seen: u64,
    /// Unix time of its last connection or command.
    pub last_seen: u64,
    /// The TLS version and cipher suite of its last TLS session, e.g. `TLSv1.3
    /// TLS13_AES_256_GCM_SHA384`.
    pub tls: Option<String>,
    /// The AUTH mechanism it last used successfully.
    pub auth_mechanism: Option<String>,
    /// The device account it last authenticated as.
    pub auth_user: Option<String>,
    /// Messages it sent that were accepted.
    pub messages: u64,
    /// Its last error (a refusal, a failed AUTH), in words.
    pub last_error: Option<String>,
}

impl DeviceSeen {
    fn new(addr: IpAddr, now: u64) -> DeviceSeen {
        DeviceSeen {
            addr,
            helo: None,
            first_seen: now,
            last_seen: now,
            tls: None,
            auth_mechanism: None,
            auth_user: None,
            messages: 0,
            last_error: None,
        }
    }
}

/// What the listener reports about a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Sighting {
    /// It connected.
    Connected,
    /// It said HELO/EHLO with this name.
    Helo(String),
    /// A TLS session was set up.
    Tls(String),
    /// It authenticated.
    Auth {
        /// The mechanism.
        mechanism: String,
        /// The device account.
        user: String,
    },
    /// A message of its was accepted.
    Message,
    /// Something went wrong, in words.
    Error(String),
}

/// The clients seen.
#[derive(Debug, Default)]
pub struct DeviceBook {
    seen: Mutex<HashMap<IpAddr, DeviceSeen>>,
}

impl DeviceBook {
    /// Records a sighting of `addr` at Unix time `now`.
    pub(crate) fn saw(&self, addr: IpAddr, now: u64, what: Sighting) {
        let addr = addr.to_canonical();
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        if !seen.contains_key(&addr) && seen.len() >= MAX_DEVICES {
            let oldest = seen.values().min_by_key(|d| d.last_seen).map(|d| d.addr);
            if let Some(oldest) = oldest {
                seen.remove(&oldest);
            }
        }
        let device = seen
            .entry(addr)
            .or_insert_with(|| DeviceSeen::new(addr, now));
        device.last_seen = device.last_seen.max(now);
        match what {
            Sighting::Connected => {}
            Sighting::Helo(name) => device.helo = Some(name),
            Sighting::Tls(tls) => device.tls = Some(tls),
            Sighting::Auth { mechanism, user } => {
                device.auth_mechanism = Some(mechanism);
                device.auth_user = Some(user);
            }
            Sighting::Message => device.messages += 1,
            Sighting::Error(e) => device.last_error = Some(e),
        }
    }

    /// Every client seen, most recently seen first.
    pub fn list(&self) -> Vec<DeviceSeen> {
        let seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        let mut list: Vec<DeviceSeen> = seen.values().cloned().collect();
        list.sort_by(|a, b| b.last_seen.cmp(&a.last_seen).then(a.addr.cmp(&b.addr)));
        list
    }
}
