//! From a Microsoft Graph error (HTTP status and the `{"error": {"code", "message"}}`
//! body) to a [`Cause`]. A specific error code decides first; then the message's words
//! (an inner error code, Exchange's wording); then a generic code such as
//! `ErrorAccessDenied`; then the HTTP status. Takes numbers and strings only: the graph
//! crate and the CLI pass what the server sent.

use crate::Cause;

/// Error codes (lower case) that name one cause.
static SPECIFIC: &[(&str, Cause)] = &[
    ("invalidauthenticationtoken", Cause::GraphTokenInvalid),
    (
        "nopermissionsinaccesstoken",
        Cause::GraphNoPermissionsInToken,
    ),
    (
        "mailboxnotenabledforrestapi",
        Cause::GraphMailboxUnavailable,
    ),
    (
        "mailboxnotsupportedforrestapi",
        Cause::GraphMailboxUnavailable,
    ),
    ("errorinvaliduser", Cause::GraphMailboxUnavailable),
    ("errornonexistentmailbox", Cause::GraphMailboxUnavailable),
    ("errorsendasdenied", Cause::GraphSendAsDenied),
    ("applicationthrottled", Cause::GraphThrottled),
    ("errorserverbusy", Cause::GraphThrottled),
    ("toomanyrequests", Cause::GraphThrottled),
    ("activitylimitreached", Cause::GraphThrottled),
    ("errormessagesizeexceeded", Cause::MessageTooLarge),
    ("errorattachmentsizelimitexceeded", Cause::MessageTooLarge),
    ("requestentitytoolarge", Cause::GraphRequestTooLarge),
    ("requestbodytoolarge", Cause::GraphRequestTooLarge),
    ("errorrequestentitytoolarge", Cause::GraphRequestTooLarge),
    ("errorinvalidrecipients", Cause::RecipientRejected),
    ("errorquotaexceeded", Cause::MailboxFull),
    ("errorsubmissionquotaexceeded", Cause::QuotaExceeded),
    ("errormessagesubmissionblocked", Cause::PolicyRejected),
    ("errormailboxstoreunavailable", Cause::ServerTemporary),
    ("errortimeoutexpired", Cause::ServerTemporary),
    ("errorinternalservertransienterror", Cause::ServerTemporary),
    ("servicenotavailable", Cause::ServerTemporary),
];

/// Error codes (lower case) that only say "denied" or "failed": the message may know more.
static GENERIC: &[(&str, Cause)] = &[
    ("erroraccessdenied", Cause::GraphAccessDenied),
    ("accessdenied", Cause::GraphAccessDenied),
    ("authorization_requestdenied", Cause::GraphAccessDenied),
];

/// Message words (lower case), first match wins.
static MESSAGES: &[(&str, Cause)] = &[
    ("[raop]", Cause::GraphAccessDenied),
    ("apponly accesspolicy", Cause::GraphAccessDenied),
    (
        "token contains no permissions",
        Cause::GraphNoPermissionsInToken,
    ),
    ("access token has expired", Cause::GraphTokenInvalid),
    ("access token validation failure", Cause::GraphTokenInvalid),
    ("invalid audience", Cause::GraphTokenInvalid),
    ("compacttoken parsing failed", Cause::GraphTokenInvalid),
    ("lifetime validation failed", Cause::GraphTokenInvalid),
    ("mailbox is either inactive", Cause::GraphMailboxUnavailable),
    (
        "rest api is not yet supported",
        Cause::GraphMailboxUnavailable,
    ),
    ("right to send mail on behalf", Cause::GraphSendAsDenied),
    ("mailboxconcurrency limit", Cause::GraphThrottled),
    ("maximum request length", Cause::GraphRequestTooLarge),
    ("request entity too large", Cause::GraphRequestTooLarge),
    ("exceeds the maximum supported size", Cause::MessageTooLarge),
    ("message exceeds", Cause::MessageTooLarge),
    ("recipient is not valid", Cause::RecipientRejected),
    ("all recipients must be resolved", Cause::RecipientRejected),
    ("insufficient privileges", Cause::GraphAccessDenied),
    ("access is denied", Cause::GraphAccessDenied),
];

/// Every Graph error code [`graph_error_cause`] knows, lower case (for recognising pasted
/// text).
pub(crate) fn known_codes() -> impl Iterator<Item = &'static str> {
    SPECIFIC.iter().chain(GENERIC).map(|(code, _)| *code)
}

