//! The client session over scripted server bytes: typed results, sending rules, SASL, STLS,
//! and hostile servers.

use scanrelay_pop3::client::{ClientError, ClientState, Event, SendError};
use scanrelay_pop3::{
    Capabilities, ClientConfig, ClientSession, Command, ListEntry, RespCode, SaslClient, Stat,
    StatusLine, Uid, UidlEntry, Verb,
};

use super::{drain, exchange, greeted};

fn uidl(n: u32, uid: &str) -> UidlEntry {
    UidlEntry {
        n,
        uid: Uid::new(uid).unwrap(),
    }
}

#[test]
fn a_dovecot_session_gives_typed_results() {
    let mut s = greeted("+OK Dovecot (Debian) ready.\r\n");
    let caps = exchange(
        &mut s,
        &Command::Capa,
        b"+OK\r\nCAPA\r\nTOP\r\nUIDL\r\nSTLS\r\nUSER\r\nSASL PLAIN\r\n.\r\n",
    );
    let Ok([Event::Capabilities(caps)]) = caps.as_deref() else {
        panic!("{caps:?}");
    };
    assert!(caps.stls && caps.user && caps.top && caps.uidl && caps.has_sasl("PLAIN"));
    let ok = |verb| Event::Done {
        verb,
        line: StatusLine::ok(""),
    };
    assert_eq!(
        exchange(&mut s, &Command::User("u".into()), b"+OK\r\n"),
        Ok(vec![ok(Verb::User)])
    );
    let logged_in = Event::Done {
        verb: Verb::Pass,
        line: StatusLine::ok("Logged in."),
    };
    assert_eq!(
        exchange(&mut s, &Command::Pass("p".into()), b"+OK Logged in.\r\n"),
        Ok(vec![logged_in])
    );
    assert_eq!(s.state(), ClientState::Transaction);
    for (command, reply, expected) in transaction_table() {
        assert_eq!(
            exchange(&mut s, &command, reply),
            Ok(expected),
            "{command:?}"
        );
    }
    assert_eq!(
        exchange(
            &mut s,
            &Command::Quit,
            b"+OK Logging out, messages deleted.\r\n"
        ),
        Ok(vec![Event::Closed(StatusLine::ok(
            "Logging out, messages deleted."
        ))])
    );
    assert_eq!(s.state(), ClientState::Closed);
    assert_eq!(s.send(&Command::Noop), Err(SendError::Closed));
}

/// (command, what Dovecot answers, the events) for a logged-in session.
fn transaction_table() -> Vec<(Command, &'static [u8], Vec<Event>)> {
    vec![
        (
            Command::Stat,
            b"+OK 2 320\r\n",
            vec![Event::Stat(Stat {
                count: 2,
                size: 320,
            })],
        ),
        (
            Command::List(None),
            b"+OK 2 messages:\r\n1 120\r\n2 200\r\n.\r\n",
            vec![Event::List(vec![
                ListEntry { n: 1, size: 120 },
                ListEntry { n: 2, size: 200 },
            ])],
        ),
        (
            Command::List(Some(2)),
            b"+OK 2 200\r\n",
            vec![Event::ListOne(ListEntry { n: 2, size: 200 })],
        ),
        (
            Command::Uidl(None),
            b"+OK\r\n1 000000016579e5b1\r\n2 000000026579e5b1\r\n.\r\n",
            vec![Event::Uidl(vec![
                uidl(1, "000000016579e5b1"),
                uidl(2, "000000026579e5b1"),
            ])],
        ),
        (
            Command::Uidl(Some(1)),
            b"+OK 1 abc\r\n",
            vec![Event::UidlOne(uidl(1, "abc"))],
        ),
        (
            Command::Retr(1),
            b"+OK 12 octets\r\nA: b\r\n\r\n..x\r\n.\r\n",
            vec![
                Event::BodyStart {
                    verb: Verb::Retr,
                    line: StatusLine::ok("12 octets"),
                },
                Event::BodyChunk(b"A: b\r\n\r\n.x\r\n".to_vec()),
                Event::BodyEnd { size: 12 },
            ],
        ),
        (
            Command::List(Some(9)),
            b"-ERR There's no message 9.\r\n",
            vec![Event::Refused {
                verb: Verb::List,
                line: StatusLine::err("There's no message 9."),
            }],
        ),
        // A -ERR to RETR has no body.
        (
            Command::Retr(9),
            b"-ERR There's no message 9.\r\n",
            vec![Event::Refused {
                verb: Verb::Retr,
                line: StatusLine::err("There's no message 9."),
            }],
        ),
        (
            Command::Dele(1),
            b"+OK Marked to be deleted.\r\n",
            vec![Event::Done {
                verb: Verb::Dele,
                line: StatusLine::ok("Marked to be deleted."),
            }],
        ),
    ]
}

