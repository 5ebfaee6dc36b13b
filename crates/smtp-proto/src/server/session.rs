//! [`ServerSession`]: the state machine, its public API and the input loop. The command
//! handlers are in `session/dispatch.rs`.

use std::collections::VecDeque;
use std::fmt;

use crate::reply::Reply;
use crate::sasl::Mechanism;

use super::auth::{self, AuthOutcome, AuthStep};
use super::command::ServerCommand;
use super::data::DataReceiver;
use super::input::{Input, Line};
use super::{Event, ServerConfig, replies};

mod dispatch;

/// The most input bytes one DATA step takes, so one [`Event::DataChunk`] stays bounded.
const DATA_STEP: usize = 64 * 1024;

/// A verdict or `tls_established` call that the session was not waiting for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{call} called while the session is in state `{state}`")]
pub struct UnexpectedCall {
    /// The method called.
    pub call: &'static str,
    /// [`ServerSession::state_name`] at the time.
    pub state: &'static str,
}

/// The open mail transaction (after an accepted MAIL).
#[derive(Debug, Clone)]
struct Envelope {
    /// Recipients accepted.
    recipients: usize,
    /// RCPT commands passed to the driver (accepted or not).
    rcpt_attempts: usize,
}

/// The DATA receiver plus what the session counts about the message.
#[derive(Debug)]
struct DataState {
    rx: DataReceiver,
    size: u64,
    too_large: bool,
}

/// What the session is doing.
#[derive(Debug)]
enum Phase {
    /// Reading command lines.
    Command,
    /// Reading AUTH response lines.
    Auth(AuthStep),
    /// Waiting for [`ServerSession::auth_verdict`].
    AwaitAuth { user: String },
    /// Waiting for [`ServerSession::mail_verdict`].
    AwaitMail,
    /// Waiting for [`ServerSession::rcpt_verdict`].
    AwaitRcpt,
    /// Receiving message content.
    Data(DataState),
    /// Waiting for [`ServerSession::data_verdict`].
    AwaitData,
    /// Waiting for [`ServerSession::tls_established`].
    AwaitTls,
    /// `Quit` or `Close` is queued; no more input is read.
    Closing,
}

/// One SMTP server session, sans-IO. See the driver contract in the [module doc](super).
pub struct ServerSession {
    config: ServerConfig,
    tls: bool,
    /// The domain from HELO/EHLO, once greeted.
    helo: Option<String>,
    authenticated: Option<String>,
    envelope: Option<Envelope>,
    phase: Phase,
    input: Input,
    queue: VecDeque<Event>,
    errors: usize,
    cram_seed: Option<String>,
    cram_count: u64,
    /// Whether the last command line ended in CRLF (decides bare-LF DATA).
    last_line_crlf: bool,
    /// `Quit` or `Close` has been returned by `next_event`.
    closed: bool,
}

/// Shows the state, never buffered input (it may hold pipelined credentials).
impl fmt::Debug for ServerSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerSession")
            .field("state", &self.state_name())
            .field("tls", &self.tls)
            .field("helo", &self.helo)
            .field("authenticated", &self.authenticated)
            .field("errors", &self.errors)
            .finish_non_exhaustive()
    }
}

impl ServerSession {
    /// A session for a new connection; `tls_active` for an implicit-TLS listener.
    pub fn new(config: ServerConfig, tls_active: bool) -> ServerSession {
        ServerSession {
            config,
            tls: tls_active,
            helo: None,
            authenticated: None,
            envelope: None,
            phase: Phase::Command,
            input: Input::default(),
            queue: VecDeque::new(),
            errors: 0,
            cram_seed: None,
            cram_count: 0,
            last_line_crlf: true,
            closed: false,
        }
    }

    /// Enables CRAM-MD5 (if configured) with a per-connection unpredictable seed, e.g.
    /// `"<random>.<unix time>"`; challenges are `<seed.n@hostname>`.
    pub fn set_cram_seed(&mut self, seed: impl Into<String>) {
        let seed: String = seed.into();
        self.cram_seed = (!seed.is_empty()).then_some(seed);
    }

