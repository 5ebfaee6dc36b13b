//! [`ScriptedSmtpServer`]: replays a [`Script`] on `127.0.0.1:0`, records what the client
//! sent, and reports the first place where the client left the script.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rustls::ServerConfig;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio::time::timeout;
use tokio_rustls::TlsAcceptor;

use crate::pki::TestPki;
use crate::thread::{ServerThread, bind_loopback};

/// How long the server waits for the client (a line, a connection, a handshake) by default.
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Longest client line (or unterminated tail) the server buffers, CRLF included.
const MAX_LINE: usize = 1 << 20;

/// One step of a [`Script`]. Steps run in order; the first one the client does not satisfy
/// ends the session and makes [`ScriptedSmtpServer::finish`] return `Err`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Sends text: every `\n` becomes CRLF and a final CRLF is added when missing, so
    /// `"250-a\n250 b"` sends a two-line reply.
    Send(String),
    /// Sends these bytes exactly (a bare LF, a reply split in the middle of a line, ...).
    SendRaw(Vec<u8>),
    /// Reads one line and checks that it starts with this prefix (ASCII case-insensitive).
    /// `Expect("")` accepts any line.
    Expect(String),
    /// Reads one line and checks that it is exactly this (case-sensitive); `ExpectExact("")`
    /// is the empty line an XOAUTH2 client answers an error challenge with.
    ExpectExact(String),
    /// Reads one line, whatever it is.
    ExpectAny,
    /// Reads DATA content up to the line `.` (CRLF-terminated) and records the body,
    /// dot-unstuffed, with its line endings exactly as received, in [`ServerLog::messages`].
    /// Send the `354` yourself first.
    ExpectData,
    /// Upgrades the connection to TLS (server side). Send the `220` yourself first. Fails if
    /// the client already sent bytes after its `STARTTLS` line (command injection).
    StartTls,
    /// Runs the server side of a TLS handshake the client must abort because it refuses the
    /// certificate. The session ends there; a completed handshake is a failure. As the first
    /// step of an `implicit_tls` script it replaces the implicit handshake.
    ExpectTlsAbort,
    /// Does nothing for a while (a server that never answers).
    Silent(Duration),
    /// The tolerant end of a session: answers `RSET` with `250` (any number of times), then
    /// accepts `QUIT` (answered with `221`) or the client closing the connection.
    ExpectQuitOrClose,
    /// Closes the connection; later steps are not run.
    Close,
}

impl Step {
    /// [`Step::Send`] from anything string-like.
    pub fn send(text: impl Into<String>) -> Step {
        Step::Send(text.into())
    }

    /// [`Step::Expect`] from anything string-like.
    pub fn expect(prefix: impl Into<String>) -> Step {
        Step::Expect(prefix.into())
    }

    /// [`Step::ExpectExact`] from anything string-like.
    pub fn expect_exact(line: impl Into<String>) -> Step {
        Step::ExpectExact(line.into())
    }
}

/// Which certificate the server presents when the script turns TLS on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CertChoice {
    /// Signed by the test CA, valid now, for `localhost` and `127.0.0.1`.
    #[default]
    Valid,
    /// Signed by the test CA, valid now, but only for `other.example` (hostname mismatch).
    WrongHost,
    /// Signed by the test CA for `localhost` and `127.0.0.1`, expired 30 days ago.
    Expired,
    /// Self-signed for `localhost` and `127.0.0.1`; the test CA does not vouch for it.
    Untrusted,
}

/// What one connection to a [`ScriptedSmtpServer`] should see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Script {
    /// Start with a TLS handshake before the first step (SMTPS, port 465 style).
    pub implicit_tls: bool,
    /// The certificate used for TLS.
    pub cert: CertChoice,
    /// Per-read (and per-accept, per-handshake) timeout, so a broken test cannot hang.
    pub read_timeout: Duration,
    /// The steps, in order.
    pub steps: Vec<Step>,
}

impl Default for Script {
    fn default() -> Self {
        Script {
            implicit_tls: false,
            cert: CertChoice::Valid,
            read_timeout: DEFAULT_READ_TIMEOUT,
            steps: Vec::new(),
        }
    }
}

impl Script {
    /// A plain-TCP script with the valid certificate and the default timeout.
    pub fn new(steps: impl IntoIterator<Item = Step>) -> Script {
        Script {
            steps: steps.into_iter().collect(),
            ..Script::default()
        }
    }