#[test]
fn gmail_refuses_the_password_and_the_session_stays_in_authorization() {
    // Public transcript (node poplib README): USER, PASS, -ERR [AUTH], QUIT.
    let mut s = greeted("+OK Gpop ready for requests from 1.2.3.4 bh7pf61475604pab.24\r\n");
    exchange(
        &mut s,
        &Command::User("user@gmail.com".into()),
        b"+OK send PASS\r\n",
    )
    .unwrap();
    let refused = exchange(
        &mut s,
        &Command::Pass("potato".into()),
        b"-ERR [AUTH] Username and password not accepted.\r\n",
    )
    .unwrap();
    let [
        Event::Refused {
            verb: Verb::Pass,
            line,
        },
    ] = refused.as_slice()
    else {
        panic!("{refused:?}");
    };
    assert_eq!(line.code(), Some(&RespCode::Auth));
    assert!(line.is_permanent());
    assert_eq!(s.state(), ClientState::Authorization);
    // The USER is forgotten with the failed PASS.
    assert_eq!(
        s.send(&Command::Pass("again".into())),
        Err(SendError::WrongState {
            verb: Verb::Pass,
            state: ClientState::Authorization
        })
    );
    assert_eq!(
        exchange(&mut s, &Command::Quit, b"+OK Farewell.\r\n"),
        Ok(vec![Event::Closed(StatusLine::ok("Farewell."))])
    );
}

#[test]
fn an_err_greeting_closes_the_session() {
    // Nate, 2026: the service is gone.
    let mut s = ClientSession::new(ClientConfig::default(), true);
    assert_eq!(s.send(&Command::Capa), Err(SendError::NoGreeting));
    s.receive(b"-ERR POP3 service has been permanently discontinued.\r\n");
    let greeting = StatusLine::err("POP3 service has been permanently discontinued.");
    assert_eq!(drain(&mut s), Ok(vec![Event::Greeting(greeting)]));
    assert_eq!(s.state(), ClientState::Closed);
    assert_eq!(s.send(&Command::Capa), Err(SendError::Closed));
}

#[test]
fn sending_rules() {
    let mut s = greeted("+OK ready\r\n");
    let wrong = |verb| {
        Err(SendError::WrongState {
            verb,
            state: ClientState::Authorization,
        })
    };
    assert_eq!(s.send(&Command::Stat), wrong(Verb::Stat));
    assert_eq!(s.send(&Command::Pass("x".into())), wrong(Verb::Pass));
    assert_eq!(
        s.send(&Command::AuthResponse("x".into())),
        Err(SendError::NoChallenge)
    );
    assert_eq!(
        s.send(&Command::User("a\r\nRETR 1".into())).map(|_| ()),
        Err(SendError::Invalid(
            scanrelay_pop3::command::CommandError::Syntax(Verb::User)
        ))
    );
    // A state-changing command must be answered before the next one.
    assert_eq!(
        s.send(&Command::User("u".into())),
        Ok(b"USER u\r\n".to_vec())
    );
    assert_eq!(
        s.send(&Command::Pass("p".into())),
        Err(SendError::Busy(Verb::User))
    );
    s.receive(b"+OK\r\n");
    drain(&mut s).unwrap();
    s.send(&Command::Pass("p".into())).unwrap();
    s.receive(b"+OK\r\n");
    drain(&mut s).unwrap();
    // In TRANSACTION other commands pipeline, and their answers come back in order.
    for command in [Command::Stat, Command::Uidl(None), Command::Noop] {
        s.send(&command).unwrap();
    }
    assert_eq!(s.pending(), 3);
    s.receive(b"+OK 1 5\r\n+OK\r\n1 a\r\n.\r\n+OK\r\n");
    let events = drain(&mut s).unwrap();
    assert_eq!(events.len(), 3);
    assert!(matches!(events[0], Event::Stat(Stat { count: 1, size: 5 })));
    assert!(matches!(&events[1], Event::Uidl(list) if list.len() == 1));
    assert!(matches!(
        events[2],
        Event::Done {
            verb: Verb::Noop,
            ..
        }
    ));
    assert_eq!(
        s.send(&Command::User("u".into())),
        Err(SendError::WrongState {
            verb: Verb::User,
            state: ClientState::Transaction
        })
    );
    s.send(&Command::Quit).unwrap();
    assert_eq!(s.state(), ClientState::Update);
    assert_eq!(s.send(&Command::Noop), Err(SendError::Closed));
}

