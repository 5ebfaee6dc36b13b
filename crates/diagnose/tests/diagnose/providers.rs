//! Provider presets, labels and detection.

use scanrelay_diagnose::{
    ProviderFamily, detect_provider, provider, provider_by_host, provider_from_label, providers,
};
use scanrelay_proto::TlsMode;

const PRESETS: &[(&str, &str, u16, TlsMode, ProviderFamily)] = &[
    (
        "gmail",
        "smtp.gmail.com",
        587,
        TlsMode::StartTls,
        ProviderFamily::Google,
    ),
    (
        "workspace",
        "smtp.gmail.com",
        587,
        TlsMode::StartTls,
        ProviderFamily::Google,
    ),
    (
        "gmail-relay",
        "smtp-relay.gmail.com",
        587,
        TlsMode::StartTls,
        ProviderFamily::Google,
    ),
    (
        "naver",
        "smtp.naver.com",
        465,
        TlsMode::Implicit,
        ProviderFamily::Naver,
    ),
    (
        "daum",
        "smtp.daum.net",
        465,
        TlsMode::Implicit,
        ProviderFamily::Daum,
    ),
    (
        "kakao",
        "smtp.kakao.com",
        465,
        TlsMode::Implicit,
        ProviderFamily::Kakao,
    ),
    (
        "outlook",
        "smtp-mail.outlook.com",
        587,
        TlsMode::StartTls,
        ProviderFamily::Microsoft,
    ),
    (
        "m365",
        "smtp.office365.com",
        587,
        TlsMode::StartTls,
        ProviderFamily::Microsoft,
    ),
    (
        "yahoo",
        "smtp.mail.yahoo.com",
        465,
        TlsMode::Implicit,
        ProviderFamily::Yahoo,
    ),
    (
        "icloud",
        "smtp.mail.me.com",
        587,
        TlsMode::StartTls,
        ProviderFamily::Icloud,
    ),
    (
        "zoho",
        "smtp.zoho.com",
        465,
        TlsMode::Implicit,
        ProviderFamily::Zoho,
    ),
];

#[test]
fn presets() {
    let cases = PRESETS;
    assert_eq!(providers().len(), cases.len());
    for &(id, host, port, tls, family) in cases {
        let p = provider(id).unwrap_or_else(|| panic!("{id}"));
        assert_eq!(
            (p.host, p.port, p.tls, p.family),
            (host, port, tls, family),
            "{id}"
        );
        assert_eq!(provider(&id.to_uppercase()).map(|p| p.id), Some(id));
        // Never implicit TLS on 587; Microsoft has no 465.
        assert!(!(p.port == 587 && p.tls == TlsMode::Implicit), "{id}");
        assert!(
            p.alt_ports
                .iter()
                .all(|&(port, tls)| !(port == 587 && tls == TlsMode::Implicit))
        );
    }
    for p in providers()
        .iter()
        .filter(|p| p.family == ProviderFamily::Microsoft)
    {
        assert!(
            p.port != 465 && p.alt_ports.iter().all(|(port, _)| *port != 465),
            "{}",
            p.id
        );
    }
    assert_eq!(provider("m365").unwrap().max_concurrency, Some(3));
    assert_eq!(provider("gmail").unwrap().size_limit, Some(35_882_577));
    assert!(provider("hotmail2").is_none());
}

#[test]
fn labels() {
    let cases = [
        ("Gmail (smtp.gmail.com)", "gmail"),
        (
            "Google Workspace SMTP relay (smtp-relay.gmail.com)",
            "gmail-relay",
        ),
        ("Microsoft 365 (smtp.office365.com)", "m365"),
        ("Naver (smtp.naver.com)", "naver"),
        ("naver", "naver"),
        ("Microsoft 365", "m365"),
        ("Google Workspace", "workspace"),
        ("네이버", "naver"),
        ("smtp.mail.yahoo.com", "yahoo"),
        ("Outlook.com (smtp-mail.outlook.com)", "outlook"),
    ];
    for (label, id) in cases {
        assert_eq!(
            provider_from_label(label).map(|p| p.id),
            Some(id),
            "{label}"
        );
    }
    assert!(provider_from_label("Example Mail (mail.example.org)").is_none());
}

#[test]
fn hosts() {
    let cases = [
        ("smtp.gmail.com", Some("gmail")),
        ("SMTP.GMAIL.COM.", Some("gmail")),
        ("smtp.gmail.com:465", Some("gmail")),
        ("smtp-relay.gmail.com", Some("gmail-relay")),
        ("aspmx.l.google.com", Some("gmail")),
        ("smtp.office365.com", Some("m365")),
        ("LO4P302CA0005.outlook.office365.com", Some("m365")),
        ("smtp-mail.outlook.com", Some("outlook")),
        ("smtp.live.com", Some("outlook")),
        ("smtp.naver.com", Some("naver")),
        ("smtp.daum.net", Some("daum")),
        ("smtp.hanmail.net", Some("daum")),
        ("smtp.kakao.com", Some("kakao")),
        ("smtp.mail.yahoo.com", Some("yahoo")),
        ("smtp.mail.me.com", Some("icloud")),
        ("smtp.zoho.eu", Some("zoho")),
        ("smtp.zohocloud.ca", Some("zoho")),
        ("notgmail.com", None),
        ("mail.example.org", None),
    ];
    for (host, id) in cases {
        assert_eq!(provider_by_host(host).map(|p| p.id), id, "{host}");
        assert_eq!(detect_provider(Some(host), "").map(|p| p.id), id, "{host}");
    }
}

#[test]
fn reply_texts() {
    let cases = [
        ("535 5.7.8 x i5sm8565805wrv.34 - gsmtp", Some("gmail")),
        (
            "421 4.7.66 TLS 1.0 and 1.1 are not supported. Visit https://aka.ms/smtp_auth_tls.",
            Some("m365"),
        ),
        (
            "535 5.7.3 Authentication unsuccessful [SGXP274CA0016.SGPP274.PROD.OUTLOOK.COM]",
            Some("m365"),
        ),
        (
            "554 5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException",
            Some("m365"),
        ),
        (
            "535 5.7.1 Username and Password not accepted HvoVq2O0SIioNuVQSjs-XA - nsmtp",
            Some("naver"),
        ),
        (
            "535 5.7.0 (#AUTH005) Too many bad auth attempts.",
            Some("yahoo"),
        ),
        (
            "550-5.7.1 Invalid credentials for relay [1.2.3.4]. - gsmtp",
            Some("gmail-relay"),
        ),
        ("220 smtp.naver.com ESMTP", Some("naver")),
        ("220 mx.google.com ESMTP h5sm23980368wjn.20", Some("gmail")),
        ("220 iCloud iscream SMTP proxy", Some("icloud")),
        (
            "javax.mail.MessagingException: Could not connect to SMTP host: smtp.daum.net, port: 465",
            Some("daum"),
        ),
        ("550 5.1.1 user unknown", None),
        ("mail from user@naver.com rejected", None),
    ];
    for (text, id) in cases {
        assert_eq!(detect_provider(None, text).map(|p| p.id), id, "{text}");
    }
    // The configured host wins over the text.
    let p = detect_provider(Some("smtp.naver.com"), "535 5.7.8 x - gsmtp").unwrap();
    assert_eq!(p.id, "naver");
}
