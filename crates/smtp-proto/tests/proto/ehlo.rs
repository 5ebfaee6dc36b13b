//! EHLO replies: verbatim provider captures, `SIZE`, `AUTH` (old `AUTH=` form, duplicates).
//!
//! The captures are copied from `shared/providers.md` section D ("Greeting banners and EHLO
//! capability lists (verbatim captures)"), which cites the public sources given above each one.

use scanrelay_proto::sasl::Mechanism;
use scanrelay_proto::{EhloInfo, ReplyParser};

use crate::{crlf, parse_one};

fn ehlo(text: &str) -> EhloInfo {
    let reply = parse_one(&crlf(text));
    assert_eq!(reply.code, 250);
    EhloInfo::parse(&reply)
}

/// smtp.gmail.com port 465, 2024-11-19 (PHPMailer debug log in an OAuth setup guide; the log
/// flattened the lines, providers.md shows them split).
const GMAIL_465: &str = "\
250-smtp.gmail.com at your service, [178.209.137.107]
250-SIZE 35882577
250-8BITMIME
250-AUTH LOGIN PLAIN XOAUTH2 PLAIN-CLIENTTOKEN OAUTHBEARER XOAUTH
250-ENHANCEDSTATUSCODES
250-PIPELINING
250-CHUNKING
250 SMTPUTF8";

/// smtp.gmail.com after STARTTLS, 2023-01-08 (curl/curl#10259; IPv6 address shortened there).
const GMAIL_POST_STARTTLS: &str = "\
250-smtp.gmail.com at your service, [2001:9e8:…]
250-SIZE 35882577
250-8BITMIME
250-AUTH LOGIN PLAIN XOAUTH2 PLAIN-CLIENTTOKEN OAUTHBEARER XOAUTH
250-ENHANCEDSTATUSCODES
250-PIPELINING
250-CHUNKING
250 SMTPUTF8";

/// mx.google.com on 465, probably 2015 (kisli/vmime#110).
const GMAIL_2015: &str = "\
250-mx.google.com at your service, [217.91.11.112]
250-SIZE 35882577
250-8BITMIME
250-AUTH LOGIN PLAIN XOAUTH2 PLAIN-CLIENTTOKEN XOAUTH
250-ENHANCEDSTATUSCODES
250-PIPELINING
250-CHUNKING
250 SMTPUTF8";

/// smtp.office365.com before STARTTLS, 2020-11-15 (PHPMailer/PHPMailer#2194).
const M365_PRE_TLS: &str = "\
250-HK0PR01CA0063.outlook.office365.com Hello [154.209.79.254]
250-SIZE 157286400
250-PIPELINING
250-DSN
250-ENHANCEDSTATUSCODES
250-STARTTLS
250-8BITMIME
250-BINARYMIME
250-CHUNKING
250 SMTPUTF8";

/// smtp.office365.com after STARTTLS, 2017-02-10 (PHPMailer/PHPMailer#992).
const M365_POST_TLS: &str = "\
250-AM5PR0601CA0034.outlook.office365.com Hello [{ip address}]
250-SIZE 157286400
250-PIPELINING
250-DSN
250-ENHANCEDSTATUSCODES
250-AUTH LOGIN
250-8BITMIME
250-BINARYMIME
250-CHUNKING
250 SMTPUTF8";

/// smtp.naver.com port 465, 2022-04-22 (JavaMail trace in the Jekyll post
/// "JavaMailSender로 메일 보내기").
const NAVER_465: &str = "\
250-smtp.naver.com Pleased to meet you
250-SIZE 20971520
250-8BITMIME
250-PIPELINING
250-AUTH PLAIN LOGIN
250 ENHANCEDSTATUSCODES";

/// mx.naver.com, Naver's inbound MX, 2025-04 (newkennybaik/portfolio knowledge base).
const NAVER_MX: &str = "\
250-mx.naver.com Pleased to meet you
250-SIZE 41943040
250-8BITMIME
250-PIPELINING
250-SMTPUTF8
250-STARTTLS
250 ENHANCEDSTATUSCODES";

/// Zoho, 2018, as the log printed it: each EHLO reply flattened onto one line.
const ZOHO_PRE_TLS_FLAT: &str = "250-mx.zohomail.com Hello limix.eu (80.211.220.26 (80.211.220.26))250-STARTTLS250 SIZE 53477376";
const ZOHO_POST_TLS_FLAT: &str = "250-mx.zohomail.com Hello limix.eu (80.211.220.26 (80.211.220.26))250-AUTH LOGIN PLAIN250 SIZE 53477376";

