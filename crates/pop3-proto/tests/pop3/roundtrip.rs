//! The client against the server, in memory: a tiny driver moves each side's bytes to the
//! other, answers the server's verdicts from an in-memory store, and streams bodies through
//! `BodyEncoder` the way the gateway's listener will.

use scanrelay_pop3::client::{ClientState, Event};
use scanrelay_pop3::server::{
    AuthVerdict, Event as ServerEvent, Maildrop, MaildropMessage, ServerConfig, ServerSession,
};
use scanrelay_pop3::{
    BodyEncoder, ClientConfig, ClientSession, Command, SaslClient, Stat, Uid, Verb, fuzz,
};

/// A mailbox of one user: (uid, raw message as stored).
struct Store {
    messages: Vec<(String, Vec<u8>)>,
    deleted: Vec<String>,
}

impl Store {
    fn new(messages: &[(&str, &[u8])]) -> Store {
        Store {
            messages: messages
                .iter()
                .map(|(uid, body)| (uid.to_string(), body.to_vec()))
                .collect(),
            deleted: Vec::new(),
        }
    }

    fn maildrop(&self) -> Maildrop {
        let messages = self
            .messages
            .iter()
            .map(|(uid, body)| MaildropMessage {
                size: fuzz::normalise(body).len() as u64,
                uid: Uid::new(uid).unwrap(),
            })
            .collect();
        Maildrop::new(messages).unwrap()
    }
}

/// Both ends of one connection.
struct Link {
    client: ClientSession,
    server: ServerSession,
    store: Store,
    /// Bytes the server wrote, in `chunk`-sized writes (to vary how the client reads).
    chunk: usize,
}

impl Link {
    fn new(config: ServerConfig, store: Store, chunk: usize) -> Link {
        let server = ServerSession::new(config, false);
        let mut client = ClientSession::new(ClientConfig::default(), false);
        client.receive(server.greeting().to_string().as_bytes());
        Link {
            client,
            server,
            store,
            chunk,
        }
    }

    /// Sends commands (pipelined if more than one), runs the server, and returns the client's
    /// events until it needs more bytes (body chunks merged).
    fn exchange(&mut self, commands: &[Command]) -> Vec<Event> {
        let mut wire = Vec::new();
        for command in commands {
            wire.extend(self.client.send(command).expect("sendable"));
        }
        let output = self.serve(&wire);
        for piece in output.chunks(self.chunk.max(1)) {
            self.client.receive(piece);
        }
        super::drain(&mut self.client).expect("the client accepts what the server says")
    }

    /// The server's side of the driver: every event handled as the listener will.
    fn serve(&mut self, input: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        self.server.receive(input);
        while let Some(event) = self.server.next_event() {
            match event {
                ServerEvent::Reply(response) => out.extend(response.to_string().into_bytes()),
                ServerEvent::StartTls => {
                    // The stream swap: both sides carry on as if a handshake had happened.
                    self.server.tls_established().unwrap();
                }
                ServerEvent::Auth(credentials) => {
                    let ok = credentials.user() == "scanner" && credentials.verify_password("pw");
                    let verdict = if ok {
                        AuthVerdict::Accept(self.store.maildrop())
                    } else {
                        AuthVerdict::Reject
                    };
                    self.server.auth_verdict(verdict).unwrap();
                }
                ServerEvent::Retrieve { .. } => self.server.retrieve_verdict(true).unwrap(),
                ServerEvent::SendBody { n, top } => {
                    let body = &self.store.messages[(n - 1) as usize].1;
                    let mut encoder = top.map_or_else(BodyEncoder::new, BodyEncoder::top);
                    // The driver reads the message in small pieces, as from a file.
                    for piece in body.chunks(7) {
                        encoder.encode(piece, &mut out);
                    }
                    encoder.finish(&mut out);
                }
                ServerEvent::Update { delete } => {
                    for entry in delete {
                        self.store.deleted.push(entry.uid.to_string());
                    }
                    self.server.update_verdict(true).unwrap();
                }
                ServerEvent::Quit | ServerEvent::Close => {}
            }
        }
        out
    }
}

const HOSTILE: &[u8] =
    b"Subject: dots\n\n.\n..\n.leading\r\nCR only\rend\r\n\r\n.\r\nno final newline";

fn store() -> Store {
    Store::new(&[
        (
            "scan-1",
            b"Subject: one\r\nFrom: mfp@example.test\r\n\r\nline 1\r\nline 2\r\n",
        ),
        ("scan-2", HOSTILE),
        ("scan-3", b""),
    ])
}

fn body_of(events: &[Event]) -> Vec<u8> {
    match events {
        [
            Event::BodyStart { .. },
            Event::BodyChunk(body),
            Event::BodyEnd { size },
        ] => {
            assert_eq!(*size, body.len() as u64);
            body.clone()
        }
        [Event::BodyStart { .. }, Event::BodyEnd { size: 0 }] => Vec::new(),
        other => panic!("not a body: {other:?}"),
    }
}

