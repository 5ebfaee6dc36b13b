//! Reply parsing: table-driven cases, incremental feeding, limits, enhanced status codes, real
//! provider replies from `fixtures/provider-replies.jsonl`, and the `Display` round trip.

use proptest::prelude::*;
use scanrelay_proto::reply::{MAX_REPLY_LINE, MAX_REPLY_LINES};
use scanrelay_proto::{EnhancedCode, Reply, ReplyError, ReplyParser, Severity};

use crate::{crlf, parse_one};

/// What the parser should make of some bytes.
#[derive(Debug)]
enum Expect {
    /// A complete reply that used this many bytes.
    Reply(u16, &'static [&'static str], usize),
    /// A complete reply that used every byte.
    Whole(u16, &'static [&'static str]),
    /// `Ok(None)`: more bytes are needed.
    More,
    /// A syntax error.
    Syntax,
    /// Lines disagree on the code.
    Mismatch(u16, u16),
}

fn check(input: &[u8], expect: &Expect) {
    let got = ReplyParser::parse(input);
    let ctx = String::from_utf8_lossy(input);
    match expect {
        Expect::Reply(code, lines, used) => {
            let (reply, n) = got
                .unwrap_or_else(|e| panic!("{ctx:?}: {e}"))
                .unwrap_or_else(|| panic!("{ctx:?}: wanted a reply, parser asked for more"));
            assert_eq!(reply, Reply::multi(*code, lines.iter().copied()), "{ctx:?}");
            assert_eq!(n, *used, "{ctx:?}: bytes used");
        }
        Expect::Whole(code, lines) => {
            check(input, &Expect::Reply(*code, lines, input.len()));
        }
        Expect::More => assert_eq!(got, Ok(None), "{ctx:?}"),
        Expect::Syntax => match got {
            Err(ReplyError::Syntax { line }) => {
                assert!(line.len() <= 3 * 120, "{ctx:?}: error line not truncated");
            }
            other => panic!("{ctx:?}: wanted a syntax error, got {other:?}"),
        },
        Expect::Mismatch(first, then) => assert_eq!(
            got,
            Err(ReplyError::CodeMismatch {
                first: *first,
                then: *then
            }),
            "{ctx:?}"
        ),
    }
}

