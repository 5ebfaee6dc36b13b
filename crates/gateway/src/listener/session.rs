//! The tokio driver for one device connection over the sans-IO [`ServerSession`].
//!
//! Generic over the stream, so STARTTLS is a type swap (`S` → `TlsStream<S>`) and tests can
//! drive a session over `tokio::io::duplex`. The driver reads, feeds the session, handles its
//! events in order (policy, AUTH, spool), writes the replies, and owns the timers: the command
//! and data timeouts, the deadline by which a client outside `allow_networks` must have
//! authenticated (from its [`Admission`]), the session's lifetime and the shutdown grace period.
//!
//! Client text (addresses) goes into the log as string values, which the log formatter quotes
//! and escapes, so a recipient such as `"x code=250 relay=accepted"@example.com` cannot forge
//! fields of its own.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use scanrelay_proto::Reply;
use scanrelay_proto::sasl::Mechanism;
use scanrelay_proto::server::{Event, ServerConfig, ServerCredentials, ServerSession, replies};
use scanrelay_spool::{Envelope, Incoming, SessionTls, SpoolError};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::{Instant, sleep_until, timeout, timeout_at};

use super::admission::Admission;
use super::fold::long_header_reply;
use super::headers::{HeaderFixer, Trace, now_unix};
use super::{ListenConfig, Shared, auth_lockout_reply, policy};
use crate::control::devices::Sighting;
use crate::control::events::EventKind;
use crate::dates::rfc5322_date;

/// Bytes read from the socket at a time.
const READ_BUF: usize = 16 * 1024;
/// How long sessions may go on finishing their transaction after shutdown was asked for.
pub(crate) const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// What a device locked out of AUTH sees as its last error.
const LOCKED_OUT: &str = "refused: too many failed AUTH attempts";

/// A byte stream a session can run over.
pub(crate) trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

/// Serves one connection until it ends. `tls`: the stream is already TLS (smtps), with this
/// version and cipher.
/// A client outside `allow_networks` whose address is locked out of AUTH is refused at once (it
/// could not send anything); an allow-listed one is served and only refused AUTH.
pub(crate) async fn serve<S: Stream>(
    shared: Arc<Shared>,
    stream: S,
    peer: SocketAddr,
    tls: Option<SessionTls>,
    admission: Admission,
) -> io::Result<()> {
    let cfg = admission.cfg.clone();
    let mut driver = Driver::new(shared.clone(), peer, tls, admission);
    shared.saw(peer.ip(), Sighting::Connected);
    if !driver.trusted && shared.throttle.is_locked(peer.ip()) {
        tracing::info!("refused: locked out after too many failed AUTH attempts");
        shared.saw(peer.ip(), Sighting::Error(LOCKED_OUT.to_string()));
        return refuse(stream, &auth_lockout_reply(), cfg.settings.command_timeout).await;
    }
    if !driver.trusted && driver.pop_device().is_some() {
        // POP-before-SMTP: as good as an AUTH for the connection limits.
        driver.admission.authenticated();
    }
    match driver.run(stream, true).await? {
        Next::Done => Ok(()),
        Next::StartTls(stream) => {
            let limit = driver.admission.bounded(cfg.settings.command_timeout);
            let tls = super::handshake(&shared, &shared.starttls, stream, peer, limit, "STARTTLS");
            let Some(tls) = tls.await else {
                return Ok(());
            };
            if driver.session.tls_established().is_err() {
                return Ok(());
            }
            driver.tls = Some(tls.session());
            driver.run(tls, false).await.map(drop)
        }
    }
}

/// Logs a device's TLS session (version and cipher; old versions at `warn`, so that an
/// operator sees which devices still need `tls_min_version` below 1.2) and records it for the
/// devices page.
pub(crate) fn tls_established(shared: &Shared, peer: SocketAddr, tls: &SessionTls, how: &str) {
    let legacy = matches!(tls.version.as_str(), "TLSv1.0" | "TLSv1.1");
    if legacy {
        tracing::warn!(how, version = %tls.version, cipher = %tls.cipher, "TLS established with an old version");
    } else {
        tracing::info!(how, version = %tls.version, cipher = %tls.cipher, "TLS established");
    }
    shared.saw(peer.ip(), Sighting::Tls(tls.to_string()));
}

