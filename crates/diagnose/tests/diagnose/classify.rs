//! The classification table: unseen providers, Postfix, stage-dependent rows, client errors.

use Cause::*;
use scanrelay_diagnose::{
    Cause, RULES, ReplyFacts, Stage, classify_error, classify_reply, explain, infer_stage,
    parse_pasted, provider,
};

pub(crate) fn classify(stage: Option<Stage>, reply: &str, provider_id: Option<&str>) -> Cause {
    let facts = parse_pasted(reply).unwrap_or_else(|| panic!("no reply code in {reply:?}"));
    classify_reply(stage, &facts, provider_id.and_then(provider))
}

const UNSEEN: &[(&str, Cause)] = &[
    ("535 5.7.8 nope", AuthBadCredentials),
    ("552 5.3.4 too big", MessageTooLarge),
    ("552 5.2.3 way too big", MessageTooLarge),
    ("452 4.2.2 over quota", MailboxFull),
    ("552 5.2.2 box is stuffed", MailboxFull),
    ("550 5.4.5 daily quota reached", QuotaExceeded),
    ("534 5.7.9 use the other password", AuthAppPasswordRequired),
    ("535 5.7.139 computer says no", AuthSmtpAuthDisabled),
    ("550 5.7.30 no more passwords", AuthBasicAuthDisabled),
    ("504 5.7.4 what is that", AuthMechanismUnsupported),
    ("530 5.7.57 who are you", AuthRequired),
    ("550 5.1.1 gone", RecipientRejected),
    ("553 5.1.8 bad sender domain", SenderNotAllowed),
    ("550 5.7.60 not you", SenderNotAllowed),
    ("554 5.2.252 not you either", SenderNotAllowed),
    ("501 5.5.2 huh", SyntaxError),
    ("500 5.5.1 what", SyntaxError),
    ("421 4.7.66 old stuff", TlsVersionRejected),
    ("550 5.7.64 not attributed", RelayDenied),
    ("554 5.7.99 no thanks", PolicyRejected),
    ("451 4.3.0 hiccup", ServerTemporary),
    ("421 4.3.2 busy", ServerTemporary),
    ("250 2.0.0 fine", Ok),
    ("235 2.7.0 welcome", Ok),
    ("521 this host does not accept mail", Unknown),
];

#[test]
fn unseen_providers_land_through_enhanced_codes() {
    let cases = UNSEEN;
    for (reply, expected) in cases {
        assert_eq!(classify(None, reply, None), *expected, "{reply}");
        assert_eq!(
            explain(reply, None, None).cause,
            *expected,
            "explain {reply}"
        );
    }
}

