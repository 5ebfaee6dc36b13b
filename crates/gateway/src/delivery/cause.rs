//! Client errors to diagnosis causes, for delivery records and bounces.
//!
//! Server replies go through `scanrelay_diagnose::classify_reply`, the same table the
//! checker uses. Errors without a reply are mapped coarsely here. The checker's finer mapping
//! (`crates/cli/src/check/cause.rs`, which also looks at the session facts) should move to a
//! place both can share; until then this is deliberately small.

use scanrelay_client::{ClientError, StepName, TlsFailure};
use scanrelay_diagnose::{Cause, Provider, ReplyFacts, Stage, classify_reply};
use scanrelay_proto::Reply;

/// The diagnosis stage of a client step.
pub fn stage_of_step(step: StepName) -> Stage {
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

/// The facts of a reply that the classifier reads.
pub fn reply_facts(reply: &Reply) -> ReplyFacts {
    ReplyFacts {
        code: reply.code,
        enhanced: reply.enhanced().map(|e| e.to_string()),
        text: reply.text(),
    }
}

/// Classifies a reply received at `stage`.
pub fn reply_cause(stage: Stage, reply: &Reply, provider: Option<&Provider>) -> Cause {
    classify_reply(Some(stage), &reply_facts(reply), provider)
}

/// The cause of a client error: refusals through the reply table, the rest coarsely.
pub fn failure_cause(err: &ClientError, provider: Option<&Provider>) -> Cause {
    match err {
        ClientError::Rejected { step, reply } => reply_cause(stage_of_step(*step), reply, provider),
        ClientError::Dns { .. } => Cause::DnsNotFound,
        ClientError::ConnectRefused { .. } => Cause::ConnectRefused,
        ClientError::Timeout { step, .. } | ClientError::Io { step, .. } => match step {
            StepName::Dns | StepName::Connect | StepName::Banner => Cause::ConnectTimeout,
            StepName::Tls => Cause::TlsHandshakeFailed,
            _ => Cause::ServerTemporary,
        },
        ClientError::Closed {
            step: StepName::Tls,
        } => Cause::TlsHandshakeFailed,
        ClientError::Closed { .. } => Cause::ServerTemporary,
        ClientError::TlsModeMismatch { .. } => Cause::TlsModeMismatch,
        ClientError::Tls { kind, .. } => match kind {
            TlsFailure::Untrusted => Cause::TlsCertificateUntrusted,
            TlsFailure::HostnameMismatch => Cause::TlsHostnameMismatch,
            TlsFailure::Expired => Cause::TlsCertificateExpired,
            TlsFailure::VersionRejected => Cause::TlsVersionRejected,
            TlsFailure::Handshake => Cause::TlsHandshakeFailed,
        },
        ClientError::StartTlsUnavailable => Cause::TlsStarttlsUnavailable,
        ClientError::AuthNotOffered => Cause::AuthNotOffered,
        ClientError::MechanismUnsupported { .. } => Cause::AuthMechanismUnsupported,
        ClientError::InvalidAddress(_) => Cause::SyntaxError,
        ClientError::Protocol { .. } | ClientError::Sasl { .. } | ClientError::Body(_) => {
            Cause::Unknown
        }
    }
}

/// The stage a client error happened at, when it says.
pub fn failure_stage(err: &ClientError) -> Option<Stage> {
    match err {
        ClientError::Rejected { step, .. }
        | ClientError::Timeout { step, .. }
        | ClientError::Io { step, .. }
        | ClientError::Closed { step }
        | ClientError::Protocol { step, .. } => Some(stage_of_step(*step)),
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
