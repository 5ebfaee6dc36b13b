//! The scripted server: sessions over plain TCP, STARTTLS and implicit TLS, and its failure
//! reports; the silent server.

use std::time::Duration;

use scanrelay_test_support::{Script, ScriptedSmtpServer, SilentServer, Step};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

use crate::client::*;

fn delivery_script() -> Vec<Step> {
    vec![
        Step::send("220 test.example ESMTP ready"),
        Step::expect("ehlo"),
        Step::send("250-test.example\n250-PIPELINING\n250 SMTPUTF8"),
        Step::expect("MAIL FROM:"),
        Step::send("250 2.1.0 OK"),
        Step::expect("RCPT TO:"),
        Step::send("250 2.1.5 OK"),
        Step::expect("DATA"),
        Step::send("354 go ahead"),
        Step::ExpectData,
        Step::send("250 2.0.0 queued"),
        Step::ExpectQuitOrClose,
    ]
}

async fn run_delivery(client: &mut Client) {
    assert_eq!(client.reply().await, ["220 test.example ESMTP ready"]);
    let ehlo = client.cmd("EHLO client.example").await;
    assert_eq!(ehlo, ["250-test.example", "250-PIPELINING", "250 SMTPUTF8"]);
    assert_eq!(
        client.cmd("MAIL FROM:<a@example.test>").await,
        ["250 2.1.0 OK"]
    );
    assert_eq!(
        client.cmd("RCPT TO:<b@example.test>").await,
        ["250 2.1.5 OK"]
    );
    assert_eq!(client.cmd("DATA").await, ["354 go ahead"]);
    client
        .send_raw(b"Subject: hi\r\n\r\n..leading dot\r\nbody\r\n.\r\n")
        .await;
    assert_eq!(client.reply().await, ["250 2.0.0 queued"]);
    assert_eq!(client.cmd("QUIT").await, ["221 2.0.0 Bye"]);
}

#[tokio::test]
async fn plain_session_records_lines_and_the_unstuffed_message() {
    let server = ScriptedSmtpServer::start(Script::new(delivery_script())).await;
    assert_eq!(server.addr().ip().to_string(), "127.0.0.1");
    let mut client = Client::connect(server.addr()).await;
    run_delivery(&mut client).await;
    let log = server.finish().await.expect("script satisfied");
    assert_eq!(
        log.received,
        [
            "EHLO client.example",
            "MAIL FROM:<a@example.test>",
            "RCPT TO:<b@example.test>",
            "DATA",
            "QUIT"
        ]
    );
    assert_eq!(
        log.messages,
        [b"Subject: hi\r\n\r\n.leading dot\r\nbody\r\n".to_vec()]
    );
    assert_eq!(log.connections, 1);
}

#[tokio::test]
async fn send_turns_newlines_into_crlf_and_send_raw_does_not() {
    let server = ScriptedSmtpServer::start(Script::new([
        Step::send("250-a\n250 b"),
        Step::send("220 already crlf\r\n"),
        Step::SendRaw(b"250 bare lf\n".to_vec()),
    ]))
    .await;
    let mut client = Client::connect(server.addr()).await;
    assert_eq!(client.raw_line().await.unwrap(), b"250-a\r\n");
    assert_eq!(client.raw_line().await.unwrap(), b"250 b\r\n");
    assert_eq!(client.raw_line().await.unwrap(), b"220 already crlf\r\n");
    assert_eq!(client.raw_line().await.unwrap(), b"250 bare lf\n");
    assert_eq!(
        client.raw_line().await,
        None,
        "the server closes after the last step"
    );
    server.finish().await.expect("script satisfied");
}

#[tokio::test]
async fn implicit_tls_session_with_the_test_ca() {
    let server =
        ScriptedSmtpServer::start(Script::new(delivery_script()).with_implicit_tls()).await;
    assert!(server.ca_pem_path().is_file());
    let config = server.pki().client_config();
    let mut client = Client::connect_tls(server.addr(), config, "127.0.0.1").await;
    run_delivery(&mut client).await;
    let log = server.finish().await.expect("script satisfied");
    assert_eq!(log.messages.len(), 1);
    assert!(
        log.transcript
            .iter()
            .any(|l| l.starts_with("-- TLS established"))
    );
}

