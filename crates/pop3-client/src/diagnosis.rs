//! From what the POP3 client observed to one cause code of `scanrelay_diagnose`, and the exit
//! status `check` documents for it, so `check --pop` and `fetch` diagnose like `check`.
//! TLS failures go through the SMTP client's own mapping (the handshake is the same code).

use scanrelay_client::TlsMode;
use scanrelay_diagnose::Cause;
use scanrelay_pop3::RespCode;

use crate::error::Pop3Error;
use crate::transcript::Step;

/// The cause of a failed POP3 session. `tls` is the mode that was used; `token` whether the
/// login used an OAuth2 token.
pub fn cause_of(error: &Pop3Error, tls: TlsMode, token: bool) -> Cause {
    match error {
        Pop3Error::Dns { .. } => Cause::DnsNotFound,
        Pop3Error::ConnectRefused { .. } => Cause::ConnectRefused,
        // A POP3S port waits silently for a TLS ClientHello.
        Pop3Error::Timeout {
            step: Step::Greeting,
            ..
        } if tls != TlsMode::Implicit => Cause::TlsModeMismatch,
        Pop3Error::Timeout {
            step: Step::Dns | Step::Connect | Step::Greeting | Step::Tls,
            ..
        } => Cause::ConnectTimeout,
        Pop3Error::Timeout { .. } | Pop3Error::Io { .. } | Pop3Error::Closed { .. } => {
            match error.step() {
                Some(Step::Tls) => Cause::TlsHandshakeFailed,
                Some(Step::Connect) => Cause::ConnectTimeout,
                _ => Cause::ServerTemporary,
            }
        }
        Pop3Error::Protocol {
            step: Step::Greeting,
            ..
        } => Cause::ConnectNotPop3,
        Pop3Error::Protocol { .. } | Pop3Error::Send(_) | Pop3Error::Sasl(_) => Cause::Unknown,
        Pop3Error::Tls(e) => match scanrelay_client::cause_of(e, None, false, None) {
            Cause::ConnectNotSmtp => Cause::ConnectNotPop3,
            cause => cause,
        },
        Pop3Error::StlsUnavailable => Cause::TlsStarttlsUnavailable,
        Pop3Error::MechanismUnsupported { .. } => Cause::AuthMechanismUnsupported,
        Pop3Error::UidlUnsupported => Cause::Unknown,
        Pop3Error::Refused { step, line } => refused_cause(*step, line, token),
    }
}

/// The cause of a `-ERR`: its RFC 2449/3206 code first, then well-known texts.
fn refused_cause(step: Step, line: &scanrelay_pop3::StatusLine, token: bool) -> Cause {
    let text = line.text().to_ascii_lowercase();
    match line.code() {
        Some(RespCode::InUse) => return Cause::PopMailboxInUse,
        Some(RespCode::LoginDelay) => return Cause::AuthTooManyAttempts,
        Some(RespCode::SysTemp) => return Cause::ServerTemporary,
        _ => {}
    }
    if step != Step::Auth {
        return if line.is_transient() {
            Cause::ServerTemporary
        } else {
            Cause::Unknown
        };
    }
    if text.contains("plaintext authentication disallowed") || text.contains("ssl/tls required") {
        Cause::TlsStarttlsRequired
    } else if text.contains("application-specific password") || text.contains("web login required")
    {
        Cause::AuthAppPasswordRequired
    } else if token {
        Cause::AuthOauthTokenRejected
    } else {
        Cause::AuthBadCredentials
    }
}

/// The exit status `check` documents (README: "Exit status of check"): 0 ok, 10 DNS,
/// 11 connection, 12 TLS, 13 greeting, 14 login, 17 anything else.
pub fn exit_status(cause: Cause, step: Option<Step>) -> u8 {
    let code = cause.as_str();
    match code {
        "ok" => 0,
        "connect.not_smtp" | "connect.not_pop3" => 13,
        _ if code.starts_with("dns.") => 10,
        _ if code.starts_with("connect.") => 11,
        _ if code.starts_with("tls.") => 12,
        _ if code.starts_with("auth.") => 14,
        _ => match step {
            Some(Step::Greeting | Step::Capa) => 13,
            Some(Step::Auth) => 14,
            _ => 17,
        },
    }
}
