//! The tokio driver for one POP3 connection over the sans-IO [`ServerSession`]: it reads,
//! feeds the session, answers its events (logins, message bodies, the UPDATE deletions) and
//! writes; it owns the timers (idle, the deadline to log in for clients outside
//! `allow_networks`, the session's lifetime, shutdown). Generic over the stream, so `STLS` is
//! a type swap.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use scanrelay_pop3::body::BodyEncoder;
use scanrelay_pop3::sasl::{AuthMethod, Credentials};
use scanrelay_pop3::server::{
    AuthVerdict, Event, Maildrop, ServerConfig, ServerSession, UnexpectedCall, replies,
};
use scanrelay_pop3::{Response, UidlEntry};
use scanrelay_spool::MessageId;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::{Instant, sleep_until, timeout};

use super::super::admission::Admission;
use super::super::session::{Stream, write_out};
use super::super::{ListenConfig, Shared};
use crate::accounts::LoginAttempt;
use crate::control::devices::Sighting;
use crate::control::events::EventKind;
use crate::mailbox::MailboxLock;

/// Bytes read from the socket or a message file at a time.
const READ_BUF: usize = 64 * 1024;
/// How long a client may stay silent between commands (RFC 1939 §3: at least 10 minutes).
const IDLE_TIMEOUT: Duration = Duration::from_secs(600);

/// POP3's credentials (`USER`/`PASS`, `AUTH PLAIN`) as a login attempt.
impl LoginAttempt for Credentials {
    fn user(&self) -> &str {
        Credentials::user(self)
    }

    fn proves(&self, password: &str) -> bool {
        self.verify_password(password)
    }

    fn impersonates(&self) -> bool {
        self.authzid().is_some_and(|a| a != Credentials::user(self))
    }
}

/// Serves one connection until it ends; `tls_active` on `pop3s`. A client outside
/// `allow_networks` whose address is locked out after failed logins is refused at once.
pub(super) async fn serve<S: Stream>(
    shared: Arc<Shared>,
    stream: S,
    peer: SocketAddr,
    tls_active: bool,
    admission: Admission,
) -> io::Result<()> {
    let mut driver = Driver::new(shared.clone(), peer, tls_active, admission);
    shared.saw(peer.ip(), Sighting::Connected);
    if !driver.trusted && shared.throttle.is_locked(peer.ip()) {
        tracing::info!("refused: locked out after too many failed logins");
        return super::write_and_close(stream, &replies::locked_out()).await;
    }
    let Some(stream) = driver.run(stream, true).await? else {
        return Ok(());
    };
    let limit = driver
        .admission
        .bounded(driver.cfg.settings.command_timeout);
    let tls = super::super::handshake(&shared, &shared.starttls, stream, peer, limit, "STLS");
    let Some(tls) = tls.await else {
        return Ok(());
    };
    if driver.session.tls_established().is_err() {
        return Ok(());
    }
    tracing::debug!("STLS established");
    driver.run(tls, false).await.map(drop)
}

/// What handling the queued events asks for.
enum Step {
    Continue,
    StartTls,
    Close,
}

/// The logged-in device's mailbox: the lock, and the spool id of each message number.
struct Opened {
    _lock: Option<MailboxLock>,
    ids: Vec<MessageId>,
}

struct Driver {
    shared: Arc<Shared>,
    cfg: Arc<ListenConfig>,
    peer: SocketAddr,
    session: ServerSession,
    admission: Admission,
    /// The client is in `allow_networks`.
    trusted: bool,
    /// `pop3` or `pop3s`, for the events and metrics.
    listener: &'static str,
    ends_at: Instant,
    shutdown: tokio::sync::watch::Receiver<bool>,
    opened: Option<Opened>,
    /// The message a `RETR`/`TOP` opened, until its body is sent.
    body: Option<tokio::fs::File>,
    /// Close after the queued responses (a lockout).
    close_after: bool,
}

impl Driver {
    fn new(
        shared: Arc<Shared>,
        peer: SocketAddr,
        tls_active: bool,
        admission: Admission,
    ) -> Driver {
        let cfg = admission.cfg.clone();
        let s = &cfg.settings;
        let mut config = ServerConfig::new(s.hostname.clone());
        config.stls_available = !tls_active;
        config.allow_plaintext_auth = s.allow_plaintext_auth;
        config.idle_timeout = IDLE_TIMEOUT;
        Driver {
            trusted: cfg.policy.allowed_network(peer.ip()),
            ends_at: crate::time::after(s.max_session_time),
            shutdown: shared.shutdown.clone(),
            session: ServerSession::new(config, tls_active),
            listener: if tls_active { "pop3s" } else { "pop3" },
            cfg,
            shared,
            peer,
            admission,
            opened: None,
            body: None,
            close_after: false,
        }
    }

