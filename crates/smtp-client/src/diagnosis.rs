//! From what the SMTP client observed (a [`ClientError`] and the session's [`Facts`]) to one
//! cause code of `scanrelay_diagnose`. Server replies go through the diagnosis's rule table
//! ([`reply_cause`]); connection-level failures (DNS, TCP, TLS, the TLS-mode probes) are
//! mapped from the client's own typed observation. Here rather than in `scanrelay_diagnose`,
//! which is data and strings over the protocol types and does not depend on this crate (nor
//! on tokio and rustls through it). Used by `check` and by the gateway's delivery, so both
//! diagnose alike.

use scanrelay_diagnose::{Cause, Provider, Stage, reply_cause, reply_facts, token_auth_cause};
use scanrelay_proto::sasl::SaslError;

use crate::{ClientError, Facts, StepName, TlsFailure};

/// The stage a client step corresponds to, for the reply classifier.
pub fn stage_of(step: StepName) -> Stage {
    match step {
        StepName::Dns => Stage::Dns,
        StepName::Connect => Stage::Connect,
        StepName::Tls => Stage::Tls,
        StepName::Banner => Stage::Banner,
        StepName::Ehlo | StepName::EhloAgain => Stage::Ehlo,
        StepName::Starttls => Stage::StartTls,
        StepName::Auth => Stage::Auth,
        StepName::Mail | StepName::Rset => Stage::Mail,
        StepName::Rcpt => Stage::Rcpt,
        StepName::Data => Stage::Data,
        StepName::Quit => Stage::Quit,
    }
}

/// The stage a client error happened at, when it says.
pub fn failure_stage(err: &ClientError) -> Option<Stage> {
    match err {
        ClientError::Rejected { step, .. }
        | ClientError::Timeout { step, .. }
        | ClientError::Io { step, .. }
        | ClientError::Closed { step }
        | ClientError::Protocol { step, .. } => Some(stage_of(*step)),
        ClientError::Dns { .. } => Some(Stage::Dns),
        ClientError::ConnectRefused { .. } => Some(Stage::Connect),
        ClientError::TlsModeMismatch { .. } | ClientError::Tls { .. } => Some(Stage::Tls),
        ClientError::StartTlsUnavailable => Some(Stage::StartTls),
        ClientError::AuthNotOffered
        | ClientError::MechanismUnsupported { .. }
        | ClientError::Sasl { .. } => Some(Stage::Auth),
        ClientError::Body(_) => Some(Stage::Data),
        ClientError::InvalidAddress(_) => None,
    }
}

/// Diagnoses a client error. `facts` (what the session saw, when known) refines a missing
/// AUTH into "STARTTLS required"; `token_auth` says whether AUTH used an OAuth2 token, where
/// a credentials refusal means the token was rejected.
pub fn cause_of(
    error: &ClientError,
    facts: Option<&Facts>,
    token_auth: bool,
    provider: Option<&Provider>,
) -> Cause {
    match error {
        ClientError::Dns { .. } => Cause::DnsNotFound,
        ClientError::ConnectRefused { .. } => Cause::ConnectRefused,
        ClientError::Timeout { step, .. } => match step {
            StepName::Dns | StepName::Connect | StepName::Banner | StepName::Tls => {
                Cause::ConnectTimeout
            }
            _ => Cause::ServerTemporary,
        },
        ClientError::Io {
            step: StepName::Connect,
            ..
        } => Cause::ConnectTimeout,
        ClientError::Io {
            step: StepName::Tls,
            ..
        }
        | ClientError::Closed {
            step: StepName::Tls,
        } => Cause::TlsHandshakeFailed,
        ClientError::Io { .. } | ClientError::Closed { .. } => Cause::ServerTemporary,
        // The first thing the server said is not an SMTP reply: POP3, IMAP, SSH, ...
        ClientError::Protocol {
            step: StepName::Banner,
            ..
        } => Cause::ConnectNotSmtp,
        ClientError::Protocol { .. } => Cause::Unknown,
        ClientError::TlsModeMismatch { evidence, .. } if plaintext_greeting_not_smtp(evidence) => {
            Cause::ConnectNotSmtp
        }
        ClientError::TlsModeMismatch { .. } => Cause::TlsModeMismatch,
        ClientError::Tls { kind, .. } => tls_cause(*kind),
        ClientError::StartTlsUnavailable => Cause::TlsStarttlsUnavailable,
        ClientError::AuthNotOffered => {
            let starttls_offered = facts
                .and_then(|f| f.ehlo.as_ref())
                .is_some_and(|e| e.starttls());
            if facts.is_some_and(|f| f.tls.is_none()) && starttls_offered {
                Cause::TlsStarttlsRequired
            } else {
                Cause::AuthNotOffered
            }
        }
        ClientError::MechanismUnsupported { .. } => Cause::AuthMechanismUnsupported,
        ClientError::Sasl {
            source: SaslError::WrongCredentials { .. },
            ..
        } => Cause::AuthMechanismUnsupported,
        ClientError::InvalidAddress(_) => Cause::SyntaxError,
        ClientError::Sasl { .. } | ClientError::Body(_) => Cause::Unknown,
        ClientError::Rejected { step, reply } => {
            let cause = reply_cause(stage_of(*step), reply, provider);
            if *step == StepName::Auth && token_auth {
                token_auth_cause(cause, &reply_facts(reply))
            } else {
                cause
            }
        }
    }
}

/// Whether the mode-mismatch evidence quotes a plaintext greeting that is not an SMTP reply
/// (no three-digit code): implicit TLS against a POP3, IMAP or SSH port is not a TLS
/// setting problem but a wrong port.
fn plaintext_greeting_not_smtp(evidence: &str) -> bool {
    const MARK: &str = "instead of TLS: ";
    evidence.find(MARK).is_some_and(|at| {
        let line = evidence[at + MARK.len()..].trim_start();
        let code = line.as_bytes().get(..3);
        !code.is_some_and(|c| c.iter().all(u8::is_ascii_digit))
    })
}

/// The cause of a failed TLS handshake.
fn tls_cause(kind: TlsFailure) -> Cause {
    match kind {
        TlsFailure::Untrusted => Cause::TlsCertificateUntrusted,
        TlsFailure::HostnameMismatch => Cause::TlsHostnameMismatch,
        TlsFailure::Expired => Cause::TlsCertificateExpired,
        TlsFailure::VersionRejected => Cause::TlsVersionRejected,
        TlsFailure::Handshake => Cause::TlsHandshakeFailed,
    }
}
