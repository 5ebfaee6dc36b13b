//! The device-facing SMTP listener: accept loops for the `smtp` (STARTTLS) and `smtps`
//! (implicit TLS) sockets, and the per-connection driver over the sans-IO
//! [`scanrelay_proto::server::ServerSession`].
//!
//! * A [`Semaphore`] caps concurrent connections (shared by both listeners); a connection over
//!   the cap gets `421 4.7.0 Too many connections, try again later` and is closed. A client
//!   outside `allow_networks` may hold at most `max_connections_per_ip` of them (an IPv6 client
//!   counts per /64), idles at most `unauthenticated_timeout` until it authenticated, and no
//!   session lasts longer than `max_session_time`: one host cannot take every slot
//!   ("slowloris"). Clients in `allow_networks` (the office devices) are not counted per
//!   address.
//! * Shutdown (a `watch` flag) stops the accept loops; idle sessions get `421 4.3.2` at once,
//!   sessions inside a transaction may finish it within a grace period.
//! * Relay policy, AUTH checks and failure throttling are in `policy`; header fix-up while the
//!   message streams into the spool in `headers`; the certificate in `tls`.
//!
//! What it must not do: answer `250` to DATA before the spool's commit returned; queue
//! anything for a client that is neither in `allow_networks` nor authenticated; log a password
//! or an AUTH payload; hold a message in memory.

mod headers;
mod policy;
mod session;
pub(crate) mod tls;

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use scanrelay_proto::Reply;
use scanrelay_spool::Spool;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio_rustls::TlsAcceptor;
use tracing::Instrument as _;

use crate::settings::ListenSettings;
use crate::settings::Settings;

pub use tls::{CertInfo, TlsError};

pub(crate) use session::SHUTDOWN_GRACE;

/// Called after every committed message (the scheduler's wake-up).
pub(crate) type Wake = Arc<dyn Fn() + Send + Sync>;

/// Everything the connections of one gateway share.
pub(crate) struct Shared {
    pub settings: ListenSettings,
    pub spool: Spool,
    pub tls: TlsAcceptor,
    pub policy: policy::RelayPolicy,
    pub throttle: policy::AuthThrottle,
    pub wake: Wake,
    pub limit: Arc<Semaphore>,
    /// Open connections per client outside `allow_networks` ([`policy::client_key`]).
    per_client: Mutex<HashMap<IpAddr, usize>>,
    pub shutdown: watch::Receiver<bool>,
}

impl Shared {
    pub fn new(
        settings: &Settings,
        spool: Spool,
        tls: TlsAcceptor,
        wake: Wake,
        shutdown: watch::Receiver<bool>,
    ) -> Shared {
        let listen = settings.listen.clone();
        Shared {
            policy: policy::RelayPolicy::new(
                listen.allow_networks.clone(),
                settings.devices.clone(),
            ),
            throttle: policy::AuthThrottle::new(listen.max_auth_failures, listen.auth_lockout),
            limit: Arc::new(Semaphore::new(listen.max_connections)),
            per_client: Mutex::new(HashMap::new()),
            settings: listen,
            spool,
            tls,
            wake,
            shutdown,
        }
    }
}

impl Shared {
    /// How long an implicit-TLS handshake may take: `command_timeout`, and for a client
    /// outside `allow_networks` at most `unauthenticated_timeout`.
    fn handshake_timeout(&self, peer: SocketAddr) -> Duration {
        let limit = self.settings.command_timeout;
        if self.policy.allowed_network(peer.ip()) {
            limit
        } else {
            limit.min(self.settings.unauthenticated_timeout)
        }
    }
}

/// Which protocol a socket speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Plain SMTP with STARTTLS offered.
    Smtp,
    /// TLS from the first byte.
    Smtps,
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
/// its place in the per-address count. Dropping it frees both.
pub(crate) struct Admission {
    _permit: OwnedSemaphorePermit,
    _slot: Option<ClientSlot>,
}

