//! Regression tests from the review of the rule table: each table is named after what broke.

use Cause::*;
use scanrelay_diagnose::{Cause, Lang, Stage, advise, explain, parse_pasted, provider};

use crate::classify::classify;

/// Postfix and Exim restrictions on the client host, its HELO name and the sender are
/// delayed to RCPT (Postfix `smtpd_delay_reject`); the stage rows used to call them a bad
/// recipient at RCPT and a bad sender at MAIL.
const CLIENT_RESTRICTIONS: &[(Option<Stage>, &str, Cause)] = &[
    (
        Some(Stage::Rcpt),
        "554 5.7.1 Service unavailable; Client host [203.0.113.5] blocked using zen.spamhaus.org",
        PolicyRejected,
    ),
    (
        Some(Stage::Mail),
        "554 5.7.1 Service unavailable; Client host [203.0.113.5] blocked using zen.spamhaus.org",
        PolicyRejected,
    ),
    (
        None,
        "554 5.7.1 Service unavailable; Client host [203.0.113.5] blocked using zen.spamhaus.org",
        PolicyRejected,
    ),
    (
        Some(Stage::Rcpt),
        "554 5.7.1 <unknown[203.0.113.5]>: Client host rejected: Access denied",
        PolicyRejected,
    ),
    (
        Some(Stage::Rcpt),
        "550 5.7.1 Client host rejected: cannot find your reverse hostname, [203.0.113.5]",
        PolicyRejected,
    ),
    (
        Some(Stage::Mail),
        "550 5.7.1 Client host rejected: cannot find your reverse hostname, [203.0.113.5]",
        PolicyRejected,
    ),
    // A syntax enhanced code, but a policy on the HELO name: see the row's comment.
    (
        Some(Stage::Rcpt),
        "504 5.5.2 <scanner>: Helo command rejected: need fully-qualified hostname",
        PolicyRejected,
    ),
    (
        None,
        "504 5.5.2 <scanner>: Helo command rejected: need fully-qualified hostname",
        PolicyRejected,
    ),
    (
        Some(Stage::Rcpt),
        "550 Sender verify failed",
        SenderNotAllowed,
    ),
    (
        Some(Stage::Mail),
        "550 Sender verify failed",
        SenderNotAllowed,
    ),
    (None, "550 Sender verify failed", SenderNotAllowed),
    // The same checks deferred because their DNS lookup failed for now.
    (
        Some(Stage::Rcpt),
        "450 4.7.1 Client host rejected: cannot find your reverse hostname, [203.0.113.5]",
        ServerTemporary,
    ),
    (
        Some(Stage::Rcpt),
        "450 4.7.1 <scanner.example>: Helo command rejected: Host not found",
        ServerTemporary,
    ),
    // The stage rows still decide when the text names no restriction.
    (
        Some(Stage::Rcpt),
        "550 5.7.1 not allowed",
        RecipientRejected,
    ),
    (Some(Stage::Mail), "550 5.7.1 not allowed", SenderNotAllowed),
];

#[test]
fn client_host_helo_and_sender_checks_were_read_as_bad_recipients() {
    for (stage, reply, expected) in CLIENT_RESTRICTIONS {
        assert_eq!(
            classify(*stage, reply, None),
            *expected,
            "{stage:?} {reply}"
        );
    }
}

