//! The vocabulary of a diagnosis: SMTP session stages, cause codes and reply facts.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::ParseError;

/// The step of an SMTP session (or of reaching the server) at which something happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stage {
    /// Resolving the server name.
    Dns,
    /// Opening the TCP connection.
    Connect,
    /// The server's `220` greeting.
    Banner,
    /// `EHLO` / `HELO`.
    Ehlo,
    /// The `STARTTLS` command.
    StartTls,
    /// The TLS handshake (after `STARTTLS`, or first thing on port 465).
    Tls,
    /// `AUTH` and its SASL exchange.
    Auth,
    /// `MAIL FROM`.
    Mail,
    /// `RCPT TO`.
    Rcpt,
    /// `DATA` / `BDAT` and the reply after the message body.
    Data,
    /// `QUIT`.
    Quit,
}

impl Stage {
    /// Every stage, in session order.
    pub const ALL: &'static [Stage] = &[
        Stage::Dns,
        Stage::Connect,
        Stage::Banner,
        Stage::Ehlo,
        Stage::StartTls,
        Stage::Tls,
        Stage::Auth,
        Stage::Mail,
        Stage::Rcpt,
        Stage::Data,
        Stage::Quit,
    ];

    /// The stable lower-case name: `dns`, `connect`, `banner`, `ehlo`, `starttls`, `tls`,
    /// `auth`, `mail`, `rcpt`, `data` or `quit`.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Dns => "dns",
            Stage::Connect => "connect",
            Stage::Banner => "banner",
            Stage::Ehlo => "ehlo",
            Stage::StartTls => "starttls",
            Stage::Tls => "tls",
            Stage::Auth => "auth",
            Stage::Mail => "mail",
            Stage::Rcpt => "rcpt",
            Stage::Data => "data",
            Stage::Quit => "quit",
        }
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Stage {
    type Err = ParseError;

    /// Accepts the [`Stage::as_str`] names and common spellings: `greeting`/`220`, `helo`,
    /// `mail_from`/`mail from`, `rcpt_to`/`rcpt to`, `end_of_data`, `bdat`, `login`, ...
    /// Case, `-`, `_` and spaces do not matter.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let key: String = s
            .trim()
            .chars()
            .filter(|c| !matches!(c, '-' | '_' | ' ' | '.'))
            .flat_map(char::to_lowercase)
            .collect();
        let stage = match key.as_str() {
            "dns" | "resolve" | "lookup" => Stage::Dns,
            "connect" | "tcp" | "connection" => Stage::Connect,
            "banner" | "greeting" | "220" => Stage::Banner,
            "ehlo" | "helo" | "lhlo" => Stage::Ehlo,
            "starttls" => Stage::StartTls,
            "tls" | "ssl" | "handshake" | "tlshandshake" => Stage::Tls,
            "auth" | "login" | "authenticate" | "sasl" => Stage::Auth,
            "mail" | "mailfrom" | "from" | "sender" => Stage::Mail,
            "rcpt" | "rcptto" | "to" | "recipient" => Stage::Rcpt,
            "data" | "endofdata" | "bdat" | "message" | "body" => Stage::Data,
            "quit" => Stage::Quit,
            _ => return Err(ParseError::Stage(s.to_owned())),
        };
        Ok(stage)
    }
}

