//! The device-facing POP3 listeners: `[listen] pop3` (plain, `STLS` offered) and `pop3s`
//! (implicit TLS), for the `[[device]]` accounts. A device logs in to read its mailbox
//! (`mailbox_address`, see `crate::mailbox`) or to open a POP-before-SMTP window
//! (`pop_before_smtp`, see `crate::accounts::PopGrants`).
//!
//! The protocol is the sans-IO [`scanrelay_pop3::ServerSession`]; `driver` only moves bytes,
//! applies timeouts and answers the session's events. POP3 connections share everything with
//! SMTP that protects the devices: the connection cap and the limits for clients outside
//! `allow_networks` (`admission`), the accounts and the failed-login lockout (a failure here
//! counts as an AUTH failure there, and the reverse), the TLS of the SMTP listeners
//! (`STLS` is handshaken like SMTP's `STARTTLS`, `pop3s` like `smtps`), and the plaintext
//! rule (`USER`/`PASS` and `AUTH PLAIN` before `STLS` only with `allow_plaintext_auth`).

mod driver;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use scanrelay_pop3::server::replies;
use tokio::io::AsyncWriteExt;
use tokio::time::timeout;
use tracing::Instrument as _;

use super::session::Stream;
use super::{Kind, Shared, admission};

/// Serves a POP3 connection from `peer` in a task of its own (admitted, or refused with
/// `-ERR [SYS/TEMP]`).
pub(crate) fn spawn_connection<S: Stream + 'static>(
    shared: &Arc<Shared>,
    stream: S,
    peer: SocketAddr,
    kind: Kind,
) {
    let listener = if kind == Kind::Pop3s { "pop3s" } else { "pop3" };
    let span = tracing::info_span!("pop3", client = %peer);
    let admission = match admission::admit(shared, peer) {
        Ok(admission) => admission,
        Err(_) => {
            let refusal = async move {
                tracing::warn!(listener, "connection refused: too many connections");
                let _ = write_and_close(stream, &replies::too_many_connections()).await;
            };
            tokio::spawn(refusal.instrument(span));
            return;
        }
    };
    let shared = shared.clone();
    let task = async move {
        tracing::debug!(listener, "connected");
        let result = if kind == Kind::Pop3s {
            serve_implicit_tls(shared, stream, peer, admission).await
        } else {
            driver::serve(shared, stream, peer, false, admission).await
        };
        if let Err(e) = result {
            tracing::debug!(error = %e, "connection ended with an error");
        }
    };
    tokio::spawn(task.instrument(span));
}

/// Writes one response and closes (within 10 s).
pub(super) async fn write_and_close<S: Stream>(
    mut stream: S,
    response: &scanrelay_pop3::Response,
) -> std::io::Result<()> {
    let write = async {
        stream.write_all(response.to_string().as_bytes()).await?;
        stream.shutdown().await
    };
    timeout(Duration::from_secs(10), write)
        .await
        .unwrap_or(Ok(()))
}

/// The TLS handshake first (with the `smtps` listener's TLS), then the session.
async fn serve_implicit_tls<S: Stream + 'static>(
    shared: Arc<Shared>,
    stream: S,
    peer: SocketAddr,
    admission: admission::Admission,
) -> std::io::Result<()> {
    let deadline = admission.bounded(admission.cfg.settings.command_timeout);
    match super::handshake(&shared, &shared.implicit_tls, stream, peer, deadline, "TLS").await {
        Some(tls) => driver::serve(shared, tls, peer, true, admission).await,
        None => Ok(()),
    }
}
