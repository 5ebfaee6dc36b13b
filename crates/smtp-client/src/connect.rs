//! Opening a session: DNS, TCP, implicit TLS or STARTTLS, EHLO and AUTH, with the TLS-mode
//! probes that tell a wrong "SSL" setting from a dead server.

use std::net::SocketAddr;
use std::sync::Arc;

use rustls::RootCertStore;
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout, timeout_at};

use scanrelay_proto::TlsMode;

use crate::config::ClientConfig;
use crate::error::{ClientError, Failure};
use crate::session::{AsyncStream, Session};
use crate::tls::{ConnTls, TrustRoots, conn_tls, handshake_step};
use crate::transcript::{Facts, StepName};

/// A session over whatever stream the configuration led to (plain TCP or TLS).
pub type Connection = Session<Box<dyn AsyncStream>>;

type Result<T> = std::result::Result<T, Box<Failure>>;

/// Resolves, connects and reads the banner (with the implicit TLS handshake first when the
/// mode says so). Recognises a TLS mode that does not match the port, both ways.
pub async fn connect(cfg: &ClientConfig) -> Result<Connection> {
    let roots = match trust_roots(cfg) {
        Ok(roots) => roots,
        Err(e) => return Err(Failure::new(e, Facts::default())),
    };
    connect_with(cfg, &roots).await
}

/// The trust roots of `cfg`: those loaded earlier, or the system store and `ca_file` read now.
/// Only TLS needs them; a plaintext check never reads `--ca-file`.
fn trust_roots(cfg: &ClientConfig) -> std::result::Result<TrustRoots, ClientError> {
    match (&cfg.trust, cfg.tls) {
        (Some(trust), _) => Ok(trust.clone()),
        (None, TlsMode::None) => Ok(TrustRoots(Arc::new(RootCertStore::empty()))),
        (None, _) => TrustRoots::load(cfg.ca_file.as_deref()),
    }
}

async fn connect_with(cfg: &ClientConfig, trust: &TrustRoots) -> Result<Connection> {
    let mut facts = Facts::observed(cfg.observer.clone());
    let roots = &trust.0;
    let addrs = match resolve(cfg, &mut facts).await {
        Ok(a) => a,
        Err(e) => return Err(Failure::new(e, facts)),
    };
    let (tcp, addr) = match tcp_connect(cfg, &addrs, &mut facts).await {
        Ok(t) => t,
        Err(e) => return Err(Failure::new(e, facts)),
    };
    let mut session = match cfg.tls {
        TlsMode::Implicit => implicit_tls(cfg, tcp, addr, roots, facts).await?,
        TlsMode::StartTls | TlsMode::None => {
            let stream: Box<dyn AsyncStream> = Box::new(tcp);
            Session::new(stream, facts, cfg.timeout, &cfg.helo, false)
        }
    };
    let banner = if cfg.tls == TlsMode::Implicit {
        session.banner().await
    } else if let Some(after) = cfg.banner_probe_after {
        banner_or_tls_probe(&mut session, cfg, after, addr, roots).await
    } else {
        session.banner().await
    };
    match banner {
        Ok(_) => Ok(session),
        Err(e) => Err(Failure::new(e, session.into_facts())),
    }
}

/// [`connect`], then EHLO, STARTTLS and EHLO again when configured, then AUTH when
/// credentials are given: a session ready for `MAIL FROM`.
pub async fn establish(cfg: &ClientConfig) -> Result<Connection> {
    let roots = match trust_roots(cfg) {
        Ok(roots) => roots,
        Err(e) => return Err(Failure::new(e, Facts::default())),
    };
    let mut session = connect_with(cfg, &roots).await?;
    if let Err(e) = session.ehlo().await {
        return Err(Failure::new(e, session.into_facts()));
    }
    if cfg.tls == TlsMode::StartTls {
        let tls = match ConnTls::with_roots(&roots) {
            Ok(t) => t,
            Err(e) => return Err(Failure::new(e, session.into_facts())),
        };
        let upgraded = session.starttls(&tls, cfg.server_name()).await?;
        let (stream, facts) = upgraded.into_parts();
        let boxed: Box<dyn AsyncStream> = Box::new(stream);
        session = Session::new(boxed, facts, cfg.timeout, &cfg.helo, true);
        if let Err(e) = session.ehlo().await {
            return Err(Failure::new(e, session.into_facts()));
        }
    }
    if let Some(credentials) = &cfg.credentials {
        let host_port = (cfg.server_name(), cfg.port);
        if let Err(e) = session.auth(credentials, cfg.mechanism, host_port).await {
            return Err(Failure::new(e, session.into_facts()));
        }
    }
    Ok(session)
}

