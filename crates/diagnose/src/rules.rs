//! The classification table: SMTP reply (and client error text) to [`Cause`].
//!
//! Every rule is one row of data. Rows are tried top to bottom and the first row whose
//! conditions all hold decides the cause. The table has four parts:
//!
//! 1. success replies and the SASL error challenge hidden in a `334`;
//! 2. texts that name the cause exactly (provider wording, help-page keys, the Postfix and
//!    Exim restrictions on the client host, its HELO name and the sender);
//! 3. RFC 3463 enhanced status codes, which also cover providers never seen before. It
//!    opens with the transient classes that keep their own cause at 4xx and then sends
//!    every other 4xx to `server.temporary`, so the enhanced-code and stage rows after it
//!    only ever see 5xx: a temporary reply never becomes a permanent "change a setting"
//!    cause because of its enhanced code or the stage it came at;
//! 4. basic reply codes combined with the session stage.
//!
//! When the caller does not know the stage, it is inferred from the reply
//! ([`infer_stage`]), so stage-specific rows still apply. Text rows come before the stage
//! rows on purpose: a policy reply that Postfix delays to RCPT (`smtpd_delay_reject`) is
//! not about the recipient.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};

use crate::{Cause, Provider, ProviderFamily, ReplyFacts, Stage};

/// An extra test on the reply that plain data cannot express.
pub type Check = fn(&ReplyFacts) -> bool;

/// One row of the classification table. Unset conditions match anything.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// The stages the row applies to; empty = any stage.
    pub stages: &'static [Stage],
    /// Inclusive range of reply codes.
    pub codes: (u16, u16),
    /// Enhanced status code pattern, compared part by part: `5.7.139`, `x.7.8` (any class),
    /// `5.7` (any detail).
    pub enhanced: Option<&'static str>,
    /// Only for replies from this provider family.
    pub family: Option<ProviderFamily>,
    /// Lower-case needles; the row matches when the reply text contains any of them.
    pub needles: &'static [&'static str],
    /// An extra predicate on the reply.
    pub check: Option<Check>,
    /// The resulting cause.
    pub cause: Cause,
}

impl Rule {
    /// A row that matches everything and yields `cause`.
    pub const fn new(cause: Cause) -> Rule {
        Rule {
            stages: &[],
            codes: (0, 999),
            enhanced: None,
            family: None,
            needles: &[],
            check: None,
            cause,
        }
    }
    const fn code(self, code: u16) -> Rule {
        self.codes(code, code)
    }
    const fn codes(mut self, low: u16, high: u16) -> Rule {
        self.codes = (low, high);
        self
    }
    const fn enh(mut self, pattern: &'static str) -> Rule {
        self.enhanced = Some(pattern);
        self
    }
    const fn at(mut self, stages: &'static [Stage]) -> Rule {
        self.stages = stages;
        self
    }
    const fn family(mut self, family: ProviderFamily) -> Rule {
        self.family = Some(family);
        self
    }
    const fn text(mut self, needles: &'static [&'static str]) -> Rule {
        self.needles = needles;
        self
    }
    const fn check(mut self, check: Check) -> Rule {
        self.check = Some(check);
        self
    }
}

use Cause as C;
const fn r(cause: Cause) -> Rule {
    Rule::new(cause)
}
const AUTH: &[Stage] = &[Stage::Auth];
const MAIL: &[Stage] = &[Stage::Mail];
const RCPT: &[Stage] = &[Stage::Rcpt];
const DATA: &[Stage] = &[Stage::Data];
const AUTH_REQUIRED: &[&str] = &[
    "authentication required",
    "authentication is required",
    "not authenticated",
    "must authenticate",
    "auth required",
];

