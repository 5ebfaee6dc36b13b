//! A client session over any byte stream.

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::{Instant, timeout, timeout_at};
use tokio_rustls::client::TlsStream;

use scanrelay_proto::dot::DotStuffer;
use scanrelay_proto::sasl::{Credentials, Mechanism, SaslClient, choose_mechanism};
use scanrelay_proto::{Command, EhloInfo, Reply, ReplyParser};

use crate::error::{ClientError, Failure};
use crate::tls::{ConnTls, handshake};
use crate::transcript::{Facts, StepName};

/// A byte stream a session can run over: TCP, TLS over TCP, or an in-memory pipe.
pub trait AsyncStream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> AsyncStream for T {}

/// How long the final reply after the message body may take (RFC 5321 §4.5.3.2.6 says 10
/// minutes; the configured timeout applies when it is longer).
const DATA_END_TIMEOUT: Duration = Duration::from_secs(600);
const READ_CHUNK: usize = 64 * 1024;

/// An SMTP client session over the stream `S`.
pub struct Session<S> {
    stream: S,
    rbuf: Vec<u8>,
    facts: Facts,
    timeout: Duration,
    ehlo_name: String,
    tls_active: bool,
}

impl<S: AsyncStream> Session<S> {
    /// A session over a connected stream. `facts` carries what earlier steps (DNS, TCP, an
    /// implicit TLS handshake) recorded.
    pub fn new(
        stream: S,
        facts: Facts,
        timeout: Duration,
        ehlo_name: &str,
        tls_active: bool,
    ) -> Self {
        Session {
            stream,
            rbuf: Vec::with_capacity(4096),
            facts,
            timeout,
            ehlo_name: ehlo_name.to_string(),
            tls_active,
        }
    }

    /// Everything observed so far.
    pub fn facts(&self) -> &Facts {
        &self.facts
    }

    /// Gives up the session, keeping what it observed.
    pub fn into_facts(self) -> Facts {
        self.facts
    }

    /// Whether the stream is TLS.
    pub fn is_tls(&self) -> bool {
        self.tls_active
    }

    /// The last EHLO reply.
    pub fn ehlo_info(&self) -> Option<&EhloInfo> {
        self.facts.ehlo.as_ref()
    }

    fn begin(&mut self, step: StepName) -> (usize, Instant) {
        (self.facts.begin(step), Instant::now())
    }

    fn end<T>(&mut self, (index, started): (usize, Instant), result: &Result<T, ClientError>) {
        if let Err(e) = result
            && self.facts.steps[index].note.is_none()
        {
            self.facts.steps[index].note = Some(e.to_string());
        }
        self.facts.finish(index, result.is_ok(), started);
    }

    /// Reads one whole reply within `limit` (one deadline for the whole reply, so a server
    /// trickling bytes cannot hold the session beyond it).
    async fn read_reply(&mut self, step: StepName, limit: Duration) -> Result<Reply, ClientError> {
        let deadline = Instant::now() + limit;
        loop {
            match ReplyParser::parse(&self.rbuf) {
                Ok(Some((reply, used))) => {
                    self.rbuf.drain(..used);
                    self.facts.received(&reply);
                    return Ok(reply);
                }
                Ok(None) => {}
                Err(source) => {
                    if let Some(line) = source.line() {
                        self.facts.received_raw(line);
                    }
                    return Err(ClientError::Protocol { step, source });
                }
            }
            let mut chunk = [0u8; 4096];
            let n = match timeout_at(deadline, self.stream.read(&mut chunk)).await {
                Err(_) => return Err(timeout_error(step, limit)),
                Ok(Err(source)) => return Err(ClientError::Io { step, source }),
                Ok(Ok(n)) => n,
            };
            if n == 0 {
                return Err(ClientError::Closed { step });
            }
            self.rbuf.extend_from_slice(&chunk[..n]);
        }
    }

    async fn write(&mut self, step: StepName, bytes: &[u8]) -> Result<(), ClientError> {
        let io = async {
            self.stream.write_all(bytes).await?;
            self.stream.flush().await
        };
        match timeout(self.timeout, io).await {
            Err(_) => Err(timeout_error(step, self.timeout)),
            Ok(Err(source)) => Err(ClientError::Io { step, source }),
            Ok(Ok(())) => Ok(()),
        }
    }