/// 4xx replies (temporary, RFC 5321 §4.2.1) used to reach permanent causes through their
/// enhanced code (x.7.1 at MAIL/RCPT, x.1.8, x.3.4, x.2.3, ...) or a stage row.
const TEMPORARY_REPLIES: &[(Option<Stage>, &str, Cause)] = &[
    (
        Some(Stage::Rcpt),
        "451 4.7.1 Greylisting in action, please come back later",
        ServerTemporary,
    ),
    (
        Some(Stage::Mail),
        "451 4.7.1 Please try again later",
        ServerTemporary,
    ),
    (
        Some(Stage::Rcpt),
        "451 4.7.1 Please try again later",
        ServerTemporary,
    ),
    (
        Some(Stage::Mail),
        "450 4.1.8 <a@b.example>: Sender address rejected: Domain not found",
        ServerTemporary,
    ),
    (
        Some(Stage::Rcpt),
        "450 4.1.8 <a@b.example>: Sender address rejected: Domain not found",
        ServerTemporary,
    ),
    (
        None,
        "450 4.1.8 <a@b.example>: Sender address rejected: Domain not found",
        ServerTemporary,
    ),
    (
        Some(Stage::Rcpt),
        "450 4.1.2 <a@b.example>: Recipient address rejected: Domain not found",
        ServerTemporary,
    ),
    (
        Some(Stage::Rcpt),
        "450 4.1.1 <a@b.example>: Recipient address rejected: unverified address: Address verification in progress",
        ServerTemporary,
    ),
    (
        Some(Stage::Data),
        "452 4.3.4 Error: message file too big",
        ServerTemporary,
    ),
    (
        Some(Stage::Mail),
        "452 4.3.4 Message size exceeds fixed limit",
        ServerTemporary,
    ),
    (None, "452 4.3.4 Quota exceeded", ServerTemporary),
    (
        Some(Stage::Data),
        "452 4.2.3 too big for now",
        ServerTemporary,
    ),
    (
        Some(Stage::Mail),
        "451 4.7.1 Sender address is unauthorized for now",
        ServerTemporary,
    ),
    (Some(Stage::Auth), "454 4.7.8 try later", ServerTemporary),
    (
        Some(Stage::Auth),
        "454 4.7.0 Temporary authentication failure",
        ServerTemporary,
    ),
    (
        Some(Stage::Data),
        "451 4.7.9 policy service busy",
        ServerTemporary,
    ),
    // The transient classes that have their own cause keep it.
    (
        Some(Stage::Auth),
        "454 4.7.0 Too many login attempts, please try again later.",
        AuthTooManyAttempts,
    ),
    (
        Some(Stage::Ehlo),
        "421 4.7.0 Try again later, closing connection. (EHLO)",
        RateLimited,
    ),
    (
        Some(Stage::StartTls),
        "421 4.7.66 TLS 1.0 and 1.1 are not supported.",
        TlsVersionRejected,
    ),
    (
        Some(Stage::Rcpt),
        "452 4.2.2 The email account that you tried to reach is over quota.",
        MailboxFull,
    ),
    (
        Some(Stage::Data),
        "451 4.4.5 Daily sending quota exceeded",
        QuotaExceeded,
    ),
    // Postfix answers a bounced address probe with 450 4.1.1 by default.
    (
        Some(Stage::Rcpt),
        "450 4.1.1 <x@example.org>: Recipient address rejected: unverified address: host mx.example.org said: 550 5.1.1 User unknown",
        RecipientRejected,
    ),
    // The 5xx forms are still permanent.
    (
        Some(Stage::Mail),
        "550 5.1.8 <a@b.example>: Sender address rejected: Domain not found",
        SenderNotAllowed,
    ),
    (Some(Stage::Mail), "553 5.7.1 go away", SenderNotAllowed),
    (Some(Stage::Rcpt), "550 5.7.1 go away", RecipientRejected),
    (Some(Stage::Data), "552 5.3.4 too big", MessageTooLarge),
];

#[test]
fn temporary_replies_were_read_as_permanent_causes() {
    for (stage, reply, expected) in TEMPORARY_REPLIES {
        assert_eq!(
            classify(*stage, reply, None),
            *expected,
            "{stage:?} {reply}"
        );
        assert_eq!(
            explain(reply, *stage, None).cause,
            *expected,
            "explain {stage:?} {reply}"
        );
    }
}

/// Gmail's "Temporary System Problem" was rate.limited (any 421 with "try again later"),
/// and Exchange's submission-rate throttle was server.temporary.
const THROTTLING: &[(Option<Stage>, &str, Option<&str>, Cause)] = &[
    (
        None,
        "421 4.3.0 Temporary System Problem.  Try again later (10). d2e1a72fcca58-76e7d551493sm9728466b3a.112 - gsmtp",
        None,
        ServerTemporary,
    ),
    (
        Some(Stage::Data),
        "421-4.3.0 Temporary System Problem.  Try again later (10).",
        Some("gmail"),
        ServerTemporary,
    ),
    (
        Some(Stage::Mail),
        "421 4.4.2 Message submission rate for this client has exceeded the configured limit",
        None,
        RateLimited,
    ),
    (
        Some(Stage::Data),
        "421 4.4.2 Message submission rate for this client has exceeded the configured limit",
        Some("m365"),
        RateLimited,
    ),
    (
        Some(Stage::Ehlo),
        "421-4.7.0 Try again later, closing connection. (EHLO)",
        Some("gmail"),
        RateLimited,
    ),
];

#[test]
fn gmail_system_problem_and_exchange_submission_rate_were_swapped() {
    for (stage, reply, provider_id, expected) in THROTTLING {
        assert_eq!(
            classify(*stage, reply, *provider_id),
            *expected,
            "{stage:?} {provider_id:?} {reply}"
        );
    }
}

/// "Too many recipients" (x.5.3) was quota.exceeded, whose advice says to wait 24 hours;
/// the fix is fewer recipients per message.
const TOO_MANY_RECIPIENTS: &[(Option<Stage>, &str)] = &[
    (Some(Stage::Rcpt), "452 4.5.3 Error: too many recipients"),
    (Some(Stage::Rcpt), "452 4.5.3 Too many recipients"),
    (
        Some(Stage::Rcpt),
        "452-4.5.3 Your message has too many recipients. For more information regarding\n452-4.5.3 Google's sending limits, visit\n452 4.5.3  https://support.google.com/mail/answer/6592 x1sm1234567abc.12 - gsmtp",
    ),
    (None, "452 4.5.3 Your message has too many recipients."),
    (Some(Stage::Data), "550 5.5.3 Too many recipients"),
    (Some(Stage::Rcpt), "452 4.5.3 no more"),
];

