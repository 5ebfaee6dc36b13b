//! The driver and `fetch_once` over an in-process scripted server, for what a real server does
//! not do on demand: a body in tiny pieces with dot-stuffing, a connection lost in the middle
//! of a message, `[IN-USE]`.

use std::time::Duration;

use scanrelay_client::TlsMode;
use scanrelay_pop3_client::diagnosis::{cause_of, exit_status};
use scanrelay_pop3_client::mailbox::files::OutDir;
use scanrelay_pop3_client::{
    Connection, FetchError, FetchOptions, Pop3Error, Session, Transcript, fetch_once,
};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, DuplexStream};

/// Answers each command line starting with `expect` with `reply` (sent in 7-byte pieces); a
/// `None` reply closes the connection after sending `partial`.
async fn serve(stream: DuplexStream, script: Vec<(&'static str, Option<String>, &'static str)>) {
    let (read, mut write) = tokio::io::split(stream);
    let mut lines = BufReader::new(read).lines();
    write.write_all(b"+OK ready\r\n").await.unwrap();
    for (expect, reply, partial) in script {
        let line = lines.next_line().await.unwrap().unwrap_or_default();
        assert!(line.starts_with(expect), "expected {expect}, got {line}");
        let Some(reply) = reply else {
            write.write_all(partial.as_bytes()).await.unwrap();
            return;
        };
        for piece in reply.as_bytes().chunks(7) {
            write.write_all(piece).await.unwrap();
            write.flush().await.unwrap();
        }
    }
}

async fn logged_in(script: Vec<(&'static str, Option<String>, &'static str)>) -> Connection {
    let (client, server) = tokio::io::duplex(64);
    tokio::spawn(serve(server, script));
    let stream: Box<dyn scanrelay_pop3_client::connect::AsyncStream> = Box::new(client);
    let mut session = Session::new(stream, Transcript::default(), Duration::from_secs(5), true);
    session.greeting().await.expect("greeting");
    session.user_pass("u", "secret-pw").await.expect("login");
    session
}

fn ok(s: &str) -> Option<String> {
    Some(s.to_string())
}

fn options() -> FetchOptions {
    FetchOptions {
        account: "u@test".into(),
        delete: true,
    }
}

/// `fetch_once` into a fresh output directory (kept alive with the result).
async fn fetch_into_tmp(
    session: &mut Connection,
) -> (
    tempfile::TempDir,
    Result<scanrelay_pop3_client::FetchReport, FetchError>,
) {
    let tmp = tempfile::tempdir().unwrap();
    let out = OutDir::prepare(tmp.path()).unwrap();
    let result = fetch_once(session, &out, &options()).await;
    (tmp, result)
}

#[tokio::test]
async fn a_body_in_pieces_is_unstuffed_saved_and_then_deleted() {
    let mut session = logged_in(vec![
        ("USER", ok("+OK\r\n"), ""),
        ("PASS", ok("+OK\r\n"), ""),
        ("UIDL", ok("+OK\r\n1 uid-1\r\n.\r\n"), ""),
        (
            "RETR 1",
            ok("+OK\r\nSubject: x\r\n\r\n..dot line\r\nend\r\n.\r\n"),
            "",
        ),
        ("DELE 1", ok("+OK\r\n"), ""),
        ("QUIT", ok("+OK bye\r\n"), ""),
    ])
    .await;
    let (tmp, report) = fetch_into_tmp(&mut session).await;
    let report = report.expect("fetch");
    assert_eq!(report.saved.len(), 1);
    assert_eq!(report.deleted, 1);
    let saved = std::fs::read(tmp.path().join("messages/uid-1.eml")).unwrap();
    assert_eq!(saved, b"Subject: x\r\n\r\n.dot line\r\nend\r\n");
    let log = format!("{:?}", session.transcript());
    assert!(!log.contains("secret-pw"), "the password is redacted");
}

#[tokio::test]
async fn a_connection_lost_mid_message_leaves_no_file_and_no_dele() {
    let mut session = logged_in(vec![
        ("USER", ok("+OK\r\n"), ""),
        ("PASS", ok("+OK\r\n"), ""),
        ("UIDL", ok("+OK\r\n1 a\r\n2 b\r\n.\r\n"), ""),
        ("RETR 1", ok("+OK\r\nSubject: 1\r\n\r\none\r\n.\r\n"), ""),
        ("DELE 1", ok("+OK\r\n"), ""),
        ("RETR 2", None, "+OK\r\nSubject: 2\r\n\r\nhalf of it"),
    ])
    .await;
    let (tmp, err) = fetch_into_tmp(&mut session).await;
    let err = err.unwrap_err();
    assert!(
        matches!(err, FetchError::Server(Pop3Error::Closed { .. })),
        "{err:?}"
    );
    assert!(tmp.path().join("messages/a.eml").exists());
    assert!(!tmp.path().join("messages/b.eml").exists());
    let tmp_files = std::fs::read_dir(tmp.path().join(".scanrelay-fetch/tmp"))
        .unwrap()
        .count();
    assert_eq!(
        tmp_files, 0,
        "the partial message's temporary file is removed"
    );
    let state = std::fs::read_to_string(tmp.path().join(".scanrelay-fetch/state.json")).unwrap();
    assert!(
        state.contains("\"a\"") && !state.contains("\"b\""),
        "{state}"
    );
    assert!(err.is_transient());
}

#[tokio::test]
async fn a_locked_mailbox_is_its_own_cause() {
    let (client, server) = tokio::io::duplex(64);
    tokio::spawn(serve(
        server,
        vec![
            ("USER", ok("+OK\r\n"), ""),
            ("PASS", ok("-ERR [IN-USE] Mailbox is locked\r\n"), ""),
        ],
    ));
    let mut session = Session::new(client, Transcript::default(), Duration::from_secs(5), true);
    session.greeting().await.unwrap();
    let err = session.user_pass("u", "p").await.unwrap_err();
    let cause = cause_of(&err, TlsMode::Implicit, false);
    assert_eq!(cause.as_str(), "pop.mailbox_in_use");
    assert!(err.is_transient());
    assert_eq!(exit_status(cause, err.step()), 14);
    assert_eq!(
        err.to_string(),
        "the server refused auth: -ERR [IN-USE] Mailbox is locked"
    );
}

#[tokio::test]
async fn a_server_without_uidl_is_refused_before_anything_is_fetched() {
    let mut session = logged_in(vec![
        ("USER", ok("+OK\r\n"), ""),
        ("PASS", ok("+OK\r\n"), ""),
        ("UIDL", ok("-ERR not supported\r\n"), ""),
    ])
    .await;
    let (_tmp, err) = fetch_into_tmp(&mut session).await;
    let err = err.unwrap_err();
    assert!(
        matches!(err, FetchError::Server(Pop3Error::UidlUnsupported)),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_second_fetch_into_a_locked_directory_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let _first = OutDir::prepare(tmp.path()).unwrap();
    let second = OutDir::prepare(tmp.path()).unwrap_err();
    assert!(matches!(second, FetchError::Locked { .. }), "{second:?}");
}