    async fn send(&mut self, step: StepName, command: &Command) -> Result<(), ClientError> {
        self.facts.sent(command.redacted());
        self.write(step, command.to_string().as_bytes()).await
    }

    /// Sends a command and reads its reply; a reply outside 2xx/3xx becomes `Rejected`.
    async fn exchange(&mut self, step: StepName, command: &Command) -> Result<Reply, ClientError> {
        self.send(step, command).await?;
        let reply = self.read_reply(step, self.timeout).await?;
        self.check(step, reply)
    }

    fn check(&mut self, step: StepName, reply: Reply) -> Result<Reply, ClientError> {
        if reply.code < 400 {
            Ok(reply)
        } else {
            self.facts.last_reply = Some(reply.clone());
            Err(ClientError::Rejected { step, reply })
        }
    }

    /// A positive reply other than the one the step needs (`250` to `DATA`, say): the step
    /// fails rather than going on as if the server had agreed.
    fn unexpected(&mut self, step: StepName, reply: Reply) -> ClientError {
        self.facts.last_reply = Some(reply.clone());
        ClientError::Rejected { step, reply }
    }

    /// Waits for the `220` greeting.
    pub async fn banner(&mut self) -> Result<Reply, ClientError> {
        let step = self.begin(StepName::Banner);
        let result = self.read_banner().await;
        self.end(step, &result);
        result
    }

    async fn read_banner(&mut self) -> Result<Reply, ClientError> {
        let reply = self.read_reply(StepName::Banner, self.timeout).await?;
        self.facts.banner = Some(reply.clone());
        if reply.code == 220 {
            Ok(reply)
        } else {
            self.facts.last_reply = Some(reply.clone());
            Err(ClientError::Rejected {
                step: StepName::Banner,
                reply,
            })
        }
    }

    /// Sends `EHLO`, falling back to `HELO` when the server does not know EHLO.
    pub async fn ehlo(&mut self) -> Result<EhloInfo, ClientError> {
        let name = if self.tls_active && self.facts.steps.iter().any(|s| s.step == StepName::Ehlo) {
            StepName::EhloAgain
        } else {
            StepName::Ehlo
        };
        let step = self.begin(name);
        let result = self.run_ehlo(name).await;
        self.end(step, &result);
        result
    }

    async fn run_ehlo(&mut self, step: StepName) -> Result<EhloInfo, ClientError> {
        let ehlo = Command::Ehlo(self.ehlo_name.clone());
        self.send(step, &ehlo).await?;
        let reply = self.read_reply(step, self.timeout).await?;
        let info = if reply.code == 250 {
            EhloInfo::parse(&reply)
        } else if matches!(reply.code, 500 | 502) {
            let reply = self
                .exchange(step, &Command::Helo(self.ehlo_name.clone()))
                .await?;
            EhloInfo::parse(&Reply::new(250, reply.lines[0].clone()))
        } else {
            self.check(step, reply)?;
            EhloInfo::default()
        };
        self.facts.ehlo = Some(info.clone());
        Ok(info)
    }

