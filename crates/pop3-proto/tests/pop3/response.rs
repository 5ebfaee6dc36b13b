//! Status lines, extended response codes and continuations, from real servers.

use scanrelay_pop3::response::ResponseError;
use scanrelay_pop3::{RespCode, Response, ResponseLine, Status, StatusLine};

fn status(line: &str) -> StatusLine {
    match ResponseLine::parse(line.as_bytes()) {
        Ok(ResponseLine::Status(status)) => status,
        other => panic!("{line:?} gave {other:?}"),
    }
}

/// (line, status, code, text) as real servers send them.
fn real_lines() -> Vec<(&'static str, Status, Option<RespCode>, &'static str)> {
    // (line, status, code, text). Sources: Dovecot 2.3 (the test peer, captured 2026);
    // Gmail (fetchmail logs and a node poplib README, public); Microsoft 365 (MailKit#1948);
    // Naver and Nate (a Korean mail script's notes, 2026, public).
    vec![
        (
            "+OK Dovecot (Debian) ready.",
            Status::Ok,
            None,
            "Dovecot (Debian) ready.",
        ),
        ("+OK Dovecot ready.", Status::Ok, None, "Dovecot ready."),
        ("+OK", Status::Ok, None, ""),
        ("+OK Logged in.", Status::Ok, None, "Logged in."),
        (
            "+OK Begin TLS negotiation now.",
            Status::Ok,
            None,
            "Begin TLS negotiation now.",
        ),
        (
            "-ERR [AUTH] Authentication failed.",
            Status::Err,
            Some(RespCode::Auth),
            "Authentication failed.",
        ),
        (
            "-ERR Unknown command.",
            Status::Err,
            None,
            "Unknown command.",
        ),
        (
            "-ERR There's no message 99.",
            Status::Err,
            None,
            "There's no message 99.",
        ),
        (
            "-ERR Noise after message number: ",
            Status::Err,
            None,
            "Noise after message number: ",
        ),
        (
            "+OK Gpop ready for requests from 1.2.3.4 bh7pf61475604pab.24",
            Status::Ok,
            None,
            "Gpop ready for requests from 1.2.3.4 bh7pf61475604pab.24",
        ),
        ("+OK send PASS", Status::Ok, None, "send PASS"),
        ("+OK Welcome.", Status::Ok, None, "Welcome."),
        (
            "-ERR [AUTH] Username and password not accepted.",
            Status::Err,
            Some(RespCode::Auth),
            "Username and password not accepted.",
        ),
        ("+OK Farewell.", Status::Ok, None, "Farewell."),
        (
            "+OK Microsoft Exchange POP3 server ready (tcpproxy/15.20.9137.005).",
            Status::Ok,
            None,
            "Microsoft Exchange POP3 server ready (tcpproxy/15.20.9137.005).",
        ),
        (
            "+OK Naver Popper starting",
            Status::Ok,
            None,
            "Naver Popper starting",
        ),
        (
            "-ERR POP3 service has been permanently discontinued.",
            Status::Err,
            None,
            "POP3 service has been permanently discontinued.",
        ),
        // RFC 1939's own example, with an APOP timestamp (kept as text).
        (
            "+OK POP3 server ready <1896.697170952@dbc.mtview.us>",
            Status::Ok,
            None,
            "POP3 server ready <1896.697170952@dbc.mtview.us>",
        ),
    ]
}

#[test]
fn real_server_lines_parse() {
    for (line, want_status, want_code, want_text) in real_lines() {
        let got = status(line);
        assert_eq!(got.status(), want_status, "{line}");
        assert_eq!(got.code(), want_code.as_ref(), "{line}");
        assert_eq!(got.text(), want_text, "{line}");
    }
}

