//! OAuth2 sign-in and Microsoft Graph errors (issue 7, item 6b): the typed entry points,
//! the labelled fixture `fixtures/oauth-graph-errors.jsonl`, the forms people paste, and
//! an OAuth2 token refused by an SMTP server.

use scanrelay_diagnose::{
    Cause, Service, aadsts_codes, explain, graph_draft_error_cause, graph_error_cause,
    oauth_error_cause, oauth_error_cause_with_codes, parse_service_error,
};
use serde::Deserialize;

const ERRORS: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../fixtures/oauth-graph-errors.jsonl"
));

/// One labelled row: `service` is `oauth`, `graph` or `smtp` (an SMTP reply after an OAuth2
/// login); `status` is the HTTP status the pasted text gives (null: it gives none).
#[derive(Debug, Deserialize)]
struct Row {
    service: String,
    text: String,
    status: Option<u16>,
    cause: String,
}

fn rows() -> Vec<Row> {
    ERRORS
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad fixture line {l}: {e}")))
        .collect()
}

#[test]
fn every_labelled_oauth_and_graph_error_is_explained_as_labelled() {
    let rows = rows();
    assert!(rows.len() >= 35, "{} rows", rows.len());
    for row in rows {
        let want: Cause = row.cause.parse().expect("labelled cause is a known code");
        let e = explain(&row.text, None, None);
        assert_eq!(e.cause, want, "{}", row.text);
        let service = e.service.as_ref().map(|s| s.service);
        let expected = match row.service.as_str() {
            "oauth" => Some(Service::OAuth),
            "graph" => Some(Service::Graph),
            _ => None,
        };
        assert_eq!(service, expected, "{}", row.text);
        assert_eq!(
            e.service.as_ref().and_then(|s| s.status),
            row.status,
            "{}",
            row.text
        );
        assert!(e.recognised(), "{}", row.text);
    }
}

/// The fixture covers every new cause but `graph.drafts_not_allowed`, which only the
/// gateway produces (it depends on which request failed, not on the error text).
#[test]
fn the_fixture_covers_the_new_causes() {
    let labelled: Vec<Cause> = rows().iter().map(|r| r.cause.parse().unwrap()).collect();
    let new = Cause::ALL.iter().filter(|c| {
        let code = c.as_str();
        code.starts_with("oauth.") || code.starts_with("graph.") || code.contains("wrong_audience")
    });
    let missing: Vec<&Cause> = new
        .filter(|c| !labelled.contains(c))
        .filter(|c| **c != Cause::GraphDraftsNotAllowed)
        .collect();
    assert!(missing.is_empty(), "no fixture row for {missing:?}");
}

