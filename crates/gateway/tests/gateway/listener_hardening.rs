//! Regressions for the minor findings of the attack run (issue 6, item 11): client text in the
//! log, and header lines longer than RFC 5322 allows.

use std::net::SocketAddr;

use tokio::io::DuplexStream;

use crate::listener_support::*;
use crate::log_capture::Logs;

fn peer(text: &str) -> SocketAddr {
    text.parse().unwrap()
}

/// A client at `from` past EHLO.
async fn client(t: &TestGateway, from: &str) -> Raw<DuplexStream> {
    let mut c = Raw::new(t.gw.connect_in_memory(peer(from), false));
    expect_code(&c.reply().await, "220");
    expect_code(&c.cmd("EHLO mfp").await, "250");
    c
}

/// Sends one message (`content` without the final dot); returns the reply to the dot.
async fn send(c: &mut Raw<DuplexStream>, from: &str, to: &str, content: &str) -> String {
    expect_code(&c.cmd(&format!("MAIL FROM:<{from}>")).await, "250");
    expect_code(&c.cmd(&format!("RCPT TO:<{to}>")).await, "250");
    expect_code(&c.cmd("DATA").await, "354");
    c.send(content).await;
    c.cmd(".").await
}

/// The `name=value` fields of a captured log line, read as a logfmt reader reads them: a value
/// that starts with `"` runs to the closing unescaped `"` (backslash escapes undone), any other
/// runs to the next blank. Words without `=` (the level) are skipped.
fn fields(line: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = line.trim_start();
    while !rest.is_empty() {
        let word_end = rest.find([' ', '=']).unwrap_or(rest.len());
        let (name, after) = rest.split_at(word_end);
        let Some(after) = after.strip_prefix('=') else {
            rest = after.trim_start();
            continue;
        };
        let (value, tail) = if let Some(quoted) = after.strip_prefix('"') {
            let (mut value, mut chars, mut end) = (String::new(), quoted.char_indices(), None);
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => value.extend(chars.next().map(|(_, c)| c)),
                    '"' => {
                        end = Some(i + 1);
                        break;
                    }
                    c => value.push(c),
                }
            }
            (value, &quoted[end.unwrap_or(quoted.len())..])
        } else {
            let end = after.find(' ').unwrap_or(after.len());
            (after[..end].to_string(), &after[end..])
        };
        out.push((name.to_string(), value));
        rest = tail.trim_start();
    }
    out
}

/// Regression (issue 6, item 11, minor): recipients and other client text went into the log
/// unescaped, so a quoted local part could forge fields (`code=250 relay=accepted`).
#[tokio::test(start_paused = true)]
async fn client_text_in_the_log_cannot_forge_fields() {
    let logs = Logs::start();
    let t = TestGateway::start(|s| s.devices = vec![device("mfp-3f", "pw-3f")]).await;
    let forged = "\"x code=250 relay=accepted\"@example.test";

    let mut outsider = client(&t, "203.0.113.9:1").await;
    expect_code(&outsider.cmd("MAIL FROM:<a@evil.test>").await, "250");
    expect_code(&outsider.cmd(&format!("RCPT TO:<{forged}>")).await, "530");
    let mut device = client(&t, "127.0.0.1:1").await;
    let reply = send(
        &mut device,
        forged,
        "boss@example.com",
        "Subject: s\r\n\r\nx\r\n",
    )
    .await;
    expect_code(&reply, "250");

    let text = logs.text();
    // (message, the fields its line must have, exactly, in order)
    let cases = [
        ("relay refused", &["rcpt", "code"][..], "rcpt"),
        ("queued", &["id", "from", "rcpts", "size"][..], "from"),
    ];
    for (message, names, client_field) in cases {
        let prefix = format!("message={message} ");
        let line = text
            .lines()
            .find_map(|l| l.split_once(' ').and_then(|(_, l)| l.strip_prefix(&prefix)))
            .unwrap_or_else(|| panic!("no {message:?} line in:\n{text}"));
        let read = fields(line);
        let got: Vec<&str> = read.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(got, names, "{line}");
        let value = read.iter().find(|(n, _)| n == client_field).unwrap();
        assert_eq!(value.1, forged, "{line}");
    }
}