const WORDINGS: &[(Option<Stage>, &str, Cause)] = &[
    // Postfix check_recipient_access DEFER: a temporary failure, not rate limiting.
    (
        Some(Stage::Rcpt),
        "451 4.3.0 <tempfail@example.test>: Recipient address rejected: Temporary failure for tests, try again later",
        ServerTemporary,
    ),
    (
        Some(Stage::Rcpt),
        "550 5.7.1 Relay access denied",
        RelayDenied,
    ),
    (
        None,
        "554 5.7.1 <a@example.org>: Relay access denied",
        RelayDenied,
    ),
    (
        Some(Stage::Rcpt),
        "454 4.7.1 <a@example.org>: Relay access denied",
        RelayDenied,
    ),
    (
        Some(Stage::Auth),
        "535 5.7.8 Error: authentication failed: authentication failure",
        AuthBadCredentials,
    ),
    (
        Some(Stage::Mail),
        "530 5.7.0 Must issue a STARTTLS command first",
        TlsStarttlsRequired,
    ),
    (
        Some(Stage::Auth),
        "530 5.7.0 Must issue a STARTTLS command first",
        TlsStarttlsRequired,
    ),
    (
        Some(Stage::Data),
        "552 5.3.4 Message size exceeds fixed limit",
        MessageTooLarge,
    ),
    (
        Some(Stage::Data),
        "451 4.3.0 Error: queue file write error",
        ServerTemporary,
    ),
    (
        Some(Stage::Auth),
        "503 5.5.1 Error: authentication not enabled",
        AuthNotOffered,
    ),
    (
        Some(Stage::StartTls),
        "454 4.7.0 TLS not available due to local problem",
        TlsStarttlsUnavailable,
    ),
    (
        Some(Stage::Mail),
        "553 5.7.1 <x@example.org>: Sender address rejected: not owned by user y",
        SenderNotAllowed,
    ),
    (
        Some(Stage::Rcpt),
        "550 5.1.1 <x@example.org>: Recipient address rejected: User unknown",
        RecipientRejected,
    ),
    (
        Some(Stage::Rcpt),
        "450 4.1.1 <x@example.org>: Recipient address rejected: unverified",
        RecipientRejected,
    ),
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
        None,
        "432 4.3.2 Concurrent connections limit exceeded. Visit https://aka.ms/concurrent_sending",
        RateLimited,
    ),
    (
        None,
        "550 5.7.64 TenantAttribution; Relay Access Denied SMTP.",
        RelayDenied,
    ),
    (
        None,
        "550 5.4.5 Daily SMTP relay limit exceeded for user.",
        QuotaExceeded,
    ),
    (
        Some(Stage::Data),
        "553 Relaying disallowed as someone@example.org",
        SenderNotAllowed,
    ),
    (
        Some(Stage::Auth),
        "535 5.7.0 (#AUTH005) Too many bad auth attempts.",
        AuthBadCredentials,
    ),
    (
        Some(Stage::Auth),
        "534-5.7.14 Please log in via your web browser and then try again.",
        AuthAppPasswordRequired,
    ),
    (
        Some(Stage::Auth),
        "535 5.7.139 Authentication unsuccessful, the user credentials were incorrect or basic authentication is disabled.",
        AuthBasicAuthDisabled,
    ),
    (
        Some(Stage::Auth),
        "501 5.5.124 Invalid XOAUTH2 auth data - User address provided is not valid",
        AuthOauthTokenRejected,
    ),
    (
        Some(Stage::Data),
        "554 5.2.2 mailbox full; STOREDRV.Submission.Exception:QuotaExceededException",
        MailboxFull,
    ),
    (
        Some(Stage::Auth),
        "555-5.5.2 Syntax error, command line too long.",
        SyntaxError,
    ),
    (None, "500 5.5.2 Line too long", SyntaxError),
    (
        Some(Stage::Auth),
        "504 5.5.4 Unrecognized authentication type",
        AuthMechanismUnsupported,
    ),
    (
        Some(Stage::Data),
        "554 5.7.9 Message not accepted for policy reasons.",
        PolicyRejected,
    ),
    (
        None,
        "554 5.7.9 Message not accepted for policy reasons.",
        PolicyRejected,
    ),
    (Some(Stage::Data), "554 Transaction failed", PolicyRejected),
    (Some(Stage::Mail), "550 Sender rejected", SenderNotAllowed),
    (Some(Stage::Rcpt), "550 No such mailbox", RecipientRejected),
    (Some(Stage::Data), "552 Too much mail data", MessageTooLarge),
    (
        Some(Stage::Auth),
        "535 Authentication failed",
        AuthBadCredentials,
    ),
    (
        Some(Stage::Auth),
        "530 Authentication required",
        AuthRequired,
    ),
    (
        Some(Stage::Auth),
        "534 Authentication mechanism is too weak",
        AuthAppPasswordRequired,
    ),
    (Some(Stage::Banner), "220 mx.example.org ESMTP ready", Ok),
    (Some(Stage::Auth), "334 VXNlcm5hbWU6", Ok),
];

#[test]
fn postfix_and_generic_wordings() {
    let cases = WORDINGS;
    for (stage, reply, expected) in cases {
        assert_eq!(
            classify(*stage, reply, None),
            *expected,
            "{stage:?} {reply}"
        );
    }
}

#[test]
fn the_stage_decides_between_sender_and_recipient() {
    let cases = [
        (
            Stage::Mail,
            "550 5.7.1 not allowed",
            Cause::SenderNotAllowed,
        ),
        (
            Stage::Rcpt,
            "550 5.7.1 not allowed",
            Cause::RecipientRejected,
        ),
        (
            Stage::Rcpt,
            "550 5.7.1 we do not relay for you",
            Cause::RelayDenied,
        ),
        (
            Stage::Mail,
            "550 5.1.0 address rejected",
            Cause::SenderNotAllowed,
        ),
        (
            Stage::Rcpt,
            "550 5.1.0 address rejected",
            Cause::RecipientRejected,
        ),
        (Stage::Mail, "550 denied", Cause::SenderNotAllowed),
        (Stage::Rcpt, "550 denied", Cause::RecipientRejected),
        (Stage::Data, "550 5.7.1 not allowed", Cause::PolicyRejected),
    ];
    for (stage, reply, expected) in cases {
        assert_eq!(
            classify(Some(stage), reply, None),
            expected,
            "{stage} {reply}"
        );
    }
}

#[test]
fn provider_family_rows_only_apply_to_that_family() {
    let reply = "432 4.3.2 please wait";
    assert_eq!(classify(None, reply, Some("m365")), Cause::RateLimited);
    assert_eq!(classify(None, reply, Some("gmail")), Cause::ServerTemporary);
    let yahoo = "535 5.7.0 Too many bad attempts";
    assert_eq!(
        classify(None, yahoo, Some("yahoo")),
        Cause::AuthBadCredentials
    );
}

