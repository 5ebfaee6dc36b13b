//! The documented exit status of `check` (README: "Exit status of check").

use scanrelay_client::failure_stage;
use scanrelay_client::{ClientError, Facts, StepName};
use scanrelay_diagnose::{Cause, Stage};

/// Exit status for a diagnosis: by the cause's family first, else by the stage the error
/// happened at (not the last failed step, which may be a QUIT after the real failure).
pub(crate) fn exit_status(cause: Cause, error: Option<&ClientError>, facts: &Facts) -> u8 {
    let code = cause.as_str();
    match code {
        "ok" => 0,
        // Something answered, but not an SMTP greeting: README's 13, "the server refused
        // the greeting or EHLO", not 11 ("connection refused or timed out").
        "connect.not_smtp" => 13,
        _ if code.starts_with("dns.") => 10,
        _ if code.starts_with("connect.") => 11,
        _ if code.starts_with("tls.") => 12,
        _ if code.starts_with("auth.") => 14,
        "sender.not_allowed" | "relay.denied" | "recipient.rejected" => 15,
        "message.too_large" | "quota.exceeded" | "mailbox.full" => 16,
        _ => match error.and_then(failure_stage).or_else(|| last_failed(facts)) {
            Some(Stage::Banner | Stage::Ehlo) => 13,
            Some(Stage::Auth) => 14,
            Some(Stage::Mail | Stage::Rcpt) => 15,
            Some(Stage::Data) => 16,
            _ => 17,
        },
    }
}

fn last_failed(facts: &Facts) -> Option<Stage> {
    facts
        .failed_step()
        .map(|s| scanrelay_client::stage_of(s.step))
}

/// Whether the closing QUIT failed (the server dropped the connection or refused it).
pub(crate) fn quit_failed(facts: &Facts) -> bool {
    facts
        .steps
        .iter()
        .any(|s| s.step == StepName::Quit && !s.ok)
}
