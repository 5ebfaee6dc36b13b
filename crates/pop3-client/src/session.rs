//! [`Session`]: moves bytes between a stream and the sans-IO [`ClientSession`], with a timeout
//! on every read and write, and records each step in the [`Transcript`].

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::{Instant, timeout};

use scanrelay_pop3::client::{ClientSession, Event};
use scanrelay_pop3::{
    Capabilities, ClientConfig, Command, SaslClient, Stat, StatusLine, UidlEntry,
};

use crate::error::Pop3Error;
use crate::transcript::{Step, Transcript};

/// The size of one socket read.
const READ_CHUNK: usize = 64 * 1024;

/// One POP3 session over a stream (plain TCP or TLS). Generic over the stream, so `STLS` is a
/// type swap ([`Session::into_parts`]) and tests can drive it over in-memory pipes.
pub struct Session<S> {
    stream: S,
    proto: ClientSession,
    transcript: Transcript,
    limit: Duration,
    buf: Vec<u8>,
}

type Result<T> = std::result::Result<T, Pop3Error>;

impl<S: AsyncRead + AsyncWrite + Unpin> Session<S> {
    /// A session over `stream`; `tls_active` after an implicit-TLS handshake. `limit` bounds
    /// each read and write.
    pub fn new(stream: S, transcript: Transcript, limit: Duration, tls_active: bool) -> Self {
        Session::resume(
            stream,
            ClientSession::new(ClientConfig::default(), tls_active),
            transcript,
            limit,
        )
    }

    /// A session continuing `proto` over a new stream (after the `STLS` handshake).
    pub fn resume(
        stream: S,
        proto: ClientSession,
        transcript: Transcript,
        limit: Duration,
    ) -> Self {
        Session {
            stream,
            proto,
            transcript,
            limit,
            buf: vec![0; READ_CHUNK],
        }
    }

    /// What was observed so far.
    pub fn transcript(&self) -> &Transcript {
        &self.transcript
    }

    /// The stream, the protocol state and the transcript (for the `STLS` upgrade).
    pub fn into_parts(self) -> (S, ClientSession, Transcript) {
        (self.stream, self.proto, self.transcript)
    }

    /// Gives the transcript back, ending the session.
    pub fn into_transcript(self) -> Transcript {
        self.transcript
    }

    /// Reads the greeting; a `-ERR` greeting is an error.
    pub async fn greeting(&mut self) -> Result<StatusLine> {
        let index = self.transcript.begin(Step::Greeting);
        let started = Instant::now();
        let result = self.next_event(Step::Greeting, index).await;
        let result = match result {
            Ok(Event::Greeting(line)) if line.is_ok() => {
                self.transcript.greeting = Some(line.text().to_string());
                Ok(line)
            }
            Ok(Event::Greeting(line)) => Err(Pop3Error::Refused {
                step: Step::Greeting,
                line,
            }),
            Ok(_) => Err(Pop3Error::Closed {
                step: Step::Greeting,
            }),
            Err(e) => Err(e),
        };
        self.end(index, &result, started);
        result
    }

    /// `CAPA`; a server without it (`-ERR`) gets empty capabilities.
    pub async fn capa(&mut self) -> Result<Capabilities> {
        let caps = match self.simple(Step::Capa, &Command::Capa).await? {
            Event::Capabilities(caps) => caps,
            _ => Capabilities::default(),
        };
        self.transcript.capabilities = Some(caps.clone());
        Ok(caps)
    }

    /// `STLS`; on `+OK` the caller runs the handshake on [`Session::into_parts`]'s stream.
    pub async fn stls(&mut self) -> Result<()> {
        match self.simple(Step::Stls, &Command::Stls).await? {
            Event::StartTls => Ok(()),
            _ => Err(Pop3Error::StlsUnavailable),
        }
    }

