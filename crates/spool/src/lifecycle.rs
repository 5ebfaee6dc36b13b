//! A message's delivery life cycle as one state machine: [`Delivery::apply`] is the only place
//! a message's [`State`] changes, so every transition is in this file's table and every other
//! part of the system (the scheduler, the attempt, recovery, the operator's `queue retry`)
//! describes what happened as an [`Event`].
//!
//! ```text
//!            Held                      AttemptStarted                 AttemptEnded
//!  Queued ─────────▶ Waiting   Queued ─────────────▶ Sending ───────────────────▶ Delivered
//!    ▲  ◀───────────   │       Deferred               │  ▲                       ▶ Deferred
//!    │     Released    │       Paced                  │  │ Remembered            ▶ Failed
//!    │                 │       Waiting (released)     │  └─ Delivered (partial)
//!    └── Retried ◀─────┴──── Failed, Deferred, Paced, Waiting, Queued
//!  Postponed: Queued/Deferred/Paced/Sending ─▶ Paced (pacing) or Deferred (a retry hint), no attempt counted
//!  Damaged: any state but Delivered ─▶ Failed
//! ```
//!
//! `Delivered` is final. `Failed` is final for the scheduler; only an operator's `Retried`
//! leaves it (and `Damaged`, which keeps it failed). An event that does not fit the current
//! state is refused with [`InvalidTransition`] and changes nothing.

use serde::{Deserialize, Serialize};

use crate::model::{Delivery, HoldReason, RcptState, RcptStatus, State};

/// Why the last attempt (or postponement) did not deliver: what `queue show` explains.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// The upstream's reply or response, e.g. `451 4.3.0 try later`, or an HTTP status with
    /// its error code.
    pub reply: Option<String>,
    /// The diagnosis cause code, e.g. `connect.refused`.
    pub cause: String,
    /// The failure in words.
    pub error: String,
}

/// Something that happened to a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// Nothing can deliver it now: held, with `note` saying why and what to do, until what
    /// `reason` names is fixed.
    Held {
        /// What must change before it can go.
        reason: HoldReason,
        /// Why it is held, in words.
        note: String,
        /// The diagnosis cause code, when there is one.
        cause: Option<String>,
    },
    /// Whatever held it is fixed: queued again, due at `now`.
    Released {
        /// Unix time now.
        now: u64,
    },
    /// A delivery attempt starts at `at` (also after an interrupted one).
    AttemptStarted {
        /// Unix time now.
        at: u64,
    },
    /// Recipients an earlier attempt delivered to whose state could not be written then.
    /// When that leaves none of `rcpts` (the envelope's recipients) to try, the message is
    /// finished.
    Remembered {
        /// The remembered outcomes.
        statuses: Vec<RcptStatus>,
        /// Every recipient of the envelope.
        rcpts: Vec<String>,
    },
    /// Recipients accepted in the running attempt, recorded before a failure notice is queued
    /// for the others.
    Delivered(Vec<RcptStatus>),
    /// The attempt ended with these per-recipient outcomes. With a recipient deferred the
    /// message is `Deferred` until `retry_at`; else `Failed` if one failed, else `Delivered`.
    AttemptEnded {
        /// The outcome of every recipient tried.
        statuses: Vec<RcptStatus>,
        /// The failure to show, if any recipient did not get it.
        failure: Option<Failure>,
        /// When to try the deferred ones again (Unix time).
        retry_at: u64,
    },
    /// Not tried now, without counting an attempt: a pacing limit (`paced`) or an upstream's
    /// "retry after" hint. Due again at `until`.
    Postponed {
        /// When it may go (Unix time).
        until: u64,
        /// Whether a pacing limit (a visible `paced` state) rather than a retry hint.
        paced: bool,
        /// Why.
        failure: Failure,
    },
    /// An operator's `scanrelay queue retry` at `now`; with `failed_too`, recipients refused
    /// for good are tried again too.
    Retried {
        /// Unix time now.
        now: u64,
        /// Also retry failed recipients.
        failed_too: bool,
    },
    /// The message's body is gone from the spool: failed, with `note`.
    Damaged {
        /// What happened.
        note: String,
    },
}

impl Event {
    /// A short name for errors and logs.
    pub fn name(&self) -> &'static str {
        match self {
            Event::Held { .. } => "held",
            Event::Released { .. } => "released",
            Event::AttemptStarted { .. } => "attempt started",
            Event::Remembered { .. } => "remembered deliveries",
            Event::Delivered(_) => "partial delivery",
            Event::AttemptEnded { .. } => "attempt ended",
            Event::Postponed { .. } => "postponed",
            Event::Retried { .. } => "retried",
            Event::Damaged { .. } => "damaged",
        }
    }
}

/// An event that does not fit the message's state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a message that is {from} cannot be {event}")]
pub struct InvalidTransition {
    /// The state the message was in.
    pub from: State,
    /// The event's name.
    pub event: &'static str,
}

