//! What a session observed: steps with timings and the exact lines exchanged, and the facts
//! learnt on the way (banner, EHLO, TLS). A [`StepObserver`] hears of each step the moment it
//! finishes, so a caller can show a check's steps as they happen.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use scanrelay_proto::EhloInfo;
use scanrelay_proto::Reply;

use crate::tls::TlsInfo;

/// The steps of a session, in the order they normally happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepName {
    /// Resolving the host name.
    Dns,
    /// Opening the TCP connection.
    Connect,
    /// The TLS handshake (implicit TLS, or after STARTTLS).
    Tls,
    /// Waiting for the `220` greeting.
    Banner,
    /// `EHLO` (or the `HELO` fallback).
    Ehlo,
    /// The `STARTTLS` command.
    Starttls,
    /// `EHLO` again after the TLS handshake.
    EhloAgain,
    /// `AUTH`.
    Auth,
    /// `MAIL FROM`.
    Mail,
    /// `RCPT TO`.
    Rcpt,
    /// `DATA` and the message.
    Data,
    /// `RSET`.
    Rset,
    /// `QUIT`.
    Quit,
}

impl StepName {
    /// The name used in reports and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            StepName::Dns => "dns",
            StepName::Connect => "connect",
            StepName::Tls => "tls",
            StepName::Banner => "banner",
            StepName::Ehlo => "ehlo",
            StepName::Starttls => "starttls",
            StepName::EhloAgain => "ehlo_again",
            StepName::Auth => "auth",
            StepName::Mail => "mail",
            StepName::Rcpt => "rcpt",
            StepName::Data => "data",
            StepName::Rset => "rset",
            StepName::Quit => "quit",
        }
    }
}

/// One step: whether it passed, how long it took, and the lines exchanged.
#[derive(Debug, Clone, Serialize)]
pub struct StepRecord {
    /// Which step.
    pub step: StepName,
    /// Whether it passed.
    pub ok: bool,
    /// Duration in milliseconds (fractional).
    pub ms: f64,
    /// Lines sent by the client (secrets redacted).
    pub sent: Vec<String>,
    /// Lines received from the server, verbatim.
    pub received: Vec<String>,
    /// Both directions in the order they happened: `C: ...` and `S: ...`.
    pub exchange: Vec<String>,
    /// A short note (resolved addresses, TLS version, error text).
    pub note: Option<String>,
}

/// Called with each step as it finishes (see [`Facts::finish`]): the step's position in
/// [`Facts::steps`] and its record. Cheap to clone.
///
/// It sees the same record the transcript keeps: client lines with AUTH payloads already
/// `<redacted>`, so an observer is never handed a secret the client sent. It runs on the
/// session's task: it must return quickly (send the record to a channel, say) and must not
/// block.
#[derive(Clone)]
pub struct StepObserver(Arc<StepFn>);

type StepFn = dyn Fn(usize, &StepRecord) + Send + Sync;

impl StepObserver {
    /// An observer calling `f(index, record)` for each finished step.
    pub fn new(f: impl Fn(usize, &StepRecord) + Send + Sync + 'static) -> StepObserver {
        StepObserver(Arc::new(f))
    }

    fn notify(&self, index: usize, record: &StepRecord) {
        (self.0)(index, record);
    }
}

impl fmt::Debug for StepObserver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StepObserver")
    }
}

/// Everything a session learnt, kept even when it fails.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// The steps, in order.
    pub steps: Vec<StepRecord>,
    /// The greeting.
    pub banner: Option<Reply>,
    /// The last EHLO reply (after TLS when there was STARTTLS).
    pub ehlo: Option<EhloInfo>,
    /// TLS facts, once a handshake was attempted.
    pub tls: Option<TlsInfo>,
    /// The reply that ended the session in failure, if a server reply did.
    pub last_reply: Option<Reply>,
    /// Told of each step as it finishes.
    observer: Option<StepObserver>,
}

impl Facts {
    /// Empty facts whose steps are reported to `observer` as they finish.
    pub fn observed(observer: Option<StepObserver>) -> Facts {
        Facts {
            observer,
            ..Facts::default()
        }
    }

    /// Replaces the observer (`None` stops the reports and drops the observer, e.g. once the
    /// session is over and the facts are kept).
    pub fn set_observer(&mut self, observer: Option<StepObserver>) {
        self.observer = observer;
    }

    /// Starts a step; returns its index for [`Facts::finish`].
    pub fn begin(&mut self, step: StepName) -> usize {
        self.steps.push(StepRecord {
            step,
            ok: false,
            ms: 0.0,
            sent: Vec::new(),
            received: Vec::new(),
            exchange: Vec::new(),
            note: None,
        });
        self.steps.len() - 1
    }

    /// The step being recorded.
    pub fn current(&mut self) -> Option<&mut StepRecord> {
        self.steps.last_mut()
    }

    /// Records a line sent in the current step.
    pub fn sent(&mut self, line: String) {
        if let Some(s) = self.current() {
            s.exchange.push(format!("C: {line}"));
            s.sent.push(line);
        }
    }

    /// Records a reply received in the current step.
    pub fn received(&mut self, reply: &Reply) {
        for line in reply.wire_lines() {
            self.received_raw(&line);
        }
    }

    /// Records one raw line received in the current step (also what did not parse).
    pub fn received_raw(&mut self, line: &str) {
        if let Some(s) = self.current() {
            s.exchange.push(format!("S: {line}"));
            s.received.push(line.to_string());
        }
    }

    /// Sets a note on the current step.
    pub fn note(&mut self, note: impl Into<String>) {
        if let Some(s) = self.current() {
            s.note = Some(note.into());
        }
    }

    /// Ends step `index` (timed from `started`) and reports it to the observer. Notes and
    /// lines belong to a step before it finishes: the observer sees the step as it stays.
    pub fn finish(&mut self, index: usize, ok: bool, started: tokio::time::Instant) {
        self.finish_took(index, ok, started.elapsed());
    }

    /// Ends step `index`, which took `took` (for a step whose note is known only after a
    /// later look, measured before that look), and reports it to the observer.
    pub fn finish_took(&mut self, index: usize, ok: bool, took: Duration) {
        if let Some(s) = self.steps.get_mut(index) {
            s.ok = ok;
            s.ms = (took.as_secs_f64() * 1000.0 * 10.0).round() / 10.0;
            if let Some(observer) = &self.observer {
                observer.notify(index, s);
            }
        }
    }

    /// The last step, if any failed.
    pub fn failed_step(&self) -> Option<&StepRecord> {
        self.steps.iter().rev().find(|s| !s.ok)
    }
}