    /// `USER` and `PASS`.
    pub async fn user_pass(&mut self, user: &str, password: &str) -> Result<()> {
        let index = self.transcript.begin(Step::Auth);
        let started = Instant::now();
        let mut result = self
            .expect_done(Step::Auth, index, &Command::User(user.into()))
            .await;
        if result.is_ok() {
            let pass = Command::Pass(password.into());
            result = self.expect_done(Step::Auth, index, &pass).await;
        }
        self.end(index, &result, started);
        result
    }

    /// `AUTH` with a SASL client (XOAUTH2 for `--oauth`).
    pub async fn auth(&mut self, mut sasl: SaslClient) -> Result<()> {
        let index = self.transcript.begin(Step::Auth);
        let started = Instant::now();
        let result = self.auth_exchange(&mut sasl, index).await;
        let result = match (result, sasl.oauth_error()) {
            (Err(Pop3Error::Refused { step, line }), Some(json)) => {
                self.transcript
                    .note(index, format!("server's OAuth2 error: {json}"));
                Err(Pop3Error::Refused { step, line })
            }
            (other, _) => other,
        };
        self.end(index, &result, started);
        result
    }

    async fn auth_exchange(&mut self, sasl: &mut SaslClient, index: Option<usize>) -> Result<()> {
        let mut event = self.exchange(Step::Auth, index, &sasl.start()).await?;
        loop {
            match event {
                Event::Challenge(text) => {
                    let answer = sasl.respond(&text)?;
                    self.write(Step::Auth, index, &answer).await?;
                    event = self.next_event(Step::Auth, index).await?;
                }
                other => return refused_or_ok(Step::Auth, other),
            }
        }
    }

    /// `STAT`.
    pub async fn stat(&mut self) -> Result<Stat> {
        match self.simple(Step::Stat, &Command::Stat).await? {
            Event::Stat(stat) => Ok(stat),
            _ => Err(Pop3Error::Closed { step: Step::Stat }),
        }
    }

    /// `UIDL`: every message's number and unique id.
    pub async fn uidl(&mut self) -> Result<Vec<UidlEntry>> {
        match self.simple(Step::Uidl, &Command::Uidl(None)).await {
            Ok(Event::Uidl(list)) => Ok(list),
            Err(Pop3Error::Refused { .. }) => Err(Pop3Error::UidlUnsupported),
            Ok(_) => Err(Pop3Error::Closed { step: Step::Uidl }),
            Err(e) => Err(e),
        }
    }

    /// `RETR n`, the body streamed into `sink` (unstuffed); returns its size in bytes.
    pub async fn retr_to<W: AsyncWrite + Unpin>(&mut self, n: u32, sink: &mut W) -> Result<u64> {
        let index = self.transcript.begin(Step::Retr);
        let started = Instant::now();
        let result = self.retr_inner(n, sink, index).await;
        self.end(index, &result, started);
        result
    }

    async fn retr_inner<W: AsyncWrite + Unpin>(
        &mut self,
        n: u32,
        sink: &mut W,
        index: Option<usize>,
    ) -> Result<u64> {
        let step = Step::Retr;
        match self.exchange(step, index, &Command::Retr(n)).await? {
            Event::BodyStart { .. } => {}
            other => return refused_or_ok(step, other).map(|()| 0),
        }
        loop {
            match self.next_event(step, index).await? {
                Event::BodyChunk(bytes) => sink
                    .write_all(&bytes)
                    .await
                    .map_err(|source| Pop3Error::Io { step, source })?,
                Event::BodyEnd { size } => return Ok(size),
                _ => return Err(Pop3Error::Closed { step }),
            }
        }
    }

    /// `DELE n` (the server removes the message at `QUIT`).
    pub async fn dele(&mut self, n: u32) -> Result<()> {
        let event = self.simple(Step::Dele, &Command::Dele(n)).await?;
        refused_or_ok(Step::Dele, event)
    }

