//! Property tests: every split of a transcript gives the same events, and the fuzz harnesses'
//! invariants over generated inputs (the same checks the cargo-fuzz targets run).

use proptest::prelude::*;
use scanrelay_pop3::client::{ClientError, Event};
use scanrelay_pop3::{ClientConfig, ClientSession, Command, fuzz};

/// A whole session as a Dovecot-like server sends it, and the commands that ask for it.
fn transcript() -> (Vec<Command>, Vec<u8>) {
    let commands = vec![
        Command::Capa,
        Command::User("scanner@example.test".into()),
        Command::Pass("secret".into()),
        Command::Stat,
        Command::List(None),
        Command::Uidl(None),
        Command::Retr(1),
        Command::Top { msg: 2, lines: 0 },
        Command::Dele(1),
        Command::Quit,
    ];
    let server = "+OK Dovecot (Debian) ready.\r\n\
        +OK\r\nCAPA\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nUSER\r\nSASL PLAIN\r\n.\r\n\
        +OK\r\n\
        +OK Logged in.\r\n\
        +OK 2 75\r\n\
        +OK 2 messages:\r\n1 47\r\n2 28\r\n.\r\n\
        +OK\r\n1 000000016579e5b1\r\n2 000000026579e5b1\r\n.\r\n\
        +OK 47 octets\r\nSubject: a\r\n\r\n..dot\r\n\r\n.x\nbare\n.\r\n\
        +OK\r\nSubject: b\r\n\r\n.\r\n\
        +OK Marked to be deleted.\r\n\
        +OK Logging out, messages deleted.\r\n";
    (commands, server.as_bytes().to_vec())
}

/// Runs `commands` against `server` delivered in pieces of `sizes` (cycled), sending each
/// command once the previous one is answered. Body chunks are merged.
fn run_script(
    commands: &[Command],
    server: &[u8],
    sizes: &[usize],
) -> Result<Vec<Event>, ClientError> {
    let mut session = ClientSession::new(ClientConfig::default(), true);
    let mut next = commands.iter();
    let mut events: Vec<Event> = Vec::new();
    let (mut pos, mut i) = (0, 0);
    while pos < server.len() {
        let n = sizes[i % sizes.len()].max(1).min(server.len() - pos);
        i += 1;
        session.receive(&server[pos..pos + n]);
        pos += n;
        while let Some(event) = session.next_event()? {
            match (events.last_mut(), &event) {
                (Some(Event::BodyChunk(previous)), Event::BodyChunk(more)) => {
                    previous.extend_from_slice(more);
                }
                _ => events.push(event),
            }
            if session.pending() == 0
                && let Some(command) = next.next()
            {
                session.send(command).expect("the script is valid");
            }
        }
    }
    Ok(events)
}

#[test]
fn every_two_way_split_of_a_transcript_gives_the_same_events() {
    let (commands, server) = transcript();
    let whole = run_script(&commands, &server, &[usize::MAX]).unwrap();
    assert_eq!(whole.len(), 15, "{whole:#?}");
    assert_eq!(
        whole[8],
        Event::BodyChunk(b"Subject: a\r\n\r\n.dot\r\n\r\nx\nbare\n".to_vec())
    );
    assert_eq!(whole[9], Event::BodyEnd { size: 29 });
    for cut in 1..server.len() {
        let pieces = run_script(&commands, &server, &[cut, usize::MAX]).unwrap();
        assert_eq!(pieces, whole, "split at {cut}");
    }
}

/// What the server harness and the client harness feed through a session: command-ish tokens
/// mixed with stray bytes.
fn noise(tokens: &'static [&'static str]) -> impl Strategy<Value = Vec<u8>> {
    let token = prop_oneof![
        4 => prop::sample::select(tokens).prop_map(|t| t.as_bytes().to_vec()),
        1 => prop::collection::vec(
            prop_oneof![Just(b'\r'), Just(b'\n'), Just(b'.'), Just(b' '), any::<u8>()],
            0..12,
        ),
    ];
    prop::collection::vec(token, 0..40).prop_map(|t| t.concat())
}