async fn resolve(
    cfg: &ClientConfig,
    facts: &mut Facts,
) -> std::result::Result<Vec<SocketAddr>, ClientError> {
    let index = facts.begin(StepName::Dns);
    let started = Instant::now();
    let lookup = tokio::net::lookup_host((cfg.host.as_str(), cfg.port));
    let result = match timeout(cfg.timeout, lookup).await {
        Err(_) => Err(ClientError::Timeout {
            step: StepName::Dns,
            secs: cfg.timeout.as_secs(),
        }),
        Ok(Err(e)) => Err(ClientError::Dns {
            host: cfg.host.clone(),
            detail: e.to_string(),
        }),
        Ok(Ok(addrs)) => {
            let addrs: Vec<SocketAddr> = addrs.collect();
            if addrs.is_empty() {
                Err(ClientError::Dns {
                    host: cfg.host.clone(),
                    detail: "no addresses".into(),
                })
            } else {
                Ok(addrs)
            }
        }
    };
    match &result {
        Ok(addrs) => {
            let list: Vec<String> = addrs.iter().map(|a| a.ip().to_string()).collect();
            facts.note(format!("{} -> {}", cfg.host, list.join(", ")));
        }
        Err(e) => facts.note(e.to_string()),
    }
    facts.finish(index, result.is_ok(), started);
    result
}

async fn tcp_connect(
    cfg: &ClientConfig,
    addrs: &[SocketAddr],
    facts: &mut Facts,
) -> std::result::Result<(TcpStream, SocketAddr), ClientError> {
    let index = facts.begin(StepName::Connect);
    let started = Instant::now();
    // One deadline for all addresses; a refusal is worth more than a later timeout.
    let deadline = Instant::now() + cfg.timeout;
    let mut last: Option<ClientError> = None;
    for addr in addrs {
        let err = match timeout_at(deadline, TcpStream::connect(addr)).await {
            Ok(Ok(stream)) => {
                let _ = stream.set_nodelay(true);
                facts.note(format!("connected to {addr}"));
                facts.finish(index, true, started);
                return Ok((stream, *addr));
            }
            Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                ClientError::ConnectRefused {
                    addr: addr.to_string(),
                }
            }
            Ok(Err(source)) => ClientError::Io {
                step: StepName::Connect,
                source,
            },
            Err(_) => ClientError::Timeout {
                step: StepName::Connect,
                secs: cfg.timeout.as_secs(),
            },
        };
        let keep_last = matches!(last, Some(ClientError::ConnectRefused { .. }))
            && !matches!(err, ClientError::ConnectRefused { .. });
        if !keep_last {
            last = Some(err);
        }
        if Instant::now() >= deadline {
            break;
        }
    }
    let err = last.unwrap_or(ClientError::Dns {
        host: cfg.host.clone(),
        detail: "no addresses".into(),
    });
    facts.note(err.to_string());
    facts.finish(index, false, started);
    Err(err)
}