    /// `QUIT`: the server applies the `DELE`s now.
    pub async fn quit(&mut self) -> Result<()> {
        match self.simple(Step::Quit, &Command::Quit).await? {
            Event::Closed(_) => Ok(()),
            _ => Err(Pop3Error::Closed { step: Step::Quit }),
        }
    }

    /// One command as its own step; `-ERR` is an error.
    async fn simple(&mut self, step: Step, command: &Command) -> Result<Event> {
        let index = self.transcript.begin(step);
        let started = Instant::now();
        let result = match self.exchange(step, index, command).await {
            Ok(Event::Refused { line, .. }) => Err(Pop3Error::Refused { step, line }),
            other => other,
        };
        self.end(index, &result, started);
        result
    }

    async fn expect_done(&mut self, step: Step, index: Option<usize>, cmd: &Command) -> Result<()> {
        let event = self.exchange(step, index, cmd).await?;
        refused_or_ok(step, event)
    }

    async fn exchange(&mut self, step: Step, index: Option<usize>, cmd: &Command) -> Result<Event> {
        self.write(step, index, cmd).await?;
        self.next_event(step, index).await
    }

    async fn write(&mut self, step: Step, index: Option<usize>, cmd: &Command) -> Result<()> {
        let bytes = self.proto.send(cmd)?;
        self.transcript
            .line(index, format!("C: {}", cmd.redacted()));
        let secs = self.limit.as_secs();
        let write = async {
            self.stream.write_all(&bytes).await?;
            self.stream.flush().await
        };
        match timeout(self.limit, write).await {
            Err(_) => Err(Pop3Error::Timeout { step, secs }),
            Ok(Err(source)) => Err(Pop3Error::Io { step, source }),
            Ok(Ok(())) => Ok(()),
        }
    }

    /// The next event, reading as needed.
    async fn next_event(&mut self, step: Step, index: Option<usize>) -> Result<Event> {
        loop {
            match self.proto.next_event() {
                Ok(Some(event)) => {
                    self.record(index, &event);
                    return Ok(event);
                }
                Ok(None) => {}
                Err(source) => return Err(Pop3Error::Protocol { step, source }),
            }
            let secs = self.limit.as_secs();
            let n = match timeout(self.limit, self.stream.read(&mut self.buf)).await {
                Err(_) => return Err(Pop3Error::Timeout { step, secs }),
                Ok(Err(source)) => return Err(Pop3Error::Io { step, source }),
                Ok(Ok(0)) => return Err(Pop3Error::Closed { step }),
                Ok(Ok(n)) => n,
            };
            self.proto.receive(&self.buf[..n]);
        }
    }

    fn record(&mut self, index: Option<usize>, event: &Event) {
        let line = match event {
            Event::Greeting(line)
            | Event::Done { line, .. }
            | Event::Refused { line, .. }
            | Event::BodyStart { line, .. }
            | Event::Closed(line) => line.to_string().trim_end().to_string(),
            Event::Stat(stat) => format!("+OK {stat}"),
            Event::Uidl(list) => format!("+OK ({} unique ids)", list.len()),
            Event::List(list) => format!("+OK ({} messages)", list.len()),
            Event::Capabilities(caps) => format!("+OK {}", caps.lines().join(" / ")),
            Event::Challenge(_) => "+ <challenge>".to_string(),
            Event::StartTls => "+OK (begin TLS)".to_string(),
            _ => return,
        };
        self.transcript.line(index, format!("S: {line}"));
    }

    fn end<T>(&mut self, index: Option<usize>, result: &Result<T>, started: Instant) {
        if let Err(e) = result {
            self.transcript.note(index, e.to_string());
        }
        self.transcript
            .finish(index, result.is_ok(), started.elapsed());
    }
}

/// `Ok` for a `+OK` event, the `-ERR` line as an error.
fn refused_or_ok(step: Step, event: Event) -> Result<()> {
    match event {
        Event::Refused { line, .. } => Err(Pop3Error::Refused { step, line }),
        _ => Ok(()),
    }
}
