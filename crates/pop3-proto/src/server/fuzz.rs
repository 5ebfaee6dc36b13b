//! A deterministic driver for fuzzing the server session (the `pop3_server_session` target,
//! and the crate's property tests).

use crate::body::{BodyEncoder, decode_all};
use crate::fuzz::{normalise, top_of};
use crate::listing::Uid;
use crate::response::{Response, ResponseLine};

use super::{AuthVerdict, Event, Maildrop, MaildropMessage, ServerConfig, ServerSession};

/// The fuzzed maildrop: message `n` is `BODIES[n - 1]`; message 3 cannot be opened.
const BODIES: [&[u8]; 3] = [
    b"Subject: one\r\n\r\nline 1\r\n.dot line\r\n.\r\nlast\r\n",
    b"Subject: two\nX: y\n\nbare LF body\n..\n",
    b"Subject: three\r\n\r\nnever readable\r\n",
];

/// The maildrop the accepted user gets.
pub(crate) fn fuzz_maildrop() -> Maildrop {
    let messages = BODIES
        .iter()
        .enumerate()
        .map(|(i, body)| MaildropMessage {
            size: normalise(body).len() as u64,
            uid: Uid::new(&format!("uid-{}", i + 1)).expect("valid uid"),
        })
        .collect();
    Maildrop::new(messages).expect("unique uids")
}

/// Drives one session with `input` as the client's bytes (the first byte also picks the
/// options), twice: all at once and in small uneven pieces. Verdicts are deterministic: user
/// `user` with password `secret` logs in, `busy` gets `[IN-USE]`, `temp` gets `[SYS/TEMP]`,
/// message 3 cannot be opened, an UPDATE that includes message 2 fails. Panics (a bug) if a
/// response does not survive its own wire form, a body is not what `BodyEncoder` must send,
/// a verdict is refused, an UPDATE comes outside TRANSACTION or without `QUIT`, the buffer
/// outgrows its bound, or the two runs differ (unless STLS made the split matter).
#[doc(hidden)]
pub fn fuzz_session(input: &[u8]) {
    let whole = run(input, &[usize::MAX]);
    let pieces = run(input, &[1, 3, 7, 64, 2, 511, 5]);
    if !whole.saw_stls && !pieces.saw_stls {
        assert_eq!(whole.events, pieces.events, "chunking changed the session");
    }
}

#[derive(Debug, Default)]
struct Run {
    events: Vec<Event>,
    saw_stls: bool,
}

fn config(flags: u8) -> ServerConfig {
    let mut config = ServerConfig::new("fuzz.example");
    config.stls_available = flags & 1 != 0;
    config.allow_plaintext_auth = flags & 2 != 0;
    config.sasl_plain = flags & 8 == 0;
    config.max_line_length = 80;
    config.max_auth_line = 120;
    config.max_errors = 12;
    config.max_commands = 60;
    config
}

fn run(input: &[u8], sizes: &[usize]) -> Run {
    let flags = input.first().copied().unwrap_or(0);
    let config = config(flags);
    let mut session = ServerSession::new(config.clone(), flags & 4 != 0);
    check_response(&session.greeting());
    let mut log = Run::default();
    let (mut rest, mut i) = (input, 0);
    while !rest.is_empty() && !session.is_closed() {
        let n = sizes[i % sizes.len()].min(rest.len());
        i += 1;
        session.receive(&rest[..n]);
        rest = &rest[n..];
        drain(&mut session, &mut log);
        let bound = n + config.max_line_length.max(config.max_auth_line) + 2;
        assert!(session.buffered() <= bound, "server buffer over its bound");
        assert!(session.error_count() <= config.max_errors);
        assert!(session.command_count() <= config.max_commands + 1);
    }
    drain(&mut session, &mut log);
    log
}

fn drain(session: &mut ServerSession, log: &mut Run) {
    while let Some(event) = session.next_event() {
        let answered = match &event {
            Event::Reply(response) => {
                check_response(response);
                Ok(())
            }
            Event::StartTls => {
                log.saw_stls = true;
                session.tls_established()
            }
            Event::Auth(credentials) => session.auth_verdict(match credentials.user() {
                "user" if credentials.verify_password("secret") => {
                    AuthVerdict::Accept(fuzz_maildrop())
                }
                "busy" => AuthVerdict::InUse,
                "temp" => AuthVerdict::TempFail,
                _ => AuthVerdict::Reject,
            }),
            Event::Retrieve { n, uid, .. } => {
                assert!(!session.is_deleted(*n), "retrieving a deleted message");
                assert_eq!(
                    Some(uid),
                    session.maildrop().and_then(|m| m.get(*n)).map(|m| &m.uid)
                );
                session.retrieve_verdict(*n != 3)
            }
            Event::SendBody { n, top } => {
                check_body(*n, *top);
                Ok(())
            }
            Event::Update { delete } => {
                assert!(
                    session.authenticated_user().is_some(),
                    "UPDATE outside TRANSACTION"
                );
                assert!(!delete.is_empty(), "an empty UPDATE");
                assert!(delete.iter().all(|d| session.is_deleted(d.n)));
                session.update_verdict(!delete.iter().any(|d| d.n == 2))
            }
            Event::Quit | Event::Close => Ok(()),
        };
        answered.expect("the session refused a verdict it asked for");
        log.events.push(event);
    }
}

/// The body the driver sends for message `n` is exactly what a client must decode.
fn check_body(n: u32, top: Option<u32>) {
    let body = BODIES[(n - 1) as usize];
    let mut encoder = top.map_or_else(BodyEncoder::new, BodyEncoder::top);
    let mut wire = Vec::new();
    encoder.encode(body, &mut wire);
    encoder.finish(&mut wire);
    let expected = match top {
        None => normalise(body),
        Some(lines) => top_of(&normalise(body), lines),
    };
    assert_eq!(decode_all(&wire), Some((expected, wire.len())));
}

/// Each response parses back, as a client reads it, to what was sent.
fn check_response(response: &Response) {
    let wire = response.to_string();
    let first = wire.find("\r\n").expect("a line ending") + 2;
    let parsed = ResponseLine::parse(&wire.as_bytes()[..first - 2]).expect("a response line");
    match (response, &parsed) {
        (Response::Single(status), ResponseLine::Status(back)) => {
            assert_eq!(back, status);
            assert_eq!(first, wire.len(), "one line");
        }
        (Response::Continuation(text), ResponseLine::Continuation(back)) => {
            assert_eq!(back, text);
        }
        (Response::Multi(status, lines), ResponseLine::Status(back)) => {
            assert_eq!(back, status);
            let (body, used) = decode_all(&wire.as_bytes()[first..]).expect("a terminated body");
            assert_eq!(first + used, wire.len(), "bytes after the terminator");
            let text = String::from_utf8(body).expect("UTF-8");
            let back: Vec<&str> = text.split_terminator("\r\n").collect();
            assert_eq!(back, *lines);
        }
        _ => panic!("{response:?} parsed as {parsed:?}"),
    }
}