    /// `STARTTLS` and the handshake; the session continues over TLS (a new type).
    pub async fn starttls(
        mut self,
        tls: &ConnTls,
        server_name: &str,
    ) -> Result<Session<TlsStream<S>>, Box<Failure>> {
        let step = self.begin(StepName::Starttls);
        let offered = self.facts.ehlo.as_ref().is_some_and(EhloInfo::starttls);
        let result = if offered {
            match self.exchange(StepName::Starttls, &Command::StartTls).await {
                Ok(reply) if reply.code == 220 => Ok(()),
                Ok(reply) => Err(self.unexpected(StepName::Starttls, reply)),
                Err(e) => Err(e),
            }
        } else {
            Err(ClientError::StartTlsUnavailable)
        };
        if !self.rbuf.is_empty() {
            // Bytes after the 220 and before the handshake are an injection attempt.
            self.facts
                .note("discarded bytes the server sent after its 220 before TLS");
            self.rbuf.clear();
        }
        self.end(step, &result);
        if let Err(e) = result {
            return Err(Failure::new(e, self.facts));
        }
        let Session {
            stream,
            mut facts,
            timeout,
            ehlo_name,
            ..
        } = self;
        match handshake(stream, tls, server_name, timeout, &mut facts).await {
            Ok(stream) => Ok(Session::new(stream, facts, timeout, &ehlo_name, true)),
            // After a 220 to STARTTLS the mode was right; the server just did not do TLS.
            Err(ClientError::TlsModeMismatch { .. }) => {
                let e = ClientError::Tls {
                    kind: crate::error::TlsFailure::Handshake,
                    detail: "the server answered STARTTLS with 220 but then sent plain text instead of a TLS handshake".into(),
                };
                Err(Failure::new(e, facts))
            }
            Err(e) => Err(Failure::new(e, facts)),
        }
    }

    /// Authenticates with `mechanism`, or the best one the server offers.
    pub async fn auth(
        &mut self,
        credentials: &Credentials,
        mechanism: Option<Mechanism>,
        host_port: (&str, u16),
    ) -> Result<Mechanism, ClientError> {
        let step = self.begin(StepName::Auth);
        let result = self.run_auth(credentials, mechanism, host_port).await;
        self.end(step, &result);
        result
    }

    fn pick_mechanism(
        &self,
        credentials: &Credentials,
        wanted: Option<Mechanism>,
    ) -> Result<Mechanism, ClientError> {
        let info = self.facts.ehlo.clone().unwrap_or_default();
        let names = info.auth_mechanism_names();
        if names.is_empty() {
            return Err(ClientError::AuthNotOffered);
        }
        let offered = info.auth_mechanisms();
        let token = matches!(credentials, Credentials::Token { .. });
        let chosen = match wanted {
            Some(m) => offered.contains(&m).then_some(m),
            None => choose_mechanism(&offered, token),
        };
        chosen.ok_or_else(|| ClientError::MechanismUnsupported {
            wanted: wanted.map_or_else(
                || {
                    if token {
                        "XOAUTH2 or OAUTHBEARER"
                    } else {
                        "PLAIN, LOGIN or CRAM-MD5"
                    }
                    .to_string()
                },
                |m| m.to_string(),
            ),
            offered: names.join(" "),
        })
    }

    async fn run_auth(
        &mut self,
        credentials: &Credentials,
        wanted: Option<Mechanism>,
        (host, port): (&str, u16),
    ) -> Result<Mechanism, ClientError> {
        let mechanism = self.pick_mechanism(credentials, wanted)?;
        let sasl_err = |source| ClientError::Sasl { mechanism, source };
        let mut sasl = SaslClient::new(mechanism, credentials.clone())
            .map_err(sasl_err)?
            .with_host(host, port);
        let mut command = sasl.start();
        for _ in 0..8 {
            self.send(StepName::Auth, &command).await?;
            let reply = self.read_reply(StepName::Auth, self.timeout).await?;
            match reply.code {
                235 => return Ok(mechanism),
                334 => {
                    let challenge = reply.lines.first().cloned().unwrap_or_default();
                    command = sasl.respond(&challenge).map_err(sasl_err)?;
                    if let Some(err) = sasl.oauth_error() {
                        self.facts
                            .note(format!("server's OAuth2 error: {}", err.json.trim()));
                    }
                }
                _ => {
                    self.check(StepName::Auth, reply.clone())?;
                    return Err(ClientError::Rejected {
                        step: StepName::Auth,
                        reply,
                    });
                }
            }
        }
        Err(ClientError::Sasl {
            mechanism,
            source: scanrelay_proto::sasl::SaslError::UnexpectedChallenge(mechanism),
        })
    }

    /// `MAIL FROM`.
    pub async fn mail(&mut self, from: &str, params: &[String]) -> Result<Reply, ClientError> {
        let step = self.begin(StepName::Mail);
        let command = Command::Mail {
            from: from.to_string(),
            params: params.to_vec(),
        };
        let result = match check_address(from) {
            Ok(()) => self.exchange(StepName::Mail, &command).await,
            Err(e) => Err(e),
        };
        self.end(step, &result);
        result
    }