/// (error, description, error_codes, cause)
const OAUTH_CASES: &[(&str, Option<&str>, &[u32], Cause)] = &[
    ("invalid_grant", None, &[], Cause::OauthNeedsLogin),
    (
        "invalid_grant",
        Some(
            "AADSTS50173: The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password.",
        ),
        &[],
        Cause::OauthNeedsLogin,
    ),
    (
        "invalid_grant",
        Some(
            "AADSTS70043: The refresh token has expired or is invalid due to sign-in frequency checks by conditional access.",
        ),
        &[],
        Cause::OauthNeedsLogin,
    ),
    (
        "invalid_grant",
        Some("Token has been expired or revoked."),
        &[],
        Cause::OauthNeedsLogin,
    ),
    // The number counts before the error code: MFA arrives as invalid_grant.
    (
        "invalid_grant",
        None,
        &[50076],
        Cause::OauthInteractionRequired,
    ),
    (
        "interaction_required",
        None,
        &[],
        Cause::OauthInteractionRequired,
    ),
    ("INVALID_CLIENT", None, &[], Cause::OauthClientSecretWrong),
    (
        "invalid_client",
        Some("Unauthorized"),
        &[],
        Cause::OauthClientSecretWrong,
    ),
    (
        "invalid_client",
        Some("The OAuth client was not found."),
        &[],
        Cause::OauthAppNotFound,
    ),
    (
        "invalid_client",
        None,
        &[7000222],
        Cause::OauthClientSecretExpired,
    ),
    // error_codes count before the numbers in the description.
    (
        "invalid_client",
        Some("AADSTS7000215: Invalid client secret provided."),
        &[7000222],
        Cause::OauthClientSecretExpired,
    ),
    ("unauthorized_client", None, &[], Cause::OauthFlowNotAllowed),
    (
        "invalid_request",
        Some("client_secret is missing."),
        &[],
        Cause::OauthFlowNotAllowed,
    ),
    ("invalid_scope", None, &[], Cause::OauthScopeInvalid),
    (
        "invalid_request",
        None,
        &[1002012],
        Cause::OauthScopeInvalid,
    ),
    ("consent_required", None, &[], Cause::OauthConsentRequired),
    ("invalid_grant", None, &[90094], Cause::OauthConsentRequired),
    ("access_denied", None, &[], Cause::OauthAccessDenied),
    (
        "authorization_declined",
        None,
        &[],
        Cause::OauthAccessDenied,
    ),
    ("expired_token", None, &[], Cause::OauthDeviceCodeExpired),
    (
        "bad_verification_code",
        None,
        &[],
        Cause::OauthDeviceCodeExpired,
    ),
    ("invalid_request", None, &[90002], Cause::OauthWrongTenant),
    (
        "unauthorized_client",
        None,
        &[700016],
        Cause::OauthAppNotFound,
    ),
    (
        "redirect_uri_mismatch",
        None,
        &[],
        Cause::OauthRedirectUriMismatch,
    ),
    (
        "temporarily_unavailable",
        None,
        &[],
        Cause::OauthTemporarilyUnavailable,
    ),
    (
        "server_error",
        None,
        &[],
        Cause::OauthTemporarilyUnavailable,
    ),
    ("invalid_request", None, &[], Cause::OauthRequestRejected),
    (
        "something_new",
        Some("who knows"),
        &[],
        Cause::OauthRequestRejected,
    ),
    // An AADSTS number nobody listed leaves the decision to the error code.
    (
        "invalid_grant",
        Some("AADSTS9999999: new"),
        &[],
        Cause::OauthNeedsLogin,
    ),
];

#[test]
fn oauth_errors_map_to_causes() {
    for &(error, description, codes, want) in OAUTH_CASES {
        assert_eq!(
            oauth_error_cause_with_codes(error, description, codes),
            want,
            "{error} {description:?} {codes:?}"
        );
        if codes.is_empty() {
            assert_eq!(oauth_error_cause(error, description), want, "{error}");
        }
    }
}

#[test]
fn aadsts_numbers_are_read_from_text() {
    let cases: &[(&str, &[u32])] = &[
        ("AADSTS700082: The refresh token has expired", &[700082]),
        (
            "error: aadsts50076 and AADSTS50076 again, AADSTS7000215",
            &[50076, 7000215],
        ),
        ("AADSTS: no number", &[]),
        ("no code at all", &[]),
    ];
    for &(text, want) in cases {
        assert_eq!(aadsts_codes(text), want, "{text}");
    }
}

