//! `explain`: from pasted text to a cause, with the provider recognised on the way. The
//! text may hold an SMTP reply, an OAuth2 sign-in error or a Microsoft Graph error.

use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

use crate::{
    Cause, Provider, ReplyFacts, Service, ServiceError, Stage, classify_error, classify_reply,
    detect_provider, parse_pasted, parse_service_error, provider, token_auth_cause,
};

/// The result of [`explain`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    /// The diagnosis.
    pub cause: Cause,
    /// The SMTP reply found in the input, if any.
    pub facts: Option<ReplyFacts>,
    /// The OAuth2 or Graph error found in the input, if any (then `facts` is `None`).
    pub service: Option<ServiceError>,
    /// The provider (given, or recognised from the text).
    pub provider: Option<&'static Provider>,
}

impl Explanation {
    /// Whether the input held something recognisable: an SMTP reply or a service error.
    pub fn recognised(&self) -> bool {
        self.facts.is_some() || self.service.is_some()
    }
}

impl Serialize for Explanation {
    /// `{"cause": "...", "facts": {...} | null, "service": {...} | null,
    /// "provider": "gmail" | null}`.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Explanation", 4)?;
        s.serialize_field("cause", &self.cause)?;
        s.serialize_field("facts", &self.facts)?;
        s.serialize_field("service", &self.service)?;
        s.serialize_field("provider", &self.provider.map(|p| p.id))?;
        s.end()
    }
}

/// Explains pasted text. An OAuth2 sign-in error or a Microsoft Graph error
/// ([`parse_service_error`]) is read first, since an HTTP status line would otherwise pass
/// for an SMTP reply code; then the SMTP reply ([`parse_pasted`]), classified with the
/// provider given or recognised ([`detect_provider`] on the whole input). A reply to AUTH
/// in a transcript that sent `AUTH XOAUTH2` or `AUTH OAUTHBEARER` is read as a refused
/// token ([`token_auth_cause`]), never as a bad password. Input without either is read as
/// a client error message ([`classify_error`]: DNS, connection, TLS), which gives
/// `unknown` when nothing matches.
///
/// ```
/// use scanrelay_diagnose::{Cause, explain};
///
/// let e = explain(r#"{"error":"invalid_grant","error_description":"AADSTS700082: The refresh token has expired due to inactivity."}"#, None, None);
/// assert_eq!(e.cause, Cause::OauthNeedsLogin);
/// assert_eq!(e.provider.map(|p| p.id), Some("m365"));
/// let e = explain("C: AUTH XOAUTH2 dXNlcj1...\nS: 535 5.7.3 Authentication unsuccessful", None, None);
/// assert_eq!(e.cause, Cause::AuthOauthWrongAudienceOrPermission);
/// ```
pub fn explain(
    input: &str,
    stage: Option<Stage>,
    provider: Option<&'static Provider>,
) -> Explanation {
    let detected = provider.or_else(|| detect_provider(None, input));
    if let Some(service) = parse_service_error(input) {
        return Explanation {
            cause: service.cause(),
            provider: detected.or_else(|| service_provider(&service, input)),
            facts: None,
            service: Some(service),
        };
    }
    let facts = parse_pasted(input);
    let cause = match &facts {
        Some(facts) => {
            let cause = classify_reply(stage, facts, detected);
            let at_auth = stage.is_none_or(|s| s == Stage::Auth);
            if at_auth && sent_token(input) {
                token_auth_cause(cause, facts)
            } else {
                cause
            }
        }
        None => classify_error(stage, input),
    };
    Explanation {
        cause,
        facts,
        service: None,
        provider: detected,
    }
}

/// Microsoft for Graph and for Microsoft's sign-in (AADSTS numbers, its host names); none
/// for other sign-in servers, whose errors do not say which mail service they were for.
fn service_provider(service: &ServiceError, input: &str) -> Option<&'static Provider> {
    let lower = input.to_ascii_lowercase();
    let microsoft = service.service == Service::Graph
        || !service.aadsts.is_empty()
        || lower.contains("login.microsoftonline.com")
        || lower.contains("msal");
    microsoft.then(|| provider("m365")).flatten()
}

/// Whether a pasted transcript shows the client starting an OAuth2 login (`AUTH XOAUTH2`,
/// `AUTH OAUTHBEARER`), not merely a server offering it in its EHLO list.
fn sent_token(input: &str) -> bool {
    input.lines().any(|line| {
        let lower = line.to_ascii_lowercase();
        let offered = lower.contains("250-auth") || lower.contains("250 auth");
        !offered
            && ["auth xoauth2", "auth oauthbearer"]
                .iter()
                .any(|m| lower.contains(m))
    })
}
