//! From an OAuth2 error (the token endpoint's `error`, `error_description` and, at
//! Microsoft, `error_codes`; or the `error` of a redirect or a device-code poll) to a
//! [`Cause`]. Microsoft's AADSTS number names the reason most precisely, so it is looked at
//! first; then the description's words (Google explains itself there); then the RFC 6749 /
//! RFC 8628 `error` code. Takes strings only: the oauth crate and the CLI pass what the
//! server sent.

use crate::Cause;

/// AADSTS numbers and their causes, first match wins. Numbers from Microsoft's published
/// list of Entra error codes and from captures (providers.md B.3).
static AADSTS: &[(u32, Cause)] = &[
    // The grant is gone: unused for 90 days, password changed, revoked, sign-in frequency.
    (700082, Cause::OauthNeedsLogin),
    (50173, Cause::OauthNeedsLogin),
    (70008, Cause::OauthNeedsLogin),
    (70043, Cause::OauthNeedsLogin),
    (700084, Cause::OauthNeedsLogin),
    (50133, Cause::OauthNeedsLogin),
    (50089, Cause::OauthNeedsLogin),
    (54005, Cause::OauthNeedsLogin),
    // MFA, Conditional Access that the user can satisfy.
    (50076, Cause::OauthInteractionRequired),
    (50079, Cause::OauthInteractionRequired),
    (50158, Cause::OauthInteractionRequired),
    (50072, Cause::OauthInteractionRequired),
    (50074, Cause::OauthInteractionRequired),
    (50055, Cause::OauthInteractionRequired),
    (50125, Cause::OauthInteractionRequired),
    // Consent.
    (65001, Cause::OauthConsentRequired),
    (90094, Cause::OauthConsentRequired),
    (90008, Cause::OauthConsentRequired),
    (500011, Cause::OauthConsentRequired),
    (650052, Cause::OauthConsentRequired),
    // Declined or blocked.
    (65004, Cause::OauthAccessDenied),
    (53003, Cause::OauthAccessDenied),
    (50057, Cause::OauthAccessDenied),
    (50053, Cause::OauthAccessDenied),
    (50105, Cause::OauthAccessDenied),
    // The client secret.
    (7000215, Cause::OauthClientSecretWrong),
    (7000222, Cause::OauthClientSecretExpired),
    // Flow / client type.
    (7000218, Cause::OauthFlowNotAllowed),
    (700025, Cause::OauthFlowNotAllowed),
    (700016, Cause::OauthAppNotFound),
    // Tenant.
    (90002, Cause::OauthWrongTenant),
    (50020, Cause::OauthWrongTenant),
    (50194, Cause::OauthWrongTenant),
    (50034, Cause::OauthWrongTenant),
    (9002331, Cause::OauthWrongTenant),
    (90072, Cause::OauthWrongTenant),
    // Scopes and missing parameters.
    (70011, Cause::OauthScopeInvalid),
    (1002012, Cause::OauthScopeInvalid),
    (28002, Cause::OauthScopeInvalid),
    (28003, Cause::OauthScopeInvalid),
    (50011, Cause::OauthRedirectUriMismatch),
    // Device code.
    (70020, Cause::OauthDeviceCodeExpired),
    (70019, Cause::OauthDeviceCodeExpired),
    // Temporary trouble at Microsoft.
    (90033, Cause::OauthTemporarilyUnavailable),
    (90006, Cause::OauthTemporarilyUnavailable),
];

/// Description words (lower case) that name the cause, first match wins: Google's wording
/// and Microsoft's where no number is given.
static DESCRIPTIONS: &[(&str, Cause)] = &[
    ("token has been expired or revoked", Cause::OauthNeedsLogin),
    ("refresh token has expired", Cause::OauthNeedsLogin),
    ("the grant was issued", Cause::OauthNeedsLogin),
    ("the oauth client was not found", Cause::OauthAppNotFound),
    ("client secret is expired", Cause::OauthClientSecretExpired),
    ("client secret keys", Cause::OauthClientSecretExpired),
    ("client_secret is missing", Cause::OauthFlowNotAllowed),
    ("invalid client secret", Cause::OauthClientSecretWrong),
    ("must use multi-factor", Cause::OauthInteractionRequired),
    (
        "must enroll in multi-factor",
        Cause::OauthInteractionRequired,
    ),
    ("has not consented", Cause::OauthConsentRequired),
    ("admin consent", Cause::OauthConsentRequired),
    // AADSTS900144 names the missing parameter: only a missing scope is a scope problem.
    ("following parameter: 'scope'", Cause::OauthScopeInvalid),
    ("input parameter 'scope'", Cause::OauthScopeInvalid),
    ("redirect uri", Cause::OauthRedirectUriMismatch),
    ("redirect_uri", Cause::OauthRedirectUriMismatch),
    ("device code has expired", Cause::OauthDeviceCodeExpired),
];