/// `421 4.4.2 <host> Too long without authenticating, closing connection`: a client outside
/// `allow_networks` did not authenticate within `unauthenticated_timeout` of connecting.
fn auth_deadline_passed(hostname: &str) -> Reply {
    Reply::new(
        421,
        format!("4.4.2 {hostname} Too long without authenticating, closing connection"),
    )
}

/// `421 4.4.2 <host> Session time limit exceeded, closing connection`.
fn session_too_long(hostname: &str) -> Reply {
    Reply::new(
        421,
        format!("4.4.2 {hostname} Session time limit exceeded, closing connection"),
    )
}

/// Writes one reply and closes: for connections refused before the greeting.
pub(crate) async fn refuse<S: Stream>(
    mut stream: S,
    reply: &Reply,
    limit: Duration,
) -> io::Result<()> {
    let write = async {
        stream.write_all(reply.to_string().as_bytes()).await?;
        stream.shutdown().await
    };
    timeout(limit, write).await.unwrap_or(Ok(()))
}

/// Writes and flushes `out` (then empties it) by `deadline`; past it, a `TimedOut` error.
pub(crate) async fn write_out<S: Stream>(
    stream: &mut S,
    out: &mut Vec<u8>,
    deadline: Instant,
) -> io::Result<()> {
    if out.is_empty() {
        return Ok(());
    }
    let write = async {
        stream.write_all(out).await?;
        stream.flush().await
    };
    match timeout_at(deadline, write).await {
        Ok(result) => result?,
        Err(_) => return Err(io::Error::new(io::ErrorKind::TimedOut, "write timed out")),
    }
    out.clear();
    Ok(())
}

/// What `run` ended with.
enum Next<S> {
    /// The connection is over.
    Done,
    /// The `220` to STARTTLS is written: hand the raw stream to the TLS acceptor.
    StartTls(S),
}

/// What handling the queued events asks for.
enum Step {
    Continue,
    StartTls,
    Close,
}

/// What waiting for input produced.
enum Input {
    Data(usize),
    Eof,
    Timeout,
    /// The session reached `max_session_time`.
    TooLong,
    /// A client outside `allow_networks` reached its deadline to authenticate.
    AuthDeadline,
    Shutdown,
}

/// The open mail transaction, as the driver sees it.
#[derive(Default)]
struct Txn {
    mail_from: String,
    rcpts: Vec<String>,
    incoming: Option<Incoming>,
    fixer: Option<HeaderFixer>,
    /// The reply to give at the end of data because the spool failed earlier.
    failure: Option<Reply>,
    /// The device the mail is sent as: the SMTP AUTH user, or the device whose
    /// POP-before-SMTP window is open for the client's address.
    device: Option<String>,
    /// The device mailbox the message is kept for (its only recipient), instead of relaying.
    mailbox: Option<String>,
    scratch: Vec<u8>,
}

struct Driver {
    shared: Arc<Shared>,
    /// The settings, relay policy and routes this connection runs with.
    cfg: Arc<ListenConfig>,
    peer: SocketAddr,
    session: ServerSession,
    txn: Txn,
    shutdown: tokio::sync::watch::Receiver<bool>,
    grace_until: Option<Instant>,
    /// A reply to write after the queued ones, then close (AUTH lockout).
    close_with: Option<Reply>,
    /// The client is in `allow_networks`.
    trusted: bool,
    /// When the session is closed whatever it is doing (`max_session_time`).
    ends_at: Instant,
    /// The connection's slot, and its deadline to authenticate.
    admission: Admission,
    /// `smtp` or `smtps`, for the events.
    listener: &'static str,
    /// The TLS in use (smtps from the start, smtp after STARTTLS), stored with each message.
    tls: Option<SessionTls>,
}

