//! Sessions over `tokio::io::duplex`: the server side is a few lines of test code.

use std::time::Duration;

use scanrelay_client::{ClientError, Credentials, Facts, Mechanism, Session, StepName};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, DuplexStream};

fn session(stream: DuplexStream) -> Session<DuplexStream> {
    Session::new(
        stream,
        Facts::default(),
        Duration::from_secs(15),
        "mfp.example.test",
        false,
    )
}

async fn line(r: &mut BufReader<DuplexStream>) -> String {
    let mut s = String::new();
    r.read_line(&mut s).await.expect("read");
    s
}

#[tokio::test]
async fn streams_a_message_dot_stuffed_and_records_every_step() {
    let (client, server) = tokio::io::duplex(1 << 16);
    let server = tokio::spawn(async move {
        let mut r = BufReader::new(server);
        r.get_mut().write_all(b"220 test ESMTP\r\n").await.unwrap();
        assert_eq!(line(&mut r).await, "EHLO mfp.example.test\r\n");
        r.get_mut()
            .write_all(b"250-test\r\n250-SIZE 1000\r\n250 8BITMIME\r\n")
            .await
            .unwrap();
        assert_eq!(line(&mut r).await, "MAIL FROM:<a@example.test>\r\n");
        r.get_mut().write_all(b"250 2.1.0 Ok\r\n").await.unwrap();
        assert_eq!(line(&mut r).await, "RCPT TO:<b@example.test>\r\n");
        r.get_mut().write_all(b"250 2.1.5 Ok\r\n").await.unwrap();
        assert_eq!(line(&mut r).await, "DATA\r\n");
        r.get_mut().write_all(b"354 go\r\n").await.unwrap();
        let mut body = Vec::new();
        loop {
            let l = line(&mut r).await;
            body.extend_from_slice(l.as_bytes());
            if l == ".\r\n" {
                break;
            }
        }
        r.get_mut()
            .write_all(b"250 2.0.0 queued\r\n")
            .await
            .unwrap();
        body
    });
    let mut s = session(client);
    s.banner().await.unwrap();
    let ehlo = s.ehlo().await.unwrap();
    assert_eq!(ehlo.size_limit(), Some(1000));
    s.mail("a@example.test", &[]).await.unwrap();
    s.rcpt("b@example.test").await.unwrap();
    let reply = s
        .data(&b"Subject: x\n\n.leading dot\nend"[..])
        .await
        .unwrap();
    assert_eq!(reply.code, 250);
    let body = server.await.unwrap();
    assert_eq!(body, b"Subject: x\r\n\r\n..leading dot\r\nend\r\n.\r\n");
    let steps: Vec<StepName> = s.facts().steps.iter().map(|s| s.step).collect();
    assert_eq!(
        steps,
        [
            StepName::Banner,
            StepName::Ehlo,
            StepName::Mail,
            StepName::Rcpt,
            StepName::Data
        ]
    );
    let data = &s.facts().steps[4];
    assert_eq!(data.sent, ["DATA", "<message: 28 bytes>", "."]);
    assert_eq!(data.received, ["354 go", "250 2.0.0 queued"]);
}

#[tokio::test(start_paused = true)]
async fn a_silent_server_times_out_on_the_paused_clock() {
    let (client, _server) = tokio::io::duplex(1024);
    let started = std::time::Instant::now();
    let mut s = session(client);
    let err = s.banner().await.unwrap_err();
    assert!(
        matches!(
            err,
            ClientError::Timeout {
                step: StepName::Banner,
                secs: 15
            }
        ),
        "{err}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "no real waiting"
    );
    assert!(!s.facts().steps[0].ok);
}

#[tokio::test]
async fn a_long_oauth_token_is_sent_after_an_empty_334() {
    let (client, server) = tokio::io::duplex(1 << 16);
    let token = "t".repeat(700);
    let server = tokio::spawn(async move {
        let mut r = BufReader::new(server);
        r.get_mut().write_all(b"220 x\r\n").await.unwrap();
        line(&mut r).await;
        r.get_mut()
            .write_all(b"250-x\r\n250 AUTH XOAUTH2\r\n")
            .await
            .unwrap();
        let auth = line(&mut r).await;
        r.get_mut().write_all(b"334 \r\n").await.unwrap();
        let blob = line(&mut r).await;
        r.get_mut().write_all(b"235 2.7.0 ok\r\n").await.unwrap();
        (auth, blob)
    });
    let mut s = session(client);
    s.banner().await.unwrap();
    s.ehlo().await.unwrap();
    let creds = Credentials::Token {
        user: "u@example.test".into(),
        token: token.clone(),
    };
    let mech = s.auth(&creds, None, ("example.test", 587)).await.unwrap();
    assert_eq!(mech, Mechanism::XOAuth2);
    let (auth, blob) = server.await.unwrap();
    assert_eq!(
        auth, "AUTH XOAUTH2\r\n",
        "no initial response on a line that would pass 512 octets"
    );
    assert!(blob.len() > 900);
    let step = &s.facts().steps[2];
    assert_eq!(step.sent, ["AUTH XOAUTH2", "<redacted>"]);
}

#[tokio::test]
async fn addresses_with_line_breaks_are_refused_before_sending() {
    let (client, mut server) = tokio::io::duplex(1024);
    let mut s = session(client);
    let err = s.mail("a@x\r\nRCPT TO:<victim@y>", &[]).await.unwrap_err();
    assert!(matches!(err, ClientError::InvalidAddress(_)), "{err}");
    drop(s);
    let mut rest = Vec::new();
    server.read_to_end(&mut rest).await.unwrap();
    assert!(rest.is_empty(), "nothing was written: {rest:?}");
}

#[tokio::test(start_paused = true)]
async fn a_server_trickling_its_reply_is_cut_off_at_the_timeout() {
    let (client, mut server) = tokio::io::duplex(1024);
    tokio::spawn(async move {
        for b in b"220 slow server that never finishes its line" {
            if server.write_all(&[*b]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
    let mut s = session(client);
    let err = s.banner().await.unwrap_err();
    assert!(
        matches!(
            err,
            ClientError::Timeout {
                step: StepName::Banner,
                ..
            }
        ),
        "{err}"
    );
}

#[tokio::test]
async fn a_250_to_data_is_not_taken_as_go_ahead() {
    let (client, server) = tokio::io::duplex(1 << 16);
    tokio::spawn(async move {
        let mut r = BufReader::new(server);
        r.get_mut().write_all(b"220 x\r\n").await.unwrap();
        assert!(line(&mut r).await.starts_with("MAIL"));
        r.get_mut().write_all(b"250 ok\r\n").await.unwrap();
        assert!(line(&mut r).await.starts_with("RCPT"));
        r.get_mut().write_all(b"250 ok\r\n").await.unwrap();
        assert!(line(&mut r).await.starts_with("DATA"));
        r.get_mut().write_all(b"250 whatever\r\n").await.unwrap();
        let _ = line(&mut r).await;
    });
    let mut s = session(client);
    s.banner().await.unwrap();
    s.mail("a@x", &[]).await.unwrap();
    s.rcpt("b@y").await.unwrap();
    let err = s.data(&b"hello"[..]).await.unwrap_err();
    assert!(
        matches!(
            err,
            ClientError::Rejected {
                step: StepName::Data,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(
        s.facts().steps.last().unwrap().sent,
        ["DATA"],
        "the body was not sent"
    );
}