/// The table. First match wins.
pub static RULES: &[Rule] = &[
    // 1. Success, and the base64 JSON error challenge of XOAUTH2 / OAUTHBEARER.
    r(C::AuthOauthTokenRejected)
        .code(334)
        .at(AUTH)
        .check(is_oauth_error_challenge),
    r(C::Ok).codes(200, 399),
    // 2. Texts that name the cause. Yahoo answers the account password with
    //    "535 5.7.0 (#AUTH005) Too many bad auth attempts": it wants an app password.
    r(C::AuthBadCredentials).text(&["(#auth005)"]),
    r(C::AuthBadCredentials)
        .family(ProviderFamily::Yahoo)
        .code(535),
    r(C::TlsVersionRejected).enh("x.7.66"),
    r(C::TlsVersionRejected).text(&["tls 1.0 and 1.1 are not supported", "aka.ms/smtp_auth_tls"]),
    r(C::TlsStarttlsRequired).codes(400, 599).text(&[
        "must issue a starttls",
        "must issue starttls",
        "starttls command first",
        "starttls is required",
        "starttls required",
        "encryption required",
    ]),
    r(C::TlsStarttlsUnavailable).codes(400, 599).text(&[
        "tls not available",
        "starttls not available",
        "starttls not supported",
        "tls not supported",
    ]),
    // Microsoft 365 refuses every SMTP AUTH login with 5.7.139 and says why in the text:
    // Basic auth blocked (MFA, Security Defaults), SMTP AUTH switched off, or a wrong
    // password. Only a 5.7.139 that names no reason falls back to smtp_auth_disabled.
    // "... the user credentials were incorrect or basic authentication is disabled." is
    // the Basic-auth reply, so the Basic row comes first.
    r(C::AuthBasicAuthDisabled).enh("x.7.139").text(&[
        "basic authentication is disabled",
        "security defaults",
        "locked by your organization",
    ]),
    r(C::AuthSmtpAuthDisabled)
        .enh("x.7.139")
        .text(&["smtpclientauthentication is disabled"]),
    r(C::AuthBadCredentials)
        .enh("x.7.139")
        .text(&["credentials were incorrect"]),
    r(C::AuthSmtpAuthDisabled).enh("x.7.139"),
    r(C::AuthSmtpAuthDisabled)
        .text(&["smtpclientauthentication is disabled", "smtp_auth_disabled"]),
    r(C::AuthBasicAuthDisabled).enh("x.7.30"),
    r(C::AuthBasicAuthDisabled).text(&[
        "basic authentication is not supported",
        "basic authentication is disabled",
    ]),
    // Google names the cause in the help link: ?p=InvalidSecondFactor, BadCredentials, ...
    r(C::AuthAppPasswordRequired).text(&[
        "p=invalidsecondfactor",
        "application-specific password required",
        "log in via your web browser",
        "p=webloginrequired",
    ]),
    r(C::AuthBadCredentials).text(&["p=badcredentials"]),
    r(C::AuthRequired).text(&["p=wantautherror"]),
    // 5xx only: a 452 for the size is "insufficient system storage" (RFC 1870), which may
    // pass later; 552 is the size the server never accepts.
    r(C::MessageTooLarge).codes(500, 599).text(&[
        "p=maxsizeerror",
        "maxsubmissionexceeded",
        "message size exceeds",
        "exceeded google's message size",
        "message too large",
        "message is too large",
        "size limit",
    ]),
    // Too many recipients in one message (Postfix, Gmail: "452 4.5.3 Your message has too
    // many recipients"; RFC 5321 §4.5.3.1.10: send the rest in another transaction). It is
    // about this message, not the daily quota whose advice says to wait up to 24 hours; no
    // cause names it, so policy.rejected, whose advice mentions splitting the recipients.
    r(C::PolicyRejected).text(&["too many recipients"]),
    r(C::QuotaExceeded).text(&[
        "submissionquotaexceeded",
        "sending limit exceeded",
        "sending quota exceeded",
        "relay limit exceeded",
        "daily limit",
    ]),
    // Postfix and Exim restrictions on the connecting host, its HELO name and the sender:
    // RBLs ("Client host [...] blocked using zen.spamhaus.org"), reject_unknown_client_hostname
    // ("cannot find your reverse hostname"), check_client_access, reject_non_fqdn_helo_hostname
    // and Exim's sender verification. Postfix delays them to RCPT (smtpd_delay_reject), so
    // without these rows the stage rows of part 3 and 4 would call them a bad recipient at
    // RCPT and a bad sender at MAIL. 5xx only: with 4xx (Postfix's answer when the DNS lookup
    // behind the check failed for now) they are server.temporary like any other 4xx.
    r(C::SenderNotAllowed)
        .codes(500, 599)
        .text(&["sender verify failed"]),
    // "504 5.5.2 <x>: Helo command rejected: need fully-qualified hostname" carries a syntax
    // enhanced code, yet the EHLO command was well formed: the site's policy wants a fully
    // qualified host name. The fix is the device's host name (or submission with SMTP AUTH),
    // not the address syntax that syntax.error's advice is about, so policy.rejected.
    r(C::PolicyRejected).codes(500, 599).text(&[
        "client host rejected",
        "blocked using",
        "helo command rejected",
        "reverse hostname",
    ]),
    // Microsoft Send As, Naver's and Postfix's sender checks, Zoho's From rule. 5xx only:
    // "450 4.1.8 <a@b>: Sender address rejected: Domain not found" is Postfix deferring on
    // a sender-domain DNS lookup that failed for now.
    r(C::SenderNotAllowed).codes(500, 599).text(&[
        "sendasdenied",
        "send as this sender",
        "not allowed to send as",
        "relaying disallowed as",
        "sender address is unauthorized",
        "not owned by user",
        "sender address rejected",
    ]),
    r(C::SenderNotAllowed).enh("x.7.60"),
    r(C::SenderNotAllowed).enh("x.2.252"),
    r(C::RateLimited)
        .family(ProviderFamily::Microsoft)
        .code(432),
    r(C::RateLimited).text(&["concurrent connections", "concurrent_sending"]),
    r(C::AuthTooManyAttempts).text(&[
        "too many login attempts",
        "too many authentication",
        "too many failed login",
        "too many bad auth",
    ]),
    r(C::AuthOauthTokenRejected).text(&["xoauth2 auth data", "invalid_token", "oauth token"]),
    r(C::AuthMechanismUnsupported).text(&[
        "unrecognized authentication type",
        "unrecognized authentication mechanism",
        "unsupported authentication mechanism",
        "invalid authentication mechanism",
        "mechanism not supported",
    ]),
    r(C::AuthNotOffered).codes(500, 599).text(&[
        "authentication not enabled",
        "authentication not available",
        "auth not available",
        "auth not supported",
    ]),
    r(C::RelayDenied).enh("x.7.64"),
    r(C::RelayDenied).codes(400, 599).text(&[
        "relay access denied",
        "relaying denied",
        "relay denied",
        "relay not permitted",
        "relaying disallowed",
        "unable to relay",
        "not permitted to relay",
        "credentials for relay",
        "relay not allowed",
        "relaying not allowed",
    ]),
    r(C::RelayDenied)
        .codes(500, 599)
        .enh("x.7.1")
        .text(&["relay"]),
    // "Try again later" alone is rate limiting only when the server drops the session for a
    // policy reason (421 4.7.x, Gmail's EHLO throttle). A 451 "try again later" and Gmail's
    // "421 4.3.0 Temporary System Problem. Try again later" are ordinary temporary failures.
    r(C::RateLimited)
        .code(421)
        .enh("x.7")
        .text(&["try again later"]),
    // Exchange: "421 4.4.2 Message submission rate for this client has exceeded the
    // configured limit".
    r(C::RateLimited).codes(400, 499).text(&[
        "submission rate",
        "rate limit",
        "slow down",
        "unusual rate",
        "too many messages",
        "too many connections",
        "throttl",
    ]),
    // 3. RFC 3463 enhanced status codes, for any provider.
    //
    // A 4xx reply is temporary (RFC 5321 §4.2.1): the same command may pass later, so it
    // must not land on a permanent "change your settings" cause through its enhanced code
    // or the stage it came at. The transient classes with their own cause come first (the
    // texts of part 2 already took auth.too_many_attempts, rate.limited, quota.exceeded,
    // tls.version_rejected and the few texts that name a setting outright, such as
    // STARTTLS or "relay access denied"); every other 4xx is server.temporary, and the rows
    // after that one only see 5xx.
    r(C::MailboxFull).enh("x.2.2"),
    r(C::MailboxFull).codes(400, 599).text(&[
        "mailbox full",
        "mailbox is full",
        "over quota",
        "insufficient storage",
    ]),
    r(C::QuotaExceeded).enh("x.4.5").text(&["quota", "limit"]),
    // x.5.3 is "too many recipients" (RFC 3463), see the text row of part 2.
    r(C::PolicyRejected).enh("x.5.3"),
    // Postfix's reject_unverified_recipient answers 450 4.1.1 by default
    // (unverified_recipient_reject_code = 450) even when the probe bounced, and soft_bounce
    // turns "550 5.1.1 User unknown" into 450 4.1.1: the server has judged the mailbox,
    // and retrying without fixing the address does not help. Only a probe still running
    // ("Address verification in progress") or failing for now is temporary.
    r(C::ServerTemporary).codes(400, 499).enh("x.1.1").text(&[
        "verification in progress",
        "temporar",
        "try again",
        "timed out",
    ]),
    r(C::RecipientRejected).codes(400, 499).enh("x.1.1"),
    r(C::ServerTemporary).codes(400, 499),
    // From here on, 5xx only.
    r(C::AuthBadCredentials).enh("x.7.8"),
    r(C::AuthAppPasswordRequired).enh("x.7.9").at(AUTH),
    r(C::AuthAppPasswordRequired).enh("x.7.14").at(AUTH),
    r(C::AuthRequired).enh("x.7.57"),
    r(C::AuthRequired).codes(500, 599).text(AUTH_REQUIRED),
    r(C::AuthMechanismUnsupported).enh("x.7.4"),
    r(C::MessageTooLarge).enh("x.3.4"),
    r(C::MessageTooLarge).enh("x.2.3"),
    r(C::RecipientRejected).enh("x.1.1"),
    r(C::RecipientRejected).enh("x.1.2"),
    r(C::RecipientRejected).enh("x.1.3").at(RCPT),
    r(C::RecipientRejected).enh("x.1.6"),
    r(C::RecipientRejected).enh("x.1.10"),
    r(C::SenderNotAllowed).enh("x.1.7"),
    r(C::SenderNotAllowed).enh("x.1.8"),
    r(C::SenderNotAllowed).enh("x.1.3").at(MAIL),
    r(C::RecipientRejected).enh("x.1.0").at(RCPT),
    r(C::SenderNotAllowed).enh("x.1.0").at(MAIL),
    r(C::SenderNotAllowed).enh("x.7.1").at(MAIL),
    r(C::RecipientRejected).enh("x.7.1").at(RCPT),
    // 4. Basic reply codes, with the stage.
    r(C::AuthBadCredentials).code(535),
    r(C::AuthAppPasswordRequired).code(534),
    r(C::AuthRequired).code(530),
    r(C::AuthMechanismUnsupported).code(504).at(AUTH),
    r(C::SyntaxError).enh("x.5"),
    r(C::PolicyRejected).enh("5.7"),
    r(C::SenderNotAllowed).code(550).at(MAIL),
    r(C::SenderNotAllowed).code(553).at(MAIL),
    r(C::RecipientRejected).codes(550, 553).at(RCPT),
    r(C::MessageTooLarge).code(552),
    r(C::PolicyRejected).code(554).at(DATA),
    r(C::SyntaxError).codes(500, 503),
    r(C::SyntaxError).code(555),
];

