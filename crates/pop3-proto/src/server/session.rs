//! [`ServerSession`]: the state machine, its public API and the input loop. The command
//! handlers are in `dispatch.rs`.

use std::collections::VecDeque;
use std::fmt;

use crate::command::Command;
use crate::listing::{Stat, UidlEntry};
use crate::response::Response;
use crate::sasl::{self, PlainError};

use super::input::{Input, Line};
use super::{AuthVerdict, Event, Maildrop, ServerConfig, replies};

/// A verdict or `tls_established` call that the session was not waiting for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{call} called while the session is in state `{state}`")]
pub struct UnexpectedCall {
    /// The method called.
    pub call: &'static str,
    /// [`ServerSession::state_name`] at the time.
    pub state: &'static str,
}

/// TRANSACTION: the maildrop and this session's deleted marks.
#[derive(Debug)]
pub(super) struct Transaction {
    pub(super) user: String,
    pub(super) maildrop: Maildrop,
    pub(super) deleted: Vec<bool>,
}

impl Transaction {
    /// Messages not marked deleted, and their total size.
    pub(super) fn stat(&self) -> Stat {
        let (count, size) = self
            .maildrop
            .messages()
            .iter()
            .zip(&self.deleted)
            .filter(|(_, deleted)| !**deleted)
            .fold((0u32, 0u64), |(c, s), (m, _)| {
                (c + 1, s.saturating_add(m.size))
            });
        Stat { count, size }
    }
}

/// What the session is doing.
#[derive(Debug)]
pub(super) enum Phase {
    /// Reading command lines.
    Command,
    /// Reading the AUTH PLAIN response after `+ `.
    AuthPlain,
    /// Waiting for [`ServerSession::auth_verdict`].
    AwaitAuth { user: String },
    /// Waiting for [`ServerSession::retrieve_verdict`].
    AwaitRetrieve { n: u32, size: u64, top: Option<u32> },
    /// Waiting for [`ServerSession::update_verdict`].
    AwaitUpdate { count: usize },
    /// Waiting for [`ServerSession::tls_established`].
    AwaitTls,
    /// `Quit` or `Close` is queued; no more input is read.
    Closing,
}

/// One POP3 server session, sans-IO. See the driver contract in the [module doc](super).
pub struct ServerSession {
    pub(super) config: ServerConfig,
    pub(super) tls: bool,
    /// The name from an accepted `USER`, waiting for `PASS`.
    pub(super) user: Option<String>,
    pub(super) transaction: Option<Transaction>,
    pub(super) phase: Phase,
    input: Input,
    pub(super) queue: VecDeque<Event>,
    errors: usize,
    commands: usize,
    closed: bool,
}

/// Shows the state, never buffered input (it may hold pipelined passwords).
impl fmt::Debug for ServerSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerSession")
            .field("state", &self.state_name())
            .field("tls", &self.tls)
            .field("user", &self.authenticated_user())
            .field("errors", &self.errors)
            .field("commands", &self.commands)
            .finish_non_exhaustive()
    }
}

impl ServerSession {
    /// A session for a new connection; `tls_active` on an implicit-TLS listener.
    pub fn new(config: ServerConfig, tls_active: bool) -> ServerSession {
        ServerSession {
            config,
            tls: tls_active,
            user: None,
            transaction: None,
            phase: Phase::Command,
            input: Input::default(),
            queue: VecDeque::new(),
            errors: 0,
            commands: 0,
            closed: false,
        }
    }

    /// The greeting to write when the connection opens.
    pub fn greeting(&self) -> Response {
        replies::greeting(&self.config.hostname)
    }

    /// The configuration.
    pub fn config(&self) -> &ServerConfig {
        &self.config
    }

    /// Whether the connection is encrypted (implicit TLS or after STLS).
    pub fn is_tls(&self) -> bool {
        self.tls
    }

    /// The user whose login the driver accepted.
    pub fn authenticated_user(&self) -> Option<&str> {
        self.transaction.as_ref().map(|t| t.user.as_str())
    }