    /// The same script over implicit TLS.
    pub fn with_implicit_tls(mut self) -> Script {
        self.implicit_tls = true;
        self
    }

    /// The same script presenting another certificate.
    pub fn with_cert(mut self, cert: CertChoice) -> Script {
        self.cert = cert;
        self
    }

    /// The same script with another per-read timeout.
    pub fn with_read_timeout(mut self, read_timeout: Duration) -> Script {
        self.read_timeout = read_timeout;
        self
    }

    /// An implicit-TLS port presenting `cert`, where the client must refuse the handshake.
    pub fn tls_rejected(cert: CertChoice) -> Script {
        Script::new([Step::ExpectTlsAbort])
            .with_implicit_tls()
            .with_cert(cert)
    }
}

/// What the client did, over every connection the server served (in accept order).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerLog {
    /// Every line the client sent outside DATA content, verbatim without its CRLF.
    pub received: Vec<String>,
    /// Every message body received by [`Step::ExpectData`], dot-unstuffed.
    pub messages: Vec<Vec<u8>>,
    /// Both sides, for failure output: `S: ...`, `C: ...` and `-- ...` notes.
    pub transcript: Vec<String>,
    /// How many connections were served.
    pub connections: usize,
}

impl ServerLog {
    fn absorb(&mut self, other: ServerLog, index: usize, total: usize) {
        if total > 1 {
            self.transcript
                .push(format!("== connection {} of {total} ==", index + 1));
        }
        self.received.extend(other.received);
        self.messages.extend(other.messages);
        self.transcript.extend(other.transcript);
        self.connections += other.connections;
    }
}

/// An in-process SMTP server on `127.0.0.1:0` that replays scripts, one per connection.
///
/// It runs on its own thread and tokio runtime: it keeps serving while the test blocks (on a
/// child process, say), and its timeouts keep real time under `tokio::time::pause()`.
/// Dropping it without [`ScriptedSmtpServer::finish`] stops it.
pub struct ScriptedSmtpServer {
    addr: SocketAddr,
    pki: TestPki,
    thread: ServerThread<Result<ServerLog, String>>,
}

impl ScriptedSmtpServer {
    /// Serves one connection with `script`.
    pub async fn start(script: Script) -> ScriptedSmtpServer {
        ScriptedSmtpServer::start_each(vec![script]).await
    }

    /// Serves `connections` connections, each replaying `script`.
    pub async fn start_multi(script: Script, connections: usize) -> ScriptedSmtpServer {
        ScriptedSmtpServer::start_each(vec![script; connections]).await
    }

    /// Serves one connection per script: the first client connection gets `scripts[0]`, the
    /// second `scripts[1]`, and so on (for example a `421` first, a delivery on the retry).
    /// Connections run concurrently; after the last one the listener is closed.
    ///
    /// # Panics
    /// When `scripts` is empty or the listener cannot be bound.
    pub async fn start_each(scripts: Vec<Script>) -> ScriptedSmtpServer {
        assert!(
            !scripts.is_empty(),
            "a scripted server needs at least one script"
        );
        let listener = bind_loopback();
        let addr = listener
            .local_addr()
            .expect("local address of the listener");
        let pki = TestPki::new();
        let jobs = scripts
            .into_iter()
            .map(|script| {
                let tls = server_config(&pki, script.cert);
                (script, tls)
            })
            .collect();
        let thread = ServerThread::spawn("scripted-smtp", move || async move {
            match TcpListener::from_std(listener) {
                Ok(listener) => serve(listener, jobs).await,
                Err(e) => Err(format!("cannot use the listener: {e}")),
            }
        });
        ScriptedSmtpServer { addr, pki, thread }
    }

    /// The listening address (`127.0.0.1:port`).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The listening port.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The CA that signed the server's certificates (for `--ca-file`). Deleted when the server
    /// is finished or dropped.
    pub fn ca_pem_path(&self) -> &Path {
        self.pki.ca_pem_path()
    }

    /// The server's PKI, for a client config that trusts it ([`TestPki::client_config`]).
    pub fn pki(&self) -> &TestPki {
        &self.pki
    }

    /// Waits until every scripted connection has ended. `Err` names the first step the client
    /// did not satisfy (or the timeout, or the early EOF) followed by the transcript so far.
    pub async fn finish(self) -> Result<ServerLog, String> {
        match self.thread.join().await {
            Some(result) => result,
            None => Err("the scripted server thread panicked".to_string()),
        }
    }
}