impl Driver {
    fn new(
        shared: Arc<Shared>,
        peer: SocketAddr,
        tls: Option<SessionTls>,
        admission: Admission,
    ) -> Driver {
        let tls_active = tls.is_some();
        let cfg = admission.cfg.clone();
        let s = &cfg.settings;
        let mut config = ServerConfig::new(s.hostname.clone());
        config.max_message_size = s.max_message_size;
        config.max_recipients = s.max_recipients;
        config.starttls_available = !tls_active;
        config.allow_plaintext_auth = s.allow_plaintext_auth;
        config.auth_mechanisms = if cfg.policy.auth_enabled() {
            vec![Mechanism::Plain, Mechanism::Login, Mechanism::CramMd5]
        } else {
            Vec::new()
        };
        let mut session = ServerSession::new(config, tls_active);
        session.set_cram_seed(format!("{:016x}.{}", rand::random::<u64>(), now_unix()));
        Driver {
            shutdown: shared.shutdown.clone(),
            trusted: cfg.policy.allowed_network(peer.ip()),
            ends_at: crate::time::after(s.max_session_time),
            cfg,
            shared,
            peer,
            session,
            txn: Txn::default(),
            grace_until: None,
            close_with: None,
            admission,
            listener: if tls_active { "smtps" } else { "smtp" },
            tls,
        }
    }

    /// Runs the protocol over `stream` until the connection ends or STARTTLS is due.
    async fn run<S: Stream>(&mut self, mut stream: S, greet: bool) -> io::Result<Next<S>> {
        let mut out = Vec::new();
        if greet {
            out.extend_from_slice(self.session.greeting().to_string().as_bytes());
        }
        let mut buf = vec![0u8; READ_BUF];
        loop {
            let step = self.drain(&mut out).await;
            self.flush(&mut stream, &mut out).await?;
            match step {
                Step::Continue => {}
                Step::StartTls => return Ok(Next::StartTls(stream)),
                Step::Close => return self.close(stream).await,
            }
            match self.read(&mut stream, &mut buf).await? {
                Input::Data(n) => self.session.receive(&buf[..n]),
                Input::Eof => {
                    tracing::debug!(state = self.session.state_name(), "client closed");
                    return Ok(Next::Done);
                }
                Input::Timeout => {
                    tracing::info!(state = self.session.state_name(), "timeout");
                    out.extend_from_slice(self.hostname_reply(replies::timeout).as_bytes());
                    self.flush(&mut stream, &mut out).await?;
                    return self.close(stream).await;
                }
                Input::TooLong => {
                    tracing::info!(state = self.session.state_name(), "session time limit");
                    out.extend_from_slice(self.hostname_reply(session_too_long).as_bytes());
                    self.flush(&mut stream, &mut out).await?;
                    return self.close(stream).await;
                }
                Input::AuthDeadline => {
                    tracing::info!(state = self.session.state_name(), "no AUTH in time");
                    out.extend_from_slice(self.hostname_reply(auth_deadline_passed).as_bytes());
                    self.flush(&mut stream, &mut out).await?;
                    return self.close(stream).await;
                }
                Input::Shutdown => {
                    out.extend_from_slice(self.hostname_reply(replies::shutting_down).as_bytes());
                    self.flush(&mut stream, &mut out).await?;
                    return self.close(stream).await;
                }
            }
        }
    }

    fn hostname_reply(&self, f: fn(&str) -> Reply) -> String {
        f(&self.cfg.settings.hostname).to_string()
    }

    async fn close<S: Stream>(&mut self, mut stream: S) -> io::Result<Next<S>> {
        if let Some(incoming) = self.txn.incoming.take() {
            incoming.abort().await;
        }
        let _ = timeout(Duration::from_secs(5), stream.shutdown()).await;
        Ok(Next::Done)
    }

    async fn flush<S: Stream>(&self, stream: &mut S, out: &mut Vec<u8>) -> io::Result<()> {
        let limit = self.admission.bounded(self.cfg.settings.command_timeout);
        write_out(stream, out, limit).await
    }

    /// How long the next read may take: the data or command timeout.
    fn read_limit(&self) -> Duration {
        let s = &self.cfg.settings;
        if self.session.state_name() == "data" {
            s.data_timeout
        } else {
            s.command_timeout
        }
    }