/// A hint for the stage of a reply whose stage the caller does not know.
struct StageHint {
    codes: (u16, u16),
    enhanced: Option<&'static str>,
    needles: &'static [&'static str],
    stage: Stage,
}

const fn hint(stage: Stage, codes: (u16, u16)) -> StageHint {
    StageHint {
        codes,
        enhanced: None,
        needles: &[],
        stage,
    }
}
const ANY: (u16, u16) = (0, 999);

/// Stage hints, first match wins.
static STAGE_HINTS: &[StageHint] = &[
    hint(Stage::Auth, (334, 334)),
    hint(Stage::Auth, (235, 235)),
    hint(Stage::Auth, (534, 535)),
    hint(Stage::Auth, (538, 538)),
    StageHint {
        enhanced: Some("x.7.8"),
        ..hint(Stage::Auth, ANY)
    },
    StageHint {
        enhanced: Some("x.7.139"),
        ..hint(Stage::Auth, ANY)
    },
    StageHint {
        enhanced: Some("x.7.30"),
        ..hint(Stage::Auth, ANY)
    },
    StageHint {
        enhanced: Some("x.7.4"),
        ..hint(Stage::Auth, ANY)
    },
    StageHint {
        needles: &["too many login"],
        ..hint(Stage::Auth, ANY)
    },
    StageHint {
        enhanced: Some("x.1.1"),
        ..hint(Stage::Rcpt, ANY)
    },
    StageHint {
        enhanced: Some("x.1.2"),
        ..hint(Stage::Rcpt, ANY)
    },
    StageHint {
        enhanced: Some("x.1.7"),
        ..hint(Stage::Mail, ANY)
    },
    StageHint {
        enhanced: Some("x.1.8"),
        ..hint(Stage::Mail, ANY)
    },
    StageHint {
        needles: &[
            "recipient",
            "rcpt",
            "user unknown",
            "no such user",
            "does not exist",
        ],
        ..hint(Stage::Rcpt, ANY)
    },
    StageHint {
        needles: &["sender", "mail from", "from address"],
        ..hint(Stage::Mail, ANY)
    },
    StageHint {
        needles: &["(ehlo)", "(helo)"],
        ..hint(Stage::Ehlo, ANY)
    },
    hint(Stage::Data, (354, 354)),
    StageHint {
        needles: &["ready to start tls"],
        ..hint(Stage::StartTls, (220, 220))
    },
    hint(Stage::Banner, (220, 220)),
    hint(Stage::Quit, (221, 221)),
];

