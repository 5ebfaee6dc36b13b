//! Deterministic harnesses for the cargo-fuzz targets in `fuzz/` (`pop3_command`,
//! `pop3_response`, `pop3_multiline`; `pop3_server_session` is in `server/fuzz.rs`). They live
//! here so that the crate's own property tests run the same checks on generated inputs. Each
//! panics on a bug.

use crate::body::{BodyDecoder, BodyEncoder, decode_all, encode_all};
use crate::capa::Capabilities;
use crate::client::{ClientConfig, ClientError, ClientSession, Event};
use crate::command::{Command, CommandError, MAX_COMMAND_LINE};
use crate::response::{ResponseLine, StatusLine};
use crate::sasl::SaslClient;

/// Tokens the `pop3_command` target maps bytes onto (first byte odd), so that keywords and
/// numbers meet far more often than in raw bytes.
const COMMAND_TOKENS: &[&str] = &[
    "USER",
    "PASS",
    "STAT",
    "LIST",
    "RETR",
    "DELE",
    "NOOP",
    "RSET",
    "QUIT",
    "TOP",
    "UIDL",
    "CAPA",
    "STLS",
    "AUTH",
    "APOP",
    "PLAIN",
    "XOAUTH2",
    "cram-md5",
    " ",
    " ",
    " ",
    "  ",
    "\t",
    "0",
    "1",
    "42",
    "007",
    "4294967295",
    "4294967296",
    "=",
    "*",
    "AHVzZXIAc2VjcmV0",
    "é",
    "\0",
    "\r",
    "x",
    ".",
    "[",
    "user@example.test",
    "list",
];

/// Maps each byte of `data` to a token.
pub fn map_tokens(data: &[u8], tokens: &[&str]) -> Vec<u8> {
    data.iter()
        .flat_map(|&b| tokens[usize::from(b) % tokens.len()].bytes())
        .collect()
}

/// `pop3_command`: [`Command::parse`] never panics; what it accepts has a wire form of one line
/// that parses back to the same command, passes [`Command::check`] unless over 255 octets, and
/// never shows a password in [`Command::redacted`] or `Debug`.
pub fn fuzz_command(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let line = if mode % 2 == 0 {
        rest.to_vec()
    } else {
        map_tokens(rest, COMMAND_TOKENS)
    };
    let Ok(command) = Command::parse(&line) else {
        return;
    };
    assert!(!matches!(command, Command::AuthResponse(_)));
    let wire = command.to_string();
    let body = wire
        .strip_suffix("\r\n")
        .expect("the wire form ends in CRLF");
    assert!(!body.contains(['\r', '\n']), "a line break inside {wire:?}");
    assert_eq!(Command::parse(body.as_bytes()), Ok(command.clone()));
    match command.check() {
        Ok(()) => assert!(wire.len() <= MAX_COMMAND_LINE),
        Err(CommandError::TooLong) => assert!(wire.len() > MAX_COMMAND_LINE),
        Err(other) => panic!("{command:?} parsed but fails check: {other}"),
    }
    if let Command::Pass(_) = &command {
        // Exactly these texts, not "does not contain the password": a password may itself
        // look like the redaction (fuzz crash f38be028: `PASS S <redacted>"`).
        assert_eq!(command.redacted(), "PASS <redacted>");
        assert_eq!(format!("{command:?}"), r#"Command("PASS <redacted>")"#);
    }
}

/// `pop3_multiline`: the first two bytes seed chunk sizes and pick a `TOP` line count; the
/// rest is a message. Encoding in chunks equals encoding at once; the wire form has no bare CR
/// or LF and exactly one terminator, at its end; decoding it in chunks gives back the message
/// with line endings normalised (or its `TOP` part); and decoding the raw bytes as if they were
/// a server's body gives the same result whatever the chunking.
pub fn fuzz_multiline(data: &[u8]) {
    if data.len() < 2 {
        return;
    }
    let mut sizes = ChunkSizes::new(u16::from_le_bytes([data[0], data[1]]));
    let message = &data[2..];
    let wire = encode_chunked(message, None, &mut sizes);
    assert_eq!(wire, encode_all(message), "chunking changed the encoding");
    check_wire(&wire);
    assert_eq!(
        decode_chunked(&wire, &mut sizes),
        Some((normalise(message), wire.len()))
    );
    let lines = u32::from(data[0] % 8);
    let top = encode_chunked(message, Some(lines), &mut sizes);
    check_wire(&top);
    assert_eq!(
        decode_chunked(&top, &mut sizes),
        Some((top_of(&normalise(message), lines), top.len()))
    );
    let raw = decode_chunked(message, &mut sizes);
    assert_eq!(raw, decode_all(message), "chunking changed the decoding");
    if let Some((content, used)) = raw {
        assert!(content.len() < used);
        assert!(message[..used].ends_with(b".\n") || message[..used].ends_with(b".\r\n"));
    }
}

/// Chunk sizes 0..=16 from a xorshift seed (empty chunks included).
struct ChunkSizes(u32);

impl ChunkSizes {
    fn new(seed: u16) -> ChunkSizes {
        ChunkSizes(u32::from(seed) | 1)
    }

    fn next(&mut self) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 17;
        self.0 ^= self.0 << 5;
        (self.0 % 17) as usize
    }
}

