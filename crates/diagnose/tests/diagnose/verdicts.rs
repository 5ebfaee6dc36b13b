//! Verdicts that fit the situation (issue 6, item 6): a non-SMTP server, AUTH missing on an
//! encrypted connection, a private CA, size words without a reply code.

use scanrelay_diagnose::{Cause, Lang, Situation, advise, advise_in, explain, provider};

#[test]
fn not_smtp_advice_names_the_usual_port_mix_ups() {
    for (lang, must) in [
        (
            Lang::En,
            &["587", "465", "110", "995", "143", "993", "443", "POP3"],
        ),
        (
            Lang::Ko,
            &["587", "465", "110", "995", "143", "993", "443", "포트번호"],
        ),
    ] {
        let fix = advise(Cause::ConnectNotSmtp, None, lang).fix;
        for phrase in must {
            assert!(fix.contains(phrase), "{lang}: {phrase} in {fix}");
        }
    }
    let naver = advise(Cause::ConnectNotSmtp, provider("naver"), Lang::En).fix;
    assert!(naver.contains("smtp.naver.com"), "{naver}");
}

/// After a successful STARTTLS the server still offered no AUTH (port 25 of a relay), and
/// the advice said to turn on SSL/STARTTLS, which was already on.
#[test]
fn auth_not_offered_after_tls_does_not_say_turn_on_tls() {
    let encrypted = Situation { encrypted: true };
    let cases: &[(Lang, &str)] = &[
        (Lang::En, "turn on SSL/STARTTLS"),
        (Lang::Ko, "SSL허가를 켜고"),
    ];
    for &(lang, wrong) in cases {
        let plain = advise(Cause::AuthNotOffered, None, lang).fix;
        assert!(
            plain.contains(wrong),
            "the unencrypted advice keeps it: {plain}"
        );
        for p in [None, provider("gmail"), provider("naver")] {
            let fix = advise_in(Cause::AuthNotOffered, p, lang, encrypted).fix;
            assert!(!fix.contains(wrong), "{lang}: {fix}");
            assert!(fix.contains("587") && fix.contains("465"), "{lang}: {fix}");
        }
    }
}

/// The untrusted-certificate advice spoke only of the device; for a private CA the checker
/// and the gateway need the CA too, under their real names (`--ca-file`, `ca_file`).
#[test]
fn untrusted_certificate_names_ca_file_for_check_and_gateway_and_the_device() {
    let cases: &[(Lang, &[&str])] = &[
        (
            Lang::En,
            &[
                "--ca-file",
                "`ca_file`",
                "[upstream]",
                "On the device",
                "private",
            ],
        ),
        (
            Lang::Ko,
            &["--ca-file", "`ca_file`", "[upstream]", "복합기에서", "사설"],
        ),
    ];
    for &(lang, must) in cases {
        let fix = advise(Cause::TlsCertificateUntrusted, None, lang).fix;
        for phrase in must {
            assert!(fix.contains(phrase), "{lang}: {phrase:?} in {fix}");
        }
    }
}

/// Held-out `explain` misses: size words without any reply code were `unknown`.
#[test]
fn size_words_without_a_reply_code_are_message_too_large() {
    for text in [
        "Message size exceeds maximum size limit",
        "MapiExceptionMaxSubmissionExceeded",
        "Error: MapiExceptionMaxSubmissionExceeded:16.55847:2A0B0000",
        "The message is too large to send.",
    ] {
        let e = explain(text, None, None);
        assert_eq!(e.cause, Cause::MessageTooLarge, "{text}");
        assert!(e.facts.is_none(), "{text}: no reply code in it");
    }
    let pop3 = explain("+OK Dovecot (Debian) ready.", None, None);
    assert_eq!(pop3.cause, Cause::ConnectNotSmtp);
}
