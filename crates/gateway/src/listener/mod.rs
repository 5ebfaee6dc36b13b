//! The device-facing SMTP listener: accept loops for the `smtp` (STARTTLS) and `smtps`
//! (implicit TLS) sockets, and the per-connection driver over the sans-IO
//! [`scanrelay_proto::server::ServerSession`].
//!
//! * A [`Semaphore`] caps concurrent connections (shared by both listeners); a connection over
//!   the cap gets `421 4.7.0 Too many connections, try again later` and is closed.
//! * Clients outside `allow_networks` are held to more, so that hosts that cannot send anything
//!   cannot take the listener from the devices that can ("slowloris", issue 6, item 11):
//!   - one address (an IPv6 client: its /64) may hold at most `max_connections_per_ip`
//!     connections (default 20);
//!   - together they may hold at most `max_connections` minus [`reserved_slots`] while they
//!     have not authenticated (a quarter of the slots, at least one, is kept for clients in
//!     `allow_networks` and authenticated ones: with the default 200 connections, outsiders
//!     get 150 before AUTH and 50 stay free for the devices). A client that authenticates
//!     no longer counts against that share, only against its address's limit;
//!   - they must have authenticated within `unauthenticated_timeout` (default 30 s) of
//!     connecting, TLS handshake included: a deadline that bytes do not extend, so a client
//!     sending one byte a second is closed with `421 4.4.2` after 30 s all the same.
//!
//!   The reservation is derived from `max_connections` rather than configured: a count of its
//!   own would have to be kept below `max_connections` by hand, and the quarter leaves the
//!   devices room whatever the cap is. No session lasts longer than `max_session_time`.
//!   Clients in `allow_networks` (the office devices) are not counted per address.
//! * Failed AUTH attempts are throttled per address and account (`crate::accounts::AuthThrottle`):
//!   after `max_auth_failures` an address outside `allow_networks` is refused at the greeting
//!   for `auth_lockout`; an address in `allow_networks` (a device with a stale password) is
//!   only refused AUTH and may still send without it.
//! * Shutdown (a `watch` flag) stops the accept loops; idle sessions get `421 4.3.2` at once,
//!   sessions inside a transaction may finish it within a grace period.
//! * The POP3 listeners (`pop3`, `pop3s`: device mailboxes and POP-before-SMTP) are in `pop3`;
//!   they share the connection slots, the accounts and the failed-login lockout.
//! * Relay policy, AUTH checks and failure throttling are in `policy`; header fix-up while the
//!   message streams into the spool in `headers`; the certificate in `tls`; the TLS each
//!   listener speaks with devices in `device_tls`.
//!
//! What it must not do: answer `250` to DATA before the spool's commit returned; queue
//! anything for a client that is neither in `allow_networks` nor authenticated; log a password
//! or an AUTH payload; hold a message in memory.

mod admission;
mod device_tls;
mod fold;
mod headers;
mod policy;
mod pop3;
mod session;
pub(crate) mod tls;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use scanrelay_proto::Reply;
use scanrelay_spool::Spool;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tracing::Instrument as _;

use crate::control::devices::{DeviceBook, Sighting};
use crate::control::events::EventHub;
use crate::settings::ListenSettings;
use crate::settings::Settings;

pub(crate) use device_tls::DeviceTls;
pub use tls::{CertInfo, TlsError};

pub(crate) use admission::reserved_slots;
pub(crate) use session::SHUTDOWN_GRACE;

/// The scheduler's wake-up: the listener announces each committed message with
/// [`crate::delivery::SchedulerHandle::queued`]; the control plane asks for a rescan.
pub(crate) type Wake = crate::delivery::SchedulerHandle;

/// What a connection runs with, from the settings current when it connected: a reload
/// ([`Shared::reconfigure`]) changes it for new connections and leaves open ones alone.
pub(crate) struct ListenConfig {
    pub settings: ListenSettings,
    pub policy: policy::RelayPolicy,
    /// Which upstream each accepted message leaves through.
    pub router: crate::routing::Router,
}