    /// Runs the protocol over `stream`; returns the raw stream when an `STLS` handshake is
    /// due, `None` when the connection is over.
    async fn run<S: Stream>(&mut self, mut stream: S, greet: bool) -> io::Result<Option<S>> {
        let mut out = Vec::new();
        if greet {
            out.extend_from_slice(self.session.greeting().to_string().as_bytes());
        }
        let mut buf = vec![0u8; READ_BUF];
        loop {
            let step = self.drain(&mut stream, &mut out).await?;
            self.flush(&mut stream, &mut out).await?;
            match step {
                Step::Continue => {}
                Step::StartTls => return Ok(Some(stream)),
                Step::Close => return self.close(stream).await,
            }
            let ending = match self.read(&mut stream, &mut buf).await? {
                Ok(0) => {
                    tracing::debug!(state = self.session.state_name(), "client closed");
                    return Ok(None);
                }
                Ok(n) => {
                    self.session.receive(&buf[..n]);
                    continue;
                }
                Err(ending) => ending,
            };
            let why = ending.status().map_or("", |s| s.text());
            tracing::info!(state = self.session.state_name(), why, "closing");
            out.extend_from_slice(ending.to_string().as_bytes());
            self.flush(&mut stream, &mut out).await?;
            return self.close(stream).await;
        }
    }

    async fn close<S: Stream>(&mut self, mut stream: S) -> io::Result<Option<S>> {
        let _ = timeout(Duration::from_secs(5), stream.shutdown()).await;
        Ok(None)
    }

    async fn flush<S: Stream>(&self, stream: &mut S, out: &mut Vec<u8>) -> io::Result<()> {
        let limit = self.admission.bounded(self.cfg.settings.command_timeout);
        write_out(stream, out, limit).await
    }

    /// Waits for input: `Ok(bytes read)`, or `Err(the closing response)` on the idle timeout,
    /// the login deadline, the session's time limit or shutdown.
    async fn read<S: Stream>(
        &mut self,
        stream: &mut S,
        buf: &mut [u8],
    ) -> io::Result<Result<usize, Response>> {
        let auth_deadline = self.admission.auth_deadline();
        let deadline = crate::time::after(IDLE_TIMEOUT).min(self.ends_at);
        let deadline = auth_deadline.map_or(deadline, |d| d.min(deadline));
        if *self.shutdown.borrow() {
            return Ok(Err(replies::shutting_down()));
        }
        tokio::select! {
            read = stream.read(buf) => Ok(Ok(read?)),
            () = sleep_until(deadline) => Ok(Err(if self.ends_at <= Instant::now() {
                replies::session_too_long()
            } else {
                replies::idle_timeout()
            })),
            _ = self.shutdown.changed() => Ok(Err(replies::shutting_down())),
        }
    }

    /// Handles every queued event, in order; message bodies are written as they are read.
    async fn drain<S: Stream>(&mut self, stream: &mut S, out: &mut Vec<u8>) -> io::Result<Step> {
        while let Some(event) = self.session.next_event() {
            match event {
                Event::Reply(response) => out.extend_from_slice(response.to_string().as_bytes()),
                Event::StartTls => return Ok(Step::StartTls),
                Event::Auth(creds) => self.on_auth(creds).await,
                Event::Retrieve { n, .. } => self.on_retrieve(n).await,
                Event::SendBody { top, .. } => {
                    self.flush(stream, out).await?;
                    self.send_body(stream, top).await?;
                }
                Event::Update { delete } => self.on_update(&delete).await,
                Event::Quit | Event::Close => return Ok(Step::Close),
            }
        }
        Ok(if self.close_after {
            Step::Close
        } else {
            Step::Continue
        })
    }

    /// Checks a login against the device accounts with the lockout shared with SMTP AUTH. On
    /// success: POP-before-SMTP for this address (when on) and the device's mailbox.
    async fn on_auth(&mut self, creds: Credentials) {
        let (ip, shared) = (self.peer.ip(), self.shared.clone());
        let method = match creds.method() {
            AuthMethod::UserPass => "USER",
            AuthMethod::Plain => "PLAIN",
        };
        if shared.throttle.is_locked(ip) {
            tracing::info!(method, "login refused: locked out after too many failures");
            self.close_after = true;
            return self.verdict(|s| s.auth_verdict(AuthVerdict::Reject));
        }
        let policy = &self.cfg.policy;
        let Some(user) = policy.verify(&creds).map(str::to_string) else {
            let device = policy.device_named(creds.user()).map(str::to_string);
            drop(creds);
            return self.login_failed(method, device).await;
        };
        shared.throttle.success(ip, &user);
        self.admission.authenticated();
        let mechanism = format!("POP3 {method}");
        shared.saw(
            ip,
            Sighting::Auth {
                mechanism,
                user: user.clone(),
            },
        );
        if let Some(window) = self.cfg.settings.pop_before_smtp {
            shared.pop_grants.grant(ip, &user, window);
            tracing::info!(
                method,
                user,
                window_secs = window.as_secs(),
                "login; POP-before-SMTP open"
            );
        } else {
            tracing::info!(method, user, "login");
        }
        let verdict = self.open_mailbox(&user).await;
        self.verdict(|s| s.auth_verdict(verdict));
    }