async fn implicit_tls(
    cfg: &ClientConfig,
    tcp: TcpStream,
    addr: SocketAddr,
    roots: &Arc<RootCertStore>,
    mut facts: Facts,
) -> Result<Connection> {
    let tls = match conn_tls(roots.clone(), false) {
        Ok(t) => t,
        Err(e) => return Err(Failure::new(e, facts)),
    };
    let index = facts.begin(StepName::Tls);
    let started = Instant::now();
    match handshake_step(tcp, &tls, cfg.server_name(), cfg.timeout, &mut facts).await {
        Ok(stream) => {
            facts.finish(index, true, started);
            let boxed: Box<dyn AsyncStream> = Box::new(stream);
            Ok(Session::new(boxed, facts, cfg.timeout, &cfg.helo, true))
        }
        Err(ClientError::TlsModeMismatch { .. }) => {
            // The step ends with the evidence as its note; its time is the handshake's.
            let took = started.elapsed();
            let evidence = match plain_banner_probe(cfg, addr).await {
                Some(line) => {
                    format!("the port sent a plaintext SMTP greeting instead of TLS: {line}")
                }
                None => "the server's first bytes are not a TLS record".to_string(),
            };
            facts.note(evidence.clone());
            facts.finish_took(index, false, took);
            let e = ClientError::TlsModeMismatch {
                configured: TlsMode::Implicit,
                evidence,
            };
            Err(Failure::new(e, facts))
        }
        Err(e) => {
            facts.finish(index, false, started);
            Err(Failure::new(e, facts))
        }
    }
}

/// Reads the first line a port sends over plain TCP, if it sends one soon.
async fn plain_banner_probe(cfg: &ClientConfig, addr: SocketAddr) -> Option<String> {
    use tokio::io::AsyncReadExt;
    let mut tcp = timeout(cfg.timeout, TcpStream::connect(addr))
        .await
        .ok()?
        .ok()?;
    let mut buf = vec![0u8; 512];
    let n = timeout(cfg.timeout, tcp.read(&mut buf)).await.ok()?.ok()?;
    let text = String::from_utf8_lossy(&buf[..n]);
    text.lines()
        .next()
        .map(|l| l.trim_end().to_string())
        .filter(|l| !l.is_empty())
}

/// What ended the wait for the greeting first.
enum First {
    Banner(std::result::Result<scanrelay_proto::Reply, ClientError>),
    Tls(String),
}

/// Waits for the greeting while, from `banner_probe_after` on, a second connection checks
/// whether the port answers a TLS handshake (an implicit-TLS port waits silently for the
/// client's hello). A banner wins; a port proven to speak TLS is a mode mismatch, also when
/// the banner wait timed out or the server closed first.
async fn banner_or_tls_probe(
    session: &mut Connection,
    cfg: &ClientConfig,
    probe_after: std::time::Duration,
    addr: SocketAddr,
    roots: &Arc<RootCertStore>,
) -> std::result::Result<scanrelay_proto::Reply, ClientError> {
    let started = Instant::now();
    let (probe_cfg, probe_roots) = (cfg.clone(), roots.clone());
    let mut probe = tokio::spawn(async move {
        tokio::time::sleep(probe_after).await;
        crate::probe::tls_probe(&probe_cfg, addr, &probe_roots).await
    });
    let mut probe_done = false;
    let first = {
        let banner = session.banner();
        tokio::pin!(banner);
        loop {
            tokio::select! {
                result = &mut banner => break First::Banner(result),
                evidence = &mut probe, if !probe_done => {
                    probe_done = true;
                    if let Ok(Some(evidence)) = evidence {
                        break First::Tls(evidence);
                    }
                }
            }
        }
    };
    let result = match first {
        First::Banner(Ok(reply)) => Ok(reply),
        First::Banner(Err(e @ (ClientError::Timeout { .. } | ClientError::Closed { .. })))
            if !probe_done =>
        {
            match timeout(cfg.timeout, &mut probe).await {
                Ok(Ok(Some(evidence))) => Err(mismatch(session, cfg, started, evidence)),
                _ => Err(e),
            }
        }
        First::Banner(Err(e)) => Err(e),
        First::Tls(evidence) => Err(mismatch(session, cfg, started, evidence)),
    };
    probe.abort();
    result
}

/// The mode-mismatch error, recorded on the step that was waiting.
fn mismatch(
    session: &mut Connection,
    cfg: &ClientConfig,
    started: Instant,
    evidence: String,
) -> ClientError {
    let err = ClientError::TlsModeMismatch {
        configured: cfg.tls,
        evidence,
    };
    session.abandon_step(&err.to_string(), started);
    err
}
