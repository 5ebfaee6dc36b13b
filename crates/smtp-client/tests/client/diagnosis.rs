//! The client's observations diagnosed (`scanrelay_client::diagnosis`): another protocol's
//! greeting, TLS-mode mix-ups, and a refused OAuth2 token that is never "a bad password".

use scanrelay_client::{ClientError, StepName, cause_of};
use scanrelay_diagnose::Cause;
use scanrelay_proto::{Reply, ReplyError, TlsMode};

fn not_smtp(step: StepName, line: &str) -> ClientError {
    ClientError::Protocol {
        step,
        source: ReplyError::Syntax { line: line.into() },
    }
}

fn mismatch(evidence: &str) -> ClientError {
    ClientError::TlsModeMismatch {
        configured: TlsMode::Implicit,
        evidence: evidence.into(),
    }
}

/// A POP3, SSH or IMAP greeting was diagnosed `unknown`, with the generic "read the reply"
/// advice; implicit TLS against such a port was called an SSL/STARTTLS mix-up.
#[test]
fn another_protocols_greeting_is_not_smtp_instead_of_unknown() {
    let cases: &[(ClientError, Cause)] = &[
        (
            not_smtp(StepName::Banner, "+OK Dovecot (Debian) ready."),
            Cause::ConnectNotSmtp,
        ),
        (
            not_smtp(StepName::Banner, "SSH-2.0-OpenSSH_9.6"),
            Cause::ConnectNotSmtp,
        ),
        (
            not_smtp(StepName::Banner, "* OK [CAPABILITY IMAP4rev1] ready"),
            Cause::ConnectNotSmtp,
        ),
        // Garbage later in a session is not a wrong port.
        (not_smtp(StepName::Ehlo, "garbage"), Cause::Unknown),
        (
            mismatch(
                "the port sent a plaintext SMTP greeting instead of TLS: +OK Dovecot (Debian) ready.",
            ),
            Cause::ConnectNotSmtp,
        ),
        (
            mismatch("the port sent a plaintext SMTP greeting instead of TLS: 220 mx ESMTP"),
            Cause::TlsModeMismatch,
        ),
        (
            mismatch("the server's first bytes are not a TLS record"),
            Cause::TlsModeMismatch,
        ),
    ];
    for (error, want) in cases {
        assert_eq!(cause_of(error, None, false, None), *want, "{error}");
    }
}

fn auth_refused(line: &str) -> ClientError {
    let (code, text) = line.split_once(' ').unwrap();
    ClientError::Rejected {
        step: StepName::Auth,
        reply: Reply::new(code.parse().unwrap(), text),
    }
}

/// `cause_of(.., token_auth: true, ..)` called Microsoft's `535 5.7.3` after XOAUTH2 a
/// rejected token at best; with a password it is a bad password, with a token never.
#[test]
fn a_refused_token_is_never_a_bad_password() {
    let m365 = scanrelay_diagnose::provider("m365");
    let gmail = scanrelay_diagnose::provider("gmail");
    let cases = [
        (
            "535 5.7.3 Authentication unsuccessful [SN4PR0501CA0050.namprd05.prod.outlook.com]",
            m365,
            Cause::AuthOauthWrongAudienceOrPermission,
            Cause::AuthBadCredentials,
        ),
        (
            "535 5.7.3 Authentication unsuccessful",
            None,
            Cause::AuthOauthWrongAudienceOrPermission,
            Cause::AuthBadCredentials,
        ),
        (
            "535 5.7.8 Username and Password not accepted. BadCredentials - gsmtp",
            gmail,
            Cause::AuthOauthTokenRejected,
            Cause::AuthBadCredentials,
        ),
        (
            "534 5.7.9 Application-specific password required. - gsmtp",
            gmail,
            Cause::AuthOauthTokenRejected,
            Cause::AuthAppPasswordRequired,
        ),
        (
            "535 5.7.139 Authentication unsuccessful, basic authentication is disabled.",
            m365,
            Cause::AuthOauthTokenRejected,
            Cause::AuthBasicAuthDisabled,
        ),
        (
            "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant.",
            m365,
            Cause::AuthSmtpAuthDisabled,
            Cause::AuthSmtpAuthDisabled,
        ),
        (
            "454 4.7.0 Too many login attempts, please try again later.",
            gmail,
            Cause::AuthTooManyAttempts,
            Cause::AuthTooManyAttempts,
        ),
    ];
    for (line, provider, with_token, with_password) in cases {
        let error = auth_refused(line);
        assert_eq!(
            cause_of(&error, None, true, provider),
            with_token,
            "token: {line}"
        );
        assert_eq!(
            cause_of(&error, None, false, provider),
            with_password,
            "password: {line}"
        );
    }
}
