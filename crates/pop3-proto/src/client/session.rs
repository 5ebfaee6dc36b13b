//! [`ClientSession`]: sending rules, the input buffer and the response readers.

use std::collections::VecDeque;

use crate::body::BodyDecoder;
use crate::capa::Capabilities;
use crate::command::{Command, Verb};
use crate::listing::{ListEntry, Stat, UidlEntry};
use crate::response::{ResponseError, ResponseLine, StatusLine};

use super::{ClientConfig, ClientError, ClientState, Event, NotAwaitingTls, SendError};

/// The most input bytes one body step takes, so one [`Event::BodyChunk`] stays bounded.
const BODY_STEP: usize = 64 * 1024;

/// What a command's `+OK` carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// Nothing more.
    Simple,
    /// `count size` in the status text.
    Stat,
    /// `n size` in the status text.
    ListOne,
    /// `n uid` in the status text.
    UidlOne,
    /// A multi-line listing (`CAPA`, `LIST`, `UIDL`), collected and parsed.
    Listing,
    /// A multi-line message body, streamed.
    Body,
}

/// A command sent and not yet answered.
#[derive(Debug, Clone, Copy)]
struct Pending {
    verb: Verb,
    expect: Expect,
}

impl Pending {
    fn for_command(command: &Command) -> Pending {
        let expect = match command {
            Command::Stat => Expect::Stat,
            Command::List(Some(_)) => Expect::ListOne,
            Command::Uidl(Some(_)) => Expect::UidlOne,
            Command::List(None) | Command::Uidl(None) | Command::Capa => Expect::Listing,
            Command::Retr(_) | Command::Top { .. } => Expect::Body,
            _ => Expect::Simple,
        };
        Pending {
            verb: command.verb(),
            expect,
        }
    }

    /// Whether the command changes the state, so nothing may follow it unanswered.
    fn is_barrier(&self) -> bool {
        matches!(
            self.verb,
            Verb::User | Verb::Pass | Verb::Auth | Verb::Stls | Verb::Quit
        )
    }
}

/// What the reader is doing.
#[derive(Debug)]
enum Phase {
    /// Reading a status (or continuation) line.
    Status,
    /// Collecting a listing body.
    Listing {
        verb: Verb,
        decoder: BodyDecoder,
        buf: Vec<u8>,
    },
    /// Streaming a message body.
    Body { decoder: BodyDecoder, size: u64 },
    /// Waiting for [`ClientSession::tls_established`].
    AwaitTls,
    /// Nothing more is read.
    Closed,
}

/// One POP3 client session, sans-IO. See the driver contract in the [module doc](super).
#[derive(Debug)]
pub struct ClientSession {
    config: ClientConfig,
    tls: bool,
    state: ClientState,
    user_accepted: bool,
    challenge_open: bool,
    pending: VecDeque<Pending>,
    phase: Phase,
    input: Vec<u8>,
    pos: usize,
    queue: VecDeque<Event>,
    failed: Option<ClientError>,
}

impl ClientSession {
    /// A session for a new connection, waiting for the greeting; `tls_active` after an
    /// implicit-TLS handshake.
    pub fn new(config: ClientConfig, tls_active: bool) -> ClientSession {
        ClientSession {
            config,
            tls: tls_active,
            state: ClientState::Greeting,
            user_accepted: false,
            challenge_open: false,
            pending: VecDeque::new(),
            phase: Phase::Status,
            input: Vec::new(),
            pos: 0,
            queue: VecDeque::new(),
            failed: None,
        }
    }

    /// The protocol state.
    pub fn state(&self) -> ClientState {
        if self.failed.is_some() {
            ClientState::Closed
        } else {
            self.state
        }
    }

    /// Whether the connection is encrypted.
    pub fn is_tls(&self) -> bool {
        self.tls
    }

    /// Commands sent and not yet (fully) answered.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// Bytes received and not yet processed, plus a listing being collected.
    pub fn buffered(&self) -> usize {
        let listing = match &self.phase {
            Phase::Listing { buf, .. } => buf.len(),
            _ => 0,
        };
        self.input.len() - self.pos + listing
    }