#[test]
fn oauth_error_challenges_are_recognised() {
    // {"status":"401","schemes":"bearer mac","scope":"https://mail.google.com/"}
    let google_doc = "334 eyJzdGF0dXMiOiI0MDEiLCJzY2hlbWVzIjoiYmVhcmVyIG1hYyIsInNjb3BlIjoiaHR0cHM6Ly9tYWlsLmdvb2dsZS5jb20vIn0K";
    assert_eq!(
        classify(Some(Stage::Auth), google_doc, None),
        Cause::AuthOauthTokenRejected
    );
    assert_eq!(
        classify(None, google_doc, None),
        Cause::AuthOauthTokenRejected
    );
    // "Username:" and an empty challenge are normal SASL steps.
    assert_eq!(classify(None, "334 VXNlcm5hbWU6", None), Cause::Ok);
    assert_eq!(classify(Some(Stage::Auth), "334 ", None), Cause::Ok);
}

#[test]
fn stages_are_inferred_from_the_reply() {
    let cases = [
        ("535 5.7.8 x", Some(Stage::Auth)),
        ("334 VXNlcm5hbWU6", Some(Stage::Auth)),
        ("550 5.1.1 x", Some(Stage::Rcpt)),
        ("553 5.1.8 x", Some(Stage::Mail)),
        (
            "554 5.7.1 The sender address is unauthorized",
            Some(Stage::Mail),
        ),
        ("550 5.7.1 Recipient address rejected", Some(Stage::Rcpt)),
        ("421 4.7.0 Try again later (EHLO)", Some(Stage::Ehlo)),
        ("220 2.0.0 Ready to start TLS", Some(Stage::StartTls)),
        ("220 smtp.example.org ESMTP", Some(Stage::Banner)),
        ("554 5.7.9 policy", None),
    ];
    for (reply, expected) in cases {
        assert_eq!(
            infer_stage(&parse_pasted(reply).unwrap()),
            expected,
            "{reply}"
        );
    }
}

const CLIENT_ERRORS: &[(Option<Stage>, &str, Cause)] = &[
    (
        None,
        "failed to lookup address information: Name or service not known",
        DnsNotFound,
    ),
    (None, "getaddrinfo ENOTFOUND smtp.gmial.com", DnsNotFound),
    (None, "Connection refused (os error 111)", ConnectRefused),
    (None, "connect ETIMEDOUT 142.250.1.1:465", ConnectTimeout),
    (
        Some(Stage::Banner),
        "timed out waiting for the greeting",
        TlsModeMismatch,
    ),
    (
        None,
        "tls: first record does not look like a TLS handshake",
        TlsModeMismatch,
    ),
    (
        None,
        "received corrupt message of type InvalidContentType",
        TlsModeMismatch,
    ),
    (
        None,
        "error:0A00010B:SSL routines::wrong version number",
        TlsModeMismatch,
    ),
    (
        None,
        "received fatal alert: ProtocolVersion",
        TlsVersionRejected,
    ),
    (
        None,
        "invalid peer certificate: UnknownIssuer",
        TlsCertificateUntrusted,
    ),
    (
        None,
        "invalid peer certificate: NotValidForName",
        TlsHostnameMismatch,
    ),
    (
        None,
        "certificate verify failed: certificate has expired",
        TlsCertificateExpired,
    ),
    (
        None,
        "SMTP AUTH extension not supported by server.",
        AuthNotOffered,
    ),
    (
        None,
        "STARTTLS extension not supported by server.",
        TlsStarttlsUnavailable,
    ),
    (
        None,
        "received fatal alert: HandshakeFailure",
        TlsHandshakeFailed,
    ),
    (
        Some(Stage::Tls),
        "peer closed connection",
        TlsHandshakeFailed,
    ),
    (None, "something odd", Unknown),
];

#[test]
fn client_errors_without_a_reply() {
    let cases = CLIENT_ERRORS;
    for (stage, message, expected) in cases {
        assert_eq!(classify_error(*stage, message), *expected, "{message}");
        if parse_pasted(message).is_none() {
            assert_eq!(
                explain(message, *stage, None).cause,
                *expected,
                "explain {message}"
            );
        }
    }
}

#[test]
fn the_table_is_well_formed() {
    for (i, rule) in RULES.iter().enumerate() {
        for needle in rule.needles {
            assert_eq!(
                *needle,
                needle.to_lowercase(),
                "row {i}: needles are lower case"
            );
            assert!(!needle.is_empty(), "row {i}: empty needle");
        }
        if let Some(pattern) = rule.enhanced {
            let parts: Vec<&str> = pattern.split('.').collect();
            assert!((1..=3).contains(&parts.len()), "row {i}: {pattern}");
            assert!(
                parts.iter().all(|p| *p == "x" || p.parse::<u16>().is_ok()),
                "row {i}: {pattern}"
            );
        }
        assert!(rule.codes.0 <= rule.codes.1, "row {i}: code range");
    }
    let facts = ReplyFacts::new(535, Some("5.7.8"), "x");
    assert_eq!(
        classify_reply(Some(Stage::Auth), &facts, None),
        Cause::AuthBadCredentials
    );
}
