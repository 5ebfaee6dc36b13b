//! Binding the console's listener and running it until shutdown; the start-up log lines (the
//! console's URL, and the one-time setup link when no admin password is set).

use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use axum::serve::ListenerExt as _;
use scanrelay_gateway::GatewayHandle;
use tokio_rustls::TlsAcceptor;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::app::{AppState, router};
use crate::auth::password;
use crate::backend::SharedBackend;
use crate::tls::{TlsListener, TlsSetupError, acceptor, cert_files};

/// Why the console could not start.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// The address could not be bound.
    #[error(
        "failed to listen on {addr} (listen.web): {source}; set [listen] web to another address, \
         or to \"\" to run without the console"
    )]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// `web_tls` is on but the gateway's certificate cannot be used.
    #[error("listen.web_tls: {0}")]
    Tls(#[from] TlsSetupError),
}

/// A running console.
pub struct Console {
    addr: SocketAddr,
    tls: bool,
    state: AppState,
    setup_link: Option<String>,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl std::fmt::Debug for Console {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Console")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl Console {
    /// The bound address (port 0 resolved).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:8025/` (an unspecified bind address shown as loopback).
    pub fn url(&self) -> String {
        base_url(self.addr, self.tls) + "/"
    }

    /// The one-time setup link logged at start, when no admin password was set then.
    pub fn setup_link(&self) -> Option<&str> {
        self.setup_link.as_deref()
    }

    /// The shared state (tests inspect sessions).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Stops accepting, lets requests in progress finish, and returns.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

fn base_url(addr: SocketAddr, tls: bool) -> String {
    let ip = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        ip => ip,
    };
    let scheme = if tls { "https" } else { "http" };
    format!("{scheme}://{}", SocketAddr::new(ip, addr.port()))
}

/// Starts the console of a running gateway on its `[listen] web` address (`None` when
/// `web = ""` turns it off) and logs its URL.
pub async fn serve(handle: GatewayHandle) -> Result<Option<Console>, WebError> {
    let settings = handle.settings();
    let Some(addr) = settings.listen.web.addr else {
        tracing::info!("console: off ([listen] web = \"\")");
        return Ok(None);
    };
    let tls = match settings.listen.web.tls {
        true => {
            let (cert, key) = cert_files(&settings);
            Some(acceptor(&cert, &key)?)
        }
        false => None,
    };
    serve_with(Arc::new(handle), addr, tls).await.map(Some)
}

/// Binds `addr` and serves the console over `backend` (plain HTTP).
pub async fn serve_backend(backend: SharedBackend, addr: SocketAddr) -> Result<Console, WebError> {
    serve_with(backend, addr, None).await
}

/// Binds `addr` and serves the console over `backend`, over TLS with `tls`. Without an admin
/// password, a setup token is issued and the link logged once.
pub async fn serve_with(
    backend: SharedBackend,
    addr: SocketAddr,
    acceptor: Option<TlsAcceptor>,
) -> Result<Console, WebError> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| WebError::Bind { addr, source })?;
    let addr = listener
        .local_addr()
        .map_err(|source| WebError::Bind { addr, source })?;
    let tls = acceptor.is_some();
    let state = AppState::new(backend, tls);
    let url = base_url(addr, tls);
    tracing::info!("console: {url}/ (log in with the admin password)");
    let setup_link = match password::load(&state.data_dir()) {
        Ok(Some(_)) => None,
        Ok(None) | Err(_) => {
            let link = format!("{url}/setup/{}", state.setup.issue());
            tracing::warn!(
                "console: no admin password is set. Set it once at {link} (valid until a \
                 password is set or the gateway restarts), or with `scanrelay admin set-password`"
            );
            Some(link)
        }
    };
    let (stop, mut stop_rx) = watch::channel(false);
    let app = router(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
    let shutdown = async move {
        let _ = stop_rx.wait_for(|s| *s).await;
    };
    let task = match acceptor {
        None => tokio::spawn(async move {
            let served = axum::serve(listener, app).with_graceful_shutdown(shutdown);
            if let Err(e) = served.await {
                tracing::error!("console: the server stopped: {e}");
            }
        }),
        Some(acceptor) => {
            let tls = TlsListener::new(listener, acceptor)
                .map_err(|source| WebError::Bind { addr, source })?
                .tap_io(|_| {});
            tokio::spawn(async move {
                let served = axum::serve(tls, app).with_graceful_shutdown(shutdown);
                if let Err(e) = served.await {
                    tracing::error!("console: the server stopped: {e}");
                }
            })
        }
    };
    Ok(Console {
        addr,
        tls,
        state,
        setup_link,
        stop,
        task,
    })
}