/// (status, code, message, cause)
const GRAPH_CASES: &[(u16, Option<&str>, Option<&str>, Cause)] = &[
    (
        403,
        Some("ErrorAccessDenied"),
        Some("Access is denied. Check credentials and try again."),
        Cause::GraphAccessDenied,
    ),
    (
        403,
        Some("Authorization_RequestDenied"),
        Some("Insufficient privileges to complete the operation."),
        Cause::GraphAccessDenied,
    ),
    // A generic code with a specific inner code or message.
    (
        403,
        Some("ErrorAccessDenied"),
        Some("x [MailboxNotEnabledForRESTAPI]"),
        Cause::GraphMailboxUnavailable,
    ),
    (
        401,
        Some("InvalidAuthenticationToken"),
        Some("Access token has expired or is not yet valid."),
        Cause::GraphTokenInvalid,
    ),
    (
        401,
        Some("NoPermissionsInAccessToken"),
        None,
        Cause::GraphNoPermissionsInToken,
    ),
    (
        404,
        Some("MailboxNotEnabledForRESTAPI"),
        None,
        Cause::GraphMailboxUnavailable,
    ),
    (
        404,
        Some("ErrorInvalidUser"),
        Some("The requested user 'scan@contoso.com' is invalid."),
        Cause::GraphMailboxUnavailable,
    ),
    (
        403,
        Some("ErrorSendAsDenied"),
        None,
        Cause::GraphSendAsDenied,
    ),
    (
        429,
        Some("ApplicationThrottled"),
        None,
        Cause::GraphThrottled,
    ),
    (503, Some("ErrorServerBusy"), None, Cause::GraphThrottled),
    (
        400,
        Some("ErrorMessageSizeExceeded"),
        None,
        Cause::MessageTooLarge,
    ),
    (
        413,
        Some("RequestEntityTooLarge"),
        None,
        Cause::GraphRequestTooLarge,
    ),
    (
        400,
        Some("ErrorInvalidRecipients"),
        None,
        Cause::RecipientRejected,
    ),
    (507, Some("ErrorQuotaExceeded"), None, Cause::MailboxFull),
    (
        400,
        Some("ErrorSubmissionQuotaExceeded"),
        None,
        Cause::QuotaExceeded,
    ),
    (
        400,
        Some("ErrorMessageSubmissionBlocked"),
        None,
        Cause::PolicyRejected,
    ),
    (
        503,
        Some("ErrorMailboxStoreUnavailable"),
        None,
        Cause::ServerTemporary,
    ),
    // The status alone.
    (401, None, None, Cause::GraphTokenInvalid),
    (403, None, None, Cause::GraphAccessDenied),
    (413, None, None, Cause::GraphRequestTooLarge),
    (429, None, None, Cause::GraphThrottled),
    (500, Some("generalException"), None, Cause::ServerTemporary),
    (502, None, None, Cause::ServerTemporary),
    (504, None, None, Cause::ServerTemporary),
    (
        400,
        Some("ErrorMimeContentInvalidBase64String"),
        None,
        Cause::Unknown,
    ),
    (404, None, None, Cause::Unknown),
];

#[test]
fn graph_errors_map_to_causes() {
    for &(status, code, message, want) in GRAPH_CASES {
        assert_eq!(
            graph_error_cause(status, code, message),
            want,
            "{status} {code:?} {message:?}"
        );
    }
}

/// Graph's answers that the gateway retries by itself (with `Retry-After`), and the ones
/// that need a change first.
#[test]
fn graph_and_oauth_transience() {
    let transient = [
        graph_error_cause(429, Some("ApplicationThrottled"), None),
        graph_error_cause(503, None, None),
        oauth_error_cause("temporarily_unavailable", None),
    ];
    assert!(transient.iter().all(|c| c.is_transient()), "{transient:?}");
    let permanent = [
        graph_error_cause(403, Some("ErrorAccessDenied"), None),
        graph_error_cause(401, None, None),
        graph_error_cause(413, None, None),
        oauth_error_cause("invalid_grant", None),
        oauth_error_cause("invalid_client", None),
    ];
    assert!(permanent.iter().all(|c| !c.is_transient()), "{permanent:?}");
    assert!(oauth_error_cause("invalid_grant", None).needs_login());
    assert!(!oauth_error_cause("invalid_client", None).needs_login());
}

#[test]
fn a_refused_draft_means_mail_send_without_mail_readwrite() {
    let denied = Some("Access is denied. Check credentials and try again.");
    let raop = Some(
        "Access to OData is disabled: [RAOP] : Blocked by tenant configured AppOnly AccessPolicy settings.",
    );
    let cases = [
        (
            403,
            Some("ErrorAccessDenied"),
            denied,
            Cause::GraphDraftsNotAllowed,
        ),
        (403, None, None, Cause::GraphDraftsNotAllowed),
        (
            403,
            Some("ErrorAccessDenied"),
            raop,
            Cause::GraphAccessDenied,
        ),
        (
            429,
            Some("ApplicationThrottled"),
            None,
            Cause::GraphThrottled,
        ),
        (
            401,
            Some("InvalidAuthenticationToken"),
            None,
            Cause::GraphTokenInvalid,
        ),
    ];
    for (status, code, message, want) in cases {
        assert_eq!(
            graph_draft_error_cause(status, code, message),
            want,
            "{code:?} {message:?}"
        );
        // The same answer to sendMail is no draft problem.
        assert_ne!(
            graph_error_cause(status, code, message),
            Cause::GraphDraftsNotAllowed
        );
    }
}