    /// Waits for input, the read timeout, the end of the session's lifetime, or shutdown. On
    /// shutdown an idle session ends at once; one inside a transaction may finish it within
    /// [`SHUTDOWN_GRACE`].
    async fn read<S: Stream>(&mut self, stream: &mut S, buf: &mut [u8]) -> io::Result<Input> {
        let idle = matches!(self.session.state_name(), "connected" | "ready" | "auth");
        let auth_deadline = self.admission.auth_deadline();
        let read_deadline = crate::time::after(self.read_limit()).min(self.ends_at);
        let read_deadline = auth_deadline.map_or(read_deadline, |d| d.min(read_deadline));
        loop {
            let stopping = *self.shutdown.borrow();
            if stopping && idle {
                return Ok(Input::Shutdown);
            }
            let grace = self.grace_until;
            let deadline = grace.map_or(read_deadline, |g| g.min(read_deadline));
            tokio::select! {
                read = stream.read(buf) => return match read? {
                    0 => Ok(Input::Eof),
                    n => Ok(Input::Data(n)),
                },
                () = sleep_until(deadline) => {
                    let now = Instant::now();
                    return Ok(if grace.is_some_and(|g| g <= now) {
                        Input::Shutdown
                    } else if self.ends_at <= now {
                        Input::TooLong
                    } else if auth_deadline.is_some_and(|d| d <= now) {
                        Input::AuthDeadline
                    } else {
                        Input::Timeout
                    });
                }
                changed = self.shutdown.changed(), if !stopping => {
                    if changed.is_err() || *self.shutdown.borrow() {
                        self.grace_until = Some(crate::time::after(SHUTDOWN_GRACE));
                        if changed.is_err() {
                            return Ok(Input::Shutdown);
                        }
                    }
                }
            }
        }
    }

    /// Handles every event the session has queued, in order.
    async fn drain(&mut self, out: &mut Vec<u8>) -> Step {
        while let Some(event) = self.session.next_event() {
            match event {
                Event::Reply(reply) => out.extend_from_slice(reply.to_string().as_bytes()),
                Event::StartTls => return Step::StartTls,
                Event::Auth(creds) => self.on_auth(creds).await,
                Event::MailFrom { address, .. } => self.on_mail(address),
                Event::Rcpt { address } => self.on_rcpt(address),
                Event::DataStart => self.on_data_start().await,
                Event::DataChunk(chunk) => self.on_chunk(&chunk).await,
                Event::DataEnd => self.on_data_end().await,
                Event::DataTooLarge => self.on_too_large().await,
                Event::Quit | Event::Close => return Step::Close,
            }
        }
        if let Some(reply) = self.close_with.take() {
            out.extend_from_slice(reply.to_string().as_bytes());
            return Step::Close;
        }
        Step::Continue
    }

    /// Checks device credentials; a failure is answered late (growing delay), and too many
    /// lock the client address out of AUTH (see [`super::crate::accounts::AuthThrottle`]). A client
    /// outside `allow_networks` is then disconnected; an allow-listed one keeps its session (it
    /// may send without AUTH). Never logs the secret or a user name that is not a device's.
    async fn on_auth(&mut self, creds: ServerCredentials) {
        let ip = self.peer.ip();
        let (shared, mechanism) = (self.shared.clone(), creds.mechanism());
        if let Some(left) = shared.throttle.locked_for(ip) {
            tracing::info!(%mechanism, "AUTH refused: locked out after too many failures");
            if !self.trusted {
                self.close_with = Some(auth_lockout_reply());
                return self.verdict("auth", |s| s.auth_verdict(false));
            }
            let minutes = left.as_secs().div_ceil(60).max(1);
            return self.verdict("auth", |s| s.auth_refused(replies::auth_locked(minutes)));
        }
        let policy = &self.cfg.policy;
        if let Some(user) = policy.verify(&creds) {
            tracing::info!(%mechanism, user, "AUTH succeeded");
            let seen = Sighting::Auth {
                mechanism: mechanism.to_string(),
                user: user.to_string(),
            };
            shared.saw(ip, seen);
            shared.throttle.success(ip, user);
            self.admission.authenticated();
            return self.verdict("auth", |s| s.auth_verdict(true));
        }
        // Never the attempted user name: a device with its fields swapped sends the password
        // there. Only whether it names a configured device, and then that device's name.
        let device = policy.device_named(creds.user());
        drop(creds);
        let penalty = shared.throttle.failure(ip, device);
        self.auth_failed(device);
        tracing::warn!(
            %mechanism, known_device = device.is_some(), device, locked = penalty.locked,
            "AUTH failed"
        );
        tokio::time::sleep(penalty.delay).await;
        if penalty.locked && !self.trusted {
            self.close_with = Some(auth_lockout_reply());
        }
        self.verdict("auth", |s| s.auth_verdict(false));
    }

