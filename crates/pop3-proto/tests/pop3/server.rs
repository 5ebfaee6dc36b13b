//! The server session: authorization rules, the maildrop view, UPDATE, limits and garbage.

use scanrelay_pop3::server::{
    AuthVerdict, Event, Maildrop, MaildropError, MaildropMessage, ServerConfig, ServerSession,
};
use scanrelay_pop3::{Response, Uid, UidlEntry};

fn maildrop() -> Maildrop {
    Maildrop::new(vec![
        MaildropMessage {
            size: 120,
            uid: Uid::new("uid-a").unwrap(),
        },
        MaildropMessage {
            size: 200,
            uid: Uid::new("uid-b").unwrap(),
        },
    ])
    .unwrap()
}

fn config() -> ServerConfig {
    let mut config = ServerConfig::new("gw.example");
    config.stls_available = true;
    config
}

/// Feeds `input` and returns the events until the session waits, responses as wire text.
fn feed(session: &mut ServerSession, input: impl AsRef<[u8]>) -> Vec<String> {
    session.receive(input.as_ref());
    let mut out = Vec::new();
    while let Some(event) = session.next_event() {
        out.push(match event {
            Event::Reply(response) => response.to_string(),
            other => format!("{other:?}"),
        });
    }
    out
}

/// A session logged in as `user` over TLS with [`maildrop`].
fn logged_in(config: ServerConfig) -> ServerSession {
    let mut s = ServerSession::new(config, true);
    feed(&mut s, "USER user\r\nPASS secret\r\n");
    s.auth_verdict(AuthVerdict::Accept(maildrop())).unwrap();
    let events = feed(&mut s, "");
    assert_eq!(
        events,
        ["+OK Logged in, maildrop has 2 messages (320 octets)\r\n"]
    );
    s
}

#[test]
fn greeting_and_capabilities_follow_tls_and_policy() {
    let mut s = ServerSession::new(config(), false);
    assert_eq!(
        s.greeting().to_string(),
        "+OK gw.example scanrelay POP3 server ready\r\n"
    );
    let before = "+OK Capability list follows\r\nTOP\r\nUIDL\r\nSTLS\r\nPIPELINING\r\nRESP-CODES\r\n\
                  AUTH-RESP-CODE\r\nIMPLEMENTATION scanrelay\r\n.\r\n";
    assert_eq!(feed(&mut s, "CAPA\r\n"), [before]);
    assert_eq!(
        feed(&mut s, "STLS\r\n"),
        ["+OK Begin TLS negotiation now\r\n", "StartTls"]
    );
    s.tls_established().unwrap();
    let after = "+OK Capability list follows\r\nUSER\r\nTOP\r\nUIDL\r\nPIPELINING\r\nRESP-CODES\r\n\
                 AUTH-RESP-CODE\r\nSASL PLAIN\r\nIMPLEMENTATION scanrelay\r\n.\r\n";
    assert_eq!(feed(&mut s, "CAPA\r\n"), [after]);
    assert_eq!(feed(&mut s, "STLS\r\n"), ["-ERR TLS is already active\r\n"]);
}

#[test]
fn plaintext_login_before_stls_is_refused_unless_allowed() {
    let mut s = ServerSession::new(config(), false);
    let refused =
        "-ERR [AUTH] Plaintext authentication is not allowed before STLS; send STLS first\r\n";
    assert_eq!(feed(&mut s, "USER user\r\n"), [refused]);
    assert_eq!(feed(&mut s, "AUTH PLAIN AHVzZXIAc2VjcmV0\r\n"), [refused]);
    assert_eq!(
        feed(&mut s, "PASS secret\r\n"),
        ["-ERR Send USER first\r\n"]
    );
    assert_eq!(s.error_count(), 3);
    // Without a certificate the advice names the POP3S port instead.
    let mut s = ServerSession::new(ServerConfig::new("gw.example"), false);
    assert_eq!(
        feed(&mut s, "USER user\r\n"),
        [
            "-ERR [AUTH] Plaintext authentication is not allowed on this connection; use the POP3S port\r\n"
        ]
    );
}

#[test]
fn old_device_logs_in_with_user_pass_in_clear_when_the_listener_allows_it() {
    let mut config = ServerConfig::new("gw.example");
    config.allow_plaintext_auth = true;
    let mut s = ServerSession::new(config, false);
    assert_eq!(
        feed(&mut s, "user scanner\r\npass 1234 5\r\n"),
        [
            "+OK User name accepted, password please\r\n",
            "Auth(Credentials { method: UserPass, user: \"scanner\", password: <redacted> })",
        ]
    );
    assert_eq!(s.state_name(), "await-auth");
    s.auth_verdict(AuthVerdict::Accept(maildrop())).unwrap();
    feed(&mut s, "");
    assert_eq!(s.authenticated_user(), Some("scanner"));
}