/// The same two Zoho replies split back into lines (only line breaks added).
const ZOHO_PRE_TLS: &str = "\
250-mx.zohomail.com Hello limix.eu (80.211.220.26 (80.211.220.26))
250-STARTTLS
250 SIZE 53477376";
const ZOHO_POST_TLS: &str = "\
250-mx.zohomail.com Hello limix.eu (80.211.220.26 (80.211.220.26))
250-AUTH LOGIN PLAIN
250 SIZE 53477376";

/// Yahoo, 2017, flattened by the log with blanks between lines; split back here. `8 BITMIME`
/// is as captured.
const YAHOO: &str = "\
250-smtp.mail.yahoo.com
250-PIPELINING
250-SIZE 41697280
250-8 BITMIME
250 AUTH PLAIN LOGIN XOAUTH2 XYMCOOKIE OAUTHBEARER";

#[test]
fn gmail() {
    for capture in [GMAIL_465, GMAIL_POST_STARTTLS] {
        let info = ehlo(capture);
        assert!(
            info.greeting
                .starts_with("smtp.gmail.com at your service, [")
        );
        assert_eq!(info.size_limit(), Some(35_882_577));
        assert_eq!(
            info.auth_mechanism_names(),
            [
                "LOGIN",
                "PLAIN",
                "XOAUTH2",
                "PLAIN-CLIENTTOKEN",
                "OAUTHBEARER",
                "XOAUTH"
            ]
        );
        assert_eq!(
            info.auth_mechanisms(),
            [
                Mechanism::Login,
                Mechanism::Plain,
                Mechanism::XOAuth2,
                Mechanism::OAuthBearer
            ]
        );
        assert!(
            !info.starttls(),
            "Gmail does not offer STARTTLS once TLS is on"
        );
        assert!(info.pipelining() && info.chunking() && info.smtputf8());
        assert!(info.eight_bit_mime() && info.enhanced_status_codes());
        assert_eq!(
            info.capability_lines(),
            [
                "SIZE 35882577",
                "8BITMIME",
                "AUTH LOGIN PLAIN XOAUTH2 PLAIN-CLIENTTOKEN OAUTHBEARER XOAUTH",
                "ENHANCEDSTATUSCODES",
                "PIPELINING",
                "CHUNKING",
                "SMTPUTF8"
            ]
        );
    }
    let old = ehlo(GMAIL_2015);
    assert_eq!(
        old.greeting,
        "mx.google.com at your service, [217.91.11.112]"
    );
    assert_eq!(old.size_limit(), Some(35_882_577));
    assert_eq!(
        old.auth_mechanisms(),
        [Mechanism::Login, Mechanism::Plain, Mechanism::XOAuth2]
    );
}

#[test]
fn microsoft_365() {
    let pre = ehlo(M365_PRE_TLS);
    assert_eq!(
        pre.greeting,
        "HK0PR01CA0063.outlook.office365.com Hello [154.209.79.254]"
    );
    assert_eq!(pre.size_limit(), Some(157_286_400));
    assert!(pre.starttls());
    assert!(!pre.has("AUTH"), "no AUTH before TLS");
    assert!(pre.auth_mechanisms().is_empty());
    assert!(pre.auth_mechanism_names().is_empty());
    assert!(
        pre.has("DSN") && pre.has("binarymime"),
        "unknown keywords are kept"
    );
    assert!(pre.chunking() && pre.pipelining() && pre.smtputf8());

    let post = ehlo(M365_POST_TLS);
    assert_eq!(post.size_limit(), Some(157_286_400));
    assert!(!post.starttls());
    assert_eq!(post.auth_mechanisms(), [Mechanism::Login]);

    // Newer reports (Enough-Software/enough_mail#106) quote the post-TLS AUTH line as
    // `250-AUTH LOGIN XOAUTH2`; the rest of the reply is the 2017 capture.
    let newer = M365_POST_TLS.replace("250-AUTH LOGIN\n", "250-AUTH LOGIN XOAUTH2\n");
    assert_eq!(
        ehlo(&newer).auth_mechanisms(),
        [Mechanism::Login, Mechanism::XOAuth2]
    );
}

#[test]
fn naver() {
    let info = ehlo(NAVER_465);
    assert_eq!(info.greeting, "smtp.naver.com Pleased to meet you");
    assert_eq!(info.size_limit(), Some(20_971_520));
    assert_eq!(info.auth_mechanisms(), [Mechanism::Plain, Mechanism::Login]);
    assert!(!info.starttls());
    assert!(
        info.enhanced_status_codes(),
        "keyword on the last line counts"
    );
    assert!(!info.smtputf8() && !info.chunking());

    let mx = ehlo(NAVER_MX);
    assert_eq!(mx.size_limit(), Some(41_943_040));
    assert!(mx.starttls() && mx.smtputf8());
    assert!(mx.auth_mechanisms().is_empty());
}