    fn on_mail(&mut self, address: String) {
        if let Some(helo) = self.session.client_domain() {
            self.shared
                .saw(self.peer.ip(), Sighting::Helo(shown_helo(helo)));
        }
        self.txn = Txn {
            mail_from: address,
            ..Txn::default()
        };
        let verdict = self.delivery_verdict();
        self.verdict("mail", |s| s.mail_verdict(verdict));
    }

    /// `451 4.3.2` (and a log line, and a count) when delivery has stopped for good: nothing
    /// would deliver the message, so the device keeps it and tries again later.
    fn delivery_verdict(&self) -> Result<(), Reply> {
        if !self.shared.health.delivery_stopped() {
            return Ok(());
        }
        self.shared.health.count_refusal();
        tracing::error!(
            refused = self.shared.health.refusals(),
            "message refused: delivery has stopped (see the earlier error); restart scanrelay"
        );
        Err(replies::not_accepting())
    }

    /// The relay decision: nothing is accepted for a client that is neither in an allowed
    /// network nor authenticated.
    fn on_rcpt(&mut self, address: String) {
        let device = self.sending_device();
        let policy = &self.cfg.policy;
        let mailbox = policy.accounts().mailbox_owner(&address).is_some();
        let relayed = !self.txn.rcpts.is_empty() && self.txn.mailbox.is_none();
        let verdict = policy
            .rcpt_verdict(self.peer.ip(), device.is_some())
            .and_then(|()| {
                policy::recipient_fits(self.txn.mailbox.as_deref(), relayed, &address, mailbox)
            });
        match &verdict {
            Ok(()) if mailbox => {
                if self.txn.mailbox.is_none() {
                    self.txn.mailbox = Some(address.clone());
                    self.txn.rcpts.push(address);
                }
                self.txn.device = device;
            }
            Ok(()) => {
                self.txn.rcpts.push(address);
                self.txn.device = device;
            }
            Err(reply) => {
                tracing::warn!(rcpt = address.as_str(), code = reply.code, "relay refused");
                let error = format!("relay refused: {}", reply.wire_lines().join(" "));
                self.shared.saw(self.peer.ip(), Sighting::Error(error));
            }
        }
        self.verdict("rcpt", |s| s.rcpt_verdict(verdict));
    }

    /// The device this client sends as, if any: its SMTP AUTH user, else the device whose
    /// POP-before-SMTP window is open for its address (while `pop_before_smtp` is on).
    fn sending_device(&self) -> Option<String> {
        if let Some(user) = self.session.authenticated_user() {
            return Some(user.to_string());
        }
        let device = self.pop_device()?;
        tracing::debug!(device, "sending as a device by POP-before-SMTP");
        let seen = Sighting::Auth {
            mechanism: "POP-before-SMTP".to_string(),
            user: device.clone(),
        };
        self.shared.saw(self.peer.ip(), seen);
        Some(device)
    }

    /// The device whose POP-before-SMTP window is open for the client's address.
    fn pop_device(&self) -> Option<String> {
        self.cfg.settings.pop_before_smtp?;
        self.shared.pop_grants.device_for(self.peer.ip())
    }

