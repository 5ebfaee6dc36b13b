//! Opening a session: DNS, TCP, implicit TLS or `STLS`, the greeting, `CAPA` and the login.
//! The TLS pieces are the SMTP client's ([`ConnTls`], [`TrustRoots`],
//! [`scanrelay_client::client_handshake`]), so `fetch` trusts and verifies servers exactly as
//! `check`, `send` and the gateway do.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout};

use scanrelay_client::{ConnTls, TlsMode, TrustRoots, client_handshake};
use scanrelay_pop3::{Capabilities, SaslClient};

use crate::error::{Failure, Pop3Error};
use crate::session::Session;
use crate::transcript::{Step, Transcript};

/// Any stream a session can run over (plain TCP or TLS).
pub trait AsyncStream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> AsyncStream for T {}

/// A session over whatever stream the endpoint led to.
pub type Connection = Session<Box<dyn AsyncStream>>;

/// Where to connect and how.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// Host name or IP address; also the TLS server name.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// How the connection is secured (`StartTls` is POP3's `STLS`).
    pub tls: TlsMode,
    /// Extra trust roots (PEM), added to the system store.
    pub ca_file: Option<PathBuf>,
    /// Per-step timeout (connect, each answer).
    pub timeout: Duration,
    /// Record `RETR`/`DELE` steps in the transcript (`check --pop` does, `fetch` does not).
    pub record_messages: bool,
}

impl Endpoint {
    /// An endpoint with a 30 s timeout and no extra CA.
    pub fn new(host: impl Into<String>, port: u16, tls: TlsMode) -> Endpoint {
        Endpoint {
            host: host.into(),
            port,
            tls,
            ca_file: None,
            timeout: Duration::from_secs(30),
            record_messages: false,
        }
    }
}

/// How to log in. `Debug` never shows the secret.
#[derive(Clone)]
pub enum Login {
    /// `USER`/`PASS`.
    Password {
        /// The user name (usually the mailbox address).
        user: String,
        /// The password.
        password: String,
    },
    /// `AUTH XOAUTH2` with an OAuth2 access token.
    XOAuth2 {
        /// The mailbox address.
        user: String,
        /// The access token.
        token: String,
    },
}

impl Login {
    /// The user name.
    pub fn user(&self) -> &str {
        match self {
            Login::Password { user, .. } | Login::XOAuth2 { user, .. } => user,
        }
    }
}

impl fmt::Debug for Login {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self {
            Login::Password { .. } => "Password",
            Login::XOAuth2 { .. } => "XOAuth2",
        };
        write!(f, "Login::{kind} {{ user: {:?}, .. }}", self.user())
    }
}

type Result<T> = std::result::Result<T, Box<Failure>>;

fn fail(error: Pop3Error, transcript: Transcript) -> Box<Failure> {
    Box::new(Failure { error, transcript })
}

/// Connects, secures the connection as the endpoint says, reads the greeting, asks `CAPA`
/// and logs in: a session in the TRANSACTION state.
pub async fn open(endpoint: &Endpoint, login: Option<&Login>) -> Result<Connection> {
    let mut transcript = Transcript {
        record_messages: endpoint.record_messages,
        ..Transcript::default()
    };
    let tls = match endpoint.tls {
        TlsMode::None => None,
        _ => match TrustRoots::load(endpoint.ca_file.as_deref())
            .and_then(|r| ConnTls::with_roots(&r))
        {
            Ok(tls) => Some(tls),
            Err(e) => return Err(fail(Pop3Error::Tls(e), transcript)),
        },
    };
    let tcp = match tcp(endpoint, &mut transcript).await {
        Ok(tcp) => tcp,
        Err(e) => return Err(fail(e, transcript)),
    };
    let stream: Box<dyn AsyncStream> = match (&tls, endpoint.tls) {
        (Some(tls), TlsMode::Implicit) => handshake(tcp, tls, endpoint, &mut transcript).await?,
        _ => Box::new(tcp),
    };
    let implicit = endpoint.tls == TlsMode::Implicit;
    let mut session = Session::new(stream, transcript, endpoint.timeout, implicit);
    if let Err(e) = session.greeting().await {
        return Err(fail(e, session.into_transcript()));
    }
    let mut caps = match session.capa().await {
        Ok(caps) => caps,
        Err(e) => return Err(fail(e, session.into_transcript())),
    };
    if let (Some(tls), TlsMode::StartTls) = (&tls, endpoint.tls) {
        (session, caps) = upgrade(session, &caps, tls, endpoint).await?;
    }
    if let Some(login) = login
        && let Err(e) = log_in(&mut session, login, &caps).await
    {
        return Err(fail(e, session.into_transcript()));
    }
    Ok(session)
}

