//! How one queued message is shown: its next try in words, its last cause with the summary
//! and fix in the chosen language, each recipient's last reply (once), and the extra JSON
//! fields (RFC 3339 times, cause, summary, fix) added beside the stored entry.

use crate::delivery::dsn::DSN_CLIENT_ADDR;
use scanrelay_diagnose::{Advice, Cause, Lang, Provider, advise};
use scanrelay_spool::{Entry, HoldReason, RcptState, State};
use serde_json::{Value, json};

use super::when::{Clock, rfc3339};

/// What every view needs: the clock, the language and the upstream's provider (for its fix).
pub struct Viewer {
    /// Now and the local time zone.
    pub clock: Clock,
    /// Language of summaries and fixes.
    pub lang: Lang,
    /// The configured upstream's provider preset, if any.
    pub provider: Option<&'static Provider>,
}

/// When a message will be tried next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextTry {
    /// Held until what the reason names is fixed.
    Held(HoldReason),
    /// Waiting for its upstream's pacing limit; goes at this Unix time.
    Paced(u64),
    /// An attempt is running (or was, when the gateway stopped).
    Sending,
    /// Not tried again (failed or delivered).
    Never,
    /// Due at this Unix time (maybe already).
    At(u64),
}

impl NextTry {
    /// The next try of `entry`.
    pub fn of(entry: &Entry) -> NextTry {
        match entry.delivery.state {
            State::Waiting => NextTry::Held(entry.delivery.hold.unwrap_or(HoldReason::NoUpstream)),
            State::Sending => NextTry::Sending,
            State::Failed | State::Delivered => NextTry::Never,
            State::Paced => NextTry::Paced(entry.delivery.next_attempt),
            State::Queued | State::Deferred => NextTry::At(entry.delivery.next_attempt),
        }
    }

    /// For the list's NEXT column: `held`, `sending`, `-`, `now`, `in 4m`.
    pub fn short(self, clock: &Clock) -> String {
        match self {
            NextTry::Held(_) => "held".to_string(),
            NextTry::Sending => "sending".to_string(),
            NextTry::Never => "-".to_string(),
            NextTry::At(at) | NextTry::Paced(at) if at <= clock.now => "now".to_string(),
            NextTry::At(at) | NextTry::Paced(at) => clock.relative(at),
        }
    }

    /// For `queue show`.
    pub fn long(self, clock: &Clock) -> String {
        match self {
            NextTry::Held(HoldReason::NoUpstream) => "held (no upstream)".to_string(),
            NextTry::Held(HoldReason::Login) => {
                "held (the upstream needs a new OAuth2 login; it goes out by itself after it)"
                    .to_string()
            }
            NextTry::Held(HoldReason::Setup) => {
                "held (the upstream cannot carry it as set up: change the setup, then \
                 `scanrelay queue retry ID`)"
                    .to_string()
            }
            NextTry::Paced(at) => format!(
                "{} (the upstream's pacing limit)",
                clock.local_and_relative(at)
            ),
            NextTry::Sending => "now (an attempt is in progress)".to_string(),
            NextTry::Never => "none (`scanrelay queue retry ID` tries again)".to_string(),
            NextTry::At(at) if at <= clock.now => "now".to_string(),
            NextTry::At(at) => clock.local_and_relative(at),
        }
    }

    fn json(self) -> (Option<String>, &'static str) {
        match self {
            NextTry::Held(_) => (None, "held"),
            NextTry::Paced(at) => (rfc3339(at), "paced"),
            NextTry::Sending => (None, "sending"),
            NextTry::Never => (None, "never"),
            NextTry::At(at) => (rfc3339(at), "scheduled"),
        }
    }
}

/// Whether `entry` is a failure notice (bounce) the gateway made itself.
pub fn is_bounce(entry: &Entry) -> bool {
    entry.envelope.mail_from.is_empty() && entry.envelope.client_addr == DSN_CLIENT_ADDR
}

/// The sender as shown: `<>` for the null sender.
pub fn sender(entry: &Entry) -> &str {
    match entry.envelope.mail_from.as_str() {
        "" => "<>",
        s => s,
    }
}

/// Text from a client or a server, safe for a terminal: control characters (escape
/// sequences, CR) shown as `?`.
pub fn shown(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

impl Viewer {
    /// The last cause's code with its advice, when the stored code is known.
    pub fn advice(&self, entry: &Entry) -> Option<(Cause, Advice)> {
        let code = entry.delivery.last_cause.as_deref()?;
        let cause: Cause = code.parse().ok()?;
        Some((cause, advise(cause, self.provider, self.lang)))
    }

    /// The stored entry (every key it always had) plus fields for machines: `state`,
    /// `received_time`, `last_attempt_time`, `next_attempt_time` (RFC 3339, UTC; null when
    /// there is none), `next_try` (`scheduled`, `held`, `sending`, `never`), `bounce`, and
    /// `cause`, `summary`, `fix` in `lang`.
    pub fn json(&self, entry: &Entry) -> Value {
        let mut value = serde_json::to_value(entry).unwrap_or(Value::Null);
        let d = &entry.delivery;
        let (next_time, next_try) = NextTry::of(entry).json();
        let advice = self.advice(entry);
        let extra = json!({
            "state": d.state.as_str(),
            "received_time": rfc3339(entry.envelope.received_at),
            "last_attempt_time": d.last_attempt.and_then(rfc3339),
            "next_attempt_time": next_time,
            "next_try": next_try,
            "retried_time": d.retried_at.and_then(rfc3339),
            "bounce": is_bounce(entry),
            "cause": d.last_cause,
            "summary": advice.as_ref().map(|(_, a)| a.summary.clone()),
            "fix": advice.as_ref().map(|(_, a)| a.fix.clone()),
            "lang": self.lang.as_str(),
        });
        if let (Value::Object(map), Value::Object(more)) = (&mut value, extra) {
            map.extend(more);
        }
        value
    }

    /// One line under a list row saying why the message is not delivered yet, if there is
    /// something to say: the cause with the reply (or error, or summary) for failures, the
    /// note for held mail.
    pub fn list_note(&self, entry: &Entry) -> Option<String> {
        let d = &entry.delivery;
        let Some(cause) = &d.last_cause else {
            return d
                .last_error
                .as_deref()
                .map(|e| format!("note: {}", shown(e)));
        };
        let detail = d
            .last_reply
            .as_deref()
            .map(first_line)
            .or(d.last_error.as_deref())
            .map(str::to_string)
            .or_else(|| self.advice(entry).map(|(_, a)| a.summary));
        Some(match detail {
            Some(detail) => format!("last: {cause}: {}", shown(&detail)),
            None => format!("last: {cause}"),
        })
    }
}

/// The first line of a (possibly multi-line) stored reply.
pub fn first_line(reply: &str) -> &str {
    reply.lines().next().unwrap_or("")
}

/// Each recipient with its state and last reply, in envelope order; recipients without a
/// stored status are `pending`.
pub fn recipients(entry: &Entry) -> Vec<(&str, RcptState, Option<&str>)> {
    entry
        .envelope
        .rcpt_to
        .iter()
        .map(|rcpt| {
            let status = entry.delivery.per_rcpt.iter().find(|s| s.rcpt == *rcpt);
            (
                rcpt.as_str(),
                status.map_or(RcptState::Pending, |s| s.state),
                status.and_then(|s| s.reply.as_deref()),
            )
        })
        .collect()
}
