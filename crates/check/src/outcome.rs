//! What a check found: everything observed, the diagnosis and the extra looks.

use scanrelay_client::{ClientError, Facts};
use scanrelay_diagnose::{Advice, Cause, Provider, Warning};

/// What a check found.
#[derive(Debug)]
pub struct Outcome {
    /// Everything observed: the steps with their lines, banner, EHLO, TLS facts.
    pub facts: Facts,
    /// The error that ended the check, if any.
    pub error: Option<ClientError>,
    /// The diagnosis.
    pub cause: Cause,
    /// The provider whose rules were applied (given or recognised).
    pub provider: Option<&'static Provider>,
    /// Summary and fix in the plan's language.
    pub advice: Advice,
    /// Warnings about the settings (the plan's).
    pub warnings: Vec<Warning>,
    /// Whether a test message was sent and accepted.
    pub sent_test: bool,
    /// The status line a silent port answered an HTTP request with (a web server).
    pub http_answer: Option<String>,
    /// After a pass with a CA file: whether the certificate is trusted only because of it
    /// (`None`: not asked, or a second connection could not tell).
    pub trusted_only_with_ca_file: Option<bool>,
}

impl Outcome {
    /// Whether every step passed.
    pub fn ok(&self) -> bool {
        self.cause == Cause::Ok
    }

    /// The documented exit status of `scanrelay check` (README: "Exit status of check"):
    /// 0 ok, 10 DNS, 11 connection, 12 TLS, 13 greeting or EHLO, 14 AUTH, 15 sender or
    /// recipient, 16 message, 17 anything else.
    pub fn exit_status(&self) -> u8 {
        crate::status::exit_status(self.cause, self.error.as_ref(), &self.facts)
    }
}