#[test]
fn stls_is_a_stream_swap_and_injected_plaintext_is_refused() {
    let mut s = greeted("+OK Dovecot ready.\r\n");
    assert_eq!(
        exchange(
            &mut s,
            &Command::Stls,
            b"+OK Begin TLS negotiation now.\r\n"
        ),
        Ok(vec![Event::StartTls])
    );
    assert_eq!(s.send(&Command::Capa), Err(SendError::TlsPending));
    s.tls_established().unwrap();
    assert!(s.is_tls());
    assert!(s.tls_established().is_err());
    assert_eq!(s.send(&Command::Stls), Err(SendError::TlsActive));

    // CVE-2011-0411-style injection: a response smuggled into the same read as the +OK.
    let mut s = greeted("+OK ready\r\n");
    let injected = exchange(&mut s, &Command::Stls, b"+OK go\r\n+OK Logged in.\r\n");
    assert_eq!(injected, Err(ClientError::DataAfterStls));
    // ... or arriving before the handshake.
    let mut s = greeted("+OK ready\r\n");
    exchange(&mut s, &Command::Stls, b"+OK go\r\n").unwrap();
    s.receive(b"+OK Logged in.\r\n");
    assert_eq!(s.next_event(), Err(ClientError::DataAfterStls));
    assert_eq!(
        s.tls_established(),
        Err(scanrelay_pop3::client::NotAwaitingTls)
    );
}