#[test]
fn reply_table() {
    use Expect::*;
    let table: &[(&[u8], Expect)] = &[
        // Single line, CRLF and bare LF.
        (b"250 OK\r\n", Whole(250, &["OK"])),
        (b"250 OK\n", Whole(250, &["OK"])),
        (
            b"354 Go ahead  - nsmtp\r\n",
            Whole(354, &["Go ahead  - nsmtp"]),
        ),
        // `250` with no text, and with a lone space.
        (b"250\r\n", Whole(250, &[""])),
        (b"250\n", Whole(250, &[""])),
        (b"250 \r\n", Whole(250, &[""])),
        // Multi-line, CRLF, bare LF and a mix of both.
        (
            b"250-mx.example.com\r\n250-SIZE 1000\r\n250 HELP\r\n",
            Whole(250, &["mx.example.com", "SIZE 1000", "HELP"]),
        ),
        (
            b"250-mx.example.com\n250-SIZE 1000\n250 HELP\n",
            Whole(250, &["mx.example.com", "SIZE 1000", "HELP"]),
        ),
        (
            b"250-mx.example.com\r\n250-SIZE 1000\n250 HELP\r\n",
            Whole(250, &["mx.example.com", "SIZE 1000", "HELP"]),
        ),
        // Empty continuation line and empty last line.
        (b"250-\r\n250 OK\r\n", Whole(250, &["", "OK"])),
        (b"250-first\r\n250\r\n", Whole(250, &["first", ""])),
        // Text is kept verbatim, extra blanks included; non-UTF-8 is decoded lossily.
        (b"250  two  spaces \r\n", Whole(250, &[" two  spaces "])),
        (b"250 caf\xe9\r\n", Whole(250, &["caf\u{FFFD}"])),
        // Only the first reply is consumed; the rest stays in the buffer (pipelining).
        (
            b"250 2.1.0 OK\r\n250 2.1.5 OK\r\n",
            Reply(250, &["2.1.0 OK"], 14),
        ),
        (b"220 ready\r\n250-partial", Reply(220, &["ready"], 11)),
        // Need more.
        (b"", More),
        (b"2", More),
        (b"25", More),
        (b"250", More),
        (b"250 OK", More),
        (b"250 OK\r", More),
        (b"250-first\r\n", More),
        (b"250-first\r\n250 sec", More),
        // Every 1yz..5yz code the parser knows is accepted.
        (b"221 2.0.0 Bye\r\n", Whole(221, &["2.0.0 Bye"])),
        (b"334 \r\n", Whole(334, &[""])),
        (b"421 4.7.0 Try later\r\n", Whole(421, &["4.7.0 Try later"])),
        (b"599 x\r\n", Whole(599, &["x"])),
        // Code mismatch between lines.
        (b"250-first\r\n251 second\r\n", Mismatch(250, 251)),
        (b"250-first\r\n550 5.0.0 second\r\n", Mismatch(250, 550)),
        (b"550-a\n550-b\n551 c\n", Mismatch(550, 551)),
        // Garbage.
        (b"HTTP/1.1 400 Bad Request\r\n", Syntax),
        (b"+OK POP3 server ready\r\n", Syntax),
        (b"* OK IMAP4rev1 ready\r\n", Syntax),
        (b"\r\n", Syntax),
        (b"\n", Syntax),
        (b"25\r\n", Syntax),
        (b"2x0 OK\r\n", Syntax),
        (b"2500 OK\r\n", Syntax),
        (b"250_OK\r\n", Syntax),
        (b" 250 OK\r\n", Syntax),
        (b"100 continue\r\n", Syntax),
        (b"600 nope\r\n", Syntax),
        (b"250-first\r\nHTTP/1.1 400\r\n", Syntax),
        // A TLS ServerHello record (content type 0x16, TLS 1.2) that happens to contain an LF.
        (
            b"\x16\x03\x03\x00\x5a\x02\x00\x00\x56\x03\x03\x9f\x0a\x11\x22",
            Syntax,
        ),
        // A TLS alert record with an LF in it.
        (b"\x15\x03\x03\x00\x02\x02\x0a", Syntax),
    ];
    for (input, expect) in table {
        check(input, expect);
    }
}

/// An implicit-TLS client on a plain port reads the plaintext greeting where it wanted a TLS
/// record; at the SMTP layer that is just an ordinary reply, which the checker can show.
#[test]
fn plain_greeting_where_tls_was_expected_is_a_reply() {
    let greeting = b"220 smtp.example.com ESMTP Postfix\r\n";
    assert_eq!(
        greeting[0], b'2',
        "0x32 is not a TLS content type (20..=24)"
    );
    check(
        greeting,
        &Expect::Whole(220, &["smtp.example.com ESMTP Postfix"]),
    );
}

/// Bytes that cannot start an SMTP reply should be rejected as soon as they arrive, not after
/// a newline shows up: a TLS record (what a plain client reads from an implicit-TLS port once it
/// has sent anything, e.g. an alert) or an HTTP/POP3 banner need not contain an LF for thousands
/// of bytes, so "need more" turns a clear "this is not SMTP" diagnosis into a timeout or a
/// misleading "line too long".
#[test]
fn garbage_is_rejected_before_a_newline_arrives() {
    let inputs: &[&[u8]] = &[
        // TLS alert: handshake_failure.
        b"\x15\x03\x03\x00\x02\x02\x28",
        // Start of a TLS ServerHello.
        b"\x16\x03\x03\x00\x5a\x02\x00\x00\x56\x03\x03",
        b"HTTP/1.1 400",
        b"+OK POP3",
        b"2x",
        b"250x",
    ];
    for input in inputs {
        assert!(
            matches!(ReplyParser::parse(input), Err(ReplyError::Syntax { .. })),
            "{input:?}: got {:?}, want a syntax error without waiting for LF",
            ReplyParser::parse(input)
        );
    }
}