    /// `220 <hostname> ESMTP scanrelay`, to write when the connection opens.
    pub fn greeting(&self) -> Reply {
        replies::greeting(&self.config.hostname)
    }

    /// The configuration.
    pub fn config(&self) -> &ServerConfig {
        &self.config
    }

    /// Whether the connection is encrypted (implicit TLS or after STARTTLS).
    pub fn is_tls(&self) -> bool {
        self.tls
    }

    /// The domain the client gave in HELO/EHLO (`"unknown"` if none), once greeted.
    pub fn client_domain(&self) -> Option<&str> {
        self.helo.as_deref()
    }

    /// The user whose credentials the driver accepted.
    pub fn authenticated_user(&self) -> Option<&str> {
        self.authenticated.as_deref()
    }

    /// Errors counted so far (see [`ServerConfig::max_errors`]).
    pub fn error_count(&self) -> usize {
        self.errors
    }

    /// Bytes received and not yet processed (at most one read plus
    /// [`ServerConfig::max_line_length`] when the driver drains after every read).
    pub fn buffered(&self) -> usize {
        self.input.remaining().len()
    }

    /// Whether `next_event` has returned [`Event::Quit`] or [`Event::Close`].
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// A short name of the state, for logs: `connected`, `ready`, `mail`, `rcpt`, `auth`,
    /// `data`, `starttls`, `closing`, `closed`, or `await-auth` / `await-mail` / `await-rcpt` /
    /// `await-data` while a verdict is due.
    pub fn state_name(&self) -> &'static str {
        match &self.phase {
            _ if self.closed => "closed",
            Phase::Command => match (&self.helo, &self.envelope) {
                (None, _) => "connected",
                (Some(_), None) => "ready",
                (Some(_), Some(env)) if env.recipients == 0 => "mail",
                (Some(_), Some(_)) => "rcpt",
            },
            Phase::Auth(_) => "auth",
            Phase::AwaitAuth { .. } => "await-auth",
            Phase::AwaitMail => "await-mail",
            Phase::AwaitRcpt => "await-rcpt",
            Phase::Data(_) => "data",
            Phase::AwaitData => "await-data",
            Phase::AwaitTls => "starttls",
            Phase::Closing => "closing",
        }
    }

    /// Buffers bytes read from the client. Ignored while a STARTTLS handshake is due (injected
    /// plaintext) and once the session is closing.
    pub fn receive(&mut self, bytes: &[u8]) {
        if matches!(self.phase, Phase::AwaitTls | Phase::Closing) || self.closed {
            return;
        }
        self.input.push(bytes);
    }

    /// The next thing for the driver to do; `None` when more input is needed (or a verdict is
    /// due, or the session is closed).
    pub fn next_event(&mut self) -> Option<Event> {
        loop {
            if let Some(event) = self.queue.pop_front() {
                if matches!(event, Event::Quit | Event::Close) {
                    self.closed = true;
                }
                return Some(event);
            }
            if self.closed || !self.step() {
                return None;
            }
        }
    }

    /// The driver's answer to [`Event::Auth`]: `235 2.7.0`, or `535 5.7.8` (counted as an
    /// error).
    pub fn auth_verdict(&mut self, ok: bool) -> Result<(), UnexpectedCall> {
        match std::mem::replace(&mut self.phase, Phase::Command) {
            Phase::AwaitAuth { user } => {
                if ok {
                    self.authenticated = Some(user);
                    self.reply(replies::auth_succeeded());
                } else {
                    self.fail(replies::auth_failed());
                }
                Ok(())
            }
            other => Err(self.unexpected(other, "auth_verdict")),
        }
    }

    /// The driver's answer to [`Event::Auth`] when it will not check the credentials at all
    /// (e.g. the client address is locked out of AUTH for a while): `reply` (a 4xx or 5xx)
    /// instead of `535`, so a device with the right password is not told it is wrong.
    pub fn auth_refused(&mut self, reply: Reply) -> Result<(), UnexpectedCall> {
        match std::mem::replace(&mut self.phase, Phase::Command) {
            Phase::AwaitAuth { .. } => {
                self.fail(reply);
                Ok(())
            }
            other => Err(self.unexpected(other, "auth_refused")),
        }
    }

    /// The driver's answer to [`Event::MailFrom`]: `Ok` opens the transaction (`250 2.1.0`),
    /// `Err(reply)` sends that reply instead.
    pub fn mail_verdict(&mut self, verdict: Result<(), Reply>) -> Result<(), UnexpectedCall> {
        match std::mem::replace(&mut self.phase, Phase::Command) {
            Phase::AwaitMail => {
                match verdict {
                    Ok(()) => {
                        self.envelope = Some(Envelope {
                            recipients: 0,
                            rcpt_attempts: 0,
                        });
                        self.reply(replies::sender_ok());
                    }
                    Err(reply) => self.reply(reply),
                }
                Ok(())
            }
            other => Err(self.unexpected(other, "mail_verdict")),
        }
    }

    /// The driver's answer to [`Event::Rcpt`]: `Ok` adds the recipient (`250 2.1.5`),
    /// `Err(reply)` sends that reply instead.
    pub fn rcpt_verdict(&mut self, verdict: Result<(), Reply>) -> Result<(), UnexpectedCall> {
        match std::mem::replace(&mut self.phase, Phase::Command) {
            Phase::AwaitRcpt => {
                match verdict {
                    Ok(()) => {
                        if let Some(env) = &mut self.envelope {
                            env.recipients += 1;
                        }
                        self.reply(replies::recipient_ok());
                    }
                    Err(reply) => self.reply(reply),
                }
                Ok(())
            }
            other => Err(self.unexpected(other, "rcpt_verdict")),
        }
    }

    /// The driver's answer to [`Event::DataEnd`]: the reply to send (`replies::queued`, or a
    /// failure). Either way the transaction is over and the client may send MAIL again.
    pub fn data_verdict(&mut self, reply: Reply) -> Result<(), UnexpectedCall> {
        match std::mem::replace(&mut self.phase, Phase::Command) {
            Phase::AwaitData => {
                self.envelope = None;
                self.reply(reply);
                Ok(())
            }
            other => Err(self.unexpected(other, "data_verdict")),
        }
    }

    /// The STARTTLS handshake succeeded: the session starts over as RFC 3207 §4.2 requires
    /// (the client must EHLO again; AUTH and any transaction are forgotten).
    pub fn tls_established(&mut self) -> Result<(), UnexpectedCall> {
        match std::mem::replace(&mut self.phase, Phase::Command) {
            Phase::AwaitTls => {
                self.tls = true;
                self.helo = None;
                self.authenticated = None;
                self.envelope = None;
                self.input.clear();
                Ok(())
            }
            other => Err(self.unexpected(other, "tls_established")),
        }
    }

    fn unexpected(&mut self, phase: Phase, call: &'static str) -> UnexpectedCall {
        self.phase = phase;
        UnexpectedCall {
            call,
            state: self.state_name(),
        }
    }

    /// Queues a reply.
    fn reply(&mut self, reply: Reply) {
        self.queue.push_back(Event::Reply(reply));
    }

    /// Queues an error reply and counts it; at the limit, also `421` and `Close`. Call it last
    /// in a handler: it may switch the phase to `Closing`.
    fn fail(&mut self, reply: Reply) {
        self.reply(reply);
        self.errors += 1;
        if self.config.max_errors > 0 && self.errors >= self.config.max_errors {
            self.reply(replies::too_many_errors(&self.config.hostname));
            self.queue.push_back(Event::Close);
            self.close_input();
        }
    }

    /// Stops reading: `Quit` or `Close` is queued.
    fn close_input(&mut self) {
        self.phase = Phase::Closing;
        self.input.clear();
    }

    /// Makes progress on buffered input; `false` when nothing can be done.
    fn step(&mut self) -> bool {
        match self.phase {
            Phase::Command => self.step_command(),
            Phase::Auth(_) => self.step_auth(),
            Phase::Data(_) => self.step_data(),
            _ => false,
        }
    }

    fn step_command(&mut self) -> bool {
        let Some(line) = self.input.next_line(self.config.max_line_length) else {
            return false;
        };
        match line {
            Line::TooLong => self.fail(replies::line_too_long()),
            Line::Complete { text, crlf } => {
                self.last_line_crlf = crlf;
                match ServerCommand::parse(&text) {
                    Ok(command) => self.dispatch(command),
                    Err(error) => self.fail(error.reply()),
                }
            }
        }
        true
    }

    fn step_auth(&mut self) -> bool {
        let Some(line) = self.input.next_line(self.config.max_line_length) else {
            return false;
        };
        let Phase::Auth(step) = std::mem::replace(&mut self.phase, Phase::Command) else {
            return false;
        };
        match line {
            Line::TooLong => self.fail(replies::line_too_long()),
            Line::Complete { text, .. } => self.apply_auth(auth::respond(step, &text)),
        }
        true
    }

    fn apply_auth(&mut self, outcome: AuthOutcome) {
        match outcome {
            AuthOutcome::Challenge(reply, step) => {
                self.phase = Phase::Auth(step);
                self.reply(reply);
            }
            AuthOutcome::Done(credentials) => {
                self.phase = Phase::AwaitAuth {
                    user: credentials.user().to_string(),
                };
                self.queue.push_back(Event::Auth(credentials));
            }
            AuthOutcome::Failed(reply) => {
                self.phase = Phase::Command;
                self.fail(reply);
            }
        }
    }

    fn step_data(&mut self) -> bool {
        let max = self.config.max_message_size;
        let Phase::Data(state) = &mut self.phase else {
            return false;
        };
        let input = self.input.remaining();
        if input.is_empty() {
            return false;
        }
        let input = &input[..input.len().min(DATA_STEP)];
        let mut out = Vec::new();
        let progress = state.rx.feed(input, &mut out);
        self.input.consume(progress.consumed);
        if !state.too_large {
            state.size = state.size.saturating_add(out.len() as u64);
            if max > 0 && state.size > max {
                state.too_large = true;
                self.queue.push_back(Event::DataTooLarge);
            } else if !out.is_empty() {
                self.queue.push_back(Event::DataChunk(out));
            }
        }
        if progress.ended {
            let too_large = state.too_large;
            self.finish_data(too_large);
        }
        true
    }

    fn finish_data(&mut self, too_large: bool) {
        if too_large {
            self.phase = Phase::Command;
            self.envelope = None;
            self.reply(replies::message_too_large());
        } else {
            self.phase = Phase::AwaitData;
            self.queue.push_back(Event::DataEnd);
        }
    }

    /// The mechanisms that can be used at all: configured, implemented, CRAM-MD5 with a seed.
    fn enabled_mechanisms(&self) -> Vec<Mechanism> {
        let mut enabled: Vec<Mechanism> = Vec::new();
        for &m in &self.config.auth_mechanisms {
            let usable = match m {
                Mechanism::Plain | Mechanism::Login => true,
                Mechanism::CramMd5 => self.cram_seed.is_some(),
                Mechanism::XOAuth2 | Mechanism::OAuthBearer => false,
            };
            if usable && !enabled.contains(&m) {
                enabled.push(m);
            }
        }
        enabled
    }

    /// The mechanisms to advertise now (none before TLS unless plaintext AUTH is allowed).
    fn offered_mechanisms(&self) -> Vec<Mechanism> {
        if self.tls || self.config.allow_plaintext_auth {
            self.enabled_mechanisms()
        } else {
            Vec::new()
        }
    }

    fn next_cram_challenge(&mut self) -> Option<String> {
        let seed = self.cram_seed.as_deref()?;
        self.cram_count += 1;
        Some(auth::cram_challenge(
            seed,
            self.cram_count,
            &self.config.hostname,
        ))
    }
}