#[test]
fn auth_verdicts() {
    for (verdict, reply, errors) in [
        (
            AuthVerdict::Reject,
            "-ERR [AUTH] Authentication failed\r\n",
            1,
        ),
        (
            AuthVerdict::InUse,
            "-ERR [IN-USE] Maildrop is in use by another session\r\n",
            0,
        ),
        (
            AuthVerdict::TempFail,
            "-ERR [SYS/TEMP] Temporary failure, try again later\r\n",
            0,
        ),
    ] {
        let mut s = ServerSession::new(config(), true);
        let events = feed(&mut s, "USER user\r\nPASS bad\r\nSTAT\r\n");
        assert_eq!(events.len(), 2, "STAT waits for the verdict: {events:?}");
        s.auth_verdict(verdict).unwrap();
        let stat_refused = "-ERR STAT is not allowed in the AUTHORIZATION state\r\n";
        assert_eq!(feed(&mut s, ""), [reply, stat_refused]);
        assert_eq!(s.error_count(), errors + 1);
        assert_eq!(feed(&mut s, "PASS again\r\n"), ["-ERR Send USER first\r\n"]);
    }
}

#[test]
fn auth_plain_exchanges() {
    let auth = |s: &str| {
        format!("Auth(Credentials {{ method: Plain, user: \"{s}\", password: <redacted> }})")
    };
    let mut s = ServerSession::new(config(), true);
    assert_eq!(
        feed(&mut s, "AUTH PLAIN AHVzZXIAc2VjcmV0\r\n"),
        [auth("user")]
    );
    // Continuation form, with padding left off (some devices do).
    let mut s = ServerSession::new(config(), true);
    assert_eq!(feed(&mut s, "AUTH PLAIN\r\n"), ["+ \r\n"]);
    assert_eq!(s.state_name(), "auth");
    assert_eq!(feed(&mut s, "AHVzZXIAc2VjcmV0\r\n"), [auth("user")]);
    let Some(Event::Auth(credentials)) = ({
        let mut s = ServerSession::new(config(), true);
        s.receive(b"AUTH PLAIN YWRtaW4AdXNlcgBzZWNyZXQ=\r\n");
        s.next_event()
    }) else {
        panic!("no Auth event");
    };
    assert_eq!(credentials.authzid(), Some("admin"));
    assert!(credentials.verify_password("secret"));
    assert!(!credentials.verify_password("secreT"));
    let table = [
        ("AUTH PLAIN\r\n*\r\n", "-ERR Authentication cancelled\r\n"),
        (
            "AUTH PLAIN\r\n!!!\r\n",
            "-ERR Malformed authentication data\r\n",
        ),
        (
            "AUTH PLAIN dXNlcg==\r\n",
            "-ERR Malformed authentication data\r\n",
        ),
        ("AUTH PLAIN =\r\n", "-ERR Malformed authentication data\r\n"),
        (
            "AUTH XOAUTH2 dG9rZW4=\r\n",
            "-ERR Unsupported authentication mechanism\r\n",
        ),
        (
            "AUTH CRAM-MD5\r\n",
            "-ERR Unsupported authentication mechanism\r\n",
        ),
    ];
    for (input, reply) in table {
        let mut s = ServerSession::new(config(), true);
        let events = feed(&mut s, input);
        assert_eq!(events.last().map(String::as_str), Some(reply), "{input:?}");
        assert_eq!(s.state_name(), "authorization");
    }
}

#[test]
fn transaction_commands_over_the_maildrop() {
    let mut s = logged_in(config());
    let table = [
        ("STAT\r\n", vec!["+OK 2 320\r\n"]),
        (
            "LIST\r\n",
            vec!["+OK 2 messages (320 octets)\r\n1 120\r\n2 200\r\n.\r\n"],
        ),
        ("LIST 2\r\n", vec!["+OK 2 200\r\n"]),
        ("LIST 3\r\n", vec!["-ERR No such message 3\r\n"]),
        ("LIST 0\r\n", vec!["-ERR No such message 0\r\n"]),
        (
            "UIDL\r\n",
            vec!["+OK Unique-ID listing follows\r\n1 uid-a\r\n2 uid-b\r\n.\r\n"],
        ),
        ("UIDL 1\r\n", vec!["+OK 1 uid-a\r\n"]),
        ("NOOP\r\n", vec!["+OK\r\n"]),
        ("DELE 1\r\n", vec!["+OK Message 1 deleted\r\n"]),
        ("DELE 1\r\n", vec!["-ERR Message 1 is already deleted\r\n"]),
        ("RETR 1\r\n", vec!["-ERR Message 1 is already deleted\r\n"]),
        ("STAT\r\n", vec!["+OK 1 200\r\n"]),
        (
            "LIST\r\n",
            vec!["+OK 1 messages (200 octets)\r\n2 200\r\n.\r\n"],
        ),
        ("UIDL 1\r\n", vec!["-ERR Message 1 is already deleted\r\n"]),
        (
            "RSET\r\n",
            vec!["+OK Maildrop has 2 messages (320 octets)\r\n"],
        ),
        (
            "USER x\r\n",
            vec!["-ERR USER is not allowed in the TRANSACTION state\r\n"],
        ),
    ];
    for (input, expected) in table {
        assert_eq!(feed(&mut s, input), expected, "{input:?}");
    }
    assert_eq!(s.error_count(), 1, "only the USER counts");
}