impl Serialize for Stage {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Stage {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// What went wrong (or `Ok`): the stable cause codes shared by the checker, the gateway's
/// logs and the advice texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cause {
    /// `ok`: the step succeeded.
    Ok,
    /// `dns.not_found`: the server name does not resolve.
    DnsNotFound,
    /// `connect.refused`: nothing listens on that port (or a firewall rejects it).
    ConnectRefused,
    /// `connect.timeout`: no answer on that port.
    ConnectTimeout,
    /// `connect.not_smtp`: something answers on that port, but not an SMTP server (POP3,
    /// IMAP, HTTP, SSH, ...): usually a wrong port number.
    ConnectNotSmtp,
    /// `connect.not_pop3`: `check --pop` or `fetch` reached something that is not a POP3
    /// server (SMTP, IMAP, HTTP, ...): usually a wrong port number.
    ConnectNotPop3,
    /// `tls.mode_mismatch`: implicit TLS (SSL) against a STARTTLS port or the other way round.
    TlsModeMismatch,
    /// `tls.handshake_failed`: the TLS handshake failed for another reason.
    TlsHandshakeFailed,
    /// `tls.version_rejected`: the server refuses the TLS version (e.g. TLS 1.0/1.1).
    TlsVersionRejected,
    /// `tls.certificate_untrusted`: the certificate chain is not trusted.
    TlsCertificateUntrusted,
    /// `tls.hostname_mismatch`: the certificate is for another name.
    TlsHostnameMismatch,
    /// `tls.certificate_expired`: the certificate is expired or not yet valid.
    TlsCertificateExpired,
    /// `tls.starttls_required`: the server wants STARTTLS before AUTH/MAIL.
    TlsStarttlsRequired,
    /// `tls.starttls_unavailable`: the server does not offer STARTTLS.
    TlsStarttlsUnavailable,
    /// `auth.not_offered`: the server offers no AUTH (at this point).
    AuthNotOffered,
    /// `auth.mechanism_unsupported`: the SASL mechanism is not supported.
    AuthMechanismUnsupported,
    /// `auth.required`: the server wants AUTH before MAIL FROM.
    AuthRequired,
    /// `auth.app_password_required`: the normal password is refused, an app password is needed.
    AuthAppPasswordRequired,
    /// `auth.bad_credentials`: user name or password rejected.
    AuthBadCredentials,
    /// `auth.smtp_auth_disabled`: SMTP AUTH is switched off for the mailbox or tenant.
    AuthSmtpAuthDisabled,
    /// `auth.basic_auth_disabled`: password (Basic) login is disabled; OAuth2 only.
    AuthBasicAuthDisabled,
    /// `auth.oauth_token_rejected`: the OAuth2 token was refused.
    AuthOauthTokenRejected,
    /// `auth.too_many_attempts`: too many logins; temporarily locked.
    AuthTooManyAttempts,
    /// `auth.oauth_wrong_audience_or_permission`: the server refused an OAuth2 token that it
    /// could read (Microsoft's `535 5.7.3` after XOAUTH2): issued for another service (a
    /// Graph token), or the app lacks the SMTP permission for the mailbox.
    AuthOauthWrongAudienceOrPermission,
    /// `oauth.needs_login`: the refresh token expired or was revoked (`invalid_grant`):
    /// someone must sign in again.
    OauthNeedsLogin,
    /// `oauth.interaction_required`: MFA or Conditional Access needs the user at the sign-in.
    OauthInteractionRequired,
    /// `oauth.consent_required`: nobody has consented to the app's permissions yet.
    OauthConsentRequired,
    /// `oauth.access_denied`: the sign-in was declined, or a policy blocks it.
    OauthAccessDenied,
    /// `oauth.client_secret_wrong`: the client secret is wrong (often the secret's ID
    /// instead of its value).
    OauthClientSecretWrong,
    /// `oauth.client_secret_expired`: the client secret has expired.
    OauthClientSecretExpired,
    /// `oauth.flow_not_allowed`: the app registration does not allow the configured flow
    /// (public client flows off, wrong client type, a secret missing or not wanted).
    OauthFlowNotAllowed,
    /// `oauth.app_not_found`: the client ID is unknown in this directory.
    OauthAppNotFound,
    /// `oauth.wrong_tenant`: the tenant does not exist, or the user or app is not in it.
    OauthWrongTenant,
    /// `oauth.scope_invalid`: the requested scopes are invalid for the app, provider or flow.
    OauthScopeInvalid,
    /// `oauth.redirect_uri_mismatch`: the browser sign-in's redirect address is not
    /// registered for the app.
    OauthRedirectUriMismatch,
    /// `oauth.device_code_expired`: the device-code sign-in was not finished in time, or
    /// the code was wrong.
    OauthDeviceCodeExpired,
    /// `oauth.temporarily_unavailable`: the sign-in server had a temporary problem.
    OauthTemporarilyUnavailable,
    /// `oauth.request_rejected`: the sign-in server refused the request for another reason.
    OauthRequestRejected,
    /// `graph.token_invalid`: Graph refused the token (`InvalidAuthenticationToken`:
    /// expired, or issued for another service).
    GraphTokenInvalid,
    /// `graph.no_permissions_in_token`: the token carries no Graph mail permission.
    GraphNoPermissionsInToken,
    /// `graph.access_denied`: Graph denied access to the mailbox (`ErrorAccessDenied`: no
    /// `Mail.Send`, or an application access policy / RBAC for Applications excludes it).
    GraphAccessDenied,
    /// `graph.drafts_not_allowed`: a message too large for `sendMail` needs a draft, and
    /// the app may not create one (`Mail.Send` without `Mail.ReadWrite`).
    GraphDraftsNotAllowed,
    /// `graph.mailbox_unavailable`: the mailbox does not exist, is unlicensed, inactive or
    /// on-premises (`MailboxNotEnabledForRESTAPI`, `ErrorInvalidUser`).
    GraphMailboxUnavailable,
    /// `graph.send_as_denied`: the From address is not the mailbox, and it may not send as
    /// that address (`ErrorSendAsDenied`).
    GraphSendAsDenied,
    /// `graph.throttled`: Graph is throttling the app or mailbox (429,
    /// `ApplicationThrottled`); wait as `Retry-After` says.
    GraphThrottled,
    /// `graph.request_too_large`: one request exceeded Graph's 4 MB limit (413).
    GraphRequestTooLarge,
    /// `sender.not_allowed`: the From / envelope sender is not allowed for this account.
    SenderNotAllowed,
    /// `relay.denied`: the server refuses to relay for this client or sender.
    RelayDenied,
    /// `recipient.rejected`: the recipient address is refused.
    RecipientRejected,
    /// `message.too_large`: the message exceeds the size limit.
    MessageTooLarge,
    /// `quota.exceeded`: a sending limit (per day / per message) is exhausted.
    QuotaExceeded,
    /// `mailbox.full`: a mailbox is over its storage quota.
    MailboxFull,
    /// `rate.limited`: throttled (too many messages or connections); retry later.
    RateLimited,
    /// `server.temporary`: a temporary server-side failure; retry later.
    ServerTemporary,
    /// `syntax.error`: the server did not understand a command or address.
    SyntaxError,
    /// `policy.rejected`: refused by a security or content policy.
    PolicyRejected,
    /// `pop.mailbox_in_use`: the POP3 mailbox is locked by another session (`-ERR [IN-USE]`,
    /// RFC 2449): another program or device is fetching it.
    PopMailboxInUse,
    /// `unknown`: nothing matched.
    Unknown,
}

impl Cause {
    /// Every cause, in the order of the documentation table.
    pub const ALL: &'static [Cause] = &[
        Cause::Ok,
        Cause::DnsNotFound,
        Cause::ConnectRefused,
        Cause::ConnectTimeout,
        Cause::ConnectNotSmtp,
        Cause::ConnectNotPop3,
        Cause::TlsModeMismatch,
        Cause::TlsHandshakeFailed,
        Cause::TlsVersionRejected,
        Cause::TlsCertificateUntrusted,
        Cause::TlsHostnameMismatch,
        Cause::TlsCertificateExpired,
        Cause::TlsStarttlsRequired,
        Cause::TlsStarttlsUnavailable,
        Cause::AuthNotOffered,
        Cause::AuthMechanismUnsupported,
        Cause::AuthRequired,
        Cause::AuthAppPasswordRequired,
        Cause::AuthBadCredentials,
        Cause::AuthSmtpAuthDisabled,
        Cause::AuthBasicAuthDisabled,
        Cause::AuthOauthTokenRejected,
        Cause::AuthTooManyAttempts,
        Cause::AuthOauthWrongAudienceOrPermission,
        Cause::OauthNeedsLogin,
        Cause::OauthInteractionRequired,
        Cause::OauthConsentRequired,
        Cause::OauthAccessDenied,
        Cause::OauthClientSecretWrong,
        Cause::OauthClientSecretExpired,
        Cause::OauthFlowNotAllowed,
        Cause::OauthAppNotFound,
        Cause::OauthWrongTenant,
        Cause::OauthScopeInvalid,
        Cause::OauthRedirectUriMismatch,
        Cause::OauthDeviceCodeExpired,
        Cause::OauthTemporarilyUnavailable,
        Cause::OauthRequestRejected,
        Cause::GraphTokenInvalid,
        Cause::GraphNoPermissionsInToken,
        Cause::GraphAccessDenied,
        Cause::GraphDraftsNotAllowed,
        Cause::GraphMailboxUnavailable,
        Cause::GraphSendAsDenied,
        Cause::GraphThrottled,
        Cause::GraphRequestTooLarge,
        Cause::SenderNotAllowed,
        Cause::RelayDenied,
        Cause::RecipientRejected,
        Cause::MessageTooLarge,
        Cause::QuotaExceeded,
        Cause::MailboxFull,
        Cause::RateLimited,
        Cause::ServerTemporary,
        Cause::SyntaxError,
        Cause::PolicyRejected,
        Cause::PopMailboxInUse,
        Cause::Unknown,
    ];

