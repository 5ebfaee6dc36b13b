//! A deterministic driver for fuzzing the session (wired to a cargo-fuzz target elsewhere).

use crate::reply::{Reply, ReplyParser};
use crate::sasl::Mechanism;

use super::{Event, ServerConfig, ServerSession, replies};

/// The message size limit of the fuzzed session: small, so the limit is reached.
const FUZZ_MAX_SIZE: u64 = 300;

/// Drives one session with `input` as the client's bytes, twice: all at once and in small
/// uneven pieces. Verdicts are deterministic: user `user` with password `secret` is accepted,
/// senders and recipients containing `deny` are refused, every message is queued, STARTTLS
/// handshakes succeed. Panics (a bug) if a reply does not survive its own wire form, content
/// holds a bare CR or LF or exceeds the limit, a verdict is refused, or the two runs differ (unless a
/// STARTTLS happened: its discarding depends on where reads end).
#[doc(hidden)]
pub fn fuzz_session(input: &[u8]) {
    let whole = run(input, &[usize::MAX]);
    let pieces = run(input, &[1, 3, 7, 64, 2, 511, 5]);
    if !whole.saw_starttls && !pieces.saw_starttls {
        assert_eq!(whole.events, pieces.events, "chunking changed the session");
    }
}

#[derive(Debug, Default)]
struct Run {
    /// Events with consecutive chunks merged and chunks of oversized messages dropped.
    events: Vec<Event>,
    saw_starttls: bool,
    message_bytes: u64,
}

fn config(flags: u8) -> ServerConfig {
    let mut config = ServerConfig::new("fuzz.example");
    config.max_message_size = FUZZ_MAX_SIZE;
    config.max_recipients = 3;
    config.max_line_length = 80;
    config.max_errors = 12;
    config.starttls_available = flags & 1 != 0;
    config.allow_plaintext_auth = flags & 2 != 0;
    config.auth_mechanisms = vec![Mechanism::Plain, Mechanism::Login, Mechanism::CramMd5];
    config
}

fn run(input: &[u8], sizes: &[usize]) -> Run {
    let flags = input.first().copied().unwrap_or(0);
    let mut session = ServerSession::new(config(flags), flags & 4 != 0);
    session.set_cram_seed("4711.1700000000");
    check_reply(&session.greeting());
    let mut log = Run::default();
    let mut rest = input;
    let mut i = 0;
    while !rest.is_empty() && !session.is_closed() {
        let n = sizes[i % sizes.len()].min(rest.len());
        i += 1;
        session.receive(&rest[..n]);
        rest = &rest[n..];
        drain(&mut session, &mut log);
    }
    drain(&mut session, &mut log);
    log
}

fn drain(session: &mut ServerSession, log: &mut Run) {
    while let Some(event) = session.next_event() {
        let answered = match &event {
            Event::Reply(reply) => {
                check_reply(reply);
                Ok(())
            }
            Event::StartTls => {
                log.saw_starttls = true;
                session.tls_established()
            }
            Event::Auth(c) => {
                session.auth_verdict(c.user() == "user" && c.verify_password("secret"))
            }
            Event::MailFrom { address, .. } => session.mail_verdict(verdict(address)),
            Event::Rcpt { address } => session.rcpt_verdict(verdict(address)),
            Event::DataStart => {
                log.message_bytes = 0;
                Ok(())
            }
            Event::DataChunk(chunk) => {
                check_chunk(chunk, log);
                Ok(())
            }
            Event::DataEnd => session.data_verdict(replies::queued("FUZZ")),
            Event::DataTooLarge | Event::Quit | Event::Close => Ok(()),
        };
        answered.expect("the session refused a verdict it asked for");
        record(log, event);
    }
}

fn verdict(address: &str) -> Result<(), Reply> {
    if address.contains("deny") {
        Err(replies::relay_denied())
    } else {
        Ok(())
    }
}

fn check_reply(reply: &Reply) {
    assert!((200..600).contains(&reply.code), "bad code {}", reply.code);
    let wire = reply.to_string();
    let parsed = ReplyParser::parse(wire.as_bytes()).expect("reply does not parse back");
    assert_eq!(
        parsed,
        Some((reply.clone(), wire.len())),
        "reply changed on the wire"
    );
}

fn check_chunk(chunk: &[u8], log: &mut Run) {
    assert!(!chunk.is_empty(), "empty chunk");
    for (i, &b) in chunk.iter().enumerate() {
        assert!(
            b != b'\n' || (i > 0 && chunk[i - 1] == b'\r'),
            "bare LF in content"
        );
        assert!(
            b != b'\r' || chunk.get(i + 1) == Some(&b'\n'),
            "bare CR in content"
        );
    }
    log.message_bytes += chunk.len() as u64;
    assert!(
        log.message_bytes <= FUZZ_MAX_SIZE,
        "content beyond the size limit"
    );
}

fn record(log: &mut Run, event: Event) {
    match (log.events.last_mut(), event) {
        (Some(Event::DataChunk(prev)), Event::DataChunk(more)) => prev.extend_from_slice(&more),
        (_, Event::DataTooLarge) => {
            if matches!(log.events.last(), Some(Event::DataChunk(_))) {
                log.events.pop();
            }
            log.events.push(Event::DataTooLarge);
        }
        (_, event) => log.events.push(event),
    }
}