/// Message words of [`MESSAGES`] that other services use too.
const SHARED_WORDS: &[&str] = &[
    "access is denied",
    "insufficient privileges",
    "message exceeds",
    "invalid audience",
    "request entity too large",
];

/// Whether `message` has words that only Graph's own errors use (for recognising pasted
/// text that quotes the message alone, as the .NET SDK's `ODataError` does).
pub(crate) fn is_graph_message(message: &str) -> bool {
    let lower = message.to_lowercase();
    lower.contains("access is denied. check credentials and try again")
        || MESSAGES
            .iter()
            .any(|(words, _)| !SHARED_WORDS.contains(words) && lower.contains(words))
}

/// The cause of a Microsoft Graph error: the HTTP `status`, and the `code` and `message` of
/// the `{"error": {...}}` body when there is one. Graph's answer to a missing permission or
/// an Exchange policy is the same `403 ErrorAccessDenied`; its message (or an inner error
/// code passed in it) tells them apart where it can.
///
/// Transient: `graph.throttled` (429; honour `Retry-After`) and `server.temporary` (5xx),
/// see [`Cause::is_transient`].
///
/// ```
/// use scanrelay_diagnose::{Cause, graph_error_cause};
///
/// let denied = graph_error_cause(403, Some("ErrorAccessDenied"),
///     Some("Access is denied. Check credentials and try again."));
/// assert_eq!(denied, Cause::GraphAccessDenied);
/// let throttled = graph_error_cause(429, Some("ApplicationThrottled"),
///     Some("Application is over its MailboxConcurrency limit."));
/// assert_eq!(throttled, Cause::GraphThrottled);
/// assert!(throttled.is_transient());
/// assert_eq!(graph_error_cause(413, None, None), Cause::GraphRequestTooLarge);
/// assert_eq!(graph_error_cause(503, None, None), Cause::ServerTemporary);
/// ```
pub fn graph_error_cause(status: u16, code: Option<&str>, message: Option<&str>) -> Cause {
    let code = code.unwrap_or("").trim().to_ascii_lowercase();
    let lookup = |table: &[(&str, Cause)]| {
        table
            .iter()
            .find(|(c, _)| !code.is_empty() && *c == code)
            .map(|(_, cause)| *cause)
    };
    if let Some(cause) = lookup(SPECIFIC) {
        return cause;
    }
    let lower = message.unwrap_or("").to_lowercase();
    let named = SPECIFIC.iter().find(|(c, _)| lower.contains(c));
    if let Some((_, cause)) = named.or_else(|| MESSAGES.iter().find(|(w, _)| lower.contains(w))) {
        return *cause;
    }
    if let Some(cause) = lookup(GENERIC) {
        return cause;
    }
    match status {
        401 => Cause::GraphTokenInvalid,
        403 => Cause::GraphAccessDenied,
        413 => Cause::GraphRequestTooLarge,
        429 => Cause::GraphThrottled,
        500 | 502 | 503 | 504 => Cause::ServerTemporary,
        _ => Cause::Unknown,
    }
}

/// The cause of an error to `POST /users/{mailbox}/messages`, the draft that a message too
/// large for `sendMail` needs: a plain access refusal there means the app has `Mail.Send`
/// but not `Mail.ReadWrite` (`graph.drafts_not_allowed`), unless the message says an
/// application access policy keeps the app out of the mailbox. Anything else as
/// [`graph_error_cause`].
///
/// ```
/// use scanrelay_diagnose::{Cause, graph_draft_error_cause};
///
/// let cause = graph_draft_error_cause(403, Some("ErrorAccessDenied"),
///     Some("Access is denied. Check credentials and try again."));
/// assert_eq!(cause, Cause::GraphDraftsNotAllowed);
/// let policy = graph_draft_error_cause(403, Some("ErrorAccessDenied"),
///     Some("Access to OData is disabled: [RAOP] : Blocked by tenant configured AppOnly AccessPolicy settings."));
/// assert_eq!(policy, Cause::GraphAccessDenied);
/// ```
pub fn graph_draft_error_cause(status: u16, code: Option<&str>, message: Option<&str>) -> Cause {
    let cause = graph_error_cause(status, code, message);
    let lower = message.unwrap_or("").to_lowercase();
    let policy = ["[raop]", "accesspolicy"].iter().any(|w| lower.contains(w));
    if cause == Cause::GraphAccessDenied && !policy {
        Cause::GraphDraftsNotAllowed
    } else {
        cause
    }
}