#[test]
fn every_prefix_of_a_valid_reply_needs_more() {
    let replies = [
        "250 OK\r\n",
        "250\r\n",
        "250-mx.example.com\r\n250-SIZE 1000\r\n250 HELP\r\n",
        "250-mx.example.com\n250-8BITMIME\n250 SMTPUTF8\n",
        "535-5.7.8 Username and Password not accepted. Learn more at\r\n535 5.7.8  https://support.google.com/mail/?p=BadCredentials - gsmtp\r\n",
    ];
    for wire in replies {
        let whole = parse_one(wire);
        for i in 0..wire.len() {
            assert_eq!(
                ReplyParser::parse(&wire.as_bytes()[..i]),
                Ok(None),
                "prefix {:?} of {wire:?}",
                &wire[..i]
            );
        }
        // Feeding byte by byte into a growing buffer gives the reply exactly at the end.
        let mut buf = Vec::new();
        for (i, b) in wire.bytes().enumerate() {
            buf.push(b);
            let got = ReplyParser::parse(&buf).unwrap();
            assert_eq!(got.is_some(), i + 1 == wire.len(), "{wire:?} at {i}");
        }
        assert_eq!(ReplyParser::parse(&buf), Ok(Some((whole, wire.len()))));
    }
}

#[test]
fn consecutive_replies_are_consumed_one_at_a_time() {
    let wire = b"220 mx ESMTP\r\n250-mx\r\n250 SIZE 10\r\n354 go\n";
    let mut pos = 0;
    let mut codes = Vec::new();
    while let Some((reply, used)) = ReplyParser::parse(&wire[pos..]).unwrap() {
        codes.push(reply.code);
        pos += used;
    }
    assert_eq!(codes, [220, 250, 354]);
    assert_eq!(pos, wire.len());
}

#[test]
fn line_length_limit() {
    // The limit counts the line ending too.
    let fits = format!("250 {}\r\n", "x".repeat(MAX_REPLY_LINE - 6));
    assert_eq!(fits.len(), MAX_REPLY_LINE);
    assert_eq!(parse_one(&fits).lines[0].len(), MAX_REPLY_LINE - 6);

    let fits_lf = format!("250 {}\n", "x".repeat(MAX_REPLY_LINE - 5));
    assert_eq!(fits_lf.len(), MAX_REPLY_LINE);
    parse_one(&fits_lf);

    let too_long = format!("250 {}\r\n", "x".repeat(MAX_REPLY_LINE - 5));
    assert_eq!(
        ReplyParser::parse(too_long.as_bytes()),
        Err(ReplyError::LineTooLong)
    );

    // A long continuation line fails too, even though the reply is not complete.
    let long_continuation = format!("250-{}\r\n", "x".repeat(MAX_REPLY_LINE));
    assert_eq!(
        ReplyParser::parse(long_continuation.as_bytes()),
        Err(ReplyError::LineTooLong)
    );

    // Without any LF, the parser stops waiting once the limit is passed.
    let endless = vec![b'2'; MAX_REPLY_LINE + 1];
    assert_eq!(ReplyParser::parse(&endless), Err(ReplyError::LineTooLong));
    let endless_second_line = [b"250-ok\r\n".as_slice(), &vec![b'x'; MAX_REPLY_LINE + 1]].concat();
    assert_eq!(
        ReplyParser::parse(&endless_second_line),
        Err(ReplyError::LineTooLong)
    );
}

#[test]
fn line_count_limit() {
    let reply_with = |n: usize| {
        let mut s = "250-x\r\n".repeat(n - 1);
        s.push_str("250 last\r\n");
        s
    };
    assert_eq!(
        parse_one(&reply_with(MAX_REPLY_LINES)).lines.len(),
        MAX_REPLY_LINES
    );
    assert_eq!(
        ReplyParser::parse(reply_with(MAX_REPLY_LINES + 1).as_bytes()),
        Err(ReplyError::TooManyLines)
    );
}

#[test]
fn enhanced_code_parse() {
    let ok = [
        ("5.7.8", (5, 7, 8)),
        ("2.0.0", (2, 0, 0)),
        ("4.7.0", (4, 7, 0)),
        ("5.7.139", (5, 7, 139)),
        ("5.7.57", (5, 7, 57)),
        ("4.4.2", (4, 4, 2)),
        ("5.999.999", (5, 999, 999)),
    ];
    for (s, (class, subject, detail)) in ok {
        let code = EnhancedCode::parse(s).unwrap_or_else(|| panic!("{s} should parse"));
        assert_eq!(
            code,
            EnhancedCode {
                class,
                subject,
                detail
            }
        );
        assert_eq!(code.to_string(), s, "Display round trip");
    }
    let bad = [
        "6.1.1", "1.0.0", "3.0.0", "0.0.0", "5.7.1234", "5.1000.1", "5.7", "5", "", "5.7.8.9",
        "55.7.8", "5..8", "5.7.", ".7.8", "5.a.8", "5.7.-1", "5.+7.8", "5.7.8x", " 5.7.8",
        "5.7.8 ",
    ];
    for s in bad {
        assert_eq!(EnhancedCode::parse(s), None, "{s:?} should be rejected");
    }
}

