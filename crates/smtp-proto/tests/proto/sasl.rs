//! SASL client: exact responses against published examples, the OAuth2 error round trip, the
//! RFC 4954 512-octet rule and mechanism choice.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use scanrelay_proto::sasl::{
    Credentials, MAX_COMMAND_LINE, Mechanism, SaslClient, SaslError, choose_mechanism,
};
use scanrelay_proto::{Command, EhloInfo};

use crate::{crlf, parse_one};

fn password(user: &str, password: &str) -> Credentials {
    Credentials::Password {
        user: user.into(),
        password: password.into(),
    }
}

fn token(user: &str, token: &str) -> Credentials {
    Credentials::Token {
        user: user.into(),
        token: token.into(),
    }
}

fn client(mechanism: Mechanism, credentials: Credentials) -> SaslClient {
    SaslClient::new(mechanism, credentials).expect("credentials fit the mechanism")
}

fn response(command: Command) -> String {
    match command {
        Command::AuthResponse(line) => line,
        other => panic!("expected an AuthResponse, got {other:?}"),
    }
}

fn initial(command: &Command) -> Option<&str> {
    match command {
        Command::Auth { initial, .. } => initial.as_deref(),
        other => panic!("expected AUTH, got {other:?}"),
    }
}

fn b64(s: &[u8]) -> String {
    B64.encode(s)
}

#[test]
fn mechanism_names() {
    for (m, name) in [
        (Mechanism::Plain, "PLAIN"),
        (Mechanism::Login, "LOGIN"),
        (Mechanism::CramMd5, "CRAM-MD5"),
        (Mechanism::XOAuth2, "XOAUTH2"),
        (Mechanism::OAuthBearer, "OAUTHBEARER"),
    ] {
        assert_eq!(m.as_str(), name);
        assert_eq!(m.to_string(), name);
        assert_eq!(name.parse::<Mechanism>(), Ok(m));
        assert_eq!(name.to_ascii_lowercase().parse::<Mechanism>(), Ok(m));
    }
    assert!("XOAUTH".parse::<Mechanism>().is_err());
    assert!("PLAIN-CLIENTTOKEN".parse::<Mechanism>().is_err());
}

#[test]
fn plain_initial_response() {
    let mut c = client(Mechanism::Plain, password("user", "pass"));
    let auth = c.start();
    assert_eq!(initial(&auth), Some("AHVzZXIAcGFzcw=="));
    assert_eq!(B64.decode("AHVzZXIAcGFzcw==").unwrap(), b"\0user\0pass");
    assert_eq!(auth.to_string(), "AUTH PLAIN AHVzZXIAcGFzcw==\r\n");
    // After the initial response, PLAIN has no further steps.
    assert_eq!(
        c.respond(""),
        Err(SaslError::UnexpectedChallenge(Mechanism::Plain))
    );
}

#[test]
fn login_answers_user_then_password() {
    // Naver's AUTH LOGIN exchange (providers.md D.3): `334 VXNlcm5hbWU6`, `334 UGFzc3dvcmQ6`.
    let mut c = client(
        Mechanism::Login,
        password("scanner@naver.com", "app-password"),
    );
    let auth = c.start();
    assert_eq!(auth.to_string(), "AUTH LOGIN\r\n");
    assert_eq!(initial(&auth), None);
    for (reply, want) in [
        ("334 VXNlcm5hbWU6", b64(b"scanner@naver.com")),
        ("334 UGFzc3dvcmQ6", b64(b"app-password")),
    ] {
        let challenge = parse_one(&crlf(reply)).text();
        assert_eq!(response(c.respond(&challenge).unwrap()), want);
    }
    assert_eq!(
        c.respond("VXNlcm5hbWU6"),
        Err(SaslError::UnexpectedChallenge(Mechanism::Login))
    );
}

#[test]
fn cram_md5_rfc2195_example() {
    // RFC 2195 §2: user tim, password tanstaaftanstaaf.
    let mut c = client(Mechanism::CramMd5, password("tim", "tanstaaftanstaaf"));
    let auth = c.start();
    assert_eq!(auth.to_string(), "AUTH CRAM-MD5\r\n");
    let challenge = b64(b"<1896.697170952@postoffice.reston.mci.net>");
    assert_eq!(
        challenge,
        "PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+"
    );
    let answer = response(c.respond(&challenge).unwrap());
    assert_eq!(answer, "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw");
    assert_eq!(
        B64.decode(&answer).unwrap(),
        b"tim b913a602c7eda7a495b4e6e7334d3890"
    );
    assert_eq!(
        c.respond(&challenge),
        Err(SaslError::UnexpectedChallenge(Mechanism::CramMd5))
    );
}