/// A pasted transcript shows whether the client logged in with a token.
#[test]
fn explain_reads_the_auth_mechanism_from_a_transcript() {
    let cases = [
        (
            "C: AUTH XOAUTH2 dXNlcj0uLi4=\nS: 535 5.7.3 Authentication unsuccessful",
            Cause::AuthOauthWrongAudienceOrPermission,
        ),
        (
            ">> AUTH OAUTHBEARER\n<< 535-5.7.8 Username and Password not accepted. - gsmtp",
            Cause::AuthOauthTokenRejected,
        ),
        // XOAUTH2 only offered, the login was a password.
        (
            "S: 250-AUTH LOGIN XOAUTH2\nC: AUTH LOGIN\nS: 535 5.7.3 Authentication unsuccessful",
            Cause::AuthBadCredentials,
        ),
        (
            "S: 250-AUTH XOAUTH2\nC: AUTH LOGIN\nS: 535 5.7.3 Authentication unsuccessful",
            Cause::AuthBadCredentials,
        ),
        (
            "535 5.7.3 Authentication unsuccessful",
            Cause::AuthBadCredentials,
        ),
    ];
    for (text, want) in cases {
        assert_eq!(explain(text, None, None).cause, want, "{text}");
    }
}

/// (pasted text, service, status, cause): the forms the SDKs and tools print.
const PASTES: &[(&str, Service, Option<u16>, Cause)] = &[
    (
        r#"2024-05-02 ERROR token refresh failed: {\"error\":\"invalid_grant\",\"error_description\":\"AADSTS700082: The refresh token has expired due to inactivity.\"}"#,
        Service::OAuth,
        None,
        Cause::OauthNeedsLogin,
    ),
    (
        "HTTP/2 400\n{'error': 'invalid_client', 'error_description': 'AADSTS7000215: Invalid client secret provided.'}",
        Service::OAuth,
        Some(400),
        Cause::OauthClientSecretWrong,
    ),
    (
        "http://127.0.0.1:8400/?error=invalid_scope&error_description=AADSTS70011%3a+The+provided+value+for+the+input+parameter+%27scope%27+is+not+valid.&state=1",
        Service::OAuth,
        None,
        Cause::OauthScopeInvalid,
    ),
    (
        "The remote server returned an error: (403) Forbidden. ErrorAccessDenied",
        Service::Graph,
        Some(403),
        Cause::GraphAccessDenied,
    ),
    (
        "Status code 429 from https://graph.microsoft.com/v1.0/users/scan@contoso.com/sendMail",
        Service::Graph,
        Some(429),
        Cause::GraphThrottled,
    ),
    (
        "StatusCode: 401\nCode: InvalidAuthenticationToken\nMessage: Access token has expired or is not yet valid.",
        Service::Graph,
        Some(401),
        Cause::GraphTokenInvalid,
    ),
    (
        "MsalUiRequiredException: AADSTS50158: External security challenge not satisfied.",
        Service::OAuth,
        None,
        Cause::OauthInteractionRequired,
    ),
    (
        "MsalUiRequiredException: No account or login hint was passed to the AcquireTokenSilent call.",
        Service::OAuth,
        None,
        Cause::OauthInteractionRequired,
    ),
    (
        "Error 403: access_denied\nThe developer hasn't given you access to this app.",
        Service::OAuth,
        None,
        Cause::OauthAccessDenied,
    ),
    (
        "HTTP/1.1 502 Bad Gateway {\"error\":\"server_error\"}",
        Service::OAuth,
        Some(502),
        Cause::OauthTemporarilyUnavailable,
    ),
];

#[test]
fn pasted_forms_are_read() {
    for &(text, service, status, want) in PASTES {
        let e = parse_service_error(text).unwrap_or_else(|| panic!("nothing found in {text}"));
        assert_eq!(
            (e.service, e.status, e.cause()),
            (service, status, want),
            "{text}"
        );
        assert_eq!(explain(text, None, None).cause, want, "{text}");
    }
}

