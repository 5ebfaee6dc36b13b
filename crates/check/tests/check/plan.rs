//! `CheckRequest` → `Plan`: every mistake a request can hold gives its error and field, and a
//! valid request resolves the endpoint, credentials and warnings the way `check` always has.

use std::path::PathBuf;
use std::time::Duration;

use scanrelay_check::{CheckRequest, Field, Lang, Mechanism, Secret, TlsMode};
use scanrelay_client::Credentials;

fn request() -> CheckRequest {
    CheckRequest {
        server: Some("smtp.example.test".into()),
        ..CheckRequest::default()
    }
}

fn with(f: impl FnOnce(&mut CheckRequest)) -> CheckRequest {
    let mut r = request();
    f(&mut r);
    r
}

fn password(p: &str) -> Option<Secret> {
    Some(Secret::Password(p.into()))
}

fn token(t: &str) -> Option<Secret> {
    Some(Secret::AccessToken(t.into()))
}

#[test]
fn each_mistake_names_its_field_and_says_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let not_pem = dir.path().join("not.pem");
    std::fs::write(&not_pem, "hello").unwrap();
    let missing = dir.path().join("missing.pem");
    let table: Vec<(CheckRequest, Field, &str)> = vec![
        (
            with(|r| r.provider = Some("bogus".into())),
            Field::Provider,
            "unknown provider `bogus`; known: gmail,",
        ),
        (CheckRequest::default(), Field::Server, "no server"),
        (
            with(|r| r.ca_file = Some(missing.clone())),
            Field::CaFile,
            "failed to read CA file",
        ),
        (
            with(|r| r.ca_file = Some(not_pem.clone())),
            Field::CaFile,
            "holds no PEM certificate",
        ),
        (
            with(|r| r.secret = password("pw")),
            Field::User,
            "without a user name",
        ),
        (
            with(|r| r.user = Some("u@x".into())),
            Field::Secret,
            "without a password or access token",
        ),
        (
            with(|r| {
                r.user = Some("u@x".into());
                r.secret = password("");
            }),
            Field::Secret,
            "is empty",
        ),
        (
            with(|r| {
                r.user = Some("u@x".into());
                r.secret = password("pw");
                r.auth = Some(Mechanism::XOAuth2);
            }),
            Field::Auth,
            "AUTH XOAUTH2 needs an OAuth2 access token",
        ),
        (
            with(|r| {
                r.user = Some("u@x".into());
                r.secret = token("tok");
                r.auth = Some(Mechanism::CramMd5);
            }),
            Field::Auth,
            "AUTH CRAM-MD5 needs a password",
        ),
        (with(|r| r.send_test = true), Field::To, "needs a recipient"),
    ];
    for (request, field, words) in table {
        let e = request.plan().expect_err(words);
        assert_eq!(e.field(), field, "{e}");
        assert!(e.message(Lang::En).contains(words), "{e}");
        let ko = e.message(Lang::Ko);
        assert!(
            ko.chars().any(|c| ('\u{AC00}'..='\u{D7A3}').contains(&c)),
            "{ko}"
        );
    }
}

#[test]
fn the_endpoint_is_checked_before_any_secret_is_needed() {
    // A user without a secret is fine for `endpoint` (the caller asks for the password next),
    // but an unknown provider is not.
    let r = with(|r| r.user = Some("u@x".into()));
    assert!(r.endpoint().is_ok());
    assert!(r.plan().is_err());
    let r = with(|r| r.provider = Some("nope".into()));
    assert!(r.endpoint().is_err());
}

#[test]
fn endpoints_come_from_the_preset_and_the_explicit_values() {
    let gmail = || Some("gmail".to_string());
    let table: Vec<(CheckRequest, (&str, u16, TlsMode))> = vec![
        (request(), ("smtp.example.test", 587, TlsMode::StartTls)),
        (
            with(|r| r.port = Some(465)),
            ("smtp.example.test", 465, TlsMode::Implicit),
        ),
        (
            with(|r| r.port = Some(25)),
            ("smtp.example.test", 25, TlsMode::StartTls),
        ),
        (
            with(|r| r.tls = Some(TlsMode::None)),
            ("smtp.example.test", 25, TlsMode::None),
        ),
        (
            CheckRequest {
                provider: gmail(),
                ..CheckRequest::default()
            },
            ("smtp.gmail.com", 587, TlsMode::StartTls),
        ),
        (
            CheckRequest {
                provider: gmail(),
                tls: Some(TlsMode::Implicit),
                ..CheckRequest::default()
            },
            ("smtp.gmail.com", 465, TlsMode::Implicit),
        ),
        (
            CheckRequest {
                provider: Some("naver".into()),
                ..CheckRequest::default()
            },
            ("smtp.naver.com", 465, TlsMode::Implicit),
        ),
        (
            CheckRequest {
                provider: gmail(),
                server: Some("127.0.0.1".into()),
                port: Some(2525),
                ..CheckRequest::default()
            },
            ("127.0.0.1", 2525, TlsMode::StartTls),
        ),
    ];
    for (request, (host, port, tls)) in table {
        let plan = request.plan().expect("valid");
        let c = &plan.client;
        assert_eq!(
            (c.host.as_str(), c.port, c.tls),
            (host, port, tls),
            "{request:?}"
        );
    }
}

#[test]
fn credentials_follow_the_provider_rules_and_timeouts_have_a_floor() {
    let plan = CheckRequest {
        provider: Some("gmail".into()),
        user: Some("office@gmail.com".into()),
        secret: password("abcd efgh ijkl mnop"),
        timeout: Duration::from_millis(10),
        helo: Some("mfp.example.test".into()),
        ..CheckRequest::default()
    }
    .plan()
    .unwrap();
    match &plan.client.credentials {
        Some(Credentials::Password { password, .. }) => assert_eq!(password, "abcdefghijklmnop"),
        other => panic!("{other:?}"),
    }
    assert!(plan.warnings.is_empty(), "a real app password");
    assert_eq!(plan.client.timeout, Duration::from_secs(1));
    assert_eq!(plan.client.helo, "mfp.example.test");
    assert!(plan.client.observer.is_none());
    // Spaces removed or not, every form of the password is scrubbed.
    let scrubbed = plan.scrub("abcd efgh ijkl mnop / abcdefghijklmnop");
    assert_eq!(scrubbed, "<redacted> / <redacted>");

    let plan = with(|r| {
        r.user = Some("u@x".into());
        r.secret = token("ya29.token");
        r.tls = Some(TlsMode::None);
    })
    .plan()
    .unwrap();
    assert!(matches!(
        plan.client.credentials,
        Some(Credentials::Token { .. })
    ));
    assert!(
        plan.warnings[0].en.contains("unencrypted"),
        "{:?}",
        plan.warnings
    );
}

#[test]
fn debug_never_shows_the_secret() {
    let request = with(|r| {
        r.user = Some("u@x".into());
        r.secret = password("hunter2-secret");
        r.ca_file = None::<PathBuf>;
    });
    let plan = request.plan().unwrap();
    for text in [format!("{request:?}"), format!("{plan:?}")] {
        assert!(!text.contains("hunter2"), "{text}");
        assert!(text.contains("u@x"), "{text}");
    }
}