/// Guesses the session stage from a reply alone (code, enhanced code, wording).
pub fn infer_stage(reply: &ReplyFacts) -> Option<Stage> {
    let enhanced = parse_enhanced(reply.enhanced.as_deref());
    let lower = reply.text.to_lowercase();
    STAGE_HINTS
        .iter()
        .find(|h| {
            in_range(h.codes, reply.code)
                && h.enhanced
                    .is_none_or(|p| enhanced_matches(p, enhanced.as_deref()))
                && needles_match(h.needles, &lower)
        })
        .map(|h| h.stage)
}

/// Classifies one reply. `stage` is where it was received (inferred from the reply when
/// `None`); `provider` enables provider-specific rows.
pub fn classify_reply(
    stage: Option<Stage>,
    reply: &ReplyFacts,
    provider: Option<&Provider>,
) -> Cause {
    matching_rule(stage, reply, provider).map_or(Cause::Unknown, |rule| rule.cause)
}

/// The table row that decides the reply, if any (useful to explain a decision).
pub fn matching_rule(
    stage: Option<Stage>,
    reply: &ReplyFacts,
    provider: Option<&Provider>,
) -> Option<&'static Rule> {
    let stage = stage.or_else(|| infer_stage(reply));
    let enhanced = parse_enhanced(reply.enhanced.as_deref());
    let lower = reply.text.to_lowercase();
    let family = provider.map(|p| p.family);
    RULES.iter().find(|rule| {
        in_range(rule.codes, reply.code)
            && (rule.stages.is_empty() || stage.is_some_and(|s| rule.stages.contains(&s)))
            && rule
                .enhanced
                .is_none_or(|p| enhanced_matches(p, enhanced.as_deref()))
            && rule.family.is_none_or(|f| family == Some(f))
            && needles_match(rule.needles, &lower)
            && rule.check.is_none_or(|check| check(reply))
    })
}