#[test]
fn retr_and_top_ask_the_driver_then_stream() {
    let mut s = logged_in(config());
    assert_eq!(
        feed(&mut s, "RETR 2\r\nNOOP\r\n"),
        ["Retrieve { n: 2, uid: Uid(\"uid-b\"), top: None }"]
    );
    assert_eq!(s.state_name(), "await-retrieve");
    s.retrieve_verdict(true).unwrap();
    assert_eq!(
        feed(&mut s, ""),
        [
            "+OK 200 octets\r\n",
            "SendBody { n: 2, top: None }",
            "+OK\r\n"
        ]
    );
    feed(&mut s, "TOP 1 5\r\n");
    s.retrieve_verdict(true).unwrap();
    assert_eq!(
        feed(&mut s, ""),
        [
            "+OK Top of message follows\r\n",
            "SendBody { n: 1, top: Some(5) }"
        ]
    );
    feed(&mut s, "RETR 1\r\n");
    s.retrieve_verdict(false).unwrap();
    assert_eq!(
        feed(&mut s, ""),
        ["-ERR [SYS/TEMP] Message 1 cannot be read right now, try again later\r\n"]
    );
    assert!(s.retrieve_verdict(true).is_err(), "no RETR is waiting");
}

#[test]
fn messages_are_deleted_on_quit_only() {
    // DELE then QUIT: UPDATE names exactly the marked messages, then the sign-off.
    let mut s = logged_in(config());
    feed(&mut s, "DELE 2\r\n");
    assert!(s.is_deleted(2) && !s.is_deleted(1));
    let update = feed(&mut s, "QUIT\r\n");
    let expected = Event::Update {
        delete: vec![UidlEntry {
            n: 2,
            uid: Uid::new("uid-b").unwrap(),
        }],
    };
    assert_eq!(update, [format!("{expected:?}")]);
    assert_eq!(s.state_name(), "update");
    s.update_verdict(true).unwrap();
    assert_eq!(
        feed(&mut s, ""),
        [
            "+OK gw.example POP3 server signing off (1 messages deleted)\r\n",
            "Quit"
        ]
    );
    assert!(s.is_closed());

    // A failed UPDATE still ends the session, with [SYS/TEMP].
    let mut s = logged_in(config());
    feed(&mut s, "DELE 1\r\nQUIT\r\n");
    s.update_verdict(false).unwrap();
    assert_eq!(
        feed(&mut s, ""),
        [
            "-ERR [SYS/TEMP] Some deleted messages were not removed, try again later\r\n",
            "Quit"
        ]
    );

    // No UPDATE: RSET before QUIT, QUIT in AUTHORIZATION, or a connection that just ends.
    let mut s = logged_in(config());
    assert_eq!(
        feed(&mut s, "DELE 1\r\nRSET\r\nQUIT\r\n")[2..],
        ["+OK gw.example POP3 server signing off\r\n", "Quit"]
    );
    let mut s = ServerSession::new(config(), true);
    assert_eq!(
        feed(&mut s, "QUIT\r\n"),
        ["+OK gw.example POP3 server signing off\r\n", "Quit"]
    );
    let mut s = logged_in(config());
    let events = feed(&mut s, "DELE 1\r\nDELE 2\r\n");
    assert!(events.iter().all(|e| !e.starts_with("Update")));
    assert!(!s.is_closed());
    assert!(s.update_verdict(true).is_err(), "no UPDATE without QUIT");
}

