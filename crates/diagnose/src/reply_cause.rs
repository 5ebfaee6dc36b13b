//! Replies to cause codes: the facts of a server reply that the rule table reads, the cause of
//! a reply received at a stage, and the refinement of a refused AUTH when the credential was an
//! OAuth2 token. Protocol types only: the SMTP client maps its own errors (connection, TLS,
//! the TLS-mode probes) to causes in `scanrelay_client::diagnosis`, using these.

use scanrelay_proto::Reply;

use crate::causes::{Cause, ReplyFacts, Stage};
use crate::providers::Provider;
use crate::rules::classify_reply;

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

/// The cause of a refused AUTH when the credential was an OAuth2 token: the password
/// causes (`auth.bad_credentials`, `auth.app_password_required`,
/// `auth.basic_auth_disabled`) cannot be the reason, so they become a token cause.
/// Microsoft's `535 5.7.3` after XOAUTH2 (the token was read, but it is for another
/// service or the app lacks the SMTP permission) is
/// `auth.oauth_wrong_audience_or_permission`; anything else is `auth.oauth_token_rejected`.
/// Causes that are not about the password (`auth.smtp_auth_disabled`, throttling, ...)
/// stay as they are.
///
/// ```
/// use scanrelay_diagnose::{Cause, ReplyFacts, token_auth_cause};
///
/// let ms = ReplyFacts::new(535, Some("5.7.3"), "Authentication unsuccessful");
/// assert_eq!(token_auth_cause(Cause::AuthBadCredentials, &ms),
///            Cause::AuthOauthWrongAudienceOrPermission);
/// let gmail = ReplyFacts::new(535, Some("5.7.8"), "Username and Password not accepted");
/// assert_eq!(token_auth_cause(Cause::AuthBadCredentials, &gmail), Cause::AuthOauthTokenRejected);
/// let off = ReplyFacts::new(535, Some("5.7.139"), "SmtpClientAuthentication is disabled");
/// assert_eq!(token_auth_cause(Cause::AuthSmtpAuthDisabled, &off), Cause::AuthSmtpAuthDisabled);
/// ```
pub fn token_auth_cause(cause: Cause, reply: &ReplyFacts) -> Cause {
    match cause {
        Cause::AuthBadCredentials
        | Cause::AuthAppPasswordRequired
        | Cause::AuthBasicAuthDisabled => {
            let detail: Vec<&str> = reply.enhanced.as_deref().unwrap_or("").split('.').collect();
            if reply.code == 535 && detail.get(1..) == Some(&["7", "3"][..]) {
                Cause::AuthOauthWrongAudienceOrPermission
            } else {
                Cause::AuthOauthTokenRejected
            }
        }
        other => other,
    }
}
