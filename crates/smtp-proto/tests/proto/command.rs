//! Client commands: byte-exact wire forms, and no secret in `redacted()` or `Debug`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use scanrelay_proto::Command;
use scanrelay_proto::sasl::{Credentials, Mechanism, SaslClient};

fn mail(from: &str, params: &[&str]) -> Command {
    Command::Mail {
        from: from.to_string(),
        params: params.iter().map(|p| p.to_string()).collect(),
    }
}

fn rcpt(to: &str, params: &[&str]) -> Command {
    Command::Rcpt {
        to: to.to_string(),
        params: params.iter().map(|p| p.to_string()).collect(),
    }
}

fn auth(mechanism: Mechanism, initial: Option<&str>) -> Command {
    Command::Auth {
        mechanism,
        initial: initial.map(str::to_string),
    }
}

#[test]
fn wire_forms() {
    let table: Vec<(Command, &str)> = vec![
        (
            Command::Ehlo("scanner.example".into()),
            "EHLO scanner.example\r\n",
        ),
        (Command::Ehlo("[192.0.2.7]".into()), "EHLO [192.0.2.7]\r\n"),
        (
            Command::Helo("scanner.example".into()),
            "HELO scanner.example\r\n",
        ),
        (Command::StartTls, "STARTTLS\r\n"),
        (auth(Mechanism::Plain, None), "AUTH PLAIN\r\n"),
        (auth(Mechanism::Login, None), "AUTH LOGIN\r\n"),
        (auth(Mechanism::CramMd5, None), "AUTH CRAM-MD5\r\n"),
        (auth(Mechanism::XOAuth2, None), "AUTH XOAUTH2\r\n"),
        (auth(Mechanism::OAuthBearer, None), "AUTH OAUTHBEARER\r\n"),
        (
            auth(Mechanism::Plain, Some("AHVzZXIAcGFzcw==")),
            "AUTH PLAIN AHVzZXIAcGFzcw==\r\n",
        ),
        (auth(Mechanism::Plain, Some("=")), "AUTH PLAIN =\r\n"),
        (Command::AuthResponse("dGlt".into()), "dGlt\r\n"),
        (Command::AuthResponse(String::new()), "\r\n"),
        (Command::AuthResponse("*".into()), "*\r\n"),
        (mail("a@b", &["SIZE=10"]), "MAIL FROM:<a@b> SIZE=10\r\n"),
        (mail("", &[]), "MAIL FROM:<>\r\n"),
        (mail("a@b", &[]), "MAIL FROM:<a@b>\r\n"),
        (
            mail(
                "scan@example.com",
                &["SIZE=90289", "BODY=8BITMIME", "SMTPUTF8"],
            ),
            "MAIL FROM:<scan@example.com> SIZE=90289 BODY=8BITMIME SMTPUTF8\r\n",
        ),
        (mail("", &["SIZE=0"]), "MAIL FROM:<> SIZE=0\r\n"),
        (rcpt("c@d", &[]), "RCPT TO:<c@d>\r\n"),
        (
            rcpt("c@d", &["NOTIFY=FAILURE", "ORCPT=rfc822;c@d"]),
            "RCPT TO:<c@d> NOTIFY=FAILURE ORCPT=rfc822;c@d\r\n",
        ),
        (rcpt("postmaster", &[]), "RCPT TO:<postmaster>\r\n"),
        (Command::Data, "DATA\r\n"),
        (Command::Rset, "RSET\r\n"),
        (Command::Noop, "NOOP\r\n"),
        (Command::Quit, "QUIT\r\n"),
    ];
    for (command, wire) in table {
        assert_eq!(
            command.to_string().as_bytes(),
            wire.as_bytes(),
            "{command:?}"
        );
        if !command.is_secret() {
            // Non-secret commands show exactly as sent, minus CRLF, in transcripts and Debug.
            assert_eq!(
                command.redacted(),
                wire.trim_end_matches("\r\n"),
                "{command:?}"
            );
            assert_eq!(
                format!("{command:?}"),
                format!("Command({:?})", wire.trim_end_matches("\r\n"))
            );
        }
    }
}

