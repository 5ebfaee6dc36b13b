//! Cause, Stage and Lang: names, parsing, serialisation.

use scanrelay_diagnose::{Cause, Lang, ParseError, Stage};

#[test]
fn exactly_58_causes_with_unique_codes() {
    assert_eq!(Cause::ALL.len(), 58);
    let codes: std::collections::HashSet<_> = Cause::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(codes.len(), 58);
}

#[test]
fn cause_round_trips() {
    for &cause in Cause::ALL {
        assert_eq!(cause.as_str().parse::<Cause>(), Ok(cause));
        assert_eq!(cause.to_string(), cause.as_str());
        assert_eq!(cause.as_str().to_uppercase().parse::<Cause>(), Ok(cause));
        let json = serde_json::to_string(&cause).unwrap();
        assert_eq!(json, format!("\"{}\"", cause.as_str()));
        assert_eq!(serde_json::from_str::<Cause>(&json).unwrap(), cause);
    }
    assert_eq!(
        "auth.nope".parse::<Cause>(),
        Err(ParseError::Cause("auth.nope".into()))
    );
}

#[test]
fn cause_codes_are_the_documented_ones() {
    let expected = [
        "ok",
        "dns.not_found",
        "connect.refused",
        "connect.timeout",
        "connect.not_smtp",
        "connect.not_pop3",
        "tls.mode_mismatch",
        "tls.handshake_failed",
        "tls.version_rejected",
        "tls.certificate_untrusted",
        "tls.hostname_mismatch",
        "tls.certificate_expired",
        "tls.starttls_required",
        "tls.starttls_unavailable",
        "auth.not_offered",
        "auth.mechanism_unsupported",
        "auth.required",
        "auth.app_password_required",
        "auth.bad_credentials",
        "auth.smtp_auth_disabled",
        "auth.basic_auth_disabled",
        "auth.oauth_token_rejected",
        "auth.too_many_attempts",
        "auth.oauth_wrong_audience_or_permission",
        "oauth.needs_login",
        "oauth.interaction_required",
        "oauth.consent_required",
        "oauth.access_denied",
        "oauth.client_secret_wrong",
        "oauth.client_secret_expired",
        "oauth.flow_not_allowed",
        "oauth.app_not_found",
        "oauth.wrong_tenant",
        "oauth.scope_invalid",
        "oauth.redirect_uri_mismatch",
        "oauth.device_code_expired",
        "oauth.temporarily_unavailable",
        "oauth.request_rejected",
        "graph.token_invalid",
        "graph.no_permissions_in_token",
        "graph.access_denied",
        "graph.drafts_not_allowed",
        "graph.mailbox_unavailable",
        "graph.send_as_denied",
        "graph.throttled",
        "graph.request_too_large",
        "sender.not_allowed",
        "relay.denied",
        "recipient.rejected",
        "message.too_large",
        "quota.exceeded",
        "mailbox.full",
        "rate.limited",
        "server.temporary",
        "syntax.error",
        "policy.rejected",
        "pop.mailbox_in_use",
        "unknown",
    ];
    let actual: Vec<&str> = Cause::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(actual, expected);
}

#[test]
fn transient_causes() {
    let transient: Vec<Cause> = Cause::ALL
        .iter()
        .copied()
        .filter(|c| c.is_transient())
        .collect();
    assert_eq!(
        transient,
        [
            Cause::ConnectTimeout,
            Cause::AuthTooManyAttempts,
            Cause::OauthTemporarilyUnavailable,
            Cause::GraphThrottled,
            Cause::QuotaExceeded,
            Cause::RateLimited,
            Cause::ServerTemporary,
            Cause::PopMailboxInUse,
        ]
    );
}

/// The causes whose fix includes a new `scanrelay oauth login`: the stored sign-in cannot be
/// renewed any more.
#[test]
fn causes_that_need_a_new_login() {
    let need: Vec<Cause> = Cause::ALL
        .iter()
        .copied()
        .filter(|c| c.needs_login())
        .collect();
    assert_eq!(
        need,
        [
            Cause::OauthNeedsLogin,
            Cause::OauthInteractionRequired,
            Cause::OauthConsentRequired,
        ]
    );
}

#[test]
fn stage_names_and_aliases() {
    for &stage in Stage::ALL {
        assert_eq!(stage.as_str().parse::<Stage>(), Ok(stage));
        assert_eq!(stage.to_string(), stage.as_str());
    }
    let aliases = [
        ("greeting", Stage::Banner),
        ("220", Stage::Banner),
        ("HELO", Stage::Ehlo),
        ("rcpt_to", Stage::Rcpt),
        ("RCPT TO", Stage::Rcpt),
        ("mail_from", Stage::Mail),
        ("MAIL FROM", Stage::Mail),
        ("end_of_data", Stage::Data),
        ("bdat", Stage::Data),
        ("STARTTLS", Stage::StartTls),
        ("start-tls", Stage::StartTls),
        ("login", Stage::Auth),
    ];
    for (name, stage) in aliases {
        assert_eq!(name.parse::<Stage>(), Ok(stage), "{name}");
    }
    assert!("lunch".parse::<Stage>().is_err());
    let names: Vec<&str> = Stage::ALL.iter().map(|s| s.as_str()).collect();
    assert_eq!(
        names,
        [
            "dns", "connect", "banner", "ehlo", "starttls", "tls", "auth", "mail", "rcpt", "data",
            "quit"
        ]
    );
}

#[test]
fn lang_from_locale_and_env() {
    let cases = [
        ("ko", Lang::Ko),
        ("ko_KR.UTF-8", Lang::Ko),
        ("KO_kr", Lang::Ko),
        ("en_US.UTF-8", Lang::En),
        ("C", Lang::En),
        ("", Lang::En),
    ];
    for (value, lang) in cases {
        assert_eq!(Lang::from_locale(value), lang, "{value}");
    }
    assert_eq!("ko".parse::<Lang>(), Ok(Lang::Ko));
    assert_eq!(" EN ".parse::<Lang>(), Ok(Lang::En));
    assert!("fr".parse::<Lang>().is_err());

    let env = |pairs: &'static [(&'static str, &'static str)]| {
        move |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    };
    assert_eq!(Lang::from_vars(env(&[("LANG", "ko_KR.UTF-8")])), Lang::Ko);
    assert_eq!(
        Lang::from_vars(env(&[("LC_ALL", "en_US"), ("LANG", "ko_KR")])),
        Lang::En
    );
    assert_eq!(
        Lang::from_vars(env(&[
            ("LC_ALL", ""),
            ("LC_MESSAGES", "ko"),
            ("LANG", "en")
        ])),
        Lang::Ko
    );
    assert_eq!(Lang::from_vars(env(&[])), Lang::En);
    let _ = Lang::from_env();
}