fn in_range((low, high): (u16, u16), code: u16) -> bool {
    (low..=high).contains(&code)
}

fn needles_match(needles: &[&str], lower: &str) -> bool {
    needles.is_empty() || needles.iter().any(|n| lower.contains(n))
}

/// `"5.7.139"` to `[5, 7, 139]`; `None` when it is not an enhanced code.
fn parse_enhanced(code: Option<&str>) -> Option<Vec<u16>> {
    let parts: Vec<u16> = code?
        .split('.')
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    (parts.len() == 3).then_some(parts)
}

/// Part-by-part comparison; `x` matches any value and a shorter pattern is a prefix.
fn enhanced_matches(pattern: &str, code: Option<&[u16]>) -> bool {
    let Some(code) = code else { return false };
    pattern
        .split('.')
        .enumerate()
        .all(|(i, part)| part == "x" || part.parse::<u16>().ok() == code.get(i).copied())
}

/// A `334` whose payload is base64 JSON with a `status` member: the XOAUTH2 / OAUTHBEARER
/// error challenge (RFC 7628 §3.2.2), sent when the token is refused.
pub fn is_oauth_error_challenge(reply: &ReplyFacts) -> bool {
    let payload = reply.text.split_whitespace().next().unwrap_or("");
    if payload.is_empty() {
        return false;
    }
    [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
        .iter()
        .find_map(|engine| engine.decode(payload).ok())
        .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
        .is_some_and(|json| json.get("status").is_some())
}

/// One row of the client-error table: needles (lower case) and optional stages.
struct ErrorRule {
    stages: &'static [Stage],
    needles: &'static [&'static str],
    cause: Cause,
}

const fn e(cause: Cause, needles: &'static [&'static str]) -> ErrorRule {
    ErrorRule {
        stages: &[],
        needles,
        cause,
    }
}