/// One connection counted against a client's `max_connections_per_ip`.
struct ClientSlot {
    shared: Arc<Shared>,
    key: IpAddr,
}

impl Drop for ClientSlot {
    fn drop(&mut self) {
        let mut counts = self
            .shared
            .per_client
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(n) = counts.get_mut(&self.key) {
            *n -= 1;
            if *n == 0 {
                counts.remove(&self.key);
            }
        }
    }
}

/// Admits a connection from `peer`, or gives the reply to refuse it with.
pub(crate) fn admit(shared: &Arc<Shared>, peer: SocketAddr) -> Result<Admission, Reply> {
    let slot = if shared.policy.allowed_network(peer.ip()) {
        None
    } else {
        let key = policy::client_key(peer.ip());
        let mut counts = shared.per_client.lock().unwrap_or_else(|e| e.into_inner());
        let n = counts.entry(key).or_insert(0);
        if *n >= shared.settings.max_connections_per_ip {
            return Err(too_many_from_client_reply());
        }
        *n += 1;
        Some(ClientSlot {
            shared: shared.clone(),
            key,
        })
    };
    let permit = shared
        .limit
        .clone()
        .try_acquire_owned()
        .map_err(|_| too_many_connections_reply())?;
    Ok(Admission {
        _permit: permit,
        _slot: slot,
    })
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
                Ok((stream, peer)) => spawn_connection(&shared, stream, peer, kind),
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

fn spawn_connection(shared: &Arc<Shared>, stream: TcpStream, peer: SocketAddr, kind: Kind) {
    let _ = stream.set_nodelay(true);
    let span = tracing::info_span!("smtp", client = %peer);
    let permit = match admit(shared, peer) {
        Ok(admission) => admission,
        Err(reply) => {
            let limit = shared.settings.command_timeout.min(Duration::from_secs(10));
            let refusal = async move {
                tracing::warn!(reply = %reply.wire_lines().join(" "), "connection refused");
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
            Kind::Smtp => session::serve(shared, stream, peer, false).await,
            Kind::Smtps => serve_implicit_tls(shared, stream, peer).await,
        };
        if let Err(e) = result {
            tracing::debug!(error = %e, "connection ended with an error");
        }
        drop(permit);
    };
    tokio::spawn(task.instrument(span));
}

async fn serve_implicit_tls(
    shared: Arc<Shared>,
    stream: TcpStream,
    peer: SocketAddr,
) -> std::io::Result<()> {
    let handshake = shared.tls.accept(stream);
    match tokio::time::timeout(shared.handshake_timeout(peer), handshake).await {
        Ok(Ok(tls)) => session::serve(shared, tls, peer, true).await,
        Ok(Err(e)) => {
            tracing::info!(error = %e, "TLS handshake failed");
            Ok(())
        }
        Err(_) => {
            tracing::info!("TLS handshake timed out");
            Ok(())
        }
    }
}

/// Runs a session over any stream as if a client at `peer` had connected (for tests over
/// `tokio::io::duplex`). Holds a connection permit like a real connection.
pub(crate) fn spawn_stream<S>(shared: &Arc<Shared>, stream: S, peer: SocketAddr, implicit_tls: bool)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let shared = shared.clone();
    let span = tracing::info_span!("smtp", client = %peer);
    let task = async move {
        let permit = match admit(&shared, peer) {
            Ok(admission) => admission,
            Err(reply) => {
                let _ = session::refuse(stream, &reply, Duration::from_secs(5)).await;
                return;
            }
        };
        let result = if implicit_tls {
            match shared.tls.accept(stream).await {
                Ok(tls) => session::serve(shared.clone(), tls, peer, true).await,
                Err(e) => Err(e),
            }
        } else {
            session::serve(shared.clone(), stream, peer, false).await
        };
        if let Err(e) = result {
            tracing::debug!(error = %e, "connection ended with an error");
        }
        drop(permit);
    };
    tokio::spawn(task.instrument(span));
}