#[test]
fn zoho_flattened_capture() {
    // As logged, each reply is one `250-` line with no last line: on the wire that is an
    // incomplete reply, never a complete one.
    for flat in [ZOHO_PRE_TLS_FLAT, ZOHO_POST_TLS_FLAT] {
        assert_eq!(ReplyParser::parse(crlf(flat).as_bytes()), Ok(None));
    }
    let pre = ehlo(ZOHO_PRE_TLS);
    assert!(pre.starttls());
    assert_eq!(pre.size_limit(), Some(53_477_376));
    assert!(pre.auth_mechanisms().is_empty());
    let post = ehlo(ZOHO_POST_TLS);
    assert!(!post.starttls());
    assert_eq!(post.size_limit(), Some(53_477_376));
    assert_eq!(post.auth_mechanisms(), [Mechanism::Login, Mechanism::Plain]);
}

#[test]
fn yahoo_unknown_mechanisms_are_listed_but_not_offered() {
    let info = ehlo(YAHOO);
    assert_eq!(info.size_limit(), Some(41_697_280));
    assert_eq!(
        info.auth_mechanism_names(),
        ["PLAIN", "LOGIN", "XOAUTH2", "XYMCOOKIE", "OAUTHBEARER"]
    );
    assert_eq!(
        info.auth_mechanisms(),
        [
            Mechanism::Plain,
            Mechanism::Login,
            Mechanism::XOAuth2,
            Mechanism::OAuthBearer
        ]
    );
    assert!(!info.eight_bit_mime(), "`8 BITMIME` is not `8BITMIME`");
}

#[test]
fn old_auth_equals_form() {
    let info = ehlo("250-mx.example.com\n250-AUTH=LOGIN PLAIN\n250 OK");
    assert_eq!(info.auth_mechanisms(), [Mechanism::Login, Mechanism::Plain]);
    assert_eq!(info.params("AUTH").unwrap(), ["LOGIN", "PLAIN"]);

    let only_old = ehlo("250-mx.example.com\n250 auth=login");
    assert_eq!(only_old.auth_mechanisms(), [Mechanism::Login]);
    assert!(only_old.has("AUTH"));
}

#[test]
fn duplicate_auth_lines_are_merged() {
    // The classic Exchange/Sendmail pair: both forms, same mechanisms.
    let both = ehlo("250-mx.example.com\n250-AUTH LOGIN PLAIN\n250-AUTH=LOGIN PLAIN\n250 HELP");
    assert_eq!(both.auth_mechanism_names(), ["LOGIN", "PLAIN"]);
    assert_eq!(
        both.keywords.iter().filter(|(k, _)| k == "AUTH").count(),
        1,
        "one AUTH entry"
    );

    let split = ehlo("250-mx.example.com\n250-AUTH PLAIN\n250-AUTH login CRAM-MD5\n250 AUTH Plain");
    assert_eq!(split.auth_mechanism_names(), ["PLAIN", "LOGIN", "CRAM-MD5"]);
    assert_eq!(
        split.auth_mechanisms(),
        [Mechanism::Plain, Mechanism::Login, Mechanism::CramMd5]
    );
}

#[test]
fn size_limit_table() {
    let table = [
        ("250-mx\n250 SIZE 35882577", Some(35_882_577)),
        ("250-mx\n250 size 1000", Some(1000)),
        ("250-mx\n250 SIZE", None),
        ("250-mx\n250 SIZE 0", None),
        ("250-mx\n250 SIZE abc", None),
        ("250-mx\n250 SIZE -5", None),
        ("250-mx\n250 SIZE 99999999999999999999999", None),
        ("250-mx\n250 PIPELINING", None),
        ("250 mx", None),
    ];
    for (text, want) in table {
        assert_eq!(ehlo(text).size_limit(), want, "{text:?}");
    }
}

#[test]
fn keywords_are_case_insensitive_and_blank_lines_skipped() {
    let info = ehlo("250-mx.example.com greets you\n250-starttls\n250-\n250- \n250 8bitmime");
    assert_eq!(info.greeting, "mx.example.com greets you");
    assert!(info.starttls() && info.has("STARTTLS") && info.has("StartTLS"));
    assert!(info.eight_bit_mime());
    assert_eq!(info.keywords.len(), 2);
    assert_eq!(info.capability_lines(), ["STARTTLS", "8BITMIME"]);
}

#[test]
fn greeting_only() {
    let info = ehlo("250 mx.example.com");
    assert_eq!(info.greeting, "mx.example.com");
    assert!(info.keywords.is_empty());
    assert!(info.auth_mechanisms().is_empty());
    assert_eq!(info.size_limit(), None);
}