#[test]
fn too_many_recipients_was_read_as_the_daily_quota() {
    for (stage, reply) in TOO_MANY_RECIPIENTS {
        assert_eq!(classify(*stage, reply, None), PolicyRejected, "{reply}");
        assert_eq!(
            explain(reply, *stage, None).cause,
            PolicyRejected,
            "explain {reply}"
        );
    }
    let en = advise(PolicyRejected, None, Lang::En).fix;
    assert!(en.contains("too many recipients"), "{en}");
    assert!(en.contains("fewer recipients"), "{en}");
    let ko = advise(PolicyRejected, None, Lang::Ko).fix;
    assert!(ko.contains("받는 사람"), "{ko}");
    for id in ["gmail", "m365"] {
        let fix = advise(PolicyRejected, provider(id), Lang::En).fix;
        assert!(fix.contains("fewer recipients"), "{id}: {fix}");
    }
}

/// Microsoft 365 refuses every SMTP AUTH login with 5.7.139; every such reply used to be
/// auth.smtp_auth_disabled whatever its text said.
const M365_5_7_139: &[(&str, Cause)] = &[
    (
        "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. Visit https://aka.ms/smtp_auth_disabled for more information.",
        AuthSmtpAuthDisabled,
    ),
    (
        "535 5.7.139 Authentication unsuccessful, user is locked by your organization's security defaults policy. Contact your administrator.",
        AuthBasicAuthDisabled,
    ),
    (
        "535 5.7.139 Authentication unsuccessful, basic authentication is disabled.",
        AuthBasicAuthDisabled,
    ),
    (
        "535 5.7.139 Authentication unsuccessful, the user credentials were incorrect or basic authentication is disabled.",
        AuthBasicAuthDisabled,
    ),
    (
        "535 5.7.139 Authentication unsuccessful, the user credentials were incorrect.",
        AuthBadCredentials,
    ),
    (
        "535 5.7.139 Authentication unsuccessful",
        AuthSmtpAuthDisabled,
    ),
];

#[test]
fn m365_5_7_139_texts_were_all_read_as_smtp_auth_disabled() {
    for (reply, expected) in M365_5_7_139 {
        for stage in [Some(Stage::Auth), None] {
            assert_eq!(
                classify(stage, reply, Some("m365")),
                *expected,
                "{stage:?} {reply}"
            );
        }
        assert_eq!(
            explain(reply, None, None).cause,
            *expected,
            "explain {reply}"
        );
    }
}

/// .NET's `SmtpException` quotes only the enhanced code of the reply; without a three-digit
/// code the paste was not read as a reply at all.
const ENHANCED_CODE_ONLY: &[(&str, u16, &str, Cause)] = &[
    (
        "System.Net.Mail.SmtpException: The SMTP server requires a secure connection or the client was not authenticated. The server response was: 5.7.57 Client not authenticated to send mail. [SN4PR0601CA0002.namprd06.prod.outlook.com]",
        550,
        "5.7.57",
        AuthRequired,
    ),
    (
        "The server response was: 5.7.57 Client not authenticated to send mail",
        550,
        "5.7.57",
        AuthRequired,
    ),
    (
        "Mailbox unavailable. The server response was: 5.1.1 User unknown",
        550,
        "5.1.1",
        RecipientRejected,
    ),
    (
        "The server response was: 4.7.0 Temporary server error. Please try again later.",
        450,
        "4.7.0",
        ServerTemporary,
    ),
    (
        "Failure sending mail. The server response was: '5.7.139 Authentication unsuccessful, basic authentication is disabled.'",
        550,
        "5.7.139",
        AuthBasicAuthDisabled,
    ),
];

#[test]
fn dotnet_reply_with_only_an_enhanced_code_was_not_recognised() {
    for (input, code, enhanced, expected) in ENHANCED_CODE_ONLY {
        let facts = parse_pasted(input).unwrap_or_else(|| panic!("no reply in {input}"));
        assert_eq!(facts.code, *code, "{input}");
        assert_eq!(facts.enhanced.as_deref(), Some(*enhanced), "{input}");
        assert!(!facts.text.starts_with(enhanced), "{input}: {}", facts.text);
        assert_eq!(explain(input, None, None).cause, *expected, "{input}");
    }
    // A real reply code still wins, and version numbers are not enhanced codes.
    let mixed = "The server response was: 5.7.57 x. Error: 535 5.7.139 Authentication unsuccessful";
    assert_eq!(parse_pasted(mixed).map(|f| f.code), Some(535));
    for input in [
        "upgrade from 4.18.2 to 5.10.1",
        "TLS 1.2 handshake failed",
        "version5.7.1 is out",
        "2.0.0 OK",
        "the printer is on fire",
    ] {
        assert_eq!(parse_pasted(input), None, "{input}");
    }
}