#[test]
fn sasl_plain_and_xoauth2() {
    // PLAIN with an initial response (Dovecot accepts it in one line).
    let mut s = greeted("+OK ready\r\n");
    let mut plain = SaslClient::plain("scanner@example.test", "secret");
    let start = plain.start();
    assert_eq!(start.redacted(), "AUTH PLAIN <redacted>");
    assert_eq!(
        exchange(&mut s, &start, b"+OK Logged in.\r\n").unwrap(),
        [Event::Done {
            verb: Verb::Auth,
            line: StatusLine::ok("Logged in.")
        }]
    );
    assert_eq!(s.state(), ClientState::Transaction);

    // XOAUTH2 with a long token: RFC 5034 §4 sends it after an empty challenge.
    let token = "ya29.".to_string() + &"a".repeat(300);
    let mut s = greeted("+OK ready\r\n");
    let mut xoauth2 = SaslClient::xoauth2("user@gmail.com", token.clone());
    let start = xoauth2.start();
    assert_eq!(start.to_string(), "AUTH XOAUTH2\r\n");
    assert_eq!(
        exchange(&mut s, &start, b"+ \r\n"),
        Ok(vec![Event::Challenge(String::new())])
    );
    assert_eq!(s.send(&Command::Noop), Err(SendError::ChallengePending));
    let answer = xoauth2.respond("").unwrap();
    assert!(
        answer.to_string().len() > 255,
        "the response line is not limited"
    );
    // The server refuses the token with its JSON error, then -ERR.
    let json = "eyJzdGF0dXMiOiI0MDEiLCJzY2hlbWVzIjoiQmVhcmVyIn0=";
    let challenge = exchange(&mut s, &answer, format!("+ {json}\r\n").as_bytes()).unwrap();
    assert_eq!(challenge, [Event::Challenge(json.into())]);
    let ack = xoauth2.respond(json).unwrap();
    assert_eq!(ack.to_string(), "\r\n");
    let refused = exchange(&mut s, &ack, b"-ERR [AUTH] Invalid credentials\r\n").unwrap();
    assert!(
        matches!(&refused[..], [Event::Refused { verb: Verb::Auth, line }] if line.is_permanent())
    );
    assert_eq!(
        xoauth2.oauth_error(),
        Some(r#"{"status":"401","schemes":"Bearer"}"#)
    );
    assert!(xoauth2.respond(json).is_err(), "no third step");
}

#[test]
fn hostile_servers_get_errors_not_memory() {
    let config = ClientConfig::default();
    // A 1 MB status line: refused as soon as it passes the limit, before any LF.
    let mut s = greeted("+OK ready\r\n");
    s.send(&Command::Capa).unwrap();
    s.receive(&vec![b'+'; 1 << 20]);
    assert_eq!(
        s.next_event(),
        Err(ClientError::LineTooLong {
            limit: config.max_line
        })
    );
    assert_eq!(s.buffered(), 0);

    // Endless listing data.
    let mut s = greeted("+OK ready\r\n");
    s.send(&Command::User("u".into())).unwrap();
    s.receive(b"+OK\r\n");
    drain(&mut s).unwrap();
    s.send(&Command::Pass("p".into())).unwrap();
    s.receive(b"+OK\r\n");
    drain(&mut s).unwrap();
    s.send(&Command::Uidl(None)).unwrap();
    s.receive(b"+OK\r\n");
    let line = b"1 abcdefghijklmnopqrstuvwxyz0123456789\r\n";
    let mut result = Ok(None);
    for _ in 0..(config.max_listing / line.len() + 2) {
        s.receive(line);
        result = s.next_event();
        if result.is_err() {
            break;
        }
        assert!(s.buffered() <= config.max_listing + line.len());
    }
    assert_eq!(
        result,
        Err(ClientError::ListingTooLarge {
            verb: Verb::Uidl,
            limit: config.max_listing
        })
    );
}

#[test]
fn a_message_over_the_limit_and_malformed_answers() {
    let small = ClientConfig::default();
    let mut config = small.clone();
    config.max_message = 10;
    let logged_in = |config: ClientConfig| {
        let mut s = ClientSession::new(config, true);
        s.receive(b"+OK\r\n");
        drain(&mut s).unwrap();
        exchange(&mut s, &Command::User("u".into()), b"+OK\r\n").unwrap();
        exchange(&mut s, &Command::Pass("p".into()), b"+OK\r\n").unwrap();
        s
    };
    let mut s = logged_in(config);
    let result = exchange(&mut s, &Command::Retr(1), b"+OK\r\n0123456789A\r\n.\r\n");
    assert_eq!(result, Err(ClientError::MessageTooLarge { limit: 10 }));
    let table: Vec<(Command, &[u8], ClientError)> = vec![
        (Command::Stat, b"+OK lots\r\n", bad(Verb::Stat, "lots")),
        (Command::List(Some(1)), b"+OK\r\n", bad(Verb::List, "")),
        (
            Command::List(None),
            b"+OK\r\n1 12\r\nx 5\r\n.\r\n",
            bad(Verb::List, "x 5"),
        ),
        (
            Command::Uidl(None),
            b"+OK\r\n1 caf\xc3\xa9\r\n.\r\n",
            bad(Verb::Uidl, "1 café"),
        ),
        (Command::Uidl(Some(1)), b"+OK 1\r\n", bad(Verb::Uidl, "1")),
        (
            Command::Noop,
            b"* OK IMAP\r\n",
            ClientError::Syntax {
                line: "* OK IMAP".into(),
            },
        ),
        (
            Command::Noop,
            b"+OK\r\n+OK unasked\r\n",
            ClientError::UnexpectedData,
        ),
        (
            Command::Noop,
            b"+ challenge\r\n",
            ClientError::UnexpectedContinuation,
        ),
    ];
    for (command, reply, error) in table {
        let mut s = logged_in(small.clone());
        assert_eq!(
            exchange(&mut s, &command, reply),
            Err(error.clone()),
            "{command:?}"
        );
        assert_eq!(s.next_event(), Err(error), "the error sticks");
        assert_eq!(s.state(), ClientState::Closed);
    }
}

fn bad(verb: Verb, line: &str) -> ClientError {
    ClientError::BadListing {
        verb,
        line: line.into(),
    }
}

#[test]
fn a_large_retr_streams_in_bounded_chunks() {
    let mut s = ClientSession::new(ClientConfig::default(), true);
    s.receive(b"+OK\r\n");
    drain(&mut s).unwrap();
    exchange(&mut s, &Command::User("u".into()), b"+OK\r\n").unwrap();
    exchange(&mut s, &Command::Pass("p".into()), b"+OK\r\n").unwrap();
    s.send(&Command::Retr(1)).unwrap();
    s.receive(b"+OK\r\n");
    assert!(matches!(s.next_event(), Ok(Some(Event::BodyStart { .. }))));
    // 4 MiB arriving in one read still comes out in pieces of at most 64 KiB.
    let body = vec![b'x'; 4 << 20];
    s.receive(&body);
    s.receive(b"\r\n.\r\n");
    let (mut total, mut chunks) = (0u64, 0);
    loop {
        match s.next_event().unwrap() {
            Some(Event::BodyChunk(chunk)) => {
                assert!(chunk.len() <= 64 * 1024);
                total += chunk.len() as u64;
                chunks += 1;
            }
            Some(Event::BodyEnd { size }) => {
                assert_eq!(size, total);
                break;
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(total, (4 << 20) + 2);
    assert!(chunks >= 64);
    assert_eq!(Capabilities::default(), Capabilities::parse([]));
}
