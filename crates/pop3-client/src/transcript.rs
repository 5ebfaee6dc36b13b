//! What a POP3 session observed: its steps with timings and the lines exchanged (passwords and
//! SASL payloads redacted), for `check --pop`'s report and `fetch`'s errors.

use std::time::Duration;

use serde::Serialize;

use scanrelay_client::TlsInfo;
use scanrelay_pop3::Capabilities;

/// The steps of a POP3 session, in the order they normally happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// Resolving the host name.
    Dns,
    /// Opening the TCP connection.
    Connect,
    /// The TLS handshake (implicit TLS, or after `STLS`).
    Tls,
    /// Waiting for the `+OK` greeting.
    Greeting,
    /// `CAPA`.
    Capa,
    /// `STLS`.
    Stls,
    /// `USER`/`PASS` or `AUTH`.
    Auth,
    /// `STAT`.
    Stat,
    /// `UIDL`.
    Uidl,
    /// `RETR`.
    Retr,
    /// `DELE`.
    Dele,
    /// `QUIT`.
    Quit,
}

impl Step {
    /// The name used in reports and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Dns => "dns",
            Step::Connect => "connect",
            Step::Tls => "tls",
            Step::Greeting => "greeting",
            Step::Capa => "capa",
            Step::Stls => "stls",
            Step::Auth => "auth",
            Step::Stat => "stat",
            Step::Uidl => "uidl",
            Step::Retr => "retr",
            Step::Dele => "dele",
            Step::Quit => "quit",
        }
    }
}

/// One step: whether it passed, how long it took, and the lines exchanged.
#[derive(Debug, Clone, Serialize)]
pub struct StepRecord {
    /// Which step.
    pub step: Step,
    /// Whether it passed.
    pub ok: bool,
    /// Duration in milliseconds (fractional).
    pub ms: f64,
    /// Both directions in order: `C: ...` (secrets redacted) and `S: ...`.
    pub exchange: Vec<String>,
    /// A short note (resolved addresses, TLS version, error text).
    pub note: Option<String>,
}

/// Everything a session learnt, kept even when it fails.
#[derive(Debug, Clone, Default)]
pub struct Transcript {
    /// The steps, in order.
    pub steps: Vec<StepRecord>,
    /// The greeting text.
    pub greeting: Option<String>,
    /// The last `CAPA` answer (after TLS when there was `STLS`).
    pub capabilities: Option<Capabilities>,
    /// TLS facts, once a handshake was attempted.
    pub tls: Option<TlsInfo>,
    /// Whether per-message steps (`RETR`, `DELE`) are recorded; off for `fetch`, whose
    /// thousands of messages would make the transcript grow with the mailbox.
    pub record_messages: bool,
}

impl Transcript {
    /// Starts a step; returns its index for [`Transcript::finish`].
    pub fn begin(&mut self, step: Step) -> Option<usize> {
        if matches!(step, Step::Retr | Step::Dele) && !self.record_messages {
            return None;
        }
        self.steps.push(StepRecord {
            step,
            ok: false,
            ms: 0.0,
            exchange: Vec::new(),
            note: None,
        });
        Some(self.steps.len() - 1)
    }

    /// Records a line of step `index` (`C: ` or `S: ` included).
    pub fn line(&mut self, index: Option<usize>, line: String) {
        if let Some(s) = index.and_then(|i| self.steps.get_mut(i)) {
            s.exchange.push(line);
        }
    }

    /// Sets the note of step `index`.
    pub fn note(&mut self, index: Option<usize>, note: impl Into<String>) {
        if let Some(s) = index.and_then(|i| self.steps.get_mut(i)) {
            s.note = Some(note.into());
        }
    }

    /// Ends step `index`, which took `took`.
    pub fn finish(&mut self, index: Option<usize>, ok: bool, took: Duration) {
        if let Some(s) = index.and_then(|i| self.steps.get_mut(i)) {
            s.ok = ok;
            s.ms = (took.as_secs_f64() * 10_000.0).round() / 10.0;
        }
    }

    /// The last failed step.
    pub fn failed_step(&self) -> Option<&StepRecord> {
        self.steps.iter().rev().find(|s| !s.ok)
    }
}