#[test]
fn xoauth2_google_example() {
    // https://developers.google.com/workspace/gmail/imap/xoauth2-protocol
    let mut c = client(
        Mechanism::XOAuth2,
        token(
            "someuser@example.com",
            "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg",
        ),
    );
    let auth = c.start();
    let want = "dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2cBAQ==";
    assert_eq!(initial(&auth), Some(want));
    assert_eq!(auth.to_string(), format!("AUTH XOAUTH2 {want}\r\n"));
    assert!(c.oauth_error().is_none());
}

#[test]
fn oauthbearer_rfc7628_example_and_escaping() {
    // RFC 7628 §4.1, with host and port.
    let mut c = client(
        Mechanism::OAuthBearer,
        token(
            "user@example.com",
            "vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg==",
        ),
    )
    .with_host("server.example.com", 143);
    assert_eq!(
        initial(&c.start()),
        Some(
            "bixhPXVzZXJAZXhhbXBsZS5jb20sAWhvc3Q9c2VydmVyLmV4YW1wbGUuY29tAXBvcnQ9MTQzAWF1dGg9QmVhcmVyIHZGOWRmdDRxbVRjMk52YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2c9PQEB"
        )
    );

    // Without host; `,` and `=` in the authzid are escaped as =2C and =3D (RFC 5801 saslname).
    let mut c = client(Mechanism::OAuthBearer, token("a,b=c@example.com", "tok"));
    let ir = B64.decode(initial(&c.start()).unwrap()).unwrap();
    assert_eq!(ir, b"n,a=a=2Cb=3Dc@example.com,\x01auth=Bearer tok\x01\x01");

    // An already-escaped-looking name is escaped again, not passed through.
    let mut c = client(Mechanism::OAuthBearer, token("x=2Cy", "tok"));
    let ir = B64.decode(initial(&c.start()).unwrap()).unwrap();
    assert!(ir.starts_with(b"n,a=x=3D2Cy,\x01"));
}

/// Google's documented failure challenge: `{"status":"401","schemes":"bearer mac",...}`.
const GOOGLE_401: &str = "eyJzdGF0dXMiOiI0MDEiLCJzY2hlbWVzIjoiYmVhcmVyIG1hYyIsInNjb3BlIjoiaHR0cHM6Ly9tYWlsLmdvb2dsZS5jb20vIn0K";

#[test]
fn xoauth2_error_round_trip() {
    let mut c = client(Mechanism::XOAuth2, token("someuser@example.com", "expired"));
    assert!(initial(&c.start()).is_some());
    let challenge = parse_one(&crlf(&format!("334 {GOOGLE_401}"))).text();
    let answer = c.respond(&challenge).unwrap();
    assert_eq!(answer, Command::AuthResponse(String::new()));
    assert_eq!(answer.to_string(), "\r\n");
    let err = c.oauth_error().expect("error JSON recorded");
    assert!(err.json.contains("\"401\""), "{}", err.json);
    let json: serde_json::Value = serde_json::from_str(&err.json).unwrap();
    assert_eq!(json["status"], "401");
    assert_eq!(json["scope"], "https://mail.google.com/");
}

#[test]
fn xoauth2_error_from_fixture() {
    // The Gmail `334` in fixtures/provider-replies.jsonl (auth.oauth_token_rejected).
    let mut c = client(Mechanism::XOAuth2, token("someuser@example.com", "bad"));
    c.start();
    let reply = parse_one(&crlf(
        "334 eyJzdGF0dXMiOiJpbnZhbGlkX3JlcXVlc3QiLCJzY29wZSI6Imh0dHBzOi8vbWFpbC5nb29nbGUuY29tLyJ9",
    ));
    assert_eq!(
        c.respond(&reply.text()).unwrap(),
        Command::AuthResponse(String::new())
    );
    assert!(c.oauth_error().unwrap().json.contains("invalid_request"));
}