    /// Checks `command` against the state and returns its wire form to write. On error nothing
    /// changes.
    pub fn send(&mut self, command: &Command) -> Result<Vec<u8>, SendError> {
        self.sendable(command)?;
        command.check()?;
        if matches!(command, Command::AuthResponse(_)) {
            self.challenge_open = false;
        } else {
            self.pending.push_back(Pending::for_command(command));
            if command.verb() == Verb::Quit && self.state == ClientState::Transaction {
                self.state = ClientState::Update;
            }
        }
        Ok(command.to_string().into_bytes())
    }

    fn sendable(&self, command: &Command) -> Result<(), SendError> {
        if self.failed.is_some() || matches!(self.state, ClientState::Closed | ClientState::Update)
        {
            return Err(SendError::Closed);
        }
        if matches!(self.phase, Phase::AwaitTls) {
            return Err(SendError::TlsPending);
        }
        if self.state == ClientState::Greeting {
            return Err(SendError::NoGreeting);
        }
        let is_response = matches!(command, Command::AuthResponse(_));
        match (self.challenge_open, is_response) {
            (true, true) => return Ok(()),
            (true, false) => return Err(SendError::ChallengePending),
            (false, true) => return Err(SendError::NoChallenge),
            (false, false) => {}
        }
        if let Some(barrier) = self.pending.iter().find(|p| p.is_barrier()) {
            return Err(SendError::Busy(barrier.verb));
        }
        self.allowed_in_state(command)
    }

    fn allowed_in_state(&self, command: &Command) -> Result<(), SendError> {
        let verb = command.verb();
        let allowed = match self.state {
            ClientState::Authorization => match verb {
                Verb::Stls if self.tls => return Err(SendError::TlsActive),
                Verb::Pass => self.user_accepted,
                Verb::User | Verb::Auth | Verb::Stls | Verb::Capa | Verb::Quit => true,
                _ => false,
            },
            ClientState::Transaction => {
                !matches!(verb, Verb::User | Verb::Pass | Verb::Auth | Verb::Stls)
            }
            _ => false,
        };
        if allowed {
            Ok(())
        } else {
            Err(SendError::WrongState {
                verb,
                state: self.state,
            })
        }
    }

    /// Buffers bytes read from the server. Bytes while a TLS handshake is due fail the session
    /// ([`ClientError::DataAfterStls`]); bytes after the session closed are ignored.
    pub fn receive(&mut self, bytes: &[u8]) {
        if bytes.is_empty() || self.failed.is_some() {
            return;
        }
        match self.phase {
            Phase::AwaitTls => self.failed = Some(ClientError::DataAfterStls),
            Phase::Closed => {}
            _ => {
                if self.pos > 0 {
                    self.input.drain(..self.pos);
                    self.pos = 0;
                }
                self.input.extend_from_slice(bytes);
            }
        }
    }

    /// The TLS handshake after [`Event::StartTls`] succeeded. The state stays AUTHORIZATION
    /// (RFC 2595 §4); capabilities learned before should be asked for again.
    pub fn tls_established(&mut self) -> Result<(), NotAwaitingTls> {
        if !matches!(self.phase, Phase::AwaitTls) || self.failed.is_some() {
            return Err(NotAwaitingTls);
        }
        self.phase = Phase::Status;
        self.tls = true;
        self.user_accepted = false;
        Ok(())
    }

    /// The next event; `Ok(None)` when more bytes are needed.
    pub fn next_event(&mut self) -> Result<Option<Event>, ClientError> {
        loop {
            if let Some(event) = self.queue.pop_front() {
                return Ok(Some(event));
            }
            if let Some(error) = &self.failed {
                return Err(error.clone());
            }
            match self.step() {
                Ok(true) => {}
                Ok(false) => return Ok(None),
                Err(error) => {
                    self.failed = Some(error);
                    self.phase = Phase::Closed;
                    self.input.clear();
                    self.pos = 0;
                }
            }
        }
    }

    fn remaining(&self) -> &[u8] {
        &self.input[self.pos..]
    }