#[test]
fn is_secret() {
    assert!(auth(Mechanism::Plain, Some("AHVzZXIAcGFzcw==")).is_secret());
    assert!(Command::AuthResponse("dGlt".into()).is_secret());
    assert!(!auth(Mechanism::Login, None).is_secret());
    assert!(!mail("a@b", &[]).is_secret());
    assert!(!Command::Ehlo("x".into()).is_secret());
}

#[test]
fn redacted_forms() {
    assert_eq!(
        auth(Mechanism::Plain, Some("AHVzZXIAcGFzcw==")).redacted(),
        "AUTH PLAIN <redacted>"
    );
    assert_eq!(
        auth(Mechanism::XOAuth2, Some("dXNlcj1h")).redacted(),
        "AUTH XOAUTH2 <redacted>"
    );
    assert_eq!(auth(Mechanism::Login, None).redacted(), "AUTH LOGIN");
    assert_eq!(
        Command::AuthResponse("dGlt".into()).redacted(),
        "<redacted>"
    );
    // Empty answers and the cancel line carry nothing and stay readable.
    assert_eq!(Command::AuthResponse(String::new()).redacted(), "");
    assert_eq!(Command::AuthResponse("*".into()).redacted(), "*");
}

/// Runs every mechanism through a plausible exchange and checks each command it produces.
#[test]
fn sasl_commands_never_show_the_secret() {
    const PASSWORD: &str = "hunter2-Sup3rSecret";
    const TOKEN: &str = "ya29.a0AfB_byC-SecretTokenValue-1234567890";
    let user = "scanner@example.com";
    let cases = [
        (Mechanism::Plain, false, vec![]),
        (
            Mechanism::Login,
            false,
            vec!["VXNlcm5hbWU6", "UGFzc3dvcmQ6"],
        ),
        (
            Mechanism::CramMd5,
            false,
            vec!["PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+"],
        ),
        (Mechanism::XOAuth2, true, vec!["eyJzdGF0dXMiOiI0MDEifQ=="]),
        (
            Mechanism::OAuthBearer,
            true,
            vec!["eyJzdGF0dXMiOiI0MDEifQ=="],
        ),
    ];
    for (mechanism, token, challenges) in cases {
        let secret = if token { TOKEN } else { PASSWORD };
        let credentials = if token {
            Credentials::Token {
                user: user.into(),
                token: secret.into(),
            }
        } else {
            Credentials::Password {
                user: user.into(),
                password: secret.into(),
            }
        };
        assert!(!format!("{credentials:?}").contains(secret));
        let mut client = SaslClient::new(mechanism, credentials).unwrap();
        let mut commands = vec![client.start()];
        for c in challenges {
            commands.push(client.respond(c).unwrap());
        }
        assert!(
            !format!("{client:?}").contains(secret),
            "{mechanism}: SaslClient Debug shows the secret"
        );
        let b64_secret = B64.encode(secret);
        let mut carried_secret = false;
        for command in &commands {
            let wire = command.to_string();
            let payload = wire.trim_end_matches("\r\n").rsplit(' ').next().unwrap();
            for shown in [command.redacted(), format!("{command:?}")] {
                assert!(!shown.contains(secret), "{mechanism}: {shown}");
                assert!(!shown.contains(&b64_secret), "{mechanism}: {shown}");
                if command.is_secret() && !payload.is_empty() {
                    assert!(
                        !shown.contains(payload),
                        "{mechanism}: {shown} shows {payload}"
                    );
                }
            }
            if command.is_secret() {
                carried_secret = true;
            }
        }
        assert!(carried_secret, "{mechanism}: no command carried the secret");
    }
}