fn encode_chunked(message: &[u8], top: Option<u32>, sizes: &mut ChunkSizes) -> Vec<u8> {
    let mut encoder = top.map_or_else(BodyEncoder::new, BodyEncoder::top);
    let mut out = Vec::new();
    let mut rest = message;
    while !rest.is_empty() && !encoder.is_done() {
        let (chunk, tail) = rest.split_at(sizes.next().min(rest.len()));
        encoder.encode(chunk, &mut out);
        rest = tail;
    }
    encoder.finish(&mut out);
    out
}

fn decode_chunked(wire: &[u8], sizes: &mut ChunkSizes) -> Option<(Vec<u8>, usize)> {
    let mut decoder = BodyDecoder::new();
    let (mut out, mut pos) = (Vec::new(), 0);
    while pos < wire.len() {
        let end = (pos + sizes.next()).min(wire.len());
        let progress = decoder.feed(&wire[pos..end], &mut out);
        pos += progress.consumed;
        if progress.ended {
            return Some((out, pos));
        }
        assert_eq!(pos, end, "input left over before the end");
    }
    None
}

/// No bare CR or LF, and `CRLF.CRLF` (or `.CRLF` alone) only at the end.
fn check_wire(wire: &[u8]) {
    for (i, &b) in wire.iter().enumerate() {
        assert!(b != b'\n' || (i > 0 && wire[i - 1] == b'\r'), "bare LF");
        assert!(b != b'\r' || wire.get(i + 1) == Some(&b'\n'), "bare CR");
    }
    let ends = wire.windows(5).filter(|w| *w == b"\r\n.\r\n").count();
    if wire == b".\r\n" {
        assert_eq!(ends, 0);
    } else {
        assert!(
            wire.ends_with(b"\r\n.\r\n") && ends == 1,
            "terminator inside"
        );
        assert!(!wire.starts_with(b".\r\n"), "terminator at the start");
    }
}