/// Text that is not an OAuth2 or Graph error stays with the SMTP reader: a tool's JSON log
/// with an SMTP reply in "error", SMTP replies that mention tokens or denial, an HTTP
/// status line without any sign of Graph.
#[test]
fn smtp_pastes_are_not_taken_for_oauth_or_graph() {
    let cases = [
        (
            "{\"error\": \"Invalid login: 535-5.7.8 Username and Password not accepted. - gsmtp\"}",
            Cause::AuthBadCredentials,
        ),
        (
            "554 5.7.1 <x@y>: Client host rejected: Access denied",
            Cause::PolicyRejected,
        ),
        (
            "535 5.7.8 Error: authentication failed: invalid token",
            Cause::AuthBadCredentials,
        ),
        (
            "421 4.7.0 Try again later, closing connection. (EHLO) - gsmtp",
            Cause::RateLimited,
        ),
    ];
    for (text, want) in cases {
        assert!(
            parse_service_error(text).is_none(),
            "{text}: {:?}",
            parse_service_error(text)
        );
        assert_eq!(explain(text, None, None).cause, want, "{text}");
    }
}

/// The provider behind a service error, when it shows: Microsoft for Graph and AADSTS.
#[test]
fn service_errors_name_microsoft_where_it_shows() {
    let graph = explain(
        r#"{"error":{"code":"ErrorSendAsDenied","message":"x"}}"#,
        None,
        None,
    );
    assert_eq!(graph.provider.map(|p| p.id), Some("m365"));
    let aad = explain("AADSTS90002: Tenant 'x' not found.", None, None);
    assert_eq!(aad.provider.map(|p| p.id), Some("m365"));
    let google = explain(
        r#"{"error": "invalid_grant", "error_description": "Token has been expired or revoked."}"#,
        None,
        None,
    );
    assert_eq!(google.provider, None);
}

/// The message kept from free text is its one telling line, never the whole paste: a log
/// around an SDK exception may hold anything, an access token included.
#[test]
fn free_text_keeps_one_line_and_no_token() {
    let text = "Microsoft.Graph.Models.ODataErrors.ODataError: Access is denied. Check credentials and try again.\n\
                POST https://graph.microsoft.com/v1.0/users/scan@contoso.com/sendMail\n\
                Authorization: Bearer eyJ0eXAiOiJKV1QiLCJub25jZSI6InNlY3JldCJ9.cGF5bG9hZA.c2ln";
    let e = parse_service_error(text).unwrap();
    assert_eq!(
        e.message.as_deref(),
        Some("Access is denied. Check credentials and try again.")
    );
    let json = serde_json::to_string(&explain(text, None, None)).unwrap();
    assert!(!json.contains("eyJ0eXAi"), "{json}");
    let google = "2024-05-02 refresh failed\ninvalid_grant: Token has been expired or revoked.\nrefresh_token=1//0gSECRETSECRET";
    let e = parse_service_error(google).unwrap();
    assert_eq!(
        e.message.as_deref(),
        Some("invalid_grant: Token has been expired or revoked.")
    );
}

/// Pieces the service-error reader looks for, mixed at random with multi-byte text.
const PIECES: &[&str] = &[
    "{",
    "}",
    "\"error\"",
    "'error'",
    ":",
    " ",
    "\"",
    "'",
    "\\\"",
    "AADSTS",
    "700082",
    "aadsts",
    "HTTP/",
    "1.1 ",
    "2",
    "403",
    "429",
    " Forbidden",
    "Status",
    "code",
    "=",
    "?error=",
    "&",
    "error_description=",
    "%",
    "%2",
    "%e2%82",
    "+",
    "invalid_grant",
    "ErrorAccessDenied",
    "\"code\"",
    "\"message\"",
    "\"error_codes\"",
    "[",
    "]",
    ",",
    "한글",
    "é",
    "\n",
    "Message:",
    "ODataError:",
    "graph.microsoft.com",
    "MsalUiRequiredException",
    "(",
    ")",
    "\\",
];

#[test]
fn odd_inputs_do_not_panic_the_service_reader() {
    let mut seed: u64 = 0x0a17;
    for _ in 0..5000 {
        let mut input = String::new();
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let len = (seed >> 59) as usize;
        for _ in 0..len {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            input.push_str(PIECES[(seed >> 33) as usize % PIECES.len()]);
        }
        if let Some(e) = parse_service_error(&input) {
            assert!(
                e.status.is_none_or(|s| (100..=599).contains(&s)),
                "{input:?}"
            );
            let _ = e.cause();
        }
        let _ = explain(&input, None, None);
    }
}
