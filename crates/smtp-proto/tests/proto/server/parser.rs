//! The command parser, table-driven: each row is an escaped command line and the command's
//! `Debug` or the refusal's reply.

use super::*;

/// `ServerCommand::parse` on the escaped line: the command's `Debug`, or the error's reply.
const PARSER: &str = r#"
ehlo Printer.LAN                       => Ehlo("Printer.LAN")
HELO                                   => Helo("unknown")
EHLO\x20\x20                             => Ehlo("unknown")
EHLO evil\rX-Inj: 1                    => 501 5.5.4 Syntax: EHLO domain
HELO evil\rX-Inj: 1                    => 501 5.5.4 Syntax: HELO domain
EHLO host \x01                         => 501 5.5.4 Syntax: EHLO domain
EHLO host\x1b[31m                      => 501 5.5.4 Syntax: EHLO domain
EHLO host\x7f                          => 501 5.5.4 Syntax: EHLO domain
EHLO a\xc2\x85b                        => 501 5.5.4 Syntax: EHLO domain
EHLO a\xe2\x80\xa8b                    => 501 5.5.4 Syntax: EHLO domain
EHLO a\xe2\x80\xaeb                    => 501 5.5.4 Syntax: EHLO domain
EHLO\tmfp_3F.lan\tjunk                => Ehlo("mfp_3F.lan")
EHLO [192.0.2.7]                       => Ehlo("[192.0.2.7]")
HELO Büro-Scanner                      => Helo("Büro-Scanner")
MAIL  FROM:   <a@b>  SIZE=10\x20       => Mail { address: "a@b", params: ["SIZE=10"], size: Some(10) }
MAIL FROM:<a@b> body=8bitmime          => Mail { address: "a@b", params: ["body=8bitmime"], size: None }
MAIL FROM:<a@b> BODY=BINARYMIME        => 501 5.5.4 Syntax: BODY=7BIT|8BITMIME
MAIL FROM:<a@b> SIZE=big               => 501 5.5.4 Syntax: MAIL FROM:<address> [SIZE=n] [BODY=7BIT|8BITMIME]
MAIL FROM:                             => 501 5.5.4 Syntax: MAIL FROM:<address> [SIZE=n] [BODY=7BIT|8BITMIME]
MAIL FROM:<a\x01@b>                    => 501 5.1.7 Bad sender address syntax
MAIL FROM:<"unterminated@b>            => 501 5.1.7 Bad sender address syntax
MAIL FROM:<@relay-without-colon>       => 501 5.1.7 Bad sender address syntax
MAIL FROM:<a@b> X-PARAMETER-NAME-LONGER-THAN-32-CHARS=1 => 501 5.5.4 Syntax: MAIL FROM:<address> [SIZE=n] [BODY=7BIT|8BITMIME]
RCPT TO:<Postmaster>                   => Rcpt { address: "Postmaster" }
RCPT TO:<a@b> =x                       => 501 5.5.4 Syntax: RCPT TO:<address>
auth plain                             => Auth { mechanism: Plain, initial: None }
AUTH PLAIN secret                      => Auth { mechanism: Plain, initial: Some("<redacted>") }
AUTH PLAIN a b                         => 501 5.5.4 Syntax: AUTH mechanism [initial-response]
AUTH NTLM                              => 504 5.5.4 Unrecognized authentication type
AUTH                                   => 501 5.5.4 Syntax: AUTH mechanism [initial-response]
VRFY                                   => 501 5.5.4 Syntax: VRFY <address>
NOOP \xff                              => 500 5.5.2 Invalid characters in command
                                       => 500 5.5.2 Command unrecognized
"#;

#[test]
fn command_parser_table() {
    for row in PARSER.lines().filter(|l| !l.trim().is_empty()) {
        let (line, expected) = row.split_once("=>").unwrap();
        let line = unescape(line.trim());
        let actual = match ServerCommand::parse(&line) {
            Ok(command) => format!("{command:?}"),
            Err(error) => error.reply().wire_lines().join("\n"),
        };
        assert_eq!(actual, expected.trim(), "{row}");
    }
    let too_long = format!("MAIL FROM:<{}@b>", "a".repeat(400));
    assert_eq!(
        ServerCommand::parse(too_long.as_bytes()),
        Err(CommandError::BadSender)
    );
}
