//! `CAPA` lists from real servers, and the server's own list.

use scanrelay_pop3::Capabilities;
use scanrelay_pop3::capa::{Expire, ExpirePolicy, LoginDelay};

fn parse(text: &str) -> Capabilities {
    Capabilities::parse(text.lines())
}

#[test]
fn dovecot_before_and_after_login() {
    // The test peer (Dovecot 2.3), captured 2026.
    let before = parse(
        "CAPA\nTOP\nUIDL\nRESP-CODES\nPIPELINING\nAUTH-RESP-CODE\nSTLS\nUSER\n\
         SASL PLAIN LOGIN CRAM-MD5 XOAUTH2 OAUTHBEARER",
    );
    assert!(before.top && before.uidl && before.resp_codes && before.pipelining);
    assert!(before.auth_resp_code && before.stls && before.user);
    assert_eq!(
        before.sasl,
        ["PLAIN", "LOGIN", "CRAM-MD5", "XOAUTH2", "OAUTHBEARER"]
    );
    assert!(before.has_sasl("xoauth2"));
    assert_eq!(before.other, ["CAPA"]);
    let after = parse("CAPA\nTOP\nUIDL\nRESP-CODES\nPIPELINING\nAUTH-RESP-CODE");
    assert!(!after.user && !after.stls && after.sasl.is_empty());
}

#[test]
fn gmail_and_microsoft_365() {
    // Gmail, from public fetchmail logs.
    let gmail = parse(
        "USER\nRESP-CODES\nEXPIRE 0\nLOGIN-DELAY 300\nTOP\nUIDL\nX-GOOGLE-VERHOEVEN\nX-GOOGLE-RICO",
    );
    assert!(gmail.user && gmail.resp_codes && gmail.top && gmail.uidl);
    assert_eq!(
        gmail.expire,
        Some(Expire {
            policy: ExpirePolicy::Days(0),
            per_user: false
        })
    );
    assert_eq!(
        gmail.login_delay,
        Some(LoginDelay {
            seconds: 300,
            per_user: false
        })
    );
    assert_eq!(gmail.other, ["X-GOOGLE-VERHOEVEN", "X-GOOGLE-RICO"]);
    // Outlook / Microsoft 365 (pop-mail.outlook.com, from a public script's notes).
    let m365 = parse("TOP\nUIDL\nSASL PLAIN XOAUTH2\nUSER");
    assert_eq!(m365.sasl, ["PLAIN", "XOAUTH2"]);
    assert!(m365.user && !m365.stls && m365.expire.is_none());
}

#[test]
fn edge_cases() {
    let table: Vec<(&str, Capabilities)> = vec![
        ("", Capabilities::default()),
        (
            "expire never user\nlogin-delay 900 USER\n  top  \n\n",
            Capabilities {
                top: true,
                expire: Some(Expire {
                    policy: ExpirePolicy::Never,
                    per_user: true,
                }),
                login_delay: Some(LoginDelay {
                    seconds: 900,
                    per_user: true,
                }),
                ..Capabilities::default()
            },
        ),
        (
            // Malformed known capabilities are kept as they are, not guessed at.
            "EXPIRE soon\nLOGIN-DELAY\nSASL\nTOP 5\nEXPIRE 99999999999",
            Capabilities {
                other: vec![
                    "EXPIRE soon".into(),
                    "LOGIN-DELAY".into(),
                    "SASL".into(),
                    "TOP 5".into(),
                    "EXPIRE 99999999999".into(),
                ],
                ..Capabilities::default()
            },
        ),
        (
            // Two SASL lines add up; duplicates merge; IMPLEMENTATION keeps its text.
            "SASL PLAIN\nsasl plain xoauth2\nIMPLEMENTATION Cyrus POP3 v2.4",
            Capabilities {
                sasl: vec!["PLAIN".into(), "XOAUTH2".into()],
                implementation: Some("Cyrus POP3 v2.4".into()),
                ..Capabilities::default()
            },
        ),
    ];
    for (text, expected) in table {
        assert_eq!(parse(text), expected, "{text:?}");
    }
}

#[test]
fn the_server_side_list_parses_back() {
    let caps = Capabilities {
        user: true,
        top: true,
        uidl: true,
        stls: true,
        pipelining: true,
        resp_codes: true,
        auth_resp_code: true,
        sasl: vec!["PLAIN".into()],
        expire: Some(Expire {
            policy: ExpirePolicy::Never,
            per_user: false,
        }),
        login_delay: Some(LoginDelay {
            seconds: 60,
            per_user: false,
        }),
        implementation: Some("scanrelay".into()),
        other: vec!["X-ONE".into()],
    };
    let lines = caps.lines();
    assert_eq!(
        lines,
        [
            "USER",
            "TOP",
            "UIDL",
            "STLS",
            "PIPELINING",
            "RESP-CODES",
            "AUTH-RESP-CODE",
            "SASL PLAIN",
            "EXPIRE NEVER",
            "LOGIN-DELAY 60",
            "IMPLEMENTATION scanrelay",
            "X-ONE",
        ]
    );
    assert_eq!(Capabilities::parse(lines.iter().map(String::as_str)), caps);
}