#[tokio::test]
async fn starttls_upgrades_the_session() {
    let mut steps = vec![
        Step::send("220 test.example ESMTP"),
        Step::expect("EHLO"),
        Step::send("250-test.example\n250 STARTTLS"),
        Step::expect("STARTTLS"),
        Step::send("220 2.0.0 ready"),
        Step::StartTls,
    ];
    steps.extend(delivery_script().into_iter().skip(1));
    let server = ScriptedSmtpServer::start(Script::new(steps)).await;
    let mut client = Client::connect(server.addr()).await;
    client.reply().await;
    client.cmd("EHLO client.example").await;
    assert_eq!(client.cmd("STARTTLS").await, ["220 2.0.0 ready"]);
    let config = server.pki().client_config();
    let mut client = client.starttls(config, "localhost").await;
    let ehlo = client.cmd("EHLO client.example").await;
    assert_eq!(ehlo.last().unwrap(), "250 SMTPUTF8");
    client.cmd("MAIL FROM:<a@example.test>").await;
    client.send("QUIT").await;
    let err = server
        .finish()
        .await
        .expect_err("QUIT where RCPT TO was expected");
    assert!(
        err.contains(r#"expected a line starting with "RCPT TO:", got "QUIT""#),
        "{err}"
    );
}

// ---------------------------------------------------------------------------------------
// Scripted server: failure reports
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn a_mismatch_names_the_expected_prefix_the_line_and_the_transcript() {
    let server = ScriptedSmtpServer::start(Script::new([
        Step::send("220 ready"),
        Step::expect("EHLO"),
        Step::send("250 ok"),
        Step::expect("AUTH PLAIN "),
        Step::send("235 ok"),
    ]))
    .await;
    let mut client = Client::connect(server.addr()).await;
    client.reply().await;
    client.cmd("EHLO me").await;
    client.send("AUTH LOGIN").await;
    let err = server
        .finish()
        .await
        .expect_err("AUTH LOGIN is not AUTH PLAIN");
    assert!(err.starts_with("step 4 of 5"), "{err}");
    assert!(
        err.contains(r#"expected a line starting with "AUTH PLAIN ", got "AUTH LOGIN""#),
        "{err}"
    );
    for line in ["S: 220 ready", "C: EHLO me", "S: 250 ok", "C: AUTH LOGIN"] {
        assert!(err.contains(line), "transcript lacks {line:?}: {err}");
    }
}

#[tokio::test]
async fn an_early_eof_is_reported() {
    let server =
        ScriptedSmtpServer::start(Script::new([Step::send("220 ready"), Step::expect("EHLO")]))
            .await;
    let mut client = Client::connect(server.addr()).await;
    client.reply().await;
    client.close().await;
    let err = server.finish().await.expect_err("EOF instead of EHLO");
    assert!(err.contains("closed the connection (EOF)"), "{err}");
    assert!(err.contains("S: 220 ready"), "{err}");
}

#[tokio::test]
async fn a_silent_client_times_out() {
    let script = Script::new([Step::expect("EHLO")]).with_read_timeout(Duration::from_millis(200));
    let server = ScriptedSmtpServer::start(script).await;
    let _client = Client::connect(server.addr()).await;
    let err = server.finish().await.expect_err("nothing was sent");
    assert!(err.contains("timed out after 200ms"), "{err}");
}

#[tokio::test]
async fn a_bare_lf_command_is_reported() {
    let server = ScriptedSmtpServer::start(Script::new([Step::expect("EHLO")])).await;
    let mut client = Client::connect(server.addr()).await;
    client.send_raw(b"EHLO me\n").await;
    let err = server.finish().await.expect_err("bare LF");
    assert!(err.contains("bare LF"), "{err}");
}

#[tokio::test]
async fn bytes_pipelined_after_starttls_are_reported_as_injection() {
    let server = ScriptedSmtpServer::start(Script::new([
        Step::expect("STARTTLS"),
        Step::send("220 ready"),
        Step::StartTls,
    ]))
    .await;
    let mut client = Client::connect(server.addr()).await;
    client
        .send_raw(b"STARTTLS\r\nMAIL FROM:<evil@example.test>\r\n")
        .await;
    let err = server.finish().await.expect_err("injection");
    assert!(err.contains("command injection"), "{err}");
}

#[tokio::test]
async fn expect_quit_or_close_accepts_rset_then_quit_or_a_hangup() {
    let script = Script::new([Step::send("220 ready"), Step::ExpectQuitOrClose]);
    let server = ScriptedSmtpServer::start_multi(script, 2).await;
    let mut first = Client::connect(server.addr()).await;
    first.reply().await;
    assert_eq!(first.cmd("RSET").await, ["250 2.0.0 OK"]);
    assert_eq!(first.cmd("QUIT").await, ["221 2.0.0 Bye"]);
    let mut second = Client::connect(server.addr()).await;
    second.reply().await;
    second.close().await;
    let log = server.finish().await.expect("both endings are fine");
    assert_eq!(log.received, ["RSET", "QUIT"]);
    assert_eq!(log.connections, 2);
}

#[tokio::test]
async fn expect_quit_or_close_rejects_other_commands() {
    let server = ScriptedSmtpServer::start(Script::new([Step::ExpectQuitOrClose])).await;
    let mut client = Client::connect(server.addr()).await;
    client.send("NOOP").await;
    let err = server.finish().await.expect_err("NOOP is not QUIT");
    assert!(
        err.contains(r#"expected QUIT, RSET or the end of the connection, got "NOOP""#),
        "{err}"
    );
}

#[tokio::test]
async fn start_each_gives_each_connection_its_own_script() {
    let tempfail = Script::new([Step::send("421 4.7.0 try again later"), Step::Close]);
    let deliver = Script::new(delivery_script());
    let server = ScriptedSmtpServer::start_each(vec![tempfail, deliver]).await;
    let mut first = Client::connect(server.addr()).await;
    assert_eq!(first.reply().await, ["421 4.7.0 try again later"]);
    assert_eq!(first.raw_line().await, None);
    let mut second = Client::connect(server.addr()).await;
    run_delivery(&mut second).await;
    let log = server.finish().await.expect("both scripts satisfied");
    assert_eq!(log.connections, 2);
    assert_eq!(log.messages.len(), 1);
    assert!(contains(&log.transcript, "== connection 2 of 2 =="));
}

#[tokio::test]
async fn a_connection_that_never_comes_is_reported() {
    let script =
        Script::new([Step::send("220 ready")]).with_read_timeout(Duration::from_millis(300));
    let server = ScriptedSmtpServer::start_multi(script, 2).await;
    let mut client = Client::connect(server.addr()).await;
    client.reply().await;
    let err = server
        .finish()
        .await
        .expect_err("only one of two connections");
    assert!(
        err.contains("connection 2 of 2: no client connected within 300ms"),
        "{err}"
    );
}

#[tokio::test]
async fn silent_server_accepts_and_never_writes() {
    let server = SilentServer::start().await;
    let mut tcp = TcpStream::connect(server.addr()).await.expect("connect");
    tcp.write_all(b"\x16\x03\x01hello").await.expect("write");
    let mut byte = [0u8; 1];
    let read = timeout(Duration::from_millis(300), tcp.read(&mut byte)).await;
    assert!(read.is_err(), "the silent server must not write: {read:?}");
    assert_eq!(server.connections(), 1);
    assert_eq!(server.port(), server.addr().port());
    assert!(server.received().starts_with(b"\x16\x03"));
}

#[tokio::test]
async fn the_server_keeps_serving_while_the_test_blocks() {
    use std::io::{BufRead, BufReader, Write};
    let server = ScriptedSmtpServer::start(Script::new([
        Step::send("220 ready"),
        Step::Silent(Duration::from_millis(50)),
        Step::expect("QUIT"),
        Step::send("221 bye"),
    ]))
    .await;
    // A blocking client on the test's only runtime thread, as a child process would be.
    let tcp = std::net::TcpStream::connect(server.addr()).expect("connect");
    tcp.set_read_timeout(Some(WAIT)).expect("read timeout");
    let mut reader = BufReader::new(tcp.try_clone().expect("clone"));
    let mut line = String::new();
    reader.read_line(&mut line).expect("banner");
    assert_eq!(line, "220 ready\r\n");
    (&tcp).write_all(b"QUIT\r\n").expect("write");
    line.clear();
    reader.read_line(&mut line).expect("221");
    assert_eq!(line, "221 bye\r\n");
    server.finish().await.expect("script satisfied");
}