/// `STLS`, the handshake, and `CAPA` again (RFC 2595 §4: what was learnt before may change).
async fn upgrade(
    mut session: Connection,
    caps: &Capabilities,
    tls: &ConnTls,
    endpoint: &Endpoint,
) -> Result<(Connection, Capabilities)> {
    if !caps.stls {
        return Err(fail(Pop3Error::StlsUnavailable, session.into_transcript()));
    }
    if let Err(e) = session.stls().await {
        return Err(fail(e, session.into_transcript()));
    }
    let (stream, mut proto, mut transcript) = session.into_parts();
    let stream = handshake(stream, tls, endpoint, &mut transcript).await?;
    if proto.tls_established().is_err() {
        let error = Pop3Error::Closed { step: Step::Tls };
        return Err(fail(error, transcript));
    }
    let mut session = Session::resume(stream, proto, transcript, endpoint.timeout);
    match session.capa().await {
        Ok(caps) => Ok((session, caps)),
        Err(e) => Err(fail(e, session.into_transcript())),
    }
}

async fn log_in(
    session: &mut Connection,
    login: &Login,
    caps: &Capabilities,
) -> std::result::Result<(), Pop3Error> {
    match login {
        Login::Password { user, password } => session.user_pass(user, password).await,
        Login::XOAuth2 { user, token } => {
            if !caps.sasl.iter().any(|m| m == "XOAUTH2") {
                return Err(Pop3Error::MechanismUnsupported {
                    wanted: "XOAUTH2".into(),
                    offered: if caps.sasl.is_empty() {
                        "none".into()
                    } else {
                        caps.sasl.join(" ")
                    },
                });
            }
            session
                .auth(SaslClient::xoauth2(user.clone(), token.clone()))
                .await
        }
    }
}

async fn handshake<S: AsyncStream + 'static>(
    stream: S,
    tls: &ConnTls,
    endpoint: &Endpoint,
    transcript: &mut Transcript,
) -> Result<Box<dyn AsyncStream>> {
    let index = transcript.begin(Step::Tls);
    let started = Instant::now();
    let (result, info) = client_handshake(stream, tls, &endpoint.host, endpoint.timeout).await;
    let ok = result.is_ok();
    let note = match &result {
        Ok(_) => format!(
            "{} {}",
            info.version.as_deref().unwrap_or("?"),
            info.cipher.as_deref().unwrap_or("?")
        ),
        Err(e) => e.to_string(),
    };
    transcript.note(index, note);
    transcript.tls = Some(info);
    transcript.finish(index, ok, started.elapsed());
    match result {
        Ok(stream) => Ok(Box::new(stream)),
        Err(e) => Err(fail(Pop3Error::Tls(e), std::mem::take(transcript))),
    }
}

/// DNS and TCP, each a step.
async fn tcp(
    endpoint: &Endpoint,
    transcript: &mut Transcript,
) -> std::result::Result<TcpStream, Pop3Error> {
    let limit = endpoint.timeout;
    let secs = limit.as_secs();
    let index = transcript.begin(Step::Dns);
    let started = Instant::now();
    let lookup = tokio::net::lookup_host((endpoint.host.as_str(), endpoint.port));
    let addrs: std::result::Result<Vec<SocketAddr>, Pop3Error> = match timeout(limit, lookup).await
    {
        Err(_) => Err(Pop3Error::Timeout {
            step: Step::Dns,
            secs,
        }),
        Ok(Err(e)) => Err(Pop3Error::Dns {
            host: endpoint.host.clone(),
            detail: e.to_string(),
        }),
        Ok(Ok(addrs)) => Ok(addrs.collect()),
    };
    finish(transcript, index, &addrs, started, |a| {
        a.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    });
    connect_any(addrs?, endpoint, transcript).await
}

/// TCP to the first address that answers, as one step.
async fn connect_any(
    addrs: Vec<SocketAddr>,
    endpoint: &Endpoint,
    transcript: &mut Transcript,
) -> std::result::Result<TcpStream, Pop3Error> {
    let (limit, secs) = (endpoint.timeout, endpoint.timeout.as_secs());
    let index = transcript.begin(Step::Connect);
    let started = Instant::now();
    let mut last = Pop3Error::Dns {
        host: endpoint.host.clone(),
        detail: "no address".into(),
    };
    for addr in addrs {
        match timeout(limit, TcpStream::connect(addr)).await {
            Ok(Ok(tcp)) => {
                let ok: std::result::Result<SocketAddr, Pop3Error> = Ok(addr);
                finish(transcript, index, &ok, started, ToString::to_string);
                return Ok(tcp);
            }
            Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                last = Pop3Error::ConnectRefused {
                    addr: addr.to_string(),
                };
            }
            Ok(Err(source)) => {
                last = Pop3Error::Io {
                    step: Step::Connect,
                    source,
                }
            }
            Err(_) => {
                last = Pop3Error::Timeout {
                    step: Step::Connect,
                    secs,
                }
            }
        }
    }
    transcript.note(index, last.to_string());
    transcript.finish(index, false, started.elapsed());
    Err(last)
}

fn finish<T>(
    transcript: &mut Transcript,
    index: Option<usize>,
    result: &std::result::Result<T, Pop3Error>,
    started: Instant,
    note: impl Fn(&T) -> String,
) {
    let text = match result {
        Ok(value) => note(value),
        Err(e) => e.to_string(),
    };
    transcript.note(index, text);
    transcript.finish(index, result.is_ok(), started.elapsed());
}
