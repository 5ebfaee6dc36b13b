//! [`Outcome`]: what one attempt did to each recipient, derived from the upstream's report or
//! error, in the terms the spool's life cycle records (delivered, deferred, failed).

use scanrelay_diagnose::Cause;
use scanrelay_spool::{Failure, RcptState, RcptStatus};

use crate::delivery::dsn::FailedRecipient;
use crate::delivery::upstream::{DeliveryError, DeliveryReport, Response};

/// Why a recipient did not get the message in this attempt.
#[derive(Debug, Clone)]
pub(crate) struct Why {
    pub response: Option<Response>,
    pub cause: Cause,
    pub error: String,
}

impl Why {
    pub(crate) fn of(error: &DeliveryError) -> Why {
        Why {
            response: error.response().cloned(),
            cause: error.cause(),
            error: error.to_string(),
        }
    }

    pub(crate) fn failed(&self, rcpt: &str) -> FailedRecipient {
        FailedRecipient {
            rcpt: rcpt.to_string(),
            response: self.response.clone(),
            cause: self.cause,
            error: self.error.clone(),
        }
    }

    /// As the spool stores it.
    pub(crate) fn failure(&self) -> Failure {
        Failure {
            reply: self.response.as_ref().map(stored),
            cause: self.cause.to_string(),
            error: self.error.clone(),
        }
    }
}

/// An answer as the spool stores it: its lines joined by newlines.
pub(crate) fn stored(response: &Response) -> String {
    response.lines().join("\n")
}

/// The outcome of one attempt, per recipient.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    pub delivered: Vec<(String, Option<Response>)>,
    pub deferred: Vec<(String, Why)>,
    pub failed: Vec<(String, Why)>,
}

impl Outcome {
    pub(crate) fn from_result(
        pending: &[String],
        result: Result<DeliveryReport, DeliveryError>,
    ) -> Outcome {
        let mut outcome = Outcome::default();
        match result {
            Ok(report) => {
                for rcpt in report.accepted {
                    outcome.delivered.push((rcpt, report.response.clone()));
                }
                for refusal in report.refused {
                    let transient = refusal.is_transient();
                    let why = Why {
                        error: refusal.describe(),
                        response: refusal.response,
                        cause: refusal.cause,
                    };
                    let list = if transient {
                        &mut outcome.deferred
                    } else {
                        &mut outcome.failed
                    };
                    list.push((refusal.rcpt, why));
                }
                outcome.defer_unreported(pending);
            }
            Err(error) => {
                let why = Why::of(&error);
                let list = if error.is_transient() {
                    &mut outcome.deferred
                } else {
                    &mut outcome.failed
                };
                list.extend(pending.iter().map(|r| (r.clone(), why.clone())));
            }
        }
        outcome
    }

    /// A recipient the upstream neither accepted nor refused stays queued (never dropped).
    fn defer_unreported(&mut self, pending: &[String]) {
        for rcpt in pending {
            let reported = self.delivered.iter().any(|(r, _)| r == rcpt)
                || self
                    .deferred
                    .iter()
                    .chain(&self.failed)
                    .any(|(r, _)| r == rcpt);
            if !reported {
                let why = Why {
                    response: None,
                    cause: Cause::Unknown,
                    error: "the upstream did not report on this recipient".to_string(),
                };
                self.deferred.push((rcpt.clone(), why));
            }
        }
    }

    /// The failure to show as the message's last error: a deferral first, else a failure.
    pub(crate) fn headline(&self) -> Option<&Why> {
        self.deferred
            .first()
            .or(self.failed.first())
            .map(|(_, why)| why)
    }

    /// The delivered recipients as spool statuses.
    pub(crate) fn delivered_statuses(&self) -> Vec<RcptStatus> {
        self.delivered
            .iter()
            .map(|(rcpt, response)| status(rcpt, RcptState::Delivered, response.as_ref()))
            .collect()
    }

    /// Every recipient's status after this attempt, in the order delivered, deferred, failed.
    pub(crate) fn statuses(&self) -> Vec<RcptStatus> {
        let mut all = self.delivered_statuses();
        all.extend(
            self.deferred
                .iter()
                .map(|(r, w)| status(r, RcptState::Deferred, w.response.as_ref())),
        );
        all.extend(
            self.failed
                .iter()
                .map(|(r, w)| status(r, RcptState::Failed, w.response.as_ref())),
        );
        all
    }
}

fn status(rcpt: &str, state: RcptState, response: Option<&Response>) -> RcptStatus {
    RcptStatus {
        rcpt: rcpt.to_string(),
        state,
        reply: response.map(stored),
    }
}