#[test]
fn enhanced_code_prefix() {
    let (code, rest) = EnhancedCode::parse_prefix("5.7.8  Username and Password").unwrap();
    assert_eq!(code.to_string(), "5.7.8");
    assert_eq!(rest, "Username and Password");
    let (code, rest) = EnhancedCode::parse_prefix("2.0.0\tOK").unwrap();
    assert_eq!(code.to_string(), "2.0.0");
    assert_eq!(rest, "OK");
    let (_, rest) = EnhancedCode::parse_prefix("2.0.0").unwrap();
    assert_eq!(rest, "");
    assert_eq!(EnhancedCode::parse_prefix("6.1.1 nope"), None);
    assert_eq!(EnhancedCode::parse_prefix("5.7.1234 nope"), None);
    assert_eq!(EnhancedCode::parse_prefix("2.0.0OK"), None);
    assert_eq!(EnhancedCode::parse_prefix("OK 2.0.0"), None);
}

#[test]
fn reply_enhanced_and_text() {
    let reply = parse_one(
        "535-5.7.8 Username and Password not accepted. Learn more at\r\n\
         535 5.7.8  https://support.google.com/mail/?p=BadCredentials i5sm8565805wrv.34 - gsmtp\r\n",
    );
    assert_eq!(
        reply.enhanced().map(|c| c.to_string()).as_deref(),
        Some("5.7.8")
    );
    assert_eq!(
        reply.text(),
        "Username and Password not accepted. Learn more at\n\
         https://support.google.com/mail/?p=BadCredentials i5sm8565805wrv.34 - gsmtp"
    );

    // Lines without a code are left alone, lines with one are stripped, per line.
    let mixed = Reply::multi(250, ["mx.example.com", "2.0.0 OK", "SIZE 1000"]);
    assert_eq!(mixed.enhanced(), None, "only the first line counts");
    assert_eq!(mixed.text(), "mx.example.com\nOK\nSIZE 1000");

    // Something that looks almost like a code is text.
    assert_eq!(Reply::new(550, "6.1.1 nope").text(), "6.1.1 nope");
    assert_eq!(Reply::new(550, "6.1.1 nope").enhanced(), None);
    assert_eq!(Reply::new(550, "5.7.1234 x").enhanced(), None);
    assert_eq!(Reply::new(250, "").text(), "");
    assert_eq!(Reply::new(250, "").enhanced(), None);
}

#[test]
fn severity() {
    let table = [
        (220, Severity::PositiveCompletion, true, false, false),
        (250, Severity::PositiveCompletion, true, false, false),
        (334, Severity::PositiveIntermediate, false, false, false),
        (354, Severity::PositiveIntermediate, false, false, false),
        (421, Severity::TransientNegative, false, true, false),
        (454, Severity::TransientNegative, false, true, false),
        (535, Severity::PermanentNegative, false, false, true),
        (554, Severity::PermanentNegative, false, false, true),
    ];
    for (code, sev, ok, transient, permanent) in table {
        let r = Reply::new(code, "x");
        assert_eq!(r.severity(), sev, "{code}");
        assert_eq!(r.is_success(), ok, "{code}");
        assert_eq!(r.is_transient(), transient, "{code}");
        assert_eq!(r.is_permanent(), permanent, "{code}");
    }
}

#[test]
fn wire_form() {
    assert_eq!(Reply::new(250, "OK").to_string(), "250 OK\r\n");
    assert_eq!(Reply::new(250, "").to_string(), "250 \r\n");
    assert_eq!(
        Reply::multi(250, Vec::<String>::new()).to_string(),
        "250 \r\n"
    );
    assert_eq!(
        Reply::multi(250, ["mx.example.com", "SIZE 1000", "HELP"]).to_string(),
        "250-mx.example.com\r\n250-SIZE 1000\r\n250 HELP\r\n"
    );
    assert_eq!(
        Reply::multi(250, ["", "x", ""]).wire_lines(),
        ["250-", "250-x", "250 "]
    );
}

