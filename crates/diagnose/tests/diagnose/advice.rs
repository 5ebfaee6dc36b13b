//! Advice texts: complete, bilingual, provider-specific where promised.

use scanrelay_diagnose::{Cause, Lang, advise, generic_advice, provider, providers};

fn has_hangul(s: &str) -> bool {
    s.chars().any(|c| ('\u{AC00}'..='\u{D7A3}').contains(&c))
}

#[test]
fn every_cause_has_summary_and_fix_in_both_languages() {
    for &cause in Cause::ALL {
        for lang in [Lang::En, Lang::Ko] {
            let a = advise(cause, None, lang);
            assert!(a.summary.trim().len() > 10, "{cause} {lang}: summary");
            assert!(a.fix.trim().len() > 10, "{cause} {lang}: fix");
            assert_ne!(a.summary, a.fix, "{cause} {lang}");
        }
        let en = advise(cause, None, Lang::En);
        let ko = advise(cause, None, Lang::Ko);
        assert!(
            !has_hangul(&en.summary) && !has_hangul(&en.fix),
            "{cause}: English has Hangul"
        );
        assert!(
            has_hangul(&ko.summary) && has_hangul(&ko.fix),
            "{cause}: Korean lacks Hangul"
        );
    }
}

#[test]
fn every_provider_and_cause_has_bilingual_advice() {
    for p in providers() {
        for &cause in Cause::ALL {
            let en = advise(cause, Some(p), Lang::En);
            let ko = advise(cause, Some(p), Lang::Ko);
            assert!(!en.fix.is_empty() && !ko.fix.is_empty(), "{} {cause}", p.id);
            assert!(
                has_hangul(&ko.fix),
                "{} {cause}: Korean fix lacks Hangul",
                p.id
            );
        }
    }
}

#[test]
fn summaries_are_distinct() {
    for lang in [Lang::En, Lang::Ko] {
        let mut seen = std::collections::HashSet::new();
        for &cause in Cause::ALL {
            assert!(
                seen.insert(advise(cause, None, lang).summary),
                "{cause} {lang}: duplicate"
            );
        }
    }
}

/// (provider, cause, a phrase the English fix must contain, one the Korean fix must contain)
const PROVIDER_CASES: &[(&str, Cause, &str, &str)] = &[
    (
        "gmail",
        Cause::AuthBadCredentials,
        "2-Step Verification",
        "2단계 인증",
    ),
    (
        "gmail",
        Cause::AuthAppPasswordRequired,
        "Other (custom name)",
        "기타(맞춤 이름)",
    ),
    (
        "workspace",
        Cause::AuthAppPasswordRequired,
        "abcd efgh ijkl mnop",
        "앱 비밀번호",
    ),
    ("gmail", Cause::MessageTooLarge, "25 MB", "25MB"),
    ("gmail", Cause::TlsModeMismatch, "587", "587"),
    ("gmail-relay", Cause::RelayDenied, "EHLO", "EHLO"),
    (
        "m365",
        Cause::AuthSmtpAuthDisabled,
        "Set-CASMailbox",
        "Set-CASMailbox",
    ),
    ("m365", Cause::AuthBasicAuthDisabled, "OAuth2", "OAuth2"),
    ("m365", Cause::AuthBadCredentials, "2026", "2026"),
    ("m365", Cause::TlsVersionRejected, "TLS 1.2", "TLS 1.2"),
    (
        "m365",
        Cause::TlsModeMismatch,
        "no port 465",
        "465번 포트를 지원하지 않습니다",
    ),
    ("m365", Cause::SenderNotAllowed, "Send As", "Send As"),
    ("m365", Cause::RateLimited, "3 simultaneous", "3개"),
    ("outlook", Cause::AuthBadCredentials, "OAuth2", "OAuth2"),
    ("outlook", Cause::AuthBasicAuthDisabled, "OAuth2", "OAuth2"),
    (
        "naver",
        Cause::AuthBadCredentials,
        "IMAP/SMTP 사용",
        "IMAP/SMTP 사용",
    ),
    ("naver", Cause::SenderNotAllowed, "@naver.com", "@naver.com"),
    (
        "yahoo",
        Cause::AuthBadCredentials,
        "app password",
        "앱 비밀번호",
    ),
    (
        "icloud",
        Cause::AuthBadCredentials,
        "app-specific password",
        "앱 암호",
    ),
    ("zoho", Cause::SenderNotAllowed, "alias", "별칭"),
    (
        "daum",
        Cause::AuthBadCredentials,
        "IMAP / SMTP 사용",
        "IMAP / SMTP 사용",
    ),
    (
        "kakao",
        Cause::AuthBadCredentials,
        "app password",
        "앱 비밀번호",
    ),
];

#[test]
fn provider_fixes_differ_from_the_generic_fix() {
    for &(id, cause, en_phrase, ko_phrase) in PROVIDER_CASES {
        let p = provider(id).unwrap();
        for (lang, phrase) in [(Lang::En, en_phrase), (Lang::Ko, ko_phrase)] {
            let specific = advise(cause, Some(p), lang);
            let generic = generic_advice(cause, lang);
            assert_ne!(specific.fix, generic.fix, "{id} {cause} {lang}");
            assert!(
                specific.fix.contains(phrase),
                "{id} {cause} {lang}: {phrase:?} in {}",
                specific.fix
            );
            assert_eq!(specific.summary, generic.summary, "{id} {cause} {lang}");
        }
    }
}