    fn consume(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.input.len());
        if self.pos == self.input.len() {
            self.input.clear();
            self.pos = 0;
        }
    }

    /// Makes progress on buffered input; `Ok(false)` when nothing can be done.
    fn step(&mut self) -> Result<bool, ClientError> {
        match self.phase {
            Phase::Status => self.step_status(),
            Phase::Listing { .. } => self.step_listing(),
            Phase::Body { .. } => self.step_body(),
            Phase::AwaitTls | Phase::Closed => Ok(false),
        }
    }

    fn step_status(&mut self) -> Result<bool, ClientError> {
        let rest = self.remaining();
        if rest.is_empty() {
            return Ok(false);
        }
        if self.state != ClientState::Greeting && self.pending.is_empty() {
            return Err(ClientError::UnexpectedData);
        }
        let max = self.config.max_line;
        let too_long = ClientError::LineTooLong { limit: max };
        let Some(nl) = rest.iter().position(|&b| b == b'\n') else {
            // `max + 1`: a line of exactly `max` may be waiting for the LF after its CR.
            return if rest.len() > max.saturating_add(1) {
                Err(too_long)
            } else {
                Ok(false)
            };
        };
        let raw = &rest[..nl];
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        if raw.len() > max {
            return Err(too_long);
        }
        let line = ResponseLine::parse(raw)
            .map_err(|ResponseError::Syntax { line }| ClientError::Syntax { line })?;
        self.consume(nl + 1);
        self.on_line(line)?;
        Ok(true)
    }

    fn on_line(&mut self, line: ResponseLine) -> Result<(), ClientError> {
        if self.state == ClientState::Greeting {
            let ResponseLine::Status(status) = line else {
                return Err(ClientError::UnexpectedContinuation);
            };
            if status.is_ok() {
                self.state = ClientState::Authorization;
            } else {
                self.close();
            }
            self.queue.push_back(Event::Greeting(status));
            return Ok(());
        }
        let head = *self.pending.front().ok_or(ClientError::UnexpectedData)?;
        match line {
            ResponseLine::Continuation(text) => {
                if head.verb != Verb::Auth || self.challenge_open {
                    return Err(ClientError::UnexpectedContinuation);
                }
                self.challenge_open = true;
                self.queue.push_back(Event::Challenge(text));
                Ok(())
            }
            ResponseLine::Status(status) => {
                self.pending.pop_front();
                self.challenge_open = false;
                if status.is_ok() {
                    self.on_ok(head, status)
                } else {
                    self.on_err(head.verb, status);
                    Ok(())
                }
            }
        }
    }

    fn on_err(&mut self, verb: Verb, line: StatusLine) {
        match verb {
            Verb::User | Verb::Pass | Verb::Auth => self.user_accepted = false,
            Verb::Quit => self.close(),
            _ => {}
        }
        self.queue.push_back(Event::Refused { verb, line });
    }

    fn on_ok(&mut self, head: Pending, line: StatusLine) -> Result<(), ClientError> {
        let verb = head.verb;
        let bad = |line: &StatusLine| ClientError::BadListing {
            verb,
            line: cut(line.text()),
        };
        let event = match head.expect {
            Expect::Simple => return self.on_simple_ok(verb, line),
            Expect::Stat => Event::Stat(Stat::parse(line.text()).ok_or_else(|| bad(&line))?),
            Expect::ListOne => {
                Event::ListOne(ListEntry::parse(line.text()).ok_or_else(|| bad(&line))?)
            }
            Expect::UidlOne => {
                Event::UidlOne(UidlEntry::parse(line.text()).ok_or_else(|| bad(&line))?)
            }
            Expect::Listing => {
                self.phase = Phase::Listing {
                    verb,
                    decoder: BodyDecoder::new(),
                    buf: Vec::new(),
                };
                return Ok(());
            }
            Expect::Body => {
                self.phase = Phase::Body {
                    decoder: BodyDecoder::new(),
                    size: 0,
                };
                Event::BodyStart { verb, line }
            }
        };
        self.queue.push_back(event);
        Ok(())
    }

    fn on_simple_ok(&mut self, verb: Verb, line: StatusLine) -> Result<(), ClientError> {
        let event = match verb {
            Verb::User => {
                self.user_accepted = true;
                Event::Done { verb, line }
            }
            Verb::Pass | Verb::Auth => {
                self.state = ClientState::Transaction;
                Event::Done { verb, line }
            }
            Verb::Stls => {
                if !self.remaining().is_empty() {
                    return Err(ClientError::DataAfterStls);
                }
                self.phase = Phase::AwaitTls;
                Event::StartTls
            }
            Verb::Quit => {
                self.close();
                Event::Closed(line)
            }
            _ => Event::Done { verb, line },
        };
        self.queue.push_back(event);
        Ok(())
    }

    fn close(&mut self) {
        self.state = ClientState::Closed;
        self.phase = Phase::Closed;
        self.pending.clear();
        self.input.clear();
        self.pos = 0;
    }

    fn step_listing(&mut self) -> Result<bool, ClientError> {
        let (max_line, max_listing) = (self.config.max_line, self.config.max_listing);
        let input = &self.input[self.pos..];
        let Phase::Listing { verb, decoder, buf } = &mut self.phase else {
            return Ok(false);
        };
        if input.is_empty() {
            return Ok(false);
        }
        let progress = decoder.feed(input, buf);
        let verb = *verb;
        if buf.len() > max_listing {
            return Err(ClientError::ListingTooLarge {
                verb,
                limit: max_listing,
            });
        }
        let partial = buf.len() - buf.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
        if partial > max_line.saturating_add(1) {
            return Err(ClientError::LineTooLong { limit: max_line });
        }
        self.consume(progress.consumed);
        if progress.ended {
            let Phase::Listing { buf, .. } = std::mem::replace(&mut self.phase, Phase::Status)
            else {
                return Ok(false);
            };
            let event = listing_event(verb, &buf, max_line)?;
            self.queue.push_back(event);
        }
        Ok(true)
    }

    fn step_body(&mut self) -> Result<bool, ClientError> {
        let max = self.config.max_message;
        let input = &self.input[self.pos..];
        let Phase::Body { decoder, size } = &mut self.phase else {
            return Ok(false);
        };
        if input.is_empty() {
            return Ok(false);
        }
        let input = &input[..input.len().min(BODY_STEP)];
        let mut out = Vec::new();
        let progress = decoder.feed(input, &mut out);
        *size += out.len() as u64;
        if *size > max {
            return Err(ClientError::MessageTooLarge { limit: max });
        }
        let size = *size;
        self.consume(progress.consumed);
        if !out.is_empty() {
            self.queue.push_back(Event::BodyChunk(out));
        }
        if progress.ended {
            self.phase = Phase::Status;
            self.queue.push_back(Event::BodyEnd { size });
        }
        Ok(true)
    }
}