/// `error` codes (RFC 6749 §5.2 and §4.1.2.1, RFC 8628 §3.5, OpenID Connect, Microsoft's
/// additions), compared without regard to case.
static ERRORS: &[(&str, Cause)] = &[
    ("invalid_grant", Cause::OauthNeedsLogin),
    ("invalid_client", Cause::OauthClientSecretWrong),
    ("unauthorized_client", Cause::OauthFlowNotAllowed),
    ("unsupported_grant_type", Cause::OauthFlowNotAllowed),
    ("invalid_scope", Cause::OauthScopeInvalid),
    ("consent_required", Cause::OauthConsentRequired),
    ("interaction_required", Cause::OauthInteractionRequired),
    ("login_required", Cause::OauthInteractionRequired),
    ("access_denied", Cause::OauthAccessDenied),
    ("authorization_declined", Cause::OauthAccessDenied),
    ("expired_token", Cause::OauthDeviceCodeExpired),
    ("code_expired", Cause::OauthDeviceCodeExpired),
    ("bad_verification_code", Cause::OauthDeviceCodeExpired),
    ("redirect_uri_mismatch", Cause::OauthRedirectUriMismatch),
    (
        "temporarily_unavailable",
        Cause::OauthTemporarilyUnavailable,
    ),
    ("server_error", Cause::OauthTemporarilyUnavailable),
    ("invalid_request", Cause::OauthRequestRejected),
    ("unsupported_response_type", Cause::OauthRequestRejected),
];

/// Every `error` code [`oauth_error_cause`] knows, lower case (for recognising pasted text).
pub(crate) fn known_error_codes() -> impl Iterator<Item = &'static str> {
    ERRORS.iter().map(|(code, _)| *code)
}

/// The cause of an OAuth2 error response: `error` (`invalid_grant`, `invalid_client`,
/// `expired_token`, ...) and `error_description`, from which Microsoft's AADSTS numbers
/// are read. The AADSTS number decides first, then Google's and Microsoft's wording, then
/// `error`; an `error` nobody knows is `oauth.request_rejected`. The provider does not
/// change the cause (its words and numbers say enough); pass it to [`crate::advise`] for
/// the advice.
///
/// ```
/// use scanrelay_diagnose::{Cause, oauth_error_cause};
///
/// let ms = oauth_error_cause(
///     "invalid_grant",
///     Some("AADSTS700082: The refresh token has expired due to inactivity."),
/// );
/// assert_eq!(ms, Cause::OauthNeedsLogin);
/// let google = oauth_error_cause("invalid_grant", Some("Token has been expired or revoked."));
/// assert_eq!(google, Cause::OauthNeedsLogin);
/// let secret = oauth_error_cause(
///     "invalid_client",
///     Some("AADSTS7000215: Invalid client secret provided."),
/// );
/// assert_eq!(secret, Cause::OauthClientSecretWrong);
/// // MFA comes back as invalid_grant too; the number tells it apart.
/// let mfa = oauth_error_cause("invalid_grant", Some("AADSTS50076: Due to a configuration change ..."));
/// assert_eq!(mfa, Cause::OauthInteractionRequired);
/// assert!(!mfa.is_transient());
/// assert!(oauth_error_cause("temporarily_unavailable", None).is_transient());
/// ```
pub fn oauth_error_cause(error: &str, description: Option<&str>) -> Cause {
    oauth_error_cause_with_codes(error, description, &[])
}

/// [`oauth_error_cause`] with Microsoft's `error_codes` list as well (the numbers of the
/// AADSTS codes, e.g. `[700082]`); they count before those found in the description.
///
/// ```
/// use scanrelay_diagnose::{Cause, oauth_error_cause_with_codes};
///
/// let cause = oauth_error_cause_with_codes("invalid_client", None, &[7000222]);
/// assert_eq!(cause, Cause::OauthClientSecretExpired);
/// ```
pub fn oauth_error_cause_with_codes(
    error: &str,
    description: Option<&str>,
    error_codes: &[u32],
) -> Cause {
    let from_description = description.map(aadsts_codes).unwrap_or_default();
    let by_number = error_codes
        .iter()
        .chain(&from_description)
        .find_map(|n| AADSTS.iter().find(|(code, _)| code == n).map(|(_, c)| *c));
    if let Some(cause) = by_number {
        return cause;
    }
    let lower = description.unwrap_or("").to_lowercase();
    if let Some((_, cause)) = DESCRIPTIONS.iter().find(|(words, _)| lower.contains(words)) {
        return *cause;
    }
    let error = error.trim().to_ascii_lowercase();
    ERRORS
        .iter()
        .find(|(code, _)| *code == error)
        .map_or(Cause::OauthRequestRejected, |(_, cause)| *cause)
}

/// The AADSTS numbers in a text, in order, without repeats: `AADSTS700082: The refresh
/// token ...` gives `[700082]`.
///
/// ```
/// assert_eq!(scanrelay_diagnose::aadsts_codes("x AADSTS50076: y, aadsts50076 AADSTS7000215"),
///            vec![50076, 7000215]);
/// ```
pub fn aadsts_codes(text: &str) -> Vec<u32> {
    let mut out = Vec::new();
    let upper = text.to_ascii_uppercase();
    for (at, m) in upper.match_indices("AADSTS") {
        let digits: String = upper[at + m.len()..]
            .chars()
            .take_while(char::is_ascii_digit)
            .take(9)
            .collect();
        if let Ok(n) = digits.parse::<u32>()
            && !out.contains(&n)
        {
            out.push(n);
        }
    }
    out
}