#[test]
fn oauthbearer_error_round_trip() {
    let mut c = client(Mechanism::OAuthBearer, token("user@example.com", "expired"));
    assert!(initial(&c.start()).is_some());
    let answer = c.respond(GOOGLE_401).unwrap();
    assert_eq!(answer, Command::AuthResponse("AQ==".into()));
    assert_eq!(answer.to_string(), "AQ==\r\n");
    assert_eq!(B64.decode("AQ==").unwrap(), b"\x01");
    assert!(c.oauth_error().unwrap().json.contains("401"));
}

#[test]
fn long_token_is_sent_after_an_empty_334() {
    for mechanism in [Mechanism::XOAuth2, Mechanism::OAuthBearer] {
        let long = "T".repeat(600);
        let mut c = client(mechanism, token("user@example.com", &long));
        let auth = c.start();
        assert_eq!(
            initial(&auth),
            None,
            "{mechanism}: 600-char token must not ride on AUTH"
        );
        assert_eq!(auth.to_string(), format!("AUTH {mechanism}\r\n"));
        let ir = response(c.respond("").unwrap());
        let raw = B64.decode(&ir).unwrap();
        let raw = String::from_utf8(raw).unwrap();
        assert!(
            raw.contains(&format!("auth=Bearer {long}\x01\x01")),
            "{mechanism}"
        );
        assert!(c.oauth_error().is_none(), "the empty 334 is not an error");
        // An error challenge after the deferred initial response is still handled.
        let answer = response(c.respond(GOOGLE_401).unwrap());
        let want = if mechanism == Mechanism::OAuthBearer {
            "AQ=="
        } else {
            ""
        };
        assert_eq!(answer, want);
        assert!(c.oauth_error().is_some());

        // A short token rides on the AUTH line.
        let mut c = client(mechanism, token("user@example.com", "short"));
        assert!(initial(&c.start()).is_some(), "{mechanism}");
    }
    // PLAIN with an absurdly long password follows the same rule.
    let mut c = client(Mechanism::Plain, password("u", &"p".repeat(600)));
    assert_eq!(initial(&c.start()), None);
    assert_eq!(
        B64.decode(response(c.respond("").unwrap())).unwrap(),
        format!("\0u\0{}", "p".repeat(600)).into_bytes()
    );
}

/// RFC 4954 §4: the initial response rides on `AUTH` only if the whole line, CRLF included, fits
/// in 512 octets. `AUTH NAME ` + CRLF is 8 + len(NAME) octets and base64 grows in steps of four,
/// so for PLAIN (509 then 513), XOAUTH2 (511 then 515) and OAUTHBEARER (511 then 515) a line of
/// exactly 512 cannot occur; the test sweeps secret lengths across the boundary and checks the
/// rule (inline iff the line would be <= 512) for every length, and that both sides were seen.
#[test]
fn initial_response_512_octet_boundary() {
    assert_eq!(MAX_COMMAND_LINE, 512);
    for mechanism in [Mechanism::Plain, Mechanism::XOAuth2, Mechanism::OAuthBearer] {
        let credentials = |n: usize| {
            if mechanism.uses_token() {
                token("user@example.com", &"t".repeat(n))
            } else {
                password("user@example.com", &"p".repeat(n))
            }
        };
        let mut longest_inline = 0;
        let mut shortest_deferred = usize::MAX;
        for n in 300..420 {
            let mut c = client(mechanism, credentials(n));
            let auth = c.start();
            // The line the initial response would make, computed from the deferred answer.
            let mut probe = client(mechanism, credentials(n));
            let deferred_ir = match initial(&probe.start()) {
                Some(ir) => ir.to_string(),
                None => response(probe.respond("").unwrap()),
            };
            let line_len = format!("AUTH {mechanism} {deferred_ir}\r\n").len();
            match initial(&auth) {
                Some(ir) => {
                    assert_eq!(ir, deferred_ir);
                    assert_eq!(auth.to_string().len(), line_len);
                    assert!(
                        line_len <= 512,
                        "{mechanism}: {line_len}-octet line sent inline"
                    );
                    longest_inline = longest_inline.max(line_len);
                }
                None => {
                    assert!(
                        line_len > 512,
                        "{mechanism}: {line_len}-octet line deferred"
                    );
                    assert_eq!(response(c.respond("").unwrap()), deferred_ir);
                    shortest_deferred = shortest_deferred.min(line_len);
                }
            }
        }
        assert!(
            (509..=512).contains(&longest_inline),
            "{mechanism}: {longest_inline}"
        );
        assert!(
            (513..=516).contains(&shortest_deferred),
            "{mechanism}: {shortest_deferred}"
        );
        assert_eq!(shortest_deferred - longest_inline, 4, "{mechanism}");
    }
    // The exact PLAIN edge: a 513-octet line is deferred.
    let line = |n: usize| {
        let mut c = client(
            Mechanism::Plain,
            password("user@example.com", &"p".repeat(n)),
        );
        c.start().to_string()
    };
    let (mut inline, mut deferred) = (None, None);
    for n in 300..420 {
        let l = line(n);
        if l.starts_with("AUTH PLAIN ") {
            inline = Some(l.len());
        } else if deferred.is_none() {
            deferred = Some(n);
        }
    }
    assert_eq!(inline, Some(509));
    let mut c = client(
        Mechanism::Plain,
        password("user@example.com", &"p".repeat(deferred.unwrap())),
    );
    assert_eq!(initial(&c.start()), None);
    let ir = response(c.respond("").unwrap());
    assert_eq!(format!("AUTH PLAIN {ir}\r\n").len(), 513);
}