    /// The maildrop, once logged in.
    pub fn maildrop(&self) -> Option<&Maildrop> {
        self.transaction.as_ref().map(|t| &t.maildrop)
    }

    /// Whether message `n` is marked deleted in this session.
    pub fn is_deleted(&self, n: u32) -> bool {
        let Some(t) = &self.transaction else {
            return false;
        };
        let index = usize::try_from(n).ok().and_then(|n| n.checked_sub(1));
        index
            .and_then(|i| t.deleted.get(i))
            .copied()
            .unwrap_or(false)
    }

    /// Errors counted so far (see [`ServerConfig::max_errors`]).
    pub fn error_count(&self) -> usize {
        self.errors
    }

    /// Command lines received so far (see [`ServerConfig::max_commands`]).
    pub fn command_count(&self) -> usize {
        self.commands
    }

    /// Bytes received and not yet processed.
    pub fn buffered(&self) -> usize {
        self.input.len()
    }

    /// Whether `next_event` has returned [`Event::Quit`] or [`Event::Close`].
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// A short name of the state, for logs: `authorization`, `transaction`, `auth`,
    /// `await-auth`, `await-retrieve`, `update`, `stls`, `closing`, `closed`.
    pub fn state_name(&self) -> &'static str {
        match &self.phase {
            _ if self.closed => "closed",
            Phase::Command if self.transaction.is_some() => "transaction",
            Phase::Command => "authorization",
            Phase::AuthPlain => "auth",
            Phase::AwaitAuth { .. } => "await-auth",
            Phase::AwaitRetrieve { .. } => "await-retrieve",
            Phase::AwaitUpdate { .. } => "update",
            Phase::AwaitTls => "stls",
            Phase::Closing => "closing",
        }
    }

    /// Buffers bytes read from the client. Ignored while an STLS handshake is due (injected
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

    /// The driver's answer to [`Event::Auth`].
    pub fn auth_verdict(&mut self, verdict: AuthVerdict) -> Result<(), UnexpectedCall> {
        let user = match std::mem::replace(&mut self.phase, Phase::Command) {
            Phase::AwaitAuth { user } => user,
            other => return Err(self.unexpected(other, "auth_verdict")),
        };
        match verdict {
            AuthVerdict::Accept(maildrop) => {
                let deleted = vec![false; maildrop.messages().len()];
                let transaction = Transaction {
                    user,
                    maildrop,
                    deleted,
                };
                self.reply(replies::logged_in(transaction.stat()));
                self.transaction = Some(transaction);
            }
            AuthVerdict::Reject => self.fail(replies::auth_failed()),
            AuthVerdict::InUse => self.reply(replies::in_use()),
            AuthVerdict::TempFail => self.reply(replies::temporary_failure()),
        }
        Ok(())
    }

    /// The driver's answer to [`Event::Retrieve`]: `true` when the message is open (the
    /// `+OK` and [`Event::SendBody`] follow), `false` for `-ERR [SYS/TEMP]`.
    pub fn retrieve_verdict(&mut self, ok: bool) -> Result<(), UnexpectedCall> {
        let (n, size, top) = match std::mem::replace(&mut self.phase, Phase::Command) {
            Phase::AwaitRetrieve { n, size, top } => (n, size, top),
            other => return Err(self.unexpected(other, "retrieve_verdict")),
        };
        if !ok {
            self.reply(replies::message_unavailable(n));
            return Ok(());
        }
        self.reply(match top {
            None => replies::retr(size),
            Some(_) => replies::top(),
        });
        self.queue.push_back(Event::SendBody { n, top });
        Ok(())
    }

    /// The driver's answer to [`Event::Update`]: `true` when every marked message was
    /// deleted. Either way the session ends.
    pub fn update_verdict(&mut self, ok: bool) -> Result<(), UnexpectedCall> {
        let count = match std::mem::replace(&mut self.phase, Phase::Command) {
            Phase::AwaitUpdate { count } => count,
            other => return Err(self.unexpected(other, "update_verdict")),
        };
        self.reply(if ok {
            replies::bye_deleted(&self.config.hostname, count)
        } else {
            replies::update_failed()
        });
        self.queue.push_back(Event::Quit);
        self.close_input();
        Ok(())
    }

    /// The STLS handshake succeeded: AUTHORIZATION starts over (a `USER` given before is
    /// forgotten, RFC 2595 §4), and nothing received before is used.
    pub fn tls_established(&mut self) -> Result<(), UnexpectedCall> {
        match std::mem::replace(&mut self.phase, Phase::Command) {
            Phase::AwaitTls => {
                self.tls = true;
                self.user = None;
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

    /// Queues a response.
    pub(super) fn reply(&mut self, response: Response) {
        self.queue.push_back(Event::Reply(response));
    }

    /// Queues an error response and counts it; at the limit, also the closing `-ERR` and
    /// `Close`. Call it last in a handler: it may switch the phase to `Closing`.
    pub(super) fn fail(&mut self, response: Response) {
        self.reply(response);
        self.errors += 1;
        if self.config.max_errors > 0 && self.errors >= self.config.max_errors {
            self.close_with(replies::too_many_errors());
        }
    }

    /// Queues a closing `-ERR` and `Close`, and stops reading.
    fn close_with(&mut self, response: Response) {
        self.reply(response);
        self.queue.push_back(Event::Close);
        self.close_input();
    }

    /// Stops reading: `Quit` or `Close` is queued.
    pub(super) fn close_input(&mut self) {
        self.phase = Phase::Closing;
        self.input.clear();
    }

    /// Makes progress on buffered input; `false` when nothing can be done.
    fn step(&mut self) -> bool {
        match self.phase {
            Phase::Command => self.step_command(),
            Phase::AuthPlain => self.step_auth(),
            _ => false,
        }
    }

    fn step_command(&mut self) -> bool {
        let Some(line) = self.input.next_line(self.config.max_line_length) else {
            return false;
        };
        self.commands += 1;
        if self.config.max_commands > 0 && self.commands > self.config.max_commands {
            self.close_with(replies::too_many_commands());
            return true;
        }
        match line {
            Line::TooLong => self.fail(replies::line_too_long()),
            Line::Complete(text) => match Command::parse(&text) {
                Ok(command) => self.dispatch(command),
                Err(error) => self.fail(super::dispatch::command_error_reply(&error)),
            },
        }
        true
    }

    fn step_auth(&mut self) -> bool {
        let Some(line) = self.input.next_line(self.config.max_auth_line) else {
            return false;
        };
        self.phase = Phase::Command;
        let text = match line {
            Line::TooLong => {
                self.fail(replies::line_too_long());
                return true;
            }
            Line::Complete(text) => text,
        };
        let text = String::from_utf8_lossy(&text);
        self.on_plain_response(&text);
        true
    }

    /// The base64 PLAIN response (with AUTH or after `+ `).
    pub(super) fn on_plain_response(&mut self, text: &str) {
        match sasl::decode_plain(text) {
            Ok(credentials) => {
                self.phase = Phase::AwaitAuth {
                    user: credentials.user().to_string(),
                };
                self.queue.push_back(Event::Auth(credentials));
            }
            Err(PlainError::Cancelled) => self.fail(replies::auth_cancelled()),
            Err(PlainError::Malformed) => self.fail(replies::auth_malformed()),
        }
    }

    /// The messages marked deleted, for UPDATE.
    pub(super) fn marked(&self) -> Vec<UidlEntry> {
        let Some(t) = &self.transaction else {
            return Vec::new();
        };
        (1u32..)
            .zip(t.maildrop.messages().iter().zip(&t.deleted))
            .filter(|(_, (_, deleted))| **deleted)
            .map(|(n, (m, _))| UidlEntry {
                n,
                uid: m.uid.clone(),
            })
            .collect()
    }
}