impl ListenConfig {
    fn new(settings: &Settings) -> ListenConfig {
        ListenConfig {
            settings: settings.listen.clone(),
            policy: policy::RelayPolicy::new(
                settings.listen.allow_networks.clone(),
                settings.devices.clone(),
            ),
            router: settings.routing.clone(),
        }
    }
}

/// Everything the connections of one gateway share.
pub(crate) struct Shared {
    config: RwLock<Arc<ListenConfig>>,
    /// `max_connections` at start (the size of `limit`; a change needs a restart).
    pub max_connections: usize,
    pub spool: Spool,
    /// TLS for STARTTLS on `smtp`.
    pub starttls: DeviceTls,
    /// TLS for `smtps`.
    pub implicit_tls: DeviceTls,
    pub throttle: crate::accounts::AuthThrottle,
    pub wake: Wake,
    pub limit: Arc<Semaphore>,
    /// Open connections of clients outside `allow_networks`.
    outsiders: Mutex<admission::Outsiders>,
    pub shutdown: watch::Receiver<bool>,
    /// Whether delivery runs: when it stopped for good, new mail is refused.
    pub health: Arc<crate::supervise::Health>,
    /// Where events go (metrics, console).
    pub hub: Arc<EventHub>,
    /// The clients seen.
    pub devices: Arc<DeviceBook>,
    /// The device mailboxes (`mailbox_address`).
    pub mailboxes: Arc<crate::mailbox::Mailboxes>,
    /// The open POP-before-SMTP windows.
    pub pop_grants: crate::accounts::PopGrants,
}

/// What [`Shared::new`] takes besides the settings.
pub(crate) struct SharedParts {
    pub spool: Spool,
    pub starttls: DeviceTls,
    pub implicit_tls: DeviceTls,
    pub wake: Wake,
    pub shutdown: watch::Receiver<bool>,
    pub health: Arc<crate::supervise::Health>,
    pub hub: Arc<EventHub>,
    pub devices: Arc<DeviceBook>,
    pub mailboxes: Arc<crate::mailbox::Mailboxes>,
}

impl Shared {
    pub fn new(settings: &Settings, parts: SharedParts) -> Shared {
        let listen = &settings.listen;
        Shared {
            config: RwLock::new(Arc::new(ListenConfig::new(settings))),
            max_connections: listen.max_connections,
            throttle: crate::accounts::AuthThrottle::new(
                listen.max_auth_failures,
                listen.auth_lockout,
            ),
            limit: Arc::new(Semaphore::new(listen.max_connections)),
            outsiders: Mutex::default(),
            spool: parts.spool,
            starttls: parts.starttls,
            implicit_tls: parts.implicit_tls,
            wake: parts.wake,
            shutdown: parts.shutdown,
            health: parts.health,
            hub: parts.hub,
            devices: parts.devices,
            mailboxes: parts.mailboxes,
            pop_grants: crate::accounts::PopGrants::default(),
        }
    }

    /// The configuration new connections get.
    pub fn config(&self) -> Arc<ListenConfig> {
        self.config
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// New connections run with `settings` from now on; open ones keep theirs.
    pub fn reconfigure(&self, settings: &Settings) {
        let new = Arc::new(ListenConfig::new(settings));
        *self.config.write().unwrap_or_else(|e| e.into_inner()) = new;
    }

    /// Records a sighting of a client.
    pub(crate) fn saw(&self, addr: std::net::IpAddr, what: Sighting) {
        self.devices.saw(addr, headers::now_unix(), what);
    }
}

/// Which protocol a socket speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Plain SMTP with STARTTLS offered.
    Smtp,
    /// TLS from the first byte.
    Smtps,
    /// Plain POP3 with STLS offered.
    Pop3,
    /// POP3 in TLS from the first byte.
    Pop3s,
}