    async fn on_data_start(&mut self) {
        let begun = if self.txn.mailbox.is_some() {
            self.shared.mailboxes.begin().await
        } else {
            self.shared.spool.begin().await
        };
        match begun {
            Ok(incoming) => {
                let trace = self.trace(incoming.id().as_ref());
                self.txn.fixer = Some(HeaderFixer::new(trace));
                self.txn.incoming = Some(incoming);
            }
            Err(e) => self.spool_failed("begin", &e),
        }
    }

    async fn on_chunk(&mut self, chunk: &[u8]) {
        let txn = &mut self.txn;
        let (Some(incoming), Some(fixer)) = (txn.incoming.as_mut(), txn.fixer.as_mut()) else {
            return;
        };
        txn.scratch.clear();
        fixer.push(chunk, &mut txn.scratch);
        if fixer.refused() {
            return self.refuse_long_header().await;
        }
        if let Err(e) = incoming.write(&txn.scratch).await {
            self.txn.incoming = None;
            self.spool_failed("write", &e);
        }
    }

    /// A header line could not be folded to 998 octets: the message is dropped now (the rest
    /// of it is not stored) and refused at the end of data.
    async fn refuse_long_header(&mut self) {
        tracing::info!("header line longer than 998 octets that cannot be folded; message refused");
        self.txn.fixer = None;
        self.txn.failure = Some(long_header_reply());
        if let Some(incoming) = self.txn.incoming.take() {
            incoming.abort().await;
        }
    }

    /// Commits the message, and only then answers `250`; wakes the scheduler.
    async fn on_data_end(&mut self) {
        let reply = match self.commit().await {
            Ok(reply) => reply,
            Err(reply) => reply,
        };
        self.txn = Txn::default();
        self.verdict("data", |s| s.data_verdict(reply));
    }

    async fn commit(&mut self) -> Result<Reply, Reply> {
        if let Some(reply) = self.txn.failure.take() {
            return Err(reply);
        }
        if let Err(reply) = self.delivery_verdict() {
            if let Some(incoming) = self.txn.incoming.take() {
                incoming.abort().await;
            }
            return Err(reply);
        }
        let mut incoming = self.txn.incoming.take().ok_or_else(replies::local_error)?;
        let mut fixer = self.txn.fixer.take().ok_or_else(replies::local_error)?;
        let mut rest = std::mem::take(&mut self.txn.scratch);
        rest.clear();
        fixer.finish(&mut rest);
        if fixer.refused() {
            self.txn.incoming = Some(incoming);
            self.refuse_long_header().await;
            return Err(long_header_reply());
        }
        if let Err(e) = incoming.write(&rest).await {
            return Err(self.spool_error_reply("write", &e));
        }
        let envelope = self.envelope(incoming.len());
        let (from, rcpts, size) = (
            envelope.mail_from.clone(),
            envelope.rcpt_to.len(),
            envelope.size,
        );
        // Kept for a device mailbox: never delivered, so never held.
        let first = match self.txn.mailbox {
            Some(_) => None,
            None => self.shared.wake.first_event(),
        };
        match incoming.commit_entry(envelope, first).await {
            Ok(committed) => {
                let id = committed.item.id.clone();
                if let Some(mailbox) = &self.txn.mailbox {
                    tracing::info!(%id, from = from.as_str(), mailbox, size, "kept for a device mailbox");
                } else {
                    tracing::info!(%id, from = from.as_str(), rcpts, size, "queued");
                    self.shared.wake.queued(committed);
                }
                self.accepted(id.as_ref(), size, rcpts);
                Ok(replies::queued(id.as_ref()))
            }
            Err(e) => Err(self.spool_error_reply("commit", &e)),
        }
    }

    async fn on_too_large(&mut self) {
        tracing::info!(
            limit = self.cfg.settings.max_message_size,
            "message too large"
        );
        self.txn.fixer = None;
        if let Some(incoming) = self.txn.incoming.take() {
            incoming.abort().await;
        }
    }

    /// Remembers a spool failure; the client is told at the end of data.
    fn spool_failed(&mut self, op: &str, e: &SpoolError) {
        let reply = self.spool_error_reply(op, e);
        self.txn.fixer = None;
        self.txn.failure = Some(reply);
    }