    /// `RCPT TO`.
    pub async fn rcpt(&mut self, to: &str) -> Result<Reply, ClientError> {
        let step = self.begin(StepName::Rcpt);
        let command = Command::Rcpt {
            to: to.to_string(),
            params: Vec::new(),
        };
        let result = match check_address(to) {
            Ok(()) => self.exchange(StepName::Rcpt, &command).await,
            Err(e) => Err(e),
        };
        self.end(step, &result);
        result
    }

    /// `DATA`, then the message streamed from `body` (dot-stuffed, CRLF-normalised).
    pub async fn data<R: AsyncRead + Unpin>(&mut self, body: R) -> Result<Reply, ClientError> {
        let step = self.begin(StepName::Data);
        let result = self.run_data(body).await;
        self.end(step, &result);
        result
    }

    async fn run_data<R: AsyncRead + Unpin>(&mut self, mut body: R) -> Result<Reply, ClientError> {
        let reply = self.exchange(StepName::Data, &Command::Data).await?;
        if reply.code != 354 {
            return Err(self.unexpected(StepName::Data, reply));
        }
        let mut stuffer = DotStuffer::new();
        let mut buf = vec![0u8; READ_CHUNK];
        let mut out = Vec::with_capacity(READ_CHUNK + READ_CHUNK / 16);
        let mut total: u64 = 0;
        loop {
            let n = body.read(&mut buf).await.map_err(ClientError::Body)?;
            if n == 0 {
                break;
            }
            total += n as u64;
            out.clear();
            stuffer.stuff(&buf[..n], &mut out);
            self.write(StepName::Data, &out).await?;
        }
        out.clear();
        stuffer.finish(&mut out);
        self.write(StepName::Data, &out).await?;
        self.facts.sent(format!("<message: {total} bytes>"));
        self.facts.sent(".".to_string());
        let limit = self.timeout.max(DATA_END_TIMEOUT);
        let reply = self.read_reply(StepName::Data, limit).await?;
        self.check(StepName::Data, reply)
    }

    /// `RSET`.
    pub async fn rset(&mut self) -> Result<Reply, ClientError> {
        let step = self.begin(StepName::Rset);
        let result = self.exchange(StepName::Rset, &Command::Rset).await;
        self.end(step, &result);
        result
    }

    /// `QUIT`; the session ends whatever the server answers.
    pub async fn quit(mut self) -> Facts {
        let step = self.begin(StepName::Quit);
        let result = self.exchange(StepName::Quit, &Command::Quit).await;
        self.end(step, &result);
        let _ = timeout(Duration::from_secs(1), self.stream.shutdown()).await;
        self.facts
    }

    /// Drops per-message transcript lines kept so far (a long-lived gateway connection would
    /// otherwise grow them without bound).
    pub fn clear_steps(&mut self) {
        self.facts.steps.clear();
    }
}

/// Refuses addresses that would inject a second command or break the brackets.
fn check_address(address: &str) -> Result<(), ClientError> {
    if address.contains(['\r', '\n', '<', '>']) {
        Err(ClientError::InvalidAddress(address.to_string()))
    } else {
        Ok(())
    }
}

fn timeout_error(step: StepName, limit: Duration) -> ClientError {
    ClientError::Timeout {
        step,
        secs: limit.as_secs(),
    }
}

impl<S: AsyncStream> Session<S> {
    /// Splits the session into its stream and facts (used to re-box after STARTTLS).
    pub fn into_parts(self) -> (S, Facts) {
        (self.stream, self.facts)
    }

    /// Marks the step in progress as failed with `note` (when another event ended it).
    pub(crate) fn abandon_step(&mut self, note: &str, started: Instant) {
        let index = self.facts.steps.len().saturating_sub(1);
        if let Some(step) = self.facts.steps.get_mut(index) {
            step.note = Some(note.to_string());
        }
        self.facts.finish(index, false, started);
    }
}