/// Every line ending (CRLF, LF, CR) as CRLF, plus a final one if the last line lacks it.
pub fn normalise(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len() + 2);
    let mut i = 0;
    while i < input.len() {
        match input[i] {
            b'\r' if input.get(i + 1) == Some(&b'\n') => {
                out.extend_from_slice(b"\r\n");
                i += 1;
            }
            b'\r' | b'\n' => out.extend_from_slice(b"\r\n"),
            b => out.push(b),
        }
        i += 1;
    }
    if !out.is_empty() && !out.ends_with(b"\r\n") {
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// What `TOP lines` must send of a normalised message: the header up to and including the
/// first empty line, then `lines` lines.
pub fn top_of(normalised: &[u8], lines: u32) -> Vec<u8> {
    let mut out = Vec::new();
    let mut in_header = true;
    let mut left = lines;
    for line in normalised.split_inclusive(|&b| b == b'\n') {
        if !in_header && left == 0 {
            break;
        }
        out.extend_from_slice(line);
        if in_header {
            in_header = line != b"\r\n";
        } else {
            left -= 1;
        }
    }
    out
}

/// The command scripts of the `pop3_response` target (picked by the first byte).
fn script(pick: u8) -> Vec<Command> {
    use Command::*;
    let login = vec![Capa, User("user".into()), Pass("secret".into())];
    let transaction = vec![
        Stat,
        List(None),
        List(Some(1)),
        Uidl(None),
        Uidl(Some(2)),
        Top { msg: 1, lines: 2 },
        Retr(1),
        Dele(1),
        Noop,
        Rset,
        Capa,
        Quit,
    ];
    let auth = SaslClient::plain("user", "secret").start();
    match pick % 4 {
        0 => [login, transaction].concat(),
        1 => [vec![Stls, Capa, auth], transaction].concat(),
        2 => [vec![auth], transaction.into_iter().rev().collect()].concat(),
        _ => vec![Capa, User("user".into()), Quit],
    }
}

/// What one run of the client saw.
#[derive(Debug, Default, PartialEq)]
struct ClientRun {
    /// Events with consecutive body chunks merged; the error, if any, last.
    events: Vec<Result<Event, ClientError>>,
    saw_stls: bool,
}

/// `pop3_response`: the first byte picks a command script and whether TLS is active; the rest
/// is what the server sends. The client session runs it whole and in small pieces: every
/// event must survive its own wire form, memory stays within the limits, and (unless STLS
/// made the split matter) both runs see the same events.
pub fn fuzz_client(data: &[u8]) {
    let Some((&pick, server)) = data.split_first() else {
        return;
    };
    let whole = run_client(pick, server, &[usize::MAX]);
    let pieces = run_client(pick, server, &[1, 2, 5, 64, 3, 700]);
    if !whole.saw_stls && !pieces.saw_stls {
        assert_eq!(whole, pieces, "chunking changed the client's events");
    }
}

fn client_config() -> ClientConfig {
    ClientConfig {
        max_line: 200,
        max_listing: 2000,
        max_message: 5000,
    }
}

fn run_client(pick: u8, server: &[u8], sizes: &[usize]) -> ClientRun {
    let config = client_config();
    let mut session = ClientSession::new(config.clone(), pick & 4 != 0);
    let mut commands = script(pick).into_iter();
    let mut sasl = SaslClient::plain("user", "secret");
    let mut run = ClientRun::default();
    let (mut rest, mut i) = (server, 0);
    while !rest.is_empty() {
        let n = sizes[i % sizes.len()].min(rest.len());
        i += 1;
        session.receive(&rest[..n]);
        rest = &rest[n..];
        let bound = n.saturating_add(config.max_line + config.max_listing + 2);
        assert!(session.buffered() <= bound, "client buffer over its limits");
        if !drain_client(&mut session, &mut commands, &mut sasl, &mut run) {
            break;
        }
    }
    run
}

/// Handles events until the session needs bytes (`true`) or fails (`false`).
fn drain_client(
    session: &mut ClientSession,
    commands: &mut impl Iterator<Item = Command>,
    sasl: &mut SaslClient,
    run: &mut ClientRun,
) -> bool {
    loop {
        let event = match session.next_event() {
            Ok(Some(event)) => event,
            Ok(None) => return true,
            Err(error) => {
                run.saw_stls |= error == ClientError::DataAfterStls;
                run.events.push(Err(error));
                return false;
            }
        };
        check_client_event(&event);
        match &event {
            Event::Challenge(text) => {
                if let Ok(answer) = sasl.respond(text) {
                    session
                        .send(&answer)
                        .expect("an answer to a challenge is sendable");
                }
            }
            Event::StartTls => {
                run.saw_stls = true;
                session.tls_established().expect("a TLS handshake was due");
            }
            _ => {}
        }
        record(run, event);
        if session.pending() == 0 {
            // The script goes on whatever the answers were; refusals are part of the run.
            for command in commands.by_ref() {
                if session.send(&command).is_ok() {
                    break;
                }
            }
        }
    }
}

fn check_client_event(event: &Event) {
    let status = match event {
        Event::Greeting(line)
        | Event::Done { line, .. }
        | Event::Refused { line, .. }
        | Event::BodyStart { line, .. }
        | Event::Closed(line) => Some(line),
        _ => None,
    };
    if let Some(line) = status {
        let wire = line.to_string();
        let parsed = StatusLine::parse(wire.trim_end_matches("\r\n").as_bytes());
        assert_eq!(parsed.as_ref(), Ok(line), "status line changed on the wire");
    }
    if let Event::Challenge(text) = event {
        let wire = crate::response::Response::Continuation(text.clone()).to_string();
        let parsed = ResponseLine::parse(wire.trim_end_matches("\r\n").as_bytes());
        assert_eq!(parsed, Ok(ResponseLine::Continuation(text.clone())));
    }
    if let Event::Capabilities(caps) = event {
        let lines = caps.lines();
        assert_eq!(&Capabilities::parse(lines.iter().map(String::as_str)), caps);
    }
    if let Event::BodyChunk(chunk) = event {
        assert!(!chunk.is_empty(), "empty body chunk");
    }
}

fn record(run: &mut ClientRun, event: Event) {
    if let (Some(Ok(Event::BodyChunk(previous))), Event::BodyChunk(more)) =
        (run.events.last_mut(), &event)
    {
        previous.extend_from_slice(more);
        return;
    }
    run.events.push(Ok(event));
}