#[test]
fn round_trip_table() {
    let replies = [
        Reply::new(250, "OK"),
        Reply::new(250, ""),
        Reply::new(221, "2.0.0 Bye"),
        Reply::new(334, "VXNlcm5hbWU6"),
        Reply::multi(
            250,
            [
                "mx.example.com Hello",
                "SIZE 35882577",
                "AUTH LOGIN PLAIN",
                "SMTPUTF8",
            ],
        ),
        Reply::multi(250, ["", "", ""]),
        Reply::multi(550, ["5.7.1 first", "5.7.1  second with  blanks "]),
    ];
    for reply in replies {
        assert_eq!(parse_one(&reply.to_string()), reply);
    }
}

/// Reply text as a server could send it: printable ASCII without CR or LF.
fn reply_line() -> impl Strategy<Value = String> {
    proptest::string::string_regex("[ -~]{0,40}").unwrap()
}

proptest! {
    #[test]
    fn round_trip_random(code in 200u16..600, lines in proptest::collection::vec(reply_line(), 1..8)) {
        let reply = Reply { code, lines };
        let wire = reply.to_string();
        prop_assert_eq!(ReplyParser::parse(wire.as_bytes()), Ok(Some((reply, wire.len()))));
        for i in 0..wire.len() {
            prop_assert_eq!(ReplyParser::parse(&wire.as_bytes()[..i]), Ok(None));
        }
    }

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        if let Ok(Some((reply, used))) = ReplyParser::parse(&bytes) {
            prop_assert!(used <= bytes.len());
            prop_assert!((200..600).contains(&reply.code));
            prop_assert!(!reply.lines.is_empty());
        }
    }
}

/// What the fixture file says about one reply, worked out without the crate under test.
fn expected_enhanced(first_line: &str) -> Option<String> {
    let token = first_line.get(4..)?.split([' ', '\t']).next()?;
    let parts: Vec<&str> = token.split('.').collect();
    let ok = parts.len() == 3
        && ["2", "4", "5"].contains(&parts[0])
        && parts[1..]
            .iter()
            .all(|p| (1..=3).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()));
    ok.then(|| token.to_string())
}

#[test]
fn provider_replies_fixture() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/provider-replies.jsonl"
    );
    let text = std::fs::read_to_string(path).expect("read provider-replies.jsonl");
    let mut complete = 0;
    let mut truncated = 0;
    for (n, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let record: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("line {}: {e}", n + 1));
        let raw = record["reply"].as_str().expect("reply field");
        let wire = crlf(raw);
        let code: u16 = raw[..3].parse().expect("fixture reply starts with a code");
        let last = raw.lines().last().unwrap();
        let ctx = format!("line {}: {raw:?}", n + 1);
        if last.as_bytes().get(3) == Some(&b'-') {
            // A capture that was cut off or flattened by the log it came from (for example
            // `421-4.7.0 Try again later, closing connection. (EHLO)`): on the wire this is a
            // reply whose last line has not arrived yet.
            assert_eq!(ReplyParser::parse(wire.as_bytes()), Ok(None), "{ctx}");
            truncated += 1;
            continue;
        }
        let reply = parse_one(&wire);
        assert_eq!(reply.code, code, "{ctx}");
        assert_eq!(reply.lines.len(), raw.lines().count(), "{ctx}");
        let first = raw.lines().next().unwrap();
        assert_eq!(
            reply.enhanced().map(|c| c.to_string()),
            expected_enhanced(first),
            "{ctx}"
        );
        if let Some(enhanced) = reply.enhanced() {
            assert_eq!(
                u16::from(enhanced.class),
                code / 100,
                "{ctx}: class vs code"
            );
            for l in reply.text().lines() {
                assert!(
                    !l.starts_with(&enhanced.to_string()),
                    "{ctx}: text() kept the enhanced code: {l:?}"
                );
            }
        }
        assert_eq!(parse_one(&reply.to_string()), reply, "{ctx}: round trip");
        for i in 0..wire.len() {
            assert_eq!(ReplyParser::parse(&wire.as_bytes()[..i]), Ok(None), "{ctx}");
        }
        complete += 1;
    }
    assert!(
        complete >= 15,
        "only {complete} complete replies in the fixture"
    );
    assert!(
        truncated <= 5,
        "{truncated} truncated replies in the fixture"
    );
}