    /// The stable dotted code, e.g. `auth.bad_credentials`.
    pub fn as_str(self) -> &'static str {
        match self {
            Cause::Ok => "ok",
            Cause::DnsNotFound => "dns.not_found",
            Cause::ConnectRefused => "connect.refused",
            Cause::ConnectTimeout => "connect.timeout",
            Cause::ConnectNotSmtp => "connect.not_smtp",
            Cause::ConnectNotPop3 => "connect.not_pop3",
            Cause::TlsModeMismatch => "tls.mode_mismatch",
            Cause::TlsHandshakeFailed => "tls.handshake_failed",
            Cause::TlsVersionRejected => "tls.version_rejected",
            Cause::TlsCertificateUntrusted => "tls.certificate_untrusted",
            Cause::TlsHostnameMismatch => "tls.hostname_mismatch",
            Cause::TlsCertificateExpired => "tls.certificate_expired",
            Cause::TlsStarttlsRequired => "tls.starttls_required",
            Cause::TlsStarttlsUnavailable => "tls.starttls_unavailable",
            Cause::AuthNotOffered => "auth.not_offered",
            Cause::AuthMechanismUnsupported => "auth.mechanism_unsupported",
            Cause::AuthRequired => "auth.required",
            Cause::AuthAppPasswordRequired => "auth.app_password_required",
            Cause::AuthBadCredentials => "auth.bad_credentials",
            Cause::AuthSmtpAuthDisabled => "auth.smtp_auth_disabled",
            Cause::AuthBasicAuthDisabled => "auth.basic_auth_disabled",
            Cause::AuthOauthTokenRejected => "auth.oauth_token_rejected",
            Cause::AuthTooManyAttempts => "auth.too_many_attempts",
            Cause::AuthOauthWrongAudienceOrPermission => "auth.oauth_wrong_audience_or_permission",
            Cause::OauthNeedsLogin => "oauth.needs_login",
            Cause::OauthInteractionRequired => "oauth.interaction_required",
            Cause::OauthConsentRequired => "oauth.consent_required",
            Cause::OauthAccessDenied => "oauth.access_denied",
            Cause::OauthClientSecretWrong => "oauth.client_secret_wrong",
            Cause::OauthClientSecretExpired => "oauth.client_secret_expired",
            Cause::OauthFlowNotAllowed => "oauth.flow_not_allowed",
            Cause::OauthAppNotFound => "oauth.app_not_found",
            Cause::OauthWrongTenant => "oauth.wrong_tenant",
            Cause::OauthScopeInvalid => "oauth.scope_invalid",
            Cause::OauthRedirectUriMismatch => "oauth.redirect_uri_mismatch",
            Cause::OauthDeviceCodeExpired => "oauth.device_code_expired",
            Cause::OauthTemporarilyUnavailable => "oauth.temporarily_unavailable",
            Cause::OauthRequestRejected => "oauth.request_rejected",
            Cause::GraphTokenInvalid => "graph.token_invalid",
            Cause::GraphNoPermissionsInToken => "graph.no_permissions_in_token",
            Cause::GraphAccessDenied => "graph.access_denied",
            Cause::GraphDraftsNotAllowed => "graph.drafts_not_allowed",
            Cause::GraphMailboxUnavailable => "graph.mailbox_unavailable",
            Cause::GraphSendAsDenied => "graph.send_as_denied",
            Cause::GraphThrottled => "graph.throttled",
            Cause::GraphRequestTooLarge => "graph.request_too_large",
            Cause::SenderNotAllowed => "sender.not_allowed",
            Cause::RelayDenied => "relay.denied",
            Cause::RecipientRejected => "recipient.rejected",
            Cause::MessageTooLarge => "message.too_large",
            Cause::QuotaExceeded => "quota.exceeded",
            Cause::MailboxFull => "mailbox.full",
            Cause::RateLimited => "rate.limited",
            Cause::ServerTemporary => "server.temporary",
            Cause::SyntaxError => "syntax.error",
            Cause::PolicyRejected => "policy.rejected",
            Cause::PopMailboxInUse => "pop.mailbox_in_use",
            Cause::Unknown => "unknown",
        }
    }

    /// Whether the same attempt is worth repeating later without changing any setting:
    /// `connect.timeout`, `auth.too_many_attempts`, `rate.limited`, `server.temporary`,
    /// `oauth.temporarily_unavailable`, `graph.throttled`, `pop.mailbox_in_use` and `quota.exceeded` (sending
    /// limits reset, but only after up to 24 hours, so back off for a long time).
    ///
    /// `oauth.needs_login` is not transient: nothing changes until someone signs in again
    /// (see [`Cause::needs_login`]); the gateway holds such mail instead of bouncing it.
    pub fn is_transient(self) -> bool {
        matches!(
            self,
            Cause::ConnectTimeout
                | Cause::AuthTooManyAttempts
                | Cause::RateLimited
                | Cause::ServerTemporary
                | Cause::PopMailboxInUse
                | Cause::QuotaExceeded
                | Cause::OauthTemporarilyUnavailable
                | Cause::GraphThrottled
        )
    }

    /// Whether the stored OAuth2 sign-in can no longer be renewed and a new
    /// `scanrelay oauth login` is part of the fix: `oauth.needs_login` (expired or revoked),
    /// `oauth.interaction_required` (MFA / Conditional Access) and `oauth.consent_required`
    /// (consent withdrawn or never given; an administrator grants it first).
    pub fn needs_login(self) -> bool {
        matches!(
            self,
            Cause::OauthNeedsLogin | Cause::OauthInteractionRequired | Cause::OauthConsentRequired
        )
    }

    /// Whether this is a success (`ok`).
    pub fn is_ok(self) -> bool {
        self == Cause::Ok
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Cause {
    type Err = ParseError;

    /// Parses a code produced by [`Cause::as_str`] (case and surrounding space ignored).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let key = s.trim().to_ascii_lowercase();
        Cause::ALL
            .iter()
            .copied()
            .find(|c| c.as_str() == key)
            .ok_or_else(|| ParseError::Cause(s.to_owned()))
    }
}

impl Serialize for Cause {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Cause {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// The parts of one SMTP reply that the classifier looks at.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ReplyFacts {
    /// The three-digit reply code, e.g. `535`.
    pub code: u16,
    /// The RFC 3463 enhanced status code of the first line, e.g. `5.7.8`.
    pub enhanced: Option<String>,
    /// The reply text: lines joined with `'\n'`, without the `535-` / `535 ` prefixes and
    /// without the enhanced code at the start of each line.
    pub text: String,
}

impl ReplyFacts {
    /// Builds facts from parts.
    pub fn new(code: u16, enhanced: Option<&str>, text: &str) -> Self {
        ReplyFacts {
            code,
            enhanced: enhanced.map(str::to_owned),
            text: text.to_owned(),
        }
    }

    /// The reply code's class digit (2, 3, 4 or 5).
    pub fn class(&self) -> u16 {
        self.code / 100
    }
}