fn server_config(pki: &TestPki, cert: CertChoice) -> Arc<ServerConfig> {
    match cert {
        CertChoice::Valid => pki.leaf().server_config(),
        CertChoice::WrongHost => pki.leaf_for(&["other.example"]).server_config(),
        CertChoice::Expired => pki.expired_leaf().server_config(),
        CertChoice::Untrusted => pki.self_signed_untrusted().server_config(),
    }
}

type Job = (Script, Arc<ServerConfig>);

/// Accepts one connection per job (stopping early once a session failed), then collects the
/// sessions' logs in accept order.
async fn serve(listener: TcpListener, jobs: Vec<Job>) -> Result<ServerLog, String> {
    let total = jobs.len();
    let failed = Arc::new(Notify::new());
    let mut sessions = Vec::with_capacity(total);
    let mut accept_error = None;
    for (index, (script, tls)) in jobs.into_iter().enumerate() {
        let stream = match accept_one(&listener, script.read_timeout, &failed).await {
            Ok(Some(stream)) => stream,
            Ok(None) => break,
            Err(why) => {
                accept_error = Some(format!("connection {} of {total}: {why}", index + 1));
                break;
            }
        };
        let failed = Arc::clone(&failed);
        sessions.push(tokio::spawn(async move {
            let result = run_session(stream, script, tls).await;
            if result.is_err() {
                failed.notify_one();
            }
            result
        }));
    }
    drop(listener);
    let mut log = ServerLog::default();
    for (index, session) in sessions.into_iter().enumerate() {
        let prefix = if total > 1 {
            format!("connection {} of {total}: ", index + 1)
        } else {
            String::new()
        };
        match session.await {
            Ok(Ok(one)) => log.absorb(one, index, total),
            Ok(Err(why)) => return Err(format!("{prefix}{why}")),
            Err(e) => return Err(format!("{prefix}session task failed: {e}")),
        }
    }
    match accept_error {
        Some(why) => Err(format!(
            "{why}\n--- transcript so far ---\n{}",
            log.transcript.join("\n")
        )),
        None => Ok(log),
    }
}

/// The next client connection; `None` once an earlier session has failed (its error is the
/// one to report), `Err` on a timeout or an accept error.
async fn accept_one(
    listener: &TcpListener,
    wait: Duration,
    failed: &Notify,
) -> Result<Option<TcpStream>, String> {
    let accepted = tokio::select! {
        accepted = timeout(wait, listener.accept()) => accepted,
        () = failed.notified() => return Ok(None),
    };
    match accepted {
        Ok(Ok((stream, _peer))) => {
            // Replies go out at once (no Nagle stall behind a delayed ACK after TLS).
            let _ = stream.set_nodelay(true);
            Ok(Some(stream))
        }
        Ok(Err(e)) => Err(format!("accept failed: {e}")),
        Err(_) => Err(format!("no client connected within {wait:?}")),
    }
}

async fn run_session(
    stream: TcpStream,
    script: Script,
    tls: Arc<ServerConfig>,
) -> Result<ServerLog, String> {
    let mut session = Session {
        io: Some(Box::new(stream)),
        buf: Vec::new(),
        tls,
        tls_active: false,
        read_timeout: script.read_timeout,
        log: ServerLog {
            connections: 1,
            ..ServerLog::default()
        },
    };
    let implicit_abort = matches!(script.steps.first(), Some(Step::ExpectTlsAbort));
    if script.implicit_tls
        && !implicit_abort
        && let Err(fail) = session.start_tls().await
    {
        return Err(session.failure("implicit TLS handshake", &fail.to_string()));
    }
    let count = script.steps.len();
    for (index, step) in script.steps.iter().enumerate() {
        match session.run(step).await {
            Ok(Flow::Next) => {}
            Ok(Flow::End) => break,
            Err(why) => {
                let context = format!("step {} of {count} ({step:?})", index + 1);
                return Err(session.failure(&context, &why));
            }
        }
    }
    session.close().await;
    Ok(session.log)
}

/// A byte stream the session can run over: plain TCP or TLS over it.
trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

enum Flow {
    Next,
    End,
}

/// Why a TLS upgrade did not happen.
enum TlsFail {
    /// The handshake itself failed (for example the client refused the certificate).
    Handshake(String),
    /// Anything else: a timeout, bytes before the handshake, TLS already on.
    Other(String),
}