#[test]
fn wrong_credentials_type() {
    for m in [Mechanism::XOAuth2, Mechanism::OAuthBearer] {
        assert_eq!(
            SaslClient::new(m, password("u", "p")).err(),
            Some(SaslError::WrongCredentials {
                mechanism: m,
                needs: "an OAuth2 access token"
            })
        );
    }
    for m in [Mechanism::Plain, Mechanism::Login, Mechanism::CramMd5] {
        assert_eq!(
            SaslClient::new(m, token("u", "t")).err(),
            Some(SaslError::WrongCredentials {
                mechanism: m,
                needs: "a password"
            })
        );
    }
}

#[test]
fn bad_challenge() {
    let mut c = client(Mechanism::Login, password("u", "p"));
    c.start();
    assert_eq!(c.respond("not base64!"), Err(SaslError::BadChallenge));
    let mut c = client(Mechanism::CramMd5, password("u", "p"));
    c.start();
    assert_eq!(c.respond("%%%"), Err(SaslError::BadChallenge));
}

#[test]
fn choose_mechanism_table() {
    let offered = |auth_line: Option<&str>| {
        let mut text = String::from("250-mx.example.com\n");
        if let Some(line) = auth_line {
            text.push_str(&format!("250-{line}\n"));
        }
        text.push_str("250 8BITMIME");
        EhloInfo::parse(&parse_one(&crlf(&text))).auth_mechanisms()
    };
    let table = [
        // Microsoft 365 after STARTTLS.
        (Some("AUTH LOGIN XOAUTH2"), false, Some(Mechanism::Login)),
        (Some("AUTH LOGIN XOAUTH2"), true, Some(Mechanism::XOAuth2)),
        // Gmail.
        (
            Some("AUTH LOGIN PLAIN XOAUTH2 PLAIN-CLIENTTOKEN OAUTHBEARER XOAUTH"),
            false,
            Some(Mechanism::Plain),
        ),
        (
            Some("AUTH LOGIN PLAIN XOAUTH2 PLAIN-CLIENTTOKEN OAUTHBEARER XOAUTH"),
            true,
            Some(Mechanism::XOAuth2),
        ),
        // Naver.
        (Some("AUTH PLAIN LOGIN"), false, Some(Mechanism::Plain)),
        (Some("AUTH PLAIN LOGIN"), true, None),
        (Some("AUTH OAUTHBEARER"), true, Some(Mechanism::OAuthBearer)),
        (Some("AUTH CRAM-MD5"), false, Some(Mechanism::CramMd5)),
        (Some("AUTH XOAUTH2"), false, None),
        (Some("AUTH GSSAPI NTLM"), false, None),
        // Nothing offered (Microsoft 365 before STARTTLS).
        (None, false, None),
        (None, true, None),
    ];
    for (line, have_token, want) in table {
        assert_eq!(
            choose_mechanism(&offered(line), have_token),
            want,
            "{line:?} token={have_token}"
        );
    }
}