    fn spool_error_reply(&self, op: &str, e: &SpoolError) -> Reply {
        tracing::error!(op, error = %e, disk_full = e.is_disk_full(), "spool failed; message refused");
        if e.is_disk_full() {
            replies::insufficient_storage()
        } else {
            replies::local_error()
        }
    }

    fn envelope(&self, size: u64) -> Envelope {
        Envelope {
            mail_from: self.txn.mail_from.clone(),
            rcpt_to: self.txn.rcpts.clone(),
            received_at: now_unix(),
            client_addr: self.peer.to_string(),
            helo: self
                .session
                .client_domain()
                .unwrap_or("unknown")
                .to_string(),
            auth_user: self.txn.device.clone(),
            size,
            route: match self.txn.mailbox {
                Some(_) => None,
                None => self.cfg.router.route(
                    self.txn.device.as_deref(),
                    self.peer.ip(),
                    &self.txn.mail_from,
                ),
            },
            tls: self.tls.clone(),
        }
    }

    /// The `Received:` field and the facts for added header fields.
    fn trace(&self, id: &str) -> Trace {
        let now = now_unix();
        let hostname = self.cfg.settings.hostname.clone();
        let helo = shown_helo(self.session.client_domain().unwrap_or("unknown"));
        let mut with = String::from("ESMTP");
        if self.session.is_tls() {
            with.push('S');
        }
        if self.session.authenticated_user().is_some() {
            with.push('A');
        }
        let ip = self.peer.ip().to_canonical();
        // Postfix's comment, so a recipient can see how the device's hop was protected.
        let using = match &self.tls {
            Some(tls) => format!(
                "\r\n\t(using {} with cipher {})\r\n\t",
                tls.version, tls.cipher
            ),
            None => " ".to_string(),
        };
        let received = format!(
            "Received: from {helo} ([{ip}]){using}by {hostname} (scanrelay) with {with} id {id};\r\n\t{}\r\n",
            rfc5322_date(now)
        );
        let u = rand::random::<u128>();
        let unique = format!(
            "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
            (u >> 96) as u32,
            (u >> 80) as u16,
            (u >> 64) as u16,
            (u >> 48) as u16,
            u as u64 & 0xffff_ffff_ffff
        );
        Trace {
            received,
            mail_from: self.txn.mail_from.clone(),
            hostname,
            now,
            unique,
        }
    }

    /// Gives a verdict the session is waiting for; a refusal means a driver bug, logged.
    fn verdict(
        &mut self,
        what: &str,
        f: impl FnOnce(&mut ServerSession) -> Result<(), scanrelay_proto::server::UnexpectedCall>,
    ) {
        if let Err(e) = f(&mut self.session) {
            tracing::error!(what, error = %e, "session refused a verdict");
        }
    }
}

impl Driver {
    /// A failed AUTH: counted, and remembered as the client's last error.
    fn auth_failed(&self, device: Option<&str>) {
        let kind = EventKind::AuthFailed {
            client: self.peer.ip(),
            device: device.map(str::to_string),
            listener: self.listener.to_string(),
        };
        self.shared.hub.emit(kind);
        let error = match device {
            Some(d) => format!("AUTH failed for device account {d}"),
            None => "AUTH failed: not a device account".to_string(),
        };
        self.shared.saw(self.peer.ip(), Sighting::Error(error));
    }

    /// A message committed and answered `250`.
    fn accepted(&self, id: &str, size: u64, rcpts: usize) {
        let helo = self.session.client_domain().map(shown_helo);
        self.shared.saw(self.peer.ip(), Sighting::Message);
        self.shared.hub.emit(EventKind::Accepted {
            id: id.to_string(),
            client: self.peer.ip().to_canonical(),
            helo: helo.unwrap_or_else(|| "unknown".to_string()),
            auth_user: self.txn.device.clone(),
            size,
            rcpts,
        });
    }
}

/// A client's HELO name as shown to people: printable ASCII, at most 255 characters.
fn shown_helo(helo: &str) -> String {
    helo.chars()
        .take(255)
        .map(|c| if c.is_ascii_graphic() { c } else { '?' })
        .collect()
}