const CLIENT_TOKENS: &[&str] = &[
    "USER user\r\n",
    "USER busy\r\n",
    "USER temp\r\n",
    "PASS secret\r\n",
    "PASS wrong\r\n",
    "STAT\r\n",
    "LIST\r\n",
    "LIST 2\r\n",
    "LIST 9\r\n",
    "UIDL\r\n",
    "UIDL 1\r\n",
    "RETR 1\r\n",
    "RETR 2\r\n",
    "RETR 3\r\n",
    "TOP 1 0\r\n",
    "TOP 2 1\r\n",
    "DELE 1\r\n",
    "DELE 2\r\n",
    "RSET\r\n",
    "NOOP\r\n",
    "QUIT\r\n",
    "CAPA\r\n",
    "STLS\r\n",
    "AUTH PLAIN\r\n",
    "AUTH PLAIN AHVzZXIAc2VjcmV0\r\n",
    "AHVzZXIAc2VjcmV0\r\n",
    "*\r\n",
    "APOP a b\r\n",
    "\n",
    "\r",
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
];

const SERVER_TOKENS: &[&str] = &[
    "+OK\r\n",
    "+OK ready\r\n",
    "-ERR [AUTH] no\r\n",
    "-ERR [IN-USE] busy\r\n",
    "-ERR x\r\n",
    "+ \r\n",
    "+ eyJzdGF0dXMiOiI0MDEifQ==\r\n",
    "+OK 2 320\r\n",
    "+OK 1 uid-1\r\n",
    "1 120\r\n",
    "1 uid-a\r\n",
    "2 uid-b\r\n",
    "..stuffed\r\n",
    ".\r\n",
    "\n.\n",
    "TOP\r\n",
    "SASL PLAIN\r\n",
    "EXPIRE 0\r\n",
    "Subject: x\r\n\r\nbody\r\n",
    "* OK imap\r\n",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn server_session_invariants(flags in any::<u8>(), input in noise(CLIENT_TOKENS)) {
        scanrelay_pop3::server::fuzz_session(&[&[flags][..], &input].concat());
    }

    #[test]
    fn client_session_invariants(pick in any::<u8>(), input in noise(SERVER_TOKENS)) {
        fuzz::fuzz_client(&[&[pick][..], &input].concat());
    }

    #[test]
    fn transcript_split_anywhere(sizes in prop::collection::vec(1usize..40, 1..12)) {
        let (commands, server) = transcript();
        let whole = run_script(&commands, &server, &[usize::MAX]).unwrap();
        prop_assert_eq!(run_script(&commands, &server, &sizes).unwrap(), whole);
    }

    #[test]
    fn multiline_round_trip(
        seed in any::<[u8; 2]>(),
        message in prop::collection::vec(
            prop_oneof![3 => Just(b'\r'), 3 => Just(b'\n'), 3 => Just(b'.'), 4 => any::<u8>()],
            0..400,
        ),
    ) {
        fuzz::fuzz_multiline(&[&seed[..], &message].concat());
    }

    #[test]
    fn command_round_trip(mode in any::<u8>(), line in prop::collection::vec(any::<u8>(), 0..40)) {
        fuzz::fuzz_command(&[&[mode][..], &line].concat());
    }
}

/// Every input kept in the fuzz corpus (seeds, and any crash reproducer added after a fix)
/// passes its harness in the stable test suite too.
#[test]
fn the_committed_fuzz_corpus_passes() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus");
    type Harness = fn(&[u8]);
    let targets: [(&str, Harness); 4] = [
        ("pop3_command", fuzz::fuzz_command),
        ("pop3_response", fuzz::fuzz_client),
        ("pop3_multiline", fuzz::fuzz_multiline),
        ("pop3_server_session", scanrelay_pop3::server::fuzz_session),
    ];
    for (target, harness) in targets {
        let dir = root.join(target);
        let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let mut count = 0;
        for entry in entries {
            let path = entry.expect("corpus entry").path();
            let input = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            harness(&input);
            count += 1;
        }
        assert!(count > 0, "no corpus for {target}");
    }
}