#[test]
fn garbage_and_long_lines_get_err_without_desync() {
    let mut s = ServerSession::new(config(), true);
    let long = "X".repeat(5000);
    let mut input = format!("{long}\r\nNOOP\r\n\u{1b}[2J\r\n").into_bytes();
    input.extend_from_slice(b"\xff\xfe\r\nHELO x\r\nAPOP a b\r\nLIST 1\r\nCAPA\r\n");
    let events = feed(&mut s, &input);
    assert_eq!(
        events[..7],
        [
            "-ERR Line too long\r\n",
            "-ERR NOOP is not allowed in the AUTHORIZATION state\r\n",
            "-ERR Invalid characters in command\r\n",
            "-ERR Invalid characters in command\r\n",
            "-ERR Unknown command\r\n",
            "-ERR Unknown command\r\n",
            "-ERR LIST is not allowed in the AUTHORIZATION state\r\n",
        ]
    );
    assert!(events[7].starts_with("+OK Capability list follows"));
    // A long line arriving a byte at a time is dropped as it comes.
    let mut s = ServerSession::new(config(), true);
    for _ in 0..100_000 {
        s.receive(b"Y");
        assert!(s.next_event().is_none());
        assert!(s.buffered() <= 256);
    }
    assert_eq!(feed(&mut s, "\r\nSTAT\r\n")[0], "-ERR Line too long\r\n");
    // The limit is RFC 2449's: 255 octets with CRLF.
    let mut s = logged_in(config());
    let fits = format!("LIST {}1\r\n", "0".repeat(253 - 6));
    assert_eq!(fits.len(), 255);
    assert_eq!(feed(&mut s, &fits), ["-ERR Syntax: LIST [msg]\r\n"]);
    let over = format!("LIST {}1\r\n", "0".repeat(253 - 5));
    assert_eq!(feed(&mut s, &over), ["-ERR Line too long\r\n"]);
    let mut s = logged_in(config());
    let syntax = feed(&mut s, "TOP 1\r\nRETR\r\n");
    assert_eq!(
        syntax,
        [
            "-ERR Syntax: TOP msg lines\r\n",
            "-ERR Syntax: RETR msg\r\n"
        ]
    );
}

#[test]
fn error_and_command_limits_close_the_session() {
    let mut config = config();
    config.max_errors = 3;
    let mut s = ServerSession::new(config, true);
    let events = feed(&mut s, "BAD\r\nBAD\r\nBAD\r\nNOOP\r\n");
    assert_eq!(
        events,
        [
            "-ERR Unknown command\r\n",
            "-ERR Unknown command\r\n",
            "-ERR Unknown command\r\n",
            "-ERR Too many errors, closing connection\r\n",
            "Close"
        ]
    );
    assert!(s.is_closed());
    let mut config = self::config();
    config.max_commands = 3;
    let mut s = logged_in(config);
    let events = feed(&mut s, "NOOP\r\nNOOP\r\nNOOP\r\n");
    assert_eq!(
        events,
        [
            "+OK\r\n",
            "-ERR [SYS/TEMP] Command limit reached, closing connection\r\n",
            "Close"
        ]
    );
}

#[test]
fn plaintext_after_stls_is_dropped() {
    // Everything after STLS in the same read would be injected by a man in the middle.
    let mut s = ServerSession::new(config(), false);
    let events = feed(&mut s, "STLS\r\nUSER evil\r\nPASS x\r\n");
    assert_eq!(events, ["+OK Begin TLS negotiation now\r\n", "StartTls"]);
    s.receive(b"CAPA\r\n");
    s.tls_established().unwrap();
    assert!(
        s.next_event().is_none(),
        "nothing before the handshake is used"
    );
    assert_eq!(feed(&mut s, "PASS x\r\n"), ["-ERR Send USER first\r\n"]);
}

#[test]
fn verdicts_at_the_wrong_time_are_refused() {
    let mut s = ServerSession::new(config(), true);
    let error = s.auth_verdict(AuthVerdict::Reject).unwrap_err();
    assert_eq!(
        error.to_string(),
        "auth_verdict called while the session is in state `authorization`"
    );
    assert!(s.tls_established().is_err());
    assert!(s.update_verdict(true).is_err());
    assert_eq!(feed(&mut s, "NOOP\r\n").len(), 1, "nothing changed");
}

#[test]
fn maildrops_need_unique_ids() {
    let message = |uid: &str| MaildropMessage {
        size: 1,
        uid: Uid::new(uid).unwrap(),
    };
    assert_eq!(
        Maildrop::new(vec![message("a"), message("b"), message("a")]),
        Err(MaildropError::DuplicateUid(Uid::new("a").unwrap()))
    );
    let drop = Maildrop::new(vec![message("a")]).unwrap();
    assert_eq!(drop.get(1).map(|m| m.uid.as_str()), Some("a"));
    assert!(drop.get(0).is_none() && drop.get(2).is_none());
    let _: Response = scanrelay_pop3::server::replies::idle_timeout();
}