    /// A failed login: counted (as SMTP AUTH failures are), answered late, and a lockout
    /// closes the connection. Never logs the attempted name unless it is a device's.
    async fn login_failed(&mut self, method: &str, device: Option<String>) {
        let ip = self.peer.ip();
        let penalty = self.shared.throttle.failure(ip, device.as_deref());
        self.shared.hub.emit(EventKind::AuthFailed {
            client: ip,
            device: device.clone(),
            listener: self.listener.to_string(),
        });
        let error = match &device {
            Some(d) => format!("POP3 login failed for device account {d}"),
            None => "POP3 login failed: not a device account".to_string(),
        };
        self.shared.saw(ip, Sighting::Error(error));
        tracing::warn!(
            method,
            known_device = device.is_some(),
            device,
            locked = penalty.locked,
            listener = self.listener,
            "login failed"
        );
        tokio::time::sleep(penalty.delay).await;
        self.close_after = penalty.locked;
        self.verdict(|s| s.auth_verdict(AuthVerdict::Reject));
    }

    /// The device's maildrop, locked for this session: empty when it has no mailbox.
    async fn open_mailbox(&mut self, user: &str) -> AuthVerdict {
        let Some(address) = self
            .cfg
            .policy
            .accounts()
            .mailbox_of(user)
            .map(str::to_string)
        else {
            self.opened = Some(Opened {
                _lock: None,
                ids: Vec::new(),
            });
            return AuthVerdict::Accept(Maildrop::default());
        };
        let Some(lock) = self.shared.mailboxes.lock(&address) else {
            tracing::info!(user, "mailbox in use by another session");
            return AuthVerdict::InUse;
        };
        match self.shared.mailboxes.listing(&address).await {
            Ok(listing) => {
                self.opened = Some(Opened {
                    _lock: Some(lock),
                    ids: listing.ids,
                });
                AuthVerdict::Accept(listing.maildrop)
            }
            Err(e) => {
                tracing::error!(user, error = %e, "cannot read the mailbox");
                AuthVerdict::TempFail
            }
        }
    }

    fn id_of(&self, n: u32) -> Option<MessageId> {
        let ids = &self.opened.as_ref()?.ids;
        ids.get(usize::try_from(n).ok()?.checked_sub(1)?).cloned()
    }

    async fn on_retrieve(&mut self, n: u32) {
        let file = match self.id_of(n) {
            Some(id) => match self.shared.mailboxes.open_body(&id).await {
                Ok(file) => Some(file),
                Err(e) => {
                    tracing::error!(%id, error = %e, "cannot open a mailbox message");
                    None
                }
            },
            None => None,
        };
        let ok = file.is_some();
        self.body = file;
        self.verdict(|s| s.retrieve_verdict(ok));
    }

    /// Streams the opened message through the byte-stuffing encoder. A read error half-way
    /// ends the connection (the client could not tell a cut body from a whole one).
    async fn send_body<S: Stream>(&mut self, stream: &mut S, top: Option<u32>) -> io::Result<()> {
        let mut file = self
            .body
            .take()
            .ok_or_else(|| io::Error::other("no message open"))?;
        let mut encoder = top.map_or_else(BodyEncoder::new, BodyEncoder::top);
        let (mut buf, mut wire) = (vec![0u8; READ_BUF], Vec::with_capacity(READ_BUF + 4096));
        while !encoder.is_done() {
            let n = file.read(&mut buf).await?;
            if n == 0 {
                break;
            }
            encoder.encode(&buf[..n], &mut wire);
            self.flush(stream, &mut wire).await?;
        }
        encoder.finish(&mut wire);
        self.flush(stream, &mut wire).await
    }

    /// UPDATE: removes exactly the messages marked deleted (and only now, after `QUIT`).
    async fn on_update(&mut self, delete: &[UidlEntry]) {
        let mut ok = true;
        for entry in delete {
            let Some(id) = self.id_of(entry.n) else {
                ok = false;
                continue;
            };
            if let Err(e) = self.shared.mailboxes.remove(&id).await {
                tracing::error!(%id, error = %e, "cannot remove a mailbox message");
                ok = false;
            }
        }
        tracing::info!(deleted = delete.len(), ok, "mailbox updated");
        self.verdict(|s| s.update_verdict(ok));
    }

    /// Gives a verdict the session is waiting for; a refusal means a driver bug, logged.
    fn verdict(&mut self, f: impl FnOnce(&mut ServerSession) -> Result<(), UnexpectedCall>) {
        if let Err(e) = f(&mut self.session) {
            tracing::error!(error = %e, "session refused a verdict");
        }
    }
}