#[test]
fn extended_response_codes_and_their_retry_class() {
    // (line, code, transient, permanent)
    let table: Vec<(&str, Option<RespCode>, bool, bool)> = vec![
        (
            "-ERR [SYS/TEMP] try later",
            Some(RespCode::SysTemp),
            true,
            false,
        ),
        ("-ERR [SYS/PERM] gone", Some(RespCode::SysPerm), false, true),
        (
            "-ERR [IN-USE] Do you have another POP session running?",
            Some(RespCode::InUse),
            true,
            false,
        ),
        (
            "-ERR [LOGIN-DELAY] wait 15 minutes",
            Some(RespCode::LoginDelay),
            true,
            false,
        ),
        ("-ERR [AUTH] bad", Some(RespCode::Auth), false, true),
        ("-ERR [auth] lower case", Some(RespCode::Auth), false, true),
        ("-ERR [sys/temp]x", Some(RespCode::SysTemp), true, false),
        // Unknown codes are kept, with no retry class.
        (
            "-ERR [AUTH/EXPIRED] renew",
            Some(RespCode::Other("AUTH/EXPIRED".into())),
            false,
            false,
        ),
        (
            "-ERR [UTF8] x",
            Some(RespCode::Other("UTF8".into())),
            false,
            false,
        ),
        // Not codes: a space inside, an empty level, no closing bracket.
        ("-ERR [not a code] x", None, false, false),
        ("-ERR [SYS//TEMP] x", None, false, false),
        ("-ERR [SYS/TEMP x", None, false, false),
        ("-ERR plain", None, false, false),
        // A code on +OK is allowed and has no retry class.
        (
            "+OK [IN-USE] odd but legal",
            Some(RespCode::InUse),
            false,
            false,
        ),
    ];
    for (line, code, transient, permanent) in table {
        let got = status(line);
        assert_eq!(got.code(), code.as_ref(), "{line}");
        assert_eq!(got.is_transient(), transient, "{line}");
        assert_eq!(got.is_permanent(), permanent, "{line}");
    }
}

#[test]
fn continuations_and_lenient_forms() {
    let table: Vec<(&[u8], ResponseLine)> = vec![
        (b"+ ", ResponseLine::Continuation(String::new())),
        (b"+", ResponseLine::Continuation(String::new())),
        (
            b"+ eyJzdGF0dXMiOiI0MDAifQ==",
            ResponseLine::Continuation("eyJzdGF0dXMiOiI0MDAifQ==".into()),
        ),
        (
            b"+ok lower case",
            ResponseLine::Status(StatusLine::ok("lower case")),
        ),
        (b"-err x", ResponseLine::Status(StatusLine::err("x"))),
        (b"+OK\tTAB", ResponseLine::Status(StatusLine::ok("TAB"))),
        (
            b"+OK   spaced",
            ResponseLine::Status(StatusLine::ok("spaced")),
        ),
        // Control characters never reach a log; invalid UTF-8 is replaced.
        (
            b"+OK a\x1b[31mb",
            ResponseLine::Status(StatusLine::ok("a [31mb")),
        ),
        (
            b"+OK \xff\xfeok",
            ResponseLine::Status(StatusLine::ok("\u{fffd}\u{fffd}ok")),
        ),
    ];
    for (line, expected) in table {
        assert_eq!(
            ResponseLine::parse(line),
            Ok(expected),
            "{:?}",
            String::from_utf8_lossy(line)
        );
    }
}

#[test]
fn lines_that_are_not_responses_are_errors() {
    let table: [&[u8]; 9] = [
        b"",
        b"OK",
        b"+OKAY",
        b"-ERROR x",
        b"220 smtp.gmail.com ESMTP",
        b"* OK [CAPABILITY IMAP4rev1] Dovecot ready.",
        b"+-",
        b"\x16\x03\x01\x02\x00",
        b"HTTP/1.1 400 Bad Request",
    ];
    for line in table {
        assert!(
            matches!(ResponseLine::parse(line), Err(ResponseError::Syntax { .. })),
            "{:?}",
            String::from_utf8_lossy(line)
        );
    }
}

#[test]
fn the_wire_form_of_responses() {
    let table = [
        (Response::from(StatusLine::ok("")), "+OK\r\n"),
        (Response::from(StatusLine::ok("2 320")), "+OK 2 320\r\n"),
        (
            Response::from(StatusLine::err_with(RespCode::SysTemp, "later")),
            "-ERR [SYS/TEMP] later\r\n",
        ),
        (
            Response::from(StatusLine::err_with(RespCode::InUse, "")),
            "-ERR [IN-USE]\r\n",
        ),
        (
            Response::from(StatusLine::ok("no\r\nsmuggling")),
            "+OK no  smuggling\r\n",
        ),
        (Response::Continuation(String::new()), "+ \r\n"),
        (
            Response::multi(
                StatusLine::ok("2 messages"),
                [
                    "1 120".to_string(),
                    ".hidden".to_string(),
                    ".".to_string(),
                    "x\r\n.\r\ny".to_string(),
                ],
            ),
            "+OK 2 messages\r\n1 120\r\n..hidden\r\n..\r\nx  .  y\r\n.\r\n",
        ),
        (
            Response::multi(StatusLine::ok(""), Vec::new()),
            "+OK\r\n.\r\n",
        ),
    ];
    for (response, wire) in table {
        assert_eq!(response.to_string(), wire);
    }
    // A code that is not RFC 2449 syntax is dropped rather than written.
    let bad = StatusLine::err_with(RespCode::Other("A]\r\nB".into()), "x");
    assert_eq!(bad.to_string(), "-ERR x\r\n");
}