#[test]
fn a_device_fetches_and_deletes_through_stls() {
    for chunk in [1, 3, 64, usize::MAX] {
        let mut config = ServerConfig::new("gw.example");
        config.stls_available = true;
        let mut link = Link::new(config, store(), chunk);
        assert!(matches!(
            &super::drain(&mut link.client).unwrap()[..],
            [Event::Greeting(_)]
        ));
        let Event::Capabilities(caps) = &link.exchange(&[Command::Capa])[0] else {
            panic!("no capabilities");
        };
        assert!(caps.stls && !caps.user, "no login offered before TLS");
        assert_eq!(link.exchange(&[Command::Stls]), [Event::StartTls]);
        link.client.tls_established().unwrap();
        let Event::Capabilities(caps) = &link.exchange(&[Command::Capa])[0] else {
            panic!("no capabilities");
        };
        assert!(caps.user && caps.has_sasl("PLAIN") && !caps.stls);
        link.exchange(&[Command::User("scanner".into())]);
        link.exchange(&[Command::Pass("pw".into())]);
        assert_eq!(link.client.state(), ClientState::Transaction);
        let stat = link.exchange(&[Command::Stat]);
        let expected_size: usize = store()
            .messages
            .iter()
            .map(|(_, b)| fuzz::normalise(b).len())
            .sum();
        assert_eq!(
            stat,
            [Event::Stat(Stat {
                count: 3,
                size: expected_size as u64
            })]
        );
        for (n, (_, stored)) in (1u32..).zip(&store().messages) {
            let body = body_of(&link.exchange(&[Command::Retr(n)]));
            assert_eq!(body, fuzz::normalise(stored), "RETR {n}, chunk {chunk}");
            let top = body_of(&link.exchange(&[Command::Top { msg: n, lines: 1 }]));
            assert_eq!(top, fuzz::top_of(&fuzz::normalise(stored), 1), "TOP {n}");
        }
        link.exchange(&[Command::Dele(2)]);
        let closed = link.exchange(&[Command::Quit]);
        assert!(
            matches!(&closed[..], [Event::Closed(line)] if line.text().contains("1 messages deleted"))
        );
        assert_eq!(link.store.deleted, ["scan-2"]);
        assert!(link.server.is_closed());
    }
}

#[test]
fn sasl_plain_with_and_without_an_initial_response() {
    let mut link = plaintext_link();
    // A password long enough that the initial response does not fit in 255 octets.
    let mut sasl = SaslClient::plain("scanner", "pw");
    let start = sasl.start();
    assert!(matches!(
        &start,
        Command::Auth {
            initial: Some(_),
            ..
        }
    ));
    let mut long = SaslClient::plain("scanner", "p".repeat(300));
    let start = long.start();
    assert_eq!(
        start,
        Command::Auth {
            mechanism: scanrelay_pop3::sasl::Mechanism::Plain,
            initial: None
        }
    );
    let Event::Challenge(challenge) = &link.exchange(&[start])[0] else {
        panic!("no challenge");
    };
    let answer = long.respond(challenge).unwrap();
    let refused = link.exchange(&[answer]);
    assert!(
        matches!(&refused[..], [Event::Refused { verb: Verb::Auth, line }] if line.is_permanent())
    );
    let done = link.exchange(&[sasl.start()]);
    assert!(matches!(
        &done[..],
        [Event::Done {
            verb: Verb::Auth,
            ..
        }]
    ));
}

/// A link to a listener that allows plaintext logins, greeted.
fn plaintext_link() -> Link {
    let mut config = ServerConfig::new("gw.example");
    config.allow_plaintext_auth = true;
    let mut link = Link::new(config, store(), 5);
    super::drain(&mut link.client).unwrap();
    link
}

#[test]
fn pipelined_commands_come_back_in_order() {
    let mut link = plaintext_link();
    link.exchange(&[Command::User("scanner".into())]);
    link.exchange(&[Command::Pass("pw".into())]);
    let events = link.exchange(&[
        Command::Stat,
        Command::Uidl(None),
        Command::Retr(2),
        Command::List(Some(3)),
        Command::Noop,
    ]);
    assert!(matches!(events[0], Event::Stat(Stat { count: 3, .. })));
    assert!(
        matches!(&events[1], Event::Uidl(list) if list.len() == 3 && list[1].uid.as_str() == "scan-2")
    );
    assert_eq!(body_of(&events[2..5]), fuzz::normalise(HOSTILE));
    assert!(matches!(events[5], Event::ListOne(entry) if entry.n == 3 && entry.size == 0));
    assert!(matches!(
        events[6],
        Event::Done {
            verb: Verb::Noop,
            ..
        }
    ));
    assert_eq!(events.len(), 7);
    // Without QUIT nothing is deleted, whatever was marked.
    link.exchange(&[Command::Dele(1)]);
    drop(link.client);
    assert!(link.store.deleted.is_empty());
}

#[test]
fn a_large_message_round_trips_in_pieces() {
    let mut message = Vec::new();
    for i in 0..40_000u32 {
        let line = if i % 7 == 0 {
            format!(".{i}\n")
        } else {
            format!("line {i} {}\r\n", "x".repeat(40))
        };
        message.extend_from_slice(line.as_bytes());
    }
    let mut config = ServerConfig::new("gw.example");
    config.allow_plaintext_auth = true;
    let store = Store::new(&[("big", message.as_slice())]);
    let mut link = Link::new(config, store, 1500);
    super::drain(&mut link.client).unwrap();
    link.exchange(&[Command::User("scanner".into())]);
    link.exchange(&[Command::Pass("pw".into())]);
    let body = body_of(&link.exchange(&[Command::Retr(1)]));
    assert_eq!(body.len(), fuzz::normalise(&message).len());
    assert_eq!(body, fuzz::normalise(&message));
}