/// Client-side error messages (no SMTP reply), first match wins.
static ERROR_RULES: &[ErrorRule] = &[
    // A size refusal pasted without its reply code (a device dialog, Outlook's
    // `MapiExceptionMaxSubmissionExceeded`): the words are as clear as a 552.
    e(
        C::MessageTooLarge,
        &[
            "maxsubmissionexceeded",
            "p=maxsizeerror",
            "message size exceeds",
            "exceeds maximum size",
            "exceeds the maximum size",
            "exceeded google's message size",
            "message too large",
            "message is too large",
            "size limit",
        ],
    ),
    // The server's first words are another protocol's (POP3, SSH, HTTP) or the checker said
    // so; before the TLS rows, since the evidence of a mode probe may quote the greeting.
    e(
        C::ConnectNotSmtp,
        &[
            "not an smtp reply",
            "during banner is not smtp",
            "+ok pop3",
            "+ok dovecot",
            "ssh-2.0-",
            "the port answered an http request",
        ],
    ),
    e(
        C::TlsModeMismatch,
        &[
            "first record does not look like a tls handshake",
            "wrong version number",
            "unknown protocol",
            "invalidcontenttype",
            "packet length too long",
        ],
    ),
    // A STARTTLS client on port 465 waits for a greeting that never comes.
    ErrorRule {
        stages: &[Stage::Banner],
        ..e(C::TlsModeMismatch, &["timed out", "timeout"])
    },
    e(
        C::TlsVersionRejected,
        &[
            "protocol version",
            "protocolversion",
            "unsupported protocol",
            "no protocols available",
            "peerincompatible",
        ],
    ),
    e(
        C::TlsHostnameMismatch,
        &[
            "notvalidforname",
            "not valid for name",
            "hostname mismatch",
            "no subject alternative",
        ],
    ),
    e(
        C::TlsCertificateExpired,
        &[
            "certificate has expired",
            "certificate expired",
            "certificate: expired",
            "notvalidyet",
            "not yet valid",
        ],
    ),
    e(
        C::TlsCertificateUntrusted,
        &[
            "unknownissuer",
            "unknown issuer",
            "unknown ca",
            "self signed",
            "self-signed",
            "unable to get local issuer",
            "certificate verify failed",
            "untrusted",
            "pkix path",
        ],
    ),
    e(
        C::TlsStarttlsUnavailable,
        &[
            "starttls not offered",
            "starttls extension not supported",
            "does not support starttls",
        ],
    ),
    e(
        C::AuthNotOffered,
        &[
            "auth extension not supported",
            "auth not offered",
            "does not support authentication",
        ],
    ),
    e(
        C::AuthMechanismUnsupported,
        &[
            "no suitable authentication method",
            "no supported authentication mechanism",
        ],
    ),
    e(
        C::DnsNotFound,
        &[
            "failed to lookup address",
            "name or service not known",
            "no such host",
            "nodename nor servname",
            "unknownhostexception",
            "getaddrinfo",
            "enotfound",
            "could not resolve",
            "temporary failure in name resolution",
            "nxdomain",
        ],
    ),
    e(
        C::ConnectRefused,
        &["connection refused", "econnrefused", "actively refused"],
    ),
    e(C::ConnectTimeout, &["timed out", "timeout", "etimedout"]),
    e(C::TlsHandshakeFailed, &["handshake", "alert", "ssl", "tls"]),
];

/// Classifies a client-side error message (DNS, TCP, TLS) that carries no SMTP reply,
/// e.g. `Connection refused (os error 111)` or rustls'
/// `received corrupt message of type InvalidContentType`.
///
/// An OAuth2 sign-in or Microsoft Graph error in the message
/// ([`crate::parse_service_error`]: `invalid_grant`, `AADSTS...`, `ErrorAccessDenied`)
/// decides first.
pub fn classify_error(stage: Option<Stage>, message: &str) -> Cause {
    if let Some(service) = crate::parse_service_error(message) {
        return service.cause();
    }
    let lower = message.to_lowercase();
    ERROR_RULES
        .iter()
        .find(|rule| {
            (rule.stages.is_empty() || stage.is_some_and(|s| rule.stages.contains(&s)))
                && rule.needles.iter().any(|n| lower.contains(n))
        })
        .map(|rule| rule.cause)
        .unwrap_or(match stage {
            Some(Stage::Dns) => C::DnsNotFound,
            Some(Stage::Tls | Stage::StartTls) => C::TlsHandshakeFailed,
            _ => C::Unknown,
        })
}