impl std::fmt::Display for TlsFail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TlsFail::Handshake(why) => write!(f, "TLS handshake failed: {why}"),
            TlsFail::Other(why) => f.write_str(why),
        }
    }
}

/// One connection's state.
struct Session {
    io: Option<Box<dyn Io>>,
    buf: Vec<u8>,
    tls: Arc<ServerConfig>,
    tls_active: bool,
    read_timeout: Duration,
    log: ServerLog,
}

impl Session {
    async fn run(&mut self, step: &Step) -> Result<Flow, String> {
        match step {
            Step::Send(text) => {
                let wire = to_wire(text);
                for line in wire.trim_end_matches("\r\n").split("\r\n") {
                    self.log.transcript.push(format!("S: {line}"));
                }
                self.write(wire.as_bytes()).await?;
            }
            Step::SendRaw(bytes) => {
                let shown = String::from_utf8_lossy(bytes);
                self.log.transcript.push(format!("S: <raw> {shown:?}"));
                self.write(bytes).await?;
            }
            Step::Expect(prefix) => {
                let line = self.expect_line().await?;
                if !starts_with_ci(&line, prefix) {
                    return Err(format!(
                        "expected a line starting with {prefix:?}, got {line:?}"
                    ));
                }
            }
            Step::ExpectExact(want) => {
                let line = self.expect_line().await?;
                if line != *want {
                    return Err(format!("expected exactly {want:?}, got {line:?}"));
                }
            }
            Step::ExpectAny => {
                self.expect_line().await?;
            }
            Step::ExpectData => self.read_data().await?,
            Step::StartTls => self.start_tls().await.map_err(|f| f.to_string())?,
            Step::ExpectTlsAbort => return self.expect_tls_abort().await,
            Step::Silent(pause) => tokio::time::sleep(*pause).await,
            Step::ExpectQuitOrClose => return self.quit_or_close().await,
            Step::Close => return Ok(Flow::End),
        }
        Ok(Flow::Next)
    }

    fn io(&mut self) -> Result<&mut Box<dyn Io>, String> {
        self.io
            .as_mut()
            .ok_or_else(|| "the connection is already gone".to_string())
    }