/// What [`Delivery::apply`] changed besides the state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Applied {
    /// Failed recipients put back by [`Event::Retried`].
    pub reopened: usize,
}

impl Delivery {
    /// Applies `event`: the one place the life-cycle state changes. Refused events change
    /// nothing.
    pub fn apply(&mut self, event: Event) -> Result<Applied, InvalidTransition> {
        use State::*;
        let from = self.state;
        let refuse = |event: &Event| InvalidTransition {
            from,
            event: event.name(),
        };
        match (&event, from) {
            (_, Delivered) => Err(refuse(&event)),
            (Event::Damaged { note }, _) => {
                self.fail_damaged(note);
                Ok(Applied::default())
            }
            (Event::Retried { now, failed_too }, _) => Ok(Applied {
                reopened: self.retried(*now, *failed_too),
            }),
            (_, Failed) => Err(refuse(&event)),
            (
                Event::Held {
                    reason,
                    note,
                    cause,
                },
                Queued | Deferred | Paced | Waiting | Sending,
            ) => {
                self.state = Waiting;
                self.hold = Some(*reason);
                self.last_error = Some(note.clone());
                if cause.is_some() {
                    self.last_cause.clone_from(cause);
                }
                Ok(Applied::default())
            }
            (Event::Released { now }, Waiting) => {
                self.state = Queued;
                self.hold = None;
                self.next_attempt = *now;
                // The give-up age counts from here: time held is not time retrying.
                self.retried_at = Some(*now);
                Ok(Applied::default())
            }
            (Event::AttemptStarted { at }, _) => {
                self.state = Sending;
                self.hold = None;
                self.last_attempt = Some(*at);
                Ok(Applied::default())
            }
            (Event::Remembered { statuses, rcpts }, Sending) => {
                self.set_statuses(statuses);
                self.finish_if_closed(rcpts);
                Ok(Applied::default())
            }
            (Event::Delivered(statuses), Sending) => {
                self.set_statuses(statuses);
                Ok(Applied::default())
            }
            (
                Event::AttemptEnded {
                    statuses,
                    failure,
                    retry_at,
                },
                Sending,
            ) => {
                self.attempt_ended(statuses, failure.as_ref(), *retry_at);
                Ok(Applied::default())
            }
            (
                Event::Postponed {
                    until,
                    paced,
                    failure,
                },
                Queued | Deferred | Paced | Sending,
            ) => {
                self.state = if *paced { Paced } else { Deferred };
                self.next_attempt = *until;
                self.show(failure);
                Ok(Applied::default())
            }
            _ => Err(refuse(&event)),
        }
    }

    fn show(&mut self, failure: &Failure) {
        self.last_reply.clone_from(&failure.reply);
        self.last_cause = Some(failure.cause.clone());
        self.last_error = Some(failure.error.clone());
    }

    fn fail_damaged(&mut self, note: &str) {
        self.state = State::Failed;
        self.last_cause = Some("spool".to_owned());
        self.last_error = Some(note.to_owned());
    }

    fn retried(&mut self, now: u64, failed_too: bool) -> usize {
        self.state = State::Queued;
        self.hold = None;
        self.next_attempt = now;
        self.retried_at = Some(now);
        if !failed_too {
            return 0;
        }
        let mut reopened = 0;
        for status in &mut self.per_rcpt {
            if status.state == RcptState::Failed {
                status.state = RcptState::Pending;
                reopened += 1;
            }
        }
        reopened
    }

    fn attempt_ended(&mut self, statuses: &[RcptStatus], failure: Option<&Failure>, at: u64) {
        self.attempts = self.attempts.saturating_add(1);
        self.set_statuses(statuses);
        if let Some(failure) = failure {
            self.show(failure);
        }
        let deferred = statuses.iter().any(|s| s.state == RcptState::Deferred);
        let failed = self.per_rcpt.iter().any(|s| s.state == RcptState::Failed);
        self.state = if deferred {
            self.next_attempt = at;
            State::Deferred
        } else if failed {
            State::Failed
        } else {
            State::Delivered
        };
    }

    /// Sets the given per-recipient statuses (replacing earlier ones for the same recipient).
    fn set_statuses(&mut self, statuses: &[RcptStatus]) {
        for new in statuses {
            match self.per_rcpt.iter_mut().find(|s| s.rcpt == new.rcpt) {
                Some(status) => *status = new.clone(),
                None => self.per_rcpt.push(new.clone()),
            }
        }
    }

    /// After remembered deliveries: finished when none of `rcpts` is left open.
    fn finish_if_closed(&mut self, rcpts: &[String]) {
        let open = rcpts.iter().any(|r| {
            !self.per_rcpt.iter().any(|s| {
                s.rcpt == *r && matches!(s.state, RcptState::Delivered | RcptState::Failed)
            })
        });
        if open {
            return;
        }
        let failed = self.per_rcpt.iter().any(|s| s.state == RcptState::Failed);
        self.state = if failed {
            State::Failed
        } else {
            State::Delivered
        };
    }
}