#[test]
fn google_app_password_advice_follows_the_source_document() {
    let gmail = provider("gmail");
    let en = advise(Cause::AuthAppPasswordRequired, gmail, Lang::En).fix;
    for phrase in [
        "2-Step Verification",
        "App passwords",
        "Generate",
        "smtp.gmail.com",
        "587",
        "STARTTLS",
        "without spaces",
    ] {
        assert!(en.contains(phrase), "{phrase}");
    }
    let ko = advise(Cause::AuthAppPasswordRequired, gmail, Lang::Ko).fix;
    for phrase in [
        "2단계 인증",
        "앱 비밀번호",
        "SMTP서버",
        "포트번호 587",
        "SSL허가",
        "SMTP인증",
        "연결확인",
        "공백 없이",
    ] {
        assert!(ko.contains(phrase), "{phrase}");
    }
}

#[test]
fn korean_texts_use_the_device_terms() {
    let all: String = Cause::ALL
        .iter()
        .map(|&c| advise(c, None, Lang::Ko).fix)
        .collect::<Vec<_>>()
        .join(" ");
    for term in [
        "복합기",
        "SMTP서버",
        "SMTP인증",
        "SSL허가",
        "포트번호",
        "앱 비밀번호",
        "2단계 인증",
        "연결확인",
    ] {
        assert!(all.contains(term), "{term}");
    }
}

#[test]
fn connection_advice_names_the_provider_settings() {
    let naver = provider("naver").unwrap();
    let en = advise(Cause::ConnectRefused, Some(naver), Lang::En).fix;
    assert!(en.contains("smtp.naver.com") && en.contains("465"), "{en}");
    let ko = advise(Cause::DnsNotFound, Some(naver), Lang::Ko).fix;
    assert!(ko.contains("네이버") && ko.contains("포트번호 465"), "{ko}");
    let generic = advise(Cause::TlsModeMismatch, None, Lang::En).fix;
    assert!(
        generic.contains("465")
            && generic.contains("587")
            && generic.contains("Never use SSL on port 587")
    );
}

#[test]
fn advice_serializes() {
    let a = advise(Cause::Ok, None, Lang::En);
    let json = serde_json::to_value(&a).unwrap();
    assert_eq!(json["summary"], a.summary);
    assert_eq!(json["fix"], a.fix);
}

/// (cause, language, phrases the Microsoft 365 fix must contain, phrases it must not)
const M365_SMTP_AUTH_CASES: &[(Cause, Lang, &[&str], &[&str])] = &[
    (
        Cause::AuthSmtpAuthDisabled,
        Lang::En,
        &[
            "SmtpClientAuthenticationDisabled $false",
            "OAuth2 does not help",
            "Authenticated SMTP",
            "direct send",
            "<domain>.mail.protection.outlook.com",
            "connector",
        ],
        // OAuth2 is no way around it (Graph is: issue 7).
        &[
            "Alternatively move the device to OAuth2",
            "`auth = \"oauth2\"`",
        ],
    ),
    (
        Cause::AuthSmtpAuthDisabled,
        Lang::Ko,
        &[
            "SmtpClientAuthenticationDisabled $false",
            "OAuth2로 바꿔도 해결되지 않습니다",
            "인증된 SMTP",
            "direct send",
            "<domain>.mail.protection.outlook.com",
            "커넥터",
        ],
        &[
            "OAuth2(XOAUTH2)나 scanrelay 게이트웨이로 전환하십시오",
            "`auth = \"oauth2\"`",
        ],
    ),
    (
        Cause::AuthBasicAuthDisabled,
        Lang::En,
        &[
            "OAuth2 SMTP still needs SMTP AUTH enabled",
            "SmtpClientAuthenticationDisabled $false",
        ],
        &[],
    ),
    (
        Cause::AuthBasicAuthDisabled,
        Lang::Ko,
        &[
            "SMTP인증은 켜져 있어야",
            "SmtpClientAuthenticationDisabled $false",
        ],
        &[],
    ),
    (
        Cause::AuthBadCredentials,
        Lang::En,
        &["for password and OAuth2 logins alike"],
        &[],
    ),
    (
        Cause::AuthBadCredentials,
        Lang::Ko,
        &["비밀번호 로그인과 OAuth2 로그인 모두"],
        &[],
    ),
];

/// Switched-off SMTP AUTH refuses OAuth2 logins too (providers.md A.3,
/// simonrob/email-oauth2-proxy#66), yet the Microsoft 365 advice offered OAuth2 as the
/// way around it.
#[test]
fn m365_smtp_auth_disabled_advice_offered_oauth_as_a_way_around() {
    let m365 = provider("m365");
    for &(cause, lang, must, must_not) in M365_SMTP_AUTH_CASES {
        let fix = advise(cause, m365, lang).fix;
        for phrase in must {
            assert!(fix.contains(phrase), "{cause} {lang}: {phrase:?} in {fix}");
        }
        for phrase in must_not {
            assert!(!fix.contains(phrase), "{cause} {lang}: {phrase:?} in {fix}");
        }
    }
}