    async fn write(&mut self, bytes: &[u8]) -> Result<(), String> {
        let limit = self.read_timeout;
        let io = self.io()?;
        let write = async {
            io.write_all(bytes).await?;
            io.flush().await
        };
        match timeout(limit, write).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(format!("write to the client failed: {e}")),
            Err(_) => Err(format!("write to the client timed out after {limit:?}")),
        }
    }

    /// The next raw line, LF included; `None` when the client closed the connection cleanly
    /// (a TLS peer that closes without close_notify, or a reset, counts as closed).
    async fn read_line(&mut self) -> Result<Option<Vec<u8>>, String> {
        let mut chunk = [0u8; 8192];
        loop {
            if let Some(pos) = self.buf.iter().position(|&b| b == b'\n') {
                return Ok(Some(self.buf.drain(..=pos).collect()));
            }
            if self.buf.len() > MAX_LINE {
                return Err(format!("client line longer than {MAX_LINE} bytes"));
            }
            let limit = self.read_timeout;
            let io = self.io()?;
            let n = match timeout(limit, io.read(&mut chunk)).await {
                Err(_) => return Err(format!("timed out after {limit:?} waiting for the client")),
                Ok(Ok(n)) => n,
                Ok(Err(e)) if is_disconnect(&e) => 0,
                Ok(Err(e)) => return Err(format!("read from the client failed: {e}")),
            };
            if n == 0 {
                if self.buf.is_empty() {
                    return Ok(None);
                }
                let tail = String::from_utf8_lossy(&self.buf).into_owned();
                return Err(format!(
                    "connection closed in the middle of a line: {tail:?}"
                ));
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    /// Reads and records one command line; EOF and a bare-LF line ending are failures.
    async fn expect_line(&mut self) -> Result<String, String> {
        match self.read_line().await? {
            Some(raw) => self.record(raw),
            None => Err("the client closed the connection (EOF) while a line was expected".into()),
        }
    }

    fn record(&mut self, raw: Vec<u8>) -> Result<String, String> {
        let bare_lf = !raw.ends_with(b"\r\n");
        let body = &raw[..raw.len() - if bare_lf { 1 } else { 2 }];
        let line = String::from_utf8_lossy(body).into_owned();
        self.log.transcript.push(format!("C: {line}"));
        self.log.received.push(line.clone());
        if bare_lf {
            return Err(format!("line ended in a bare LF, not CRLF: {line:?}"));
        }
        Ok(line)
    }

    async fn read_data(&mut self) -> Result<(), String> {
        let mut body = Vec::new();
        loop {
            let Some(line) = self.read_line().await? else {
                return Err(format!(
                    "the client closed the connection during DATA after {} bytes",
                    body.len()
                ));
            };
            if line == b".\r\n" {
                break;
            }
            let content = line.strip_prefix(b".").unwrap_or(&line);
            body.extend_from_slice(content);
        }
        self.log
            .transcript
            .push(format!("C: <message: {} bytes>", body.len()));
        self.log.transcript.push("C: .".to_string());
        self.log.messages.push(body);
        Ok(())
    }

    async fn start_tls(&mut self) -> Result<(), TlsFail> {
        if self.tls_active {
            return Err(TlsFail::Other(
                "TLS is already on for this connection".into(),
            ));
        }
        if !self.buf.is_empty() {
            let early = String::from_utf8_lossy(&self.buf).into_owned();
            return Err(TlsFail::Other(format!(
                "the client sent {early:?} after STARTTLS, before the TLS handshake (command injection)"
            )));
        }
        let plain = self
            .io
            .take()
            .ok_or_else(|| TlsFail::Other("the connection is already gone".into()))?;
        let limit = self.read_timeout;
        let acceptor = TlsAcceptor::from(Arc::clone(&self.tls));
        match timeout(limit, acceptor.accept(plain)).await {
            Err(_) => Err(TlsFail::Other(format!(
                "TLS handshake timed out after {limit:?}"
            ))),
            Ok(Err(e)) => Err(TlsFail::Handshake(e.to_string())),
            Ok(Ok(stream)) => {
                let version = stream.get_ref().1.protocol_version();
                self.log
                    .transcript
                    .push(format!("-- TLS established ({version:?})"));
                self.io = Some(Box::new(stream));
                self.tls_active = true;
                Ok(())
            }
        }
    }

    async fn expect_tls_abort(&mut self) -> Result<Flow, String> {
        match self.start_tls().await {
            Ok(()) => Err(
                "the client completed the TLS handshake; it should have refused the certificate"
                    .into(),
            ),
            Err(TlsFail::Handshake(why)) => {
                self.log.transcript.push(format!(
                    "-- TLS handshake aborted by the client, as expected: {why}"
                ));
                Ok(Flow::End)
            }
            Err(other) => Err(other.to_string()),
        }
    }

    async fn quit_or_close(&mut self) -> Result<Flow, String> {
        loop {
            let Some(raw) = self.read_line().await? else {
                self.log
                    .transcript
                    .push("-- the client closed the connection".into());
                return Ok(Flow::End);
            };
            let line = self.record(raw)?;
            if starts_with_ci(&line, "QUIT") {
                self.log.transcript.push("S: 221 2.0.0 Bye".into());
                // The client may hang up without reading the 221: that is fine.
                let _ = self.write(b"221 2.0.0 Bye\r\n").await;
                return Ok(Flow::End);
            }
            if !starts_with_ci(&line, "RSET") {
                return Err(format!(
                    "expected QUIT, RSET or the end of the connection, got {line:?}"
                ));
            }
            self.log.transcript.push("S: 250 2.0.0 OK".into());
            self.write(b"250 2.0.0 OK\r\n").await?;
        }
    }

    async fn close(&mut self) {
        if let Some(mut io) = self.io.take() {
            let _ = timeout(Duration::from_secs(1), io.shutdown()).await;
        }
    }

    fn failure(&self, context: &str, why: &str) -> String {
        format!(
            "{context}: {why}\n--- transcript so far ---\n{}",
            self.log.transcript.join("\n")
        )
    }
}

/// `\n` (or CRLF) line breaks as CRLF, with a final CRLF.
fn to_wire(text: &str) -> String {
    let mut wire = text.replace("\r\n", "\n").replace('\n', "\r\n");
    if !wire.ends_with("\r\n") {
        wire.push_str("\r\n");
    }
    wire
}

fn starts_with_ci(line: &str, prefix: &str) -> bool {
    line.len() >= prefix.len()
        && line.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

fn is_disconnect(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(
        e.kind(),
        UnexpectedEof | ConnectionReset | ConnectionAborted | BrokenPipe
    )
}