/// `421 4.7.0 Too many authentication failures, try again later`.
pub(crate) fn auth_lockout_reply() -> Reply {
    Reply::new(
        421,
        "4.7.0 Too many authentication failures, try again later",
    )
}

/// Accepts connections until shutdown is signalled.
pub(crate) async fn accept_loop(listener: TcpListener, kind: Kind, shared: Arc<Shared>) {
    let mut shutdown = shared.shutdown.clone();
    loop {
        tokio::select! {
            _ = stopped(&mut shutdown) => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let _ = stream.set_nodelay(true);
                    spawn_connection(&shared, stream, peer, kind);
                }
                Err(e) => {
                    // EMFILE and friends: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
        }
    }
    tracing::debug!(?kind, "listener stopped accepting");
}

/// Resolves once shutdown is signalled (or its sender is gone).
async fn stopped(shutdown: &mut watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|&stop| stop).await.map(drop);
}

/// Serves a connection from `peer` (admitted, or refused with a `421`) in a task of its own:
/// the one path for accepted sockets and for the in-memory test seam.
pub(crate) fn spawn_connection<S: session::Stream + 'static>(
    shared: &Arc<Shared>,
    stream: S,
    peer: SocketAddr,
    kind: Kind,
) {
    if matches!(kind, Kind::Pop3 | Kind::Pop3s) {
        return pop3::spawn_connection(shared, stream, peer, kind);
    }
    let span = tracing::info_span!("smtp", client = %peer);
    let admission = match admission::admit(shared, peer) {
        Ok(admission) => admission,
        Err(reply) => {
            let limit = shared
                .config()
                .settings
                .command_timeout
                .min(Duration::from_secs(10));
            let refusal = async move {
                tracing::warn!(reply = reply.wire_lines().join(" "), "connection refused");
                let _ = session::refuse(stream, &reply, limit).await;
            };
            tokio::spawn(refusal.instrument(span));
            return;
        }
    };
    let shared = shared.clone();
    let task = async move {
        tracing::debug!(?kind, "connected");
        let result = match kind {
            Kind::Smtp => session::serve(shared, stream, peer, None, admission).await,
            _ => serve_implicit_tls(shared, stream, peer, admission).await,
        };
        if let Err(e) = result {
            tracing::debug!(error = %e, "connection ended with an error");
        }
    };
    tokio::spawn(task.instrument(span));
}

/// The TLS handshake first (within `command_timeout`, and for a client outside
/// `allow_networks` within its deadline to authenticate), then the session.
async fn serve_implicit_tls<S: session::Stream + 'static>(
    shared: Arc<Shared>,
    stream: S,
    peer: SocketAddr,
    admission: admission::Admission,
) -> std::io::Result<()> {
    let deadline = admission.bounded(admission.cfg.settings.command_timeout);
    match handshake(&shared, &shared.implicit_tls, stream, peer, deadline, "TLS").await {
        Some(tls) => {
            let session = tls.session();
            session::serve(shared, tls, peer, Some(session), admission).await
        }
        None => Ok(()),
    }
}

/// Runs the server side of a TLS handshake with `tls` by `deadline`, for every listener
/// (`what`: `TLS` for implicit TLS, `STARTTLS`, `STLS`). A failure or timeout is logged and
/// gives `None`; a session is recorded for the devices page.
pub(crate) async fn handshake<S: session::Stream>(
    shared: &Shared,
    tls: &DeviceTls,
    stream: S,
    peer: SocketAddr,
    deadline: tokio::time::Instant,
    what: &str,
) -> Option<device_tls::DeviceTlsStream<S>> {
    match tokio::time::timeout_at(deadline, tls.accept(stream)).await {
        Ok(Ok(tls)) => {
            session::tls_established(shared, peer, &tls.session(), what);
            Some(tls)
        }
        Ok(Err(e)) => {
            tracing::info!(error = %e, "{what} handshake failed");
            None
        }
        Err(_) => {
            tracing::info!("{what} handshake timed out");
            None
        }
    }
}