/// Every header line of a stored message, without its CRLF.
fn header_lines(body: &[u8]) -> Vec<&[u8]> {
    let end = body.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    body[..end].split(|&b| b == b'\n').collect()
}

/// Regression (issue 6, item 11, minor): header lines over 998 octets were relayed as they
/// were and then refused by the provider. Now they are folded at whitespace (the unfolded
/// field is unchanged), or, when there is no whitespace to fold at, the message is refused
/// with `554 5.6.0` at the end of DATA and nothing is queued.
#[tokio::test]
async fn header_lines_over_998_octets_are_folded_or_refused() {
    let t = TestGateway::start(|_| {}).await;
    let mut c = client(&t, "127.0.0.1:1").await;
    let words: Vec<String> = (0..300).map(|i| format!("page{i}")).collect();
    let subject = format!("Subject: {}", words.join(" "));
    assert!(subject.len() > 1500);
    let content = format!("{subject}\r\nFrom: a@office.lan\r\n\r\nscan\r\n");
    let reply = send(&mut c, "a@office.lan", "boss@example.com", &content).await;
    expect_code(&reply, "250");
    let (_, body) = t.only_message().await;
    let lines = header_lines(&body);
    assert!(
        lines.iter().all(|l| l.len() <= 999),
        "a line over 998 octets was stored"
    );
    let stored = String::from_utf8_lossy(&body).replace("\r\n ", " ");
    assert!(
        stored.contains(&format!("{subject}\r\n")),
        "unfolded subject differs"
    );

    let blob = format!("X-Scan-Id: {}", "Q".repeat(1200));
    let content = format!("Subject: s\r\n{blob}\r\n\r\nscan\r\n");
    let reply = send(&mut c, "a@office.lan", "boss@example.com", &content).await;
    expect_code(&reply, "554 5.6.0");
    assert!(reply.contains("998"), "{reply}");
    assert_eq!(
        t.messages().await.len(),
        1,
        "the refused message was queued"
    );
    tokio::task::yield_now().await;
    assert_eq!(t.tmp_files(), 0);
    // The session goes on: the next message is accepted.
    let reply = send(
        &mut c,
        "a@office.lan",
        "boss@example.com",
        "Subject: ok\r\n\r\nx\r\n",
    )
    .await;
    expect_code(&reply, "250");
}

/// Regression (issue 7, item 0): when the scheduler's supervisor gave up, the listener kept
/// answering `250`, accepting mail that nothing would deliver. Now MAIL FROM gets
/// `451 4.3.2` (the device keeps the scan and tries again later), nothing is queued, and the
/// refusals are counted. A transaction already past MAIL is refused at the end of data.
#[tokio::test]
async fn when_delivery_has_stopped_new_mail_is_refused_not_accepted() {
    let t = TestGateway::start(|_| {}).await;
    let mut client = Raw::connect(t.smtp()).await;
    expect_code(&client.reply().await, "220");
    expect_code(&client.cmd("EHLO mfp.test").await, "250");
    expect_code(&client.cmd("MAIL FROM:<scan@mfp.test>").await, "250");
    expect_code(&client.cmd("RCPT TO:<office@example.test>").await, "250");
    t.gw.health().mark_stopped_for_tests();
    expect_code(&client.cmd("DATA").await, "354");
    let reply = client.cmd("Subject: x\r\n\r\nbody\r\n.").await;
    assert!(reply.starts_with("451 4.3.2"), "{reply}");
    let reply = client.cmd("MAIL FROM:<scan@mfp.test>").await;
    assert!(reply.starts_with("451 4.3.2"), "{reply}");
    assert!(reply.contains("Delivery is stopped"), "{reply}");
    assert!(t.messages().await.is_empty(), "nothing queued");
    assert_eq!(t.tmp_files(), 0, "the partial message was dropped");
    assert_eq!(t.gw.health().refusals(), 2);
}
