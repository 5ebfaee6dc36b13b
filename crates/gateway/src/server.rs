//! [`Gateway`]: binds the listeners, opens the spool, starts the scheduler, and shuts all of
//! it down in order (stop accepting, let sessions finish their transaction, stop delivery).

use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use scanrelay_spool::{Spool, SpoolError};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::control::GatewayHandle;
use crate::control::events::EventHub;
use crate::delivery::{BackoffError, DRAIN_GRACE, Scheduler, UpstreamSetupError};
use crate::listener::{self, CertInfo, DeviceTls, Kind, Shared, SharedParts, TlsError, Wake};
use crate::settings::Settings;
use crate::supervise::{Health, supervise};

/// Disk space the gateway keeps set aside in its spool (the file `reserve`) for recording
/// delivery state and removing delivered mail when the disk is full, so that a full disk
/// drains itself: while the reserve is in use, new mail is refused with `452 4.3.1`, and it is
/// accepted again once twice this much is free (see `Spool::keep_reserve`). A few state files
/// need a few KiB; 1 MiB leaves room for file systems that need more per write.
pub const SPOOL_RESERVE: u64 = 1024 * 1024;

/// Why the gateway could not start.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    /// A listening socket could not be bound (address in use, no permission, ...).
    #[error("failed to listen on {addr} ({key}): {source}")]
    Bind {
        /// The config key, `listen.smtp`, `listen.smtps`, `listen.pop3` or `listen.pop3s`.
        key: &'static str,
        /// The address.
        addr: SocketAddr,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// The data directory could not be created.
    #[error("failed to create data directory `{path}`: {source}")]
    DataDir {
        /// The directory.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// The spool could not be opened.
    #[error(transparent)]
    Spool(#[from] SpoolError),
    /// The TLS certificate could not be loaded or generated.
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// The upstream could not be set up from its settings.
    #[error("upstream: {0}")]
    Upstream(#[from] UpstreamSetupError),
    /// The retry delays are invalid.
    #[error("delivery: {0}")]
    Delivery(#[from] BackoffError),
    /// An OAuth2 account or a Graph upstream cannot be set up.
    #[error("{0}")]
    OAuth(String),
}

/// Start-up options that are not settings.
#[derive(Debug, Clone, Default)]
pub struct StartOptions {
    /// The config file the settings came from, named in the "no upstream configured" notes;
    /// default `<data-dir>/scanrelay.toml`.
    pub config_path: Option<PathBuf>,
}

/// The gateway: `scanrelay serve`.
#[derive(Debug)]
pub struct Gateway;

/// A started gateway. Dropping it without [`RunningGateway::shutdown`] stops the listeners
/// and sessions too, but does not wait for them.
pub struct RunningGateway {
    handle: GatewayHandle,
    settings: Settings,
    smtp: Option<SocketAddr>,
    smtps: Option<SocketAddr>,
    pop3: Option<SocketAddr>,
    pop3s: Option<SocketAddr>,
    cert: CertInfo,
    spool: Spool,
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    listeners: Vec<JoinHandle<()>>,
    delivery: JoinHandle<()>,
    config_path: PathBuf,
}

impl std::fmt::Debug for RunningGateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningGateway")
            .field("smtp", &self.smtp)
            .field("smtps", &self.smtps)
            .field("spool", &self.spool)
            .finish_non_exhaustive()
    }
}

impl Gateway {
    /// Starts everything `settings` describe: creates the data directory, loads or generates
    /// the certificate, opens (and recovers) the spool and sets aside its [`SPOOL_RESERVE`]
    /// (on a full disk new mail is refused until there is room), binds the listeners (port 0 picks a
    /// free port: read it back with [`RunningGateway::local_addrs`]) and starts delivery.
    /// The start-up facts are logged and available as [`RunningGateway::banner`].
    pub async fn start(settings: Settings) -> Result<RunningGateway, GatewayError> {
        Gateway::start_with(settings, StartOptions::default()).await
    }

    /// [`Gateway::start`] with options.
    pub async fn start_with(
        settings: Settings,
        options: StartOptions,
    ) -> Result<RunningGateway, GatewayError> {
        crate::config::create_private_dir(&settings.data_dir).map_err(|source| {
            GatewayError::DataDir {
                path: settings.data_dir.clone(),
                source,
            }
        })?;
        let l = &settings.listen;
        let configured = l.tls_cert.as_deref().zip(l.tls_key.as_deref());
        let identity =
            listener::tls::load_or_generate(configured, &settings.data_dir, &l.hostname)?;
        let spool = Spool::open(settings.spool_dir.clone()).await?;
        spool.keep_reserve(SPOOL_RESERVE).await?;
        let mailboxes = Arc::new(crate::mailbox::Mailboxes::open(&settings.spool_dir).await?);
        let smtp = bind("listen.smtp", l.smtp).await?;
        let smtps = bind("listen.smtps", l.smtps).await?;
        let pop3 = bind("listen.pop3", l.pop3).await?;
        let pop3s = bind("listen.pop3s", l.pop3s).await?;
        let (stop, stop_rx) = watch::channel(false);
        let config_path = options
            .config_path
            .unwrap_or_else(|| settings.data_dir.join(crate::config::CONFIG_FILE_NAME));
        let health = Arc::new(Health::default());
        let hub = Arc::new(EventHub::new());
        let delivery = start_delivery(
            &settings,
            &config_path,
            &spool,
            stop_rx.clone(),
            &health,
            &hub,
        )?;
        let parts = SharedParts {
            spool: spool.clone(),
            starttls: DeviceTls::new(&identity, l.tls_min_version)?,
            implicit_tls: DeviceTls::new(&identity, l.tls_min_version)?,
            wake: delivery.wake.clone(),
            shutdown: stop_rx,
            health: health.clone(),
            hub,
            devices: Arc::default(),
            mailboxes,
        };
        let shared = Arc::new(Shared::new(&settings, parts));
        let mut listeners = Vec::new();
        let mut spawn = |socket, kind, key, addr| {
            spawn_listener(socket, kind, &shared, &mut listeners)
                .map_err(|e| bind_err(key, addr, e))
        };
        let smtp = spawn(smtp, Kind::Smtp, "listen.smtp", l.smtp)?;
        let smtps = spawn(smtps, Kind::Smtps, "listen.smtps", l.smtps)?;
        let pop3 = spawn(pop3, Kind::Pop3, "listen.pop3", l.pop3)?;
        let pop3s = spawn(pop3s, Kind::Pop3s, "listen.pop3s", l.pop3s)?;
        let listening = [
            ("smtp", smtp),
            ("smtps", smtps),
            ("pop3", pop3),
            ("pop3s", pop3s),
        ]
        .into_iter()
        .filter_map(|(name, addr)| Some((name.to_string(), addr?)))
        .collect();
        let handle = GatewayHandle::new(crate::control::Inner {
            spool: spool.clone(),
            settings: watch::channel(Arc::new(settings.clone())).0,
            config_path: config_path.clone(),
            started_at: crate::time::unix_now(),
            listeners: listening,
            shared: shared.clone(),
            wake: delivery.wake,
            health,
            delivery: delivery.reconfigure,
            lanes: delivery.lanes,
            built: std::sync::Mutex::new(delivery.built),
            reloading: tokio::sync::Mutex::new(()),
        });
        let running = RunningGateway {
            handle,
            settings,
            smtp,
            smtps,
            pop3,
            pop3s,
            cert: identity.info,
            spool,
            shared,
            stop,
            listeners,
            delivery: delivery.task,
            config_path,
        };
        for line in running.banner().lines() {
            tracing::info!("{line}");
        }
        running.warn_legacy_tls();
        Ok(running)
    }
}

/// Starts the accept loop for a bound socket; returns its local address.
fn spawn_listener(
    socket: Option<TcpListener>,
    kind: Kind,
    shared: &Arc<Shared>,
    tasks: &mut Vec<JoinHandle<()>>,
) -> io::Result<Option<SocketAddr>> {
    let Some(socket) = socket else {
        return Ok(None);
    };
    let local = socket.local_addr()?;
    tasks.push(tokio::spawn(listener::accept_loop(
        socket,
        kind,
        shared.clone(),
    )));
    Ok(Some(local))
}

async fn bind(
    key: &'static str,
    addr: Option<SocketAddr>,
) -> Result<Option<TcpListener>, GatewayError> {
    let Some(addr) = addr else { return Ok(None) };
    TcpListener::bind(addr)
        .await
        .map(Some)
        .map_err(|source| GatewayError::Bind { key, addr, source })
}

fn bind_err(key: &'static str, addr: Option<SocketAddr>, source: io::Error) -> GatewayError {
    GatewayError::Bind {
        key,
        addr: addr.unwrap_or_else(|| SocketAddr::from(([0, 0, 0, 0], 0))),
        source,
    }
}

/// The running delivery: its supervised task and what the control plane needs of it.
struct StartedDelivery {
    wake: Wake,
    task: JoinHandle<()>,
    reconfigure: crate::delivery::DeliveryReconfigure,
    lanes: Arc<std::sync::Mutex<Vec<crate::delivery::LaneView>>>,
    /// The upstreams' token managers and their tasks, kept by the control plane.
    built: Arc<crate::upstreams::Built>,
}

/// Starts the scheduler (with the upstreams of `settings`) under a supervisor that restarts
/// it if it ends unexpectedly.
fn start_delivery(
    settings: &Settings,
    config_path: &std::path::Path,
    spool: &Spool,
    stop: watch::Receiver<bool>,
    health: &Arc<Health>,
    hub: &Arc<EventHub>,
) -> Result<StartedDelivery, GatewayError> {
    let built = crate::upstreams::build(settings)?;
    let scheduler = Scheduler::with_upstreams(
        spool.clone(),
        built.upstreams.clone(),
        settings.delivery.clone(),
    )?
    .with_hostname(settings.listen.hostname.clone())
    .with_config_path(config_path)
    .with_events(hub.clone());
    let handle = scheduler.handle();
    let reconfigure = scheduler.reconfigurer();
    let lanes = scheduler.lanes();
    let run_stop = stop.clone();
    let start = move || scheduler.clone().run(run_stop.clone());
    let task = tokio::spawn(supervise(
        "the delivery scheduler",
        start,
        stop,
        health.clone(),
    ));
    Ok(StartedDelivery {
        wake: handle,
        task,
        reconfigure,
        lanes,
        built: Arc::new(built),
    })
}

impl RunningGateway {
    /// The control plane: queue, status, devices, events, metrics, reload.
    pub fn handle(&self) -> GatewayHandle {
        self.handle.clone()
    }

    /// The bound addresses: `smtp` first, then `smtps`, as configured.
    pub fn local_addrs(&self) -> Vec<SocketAddr> {
        self.smtp.into_iter().chain(self.smtps).collect()
    }

    /// The bound plain-SMTP (STARTTLS) address.
    pub fn smtp_addr(&self) -> Option<SocketAddr> {
        self.smtp
    }

    /// The bound implicit-TLS address.
    pub fn smtps_addr(&self) -> Option<SocketAddr> {
        self.smtps
    }

    /// The bound POP3 (STLS) address.
    pub fn pop3_addr(&self) -> Option<SocketAddr> {
        self.pop3
    }

    /// The bound implicit-TLS POP3 address.
    pub fn pop3s_addr(&self) -> Option<SocketAddr> {
        self.pop3s
    }

    /// The certificate served, with its SHA-256 fingerprint.
    pub fn cert(&self) -> &CertInfo {
        &self.cert
    }

    /// The spool the gateway writes to.
    pub fn spool(&self) -> &Spool {
        &self.spool
    }

    /// The settings it runs with.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Whether delivery runs, and how many messages were refused because it stopped.
    pub fn health(&self) -> &Health {
        &self.shared.health
    }

    /// One warning per listener that accepts TLS older than 1.2 (`tls_min_version`).
    fn warn_legacy_tls(&self) {
        let listeners = [
            ("smtp", "STARTTLS", self.smtp, &self.shared.starttls),
            (
                "smtps",
                "implicit TLS",
                self.smtps,
                &self.shared.implicit_tls,
            ),
        ];
        let min = self.settings.listen.tls_min_version;
        for (name, how, addr, tls) in listeners {
            if let Some(addr) = addr
                && tls.allows_legacy()
            {
                tracing::warn!(
                    listener = name,
                    %addr,
                    "listener {name} on {addr} ({how}) accepts TLS {min} and later \
                     (tls_min_version = \"{min}\"): OpenSSL at security level 0, weaker \
                     ciphers allowed for old devices; modern clients still get TLS 1.3"
                );
            }
        }
    }

    /// What to tell the operator at start: listening addresses, data and spool directories,
    /// the certificate fingerprint, and whether an upstream is configured. No secrets.
    pub fn banner(&self) -> String {
        let mut out = String::new();
        let mut push = |s: String| {
            out.push_str(&s);
            out.push('\n');
        };
        if let Some(a) = self.smtp {
            push(format!("listening on {a} (SMTP, STARTTLS offered)"));
        }
        if let Some(a) = self.smtps {
            push(format!("listening on {a} (SMTPS, implicit TLS)"));
        }
        if let Some(a) = self.pop3 {
            push(format!(
                "listening on {a} (POP3 for device accounts, STLS offered)"
            ));
        }
        if let Some(a) = self.pop3s {
            push(format!(
                "listening on {a} (POP3S for device accounts, implicit TLS)"
            ));
        }
        if let Some(window) = self.settings.listen.pop_before_smtp {
            push(format!(
                "POP-before-SMTP: a POP3 login lets that address send without AUTH for {}s",
                window.as_secs()
            ));
        }
        push(format!("data dir: {}", self.settings.data_dir.display()));
        push(format!("spool: {}", self.settings.spool_dir.display()));
        let generated = if self.cert.generated {
            " (generated now)"
        } else {
            ""
        };
        push(format!(
            "TLS certificate: {}{generated}",
            self.cert.cert_path.display()
        ));
        push(format!(
            "TLS certificate SHA-256 fingerprint: {}",
            self.cert.fingerprint
        ));
        for up in &self.settings.upstreams {
            push(match &up.kind {
                crate::settings::UpstreamKind::Smtp => {
                    format!(
                        "upstream {}: {}:{} ({})",
                        up.name, up.server, up.port, up.tls
                    )
                }
                crate::settings::UpstreamKind::Graph { mailbox, graph_url } => {
                    format!(
                        "upstream {}: Microsoft Graph {graph_url} as {mailbox}",
                        up.name
                    )
                }
            });
        }
        if self.settings.upstreams.is_empty() {
            push(format!(
                "no upstream configured: mail is accepted and held; add [upstream] to {}",
                self.config_path.display()
            ));
        }
        out
    }

    /// Test seam: runs a session over an in-memory stream as if a client at `peer` had
    /// connected (any address, e.g. one outside `allow_networks`), returning the client end.
    /// The connection goes through the same admission, deadlines and TLS handshake as an
    /// accepted socket. Works with paused tokio time.
    #[doc(hidden)]
    pub fn connect_in_memory(
        &self,
        peer: SocketAddr,
        implicit_tls: bool,
    ) -> tokio::io::DuplexStream {
        let kind = if implicit_tls {
            Kind::Smtps
        } else {
            Kind::Smtp
        };
        self.connect_kind_in_memory(peer, kind)
    }

    /// Test seam: [`RunningGateway::connect_in_memory`] for the POP3 listeners (`pop3s`
    /// when `implicit_tls`).
    #[doc(hidden)]
    pub fn connect_pop3_in_memory(
        &self,
        peer: SocketAddr,
        implicit_tls: bool,
    ) -> tokio::io::DuplexStream {
        let kind = if implicit_tls {
            Kind::Pop3s
        } else {
            Kind::Pop3
        };
        self.connect_kind_in_memory(peer, kind)
    }

    fn connect_kind_in_memory(&self, peer: SocketAddr, kind: Kind) -> tokio::io::DuplexStream {
        let (client, server) = tokio::io::duplex(64 * 1024);
        listener::spawn_connection(&self.shared, server, peer, kind);
        client
    }

    /// Stops accepting, gives open sessions up to 30 s to finish their transaction (idle ones
    /// are closed with `421 4.3.2` at once), then stops delivery and waits for it: deliveries
    /// in flight get [`DRAIN_GRACE`] (30 s) to finish. One still running then (a large message
    /// on a slow upstream) is abandoned: its message stays `sending` in the spool and is tried
    /// again `retry_min` after the next start, so the recipient may get it twice if the upstream
    /// had already taken it.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        for task in self.listeners {
            let _ = task.await;
        }
        let all = u32::try_from(self.shared.max_connections).unwrap_or(u32::MAX);
        let drained = self.shared.limit.acquire_many(all);
        let bound = listener::SHUTDOWN_GRACE + Duration::from_secs(5);
        if tokio::time::timeout(bound, drained).await.is_err() {
            tracing::warn!("sessions still open after the shutdown grace period");
        }
        let bound = DRAIN_GRACE + Duration::from_secs(10);
        if tokio::time::timeout(bound, &mut self.delivery)
            .await
            .is_err()
        {
            tracing::warn!("delivery did not stop in time; abandoned");
            self.delivery.abort();
        }
        tracing::info!("gateway stopped");
    }
}