/// Parses a complete listing body (unstuffed, every line ending in LF).
fn listing_event(verb: Verb, buf: &[u8], max_line: usize) -> Result<Event, ClientError> {
    let body = buf.strip_suffix(b"\n").unwrap_or(buf);
    let mut lines = Vec::new();
    if !buf.is_empty() {
        for raw in body.split(|&b| b == b'\n') {
            let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
            if raw.len() > max_line {
                return Err(ClientError::LineTooLong { limit: max_line });
            }
            lines.push(String::from_utf8_lossy(raw).into_owned());
        }
    }
    let bad = |line: &str| ClientError::BadListing {
        verb,
        line: cut(line),
    };
    Ok(match verb {
        Verb::List => Event::List(
            lines
                .iter()
                .map(|l| ListEntry::parse(l).ok_or_else(|| bad(l)))
                .collect::<Result<_, _>>()?,
        ),
        Verb::Uidl => Event::Uidl(
            lines
                .iter()
                .map(|l| UidlEntry::parse(l).ok_or_else(|| bad(l)))
                .collect::<Result<_, _>>()?,
        ),
        _ => Event::Capabilities(Capabilities::parse(lines.iter().map(String::as_str))),
    })
}

/// At most 120 bytes of `text`, at a character boundary, for an error message.
fn cut(text: &str) -> String {
    let mut end = text.len().min(120);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end]
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}
