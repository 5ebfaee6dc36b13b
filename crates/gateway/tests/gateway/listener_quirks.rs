//! Regression tests named after what real devices send, over raw TCP because swaks, curl and
//! smtplib are too well-behaved to produce these byte sequences.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;

use crate::listener_support::*;

/// A gateway where loopback must authenticate (plaintext AUTH allowed, as for old devices).
async fn auth_gateway() -> TestGateway {
    TestGateway::start(|s| {
        s.listen.allow_networks = vec!["10.0.0.0/8".parse().unwrap()];
        s.listen.allow_plaintext_auth = true;
        s.devices = vec![device("mfp-3f", "pw-3f")];
    })
    .await
}

fn b64(text: &str) -> String {
    B64.encode(text)
}

/// Sends MAIL/RCPT/DATA/content/. after authentication and expects it queued.
async fn send_after_auth(c: &mut Raw<tokio::net::TcpStream>) {
    expect_code(&c.cmd("MAIL FROM:<scan@mfp.test>").await, "250");
    expect_code(&c.cmd("RCPT TO:<office@example.test>").await, "250");
    expect_code(&c.cmd("DATA").await, "354");
    c.send("Subject: s\r\n\r\nbody\r\n").await;
    expect_code(&c.cmd(".").await, "250 2.0.0 OK: queued as ");
}

#[tokio::test]
async fn helo_client_may_still_auth() {
    let t = auth_gateway().await;
    let mut c = Raw::connect(t.smtp()).await;
    expect_code(&c.reply().await, "220");
    expect_code(&c.cmd("HELO old-mfp").await, "250");
    let plain = b64("\0mfp-3f\0pw-3f");
    expect_code(&c.cmd(&format!("AUTH PLAIN {plain}")).await, "235 2.7.0");
    send_after_auth(&mut c).await;
    let (entry, _) = t.only_message().await;
    assert_eq!(entry.envelope.helo, "old-mfp");
    assert_eq!(entry.envelope.auth_user.as_deref(), Some("mfp-3f"));
}

#[tokio::test]
async fn lower_case_verbs() {
    let t = TestGateway::start(|_| {}).await;
    let mut c = Raw::connect(t.smtp()).await;
    expect_code(&c.reply().await, "220");
    expect_code(&c.cmd("ehlo mfp").await, "250");
    expect_code(&c.cmd("mail from:<scan@mfp.test>").await, "250");
    expect_code(&c.cmd("rcpt to:<office@example.test>").await, "250");
    expect_code(&c.cmd("data").await, "354");
    c.send("Subject: lower\r\n\r\nbody\r\n").await;
    expect_code(&c.cmd(".").await, "250");
    expect_code(&c.cmd("quit").await, "221");
    t.only_message().await;
}

#[tokio::test]
async fn auth_login_with_user_name_inline() {
    let t = auth_gateway().await;
    let mut c = Raw::connect(t.smtp()).await;
    expect_code(&c.reply().await, "220");
    expect_code(&c.cmd("EHLO mfp").await, "250");
    let reply = c.cmd(&format!("AUTH LOGIN {}", b64("mfp-3f"))).await;
    assert_eq!(reply, "334 UGFzc3dvcmQ6\r\n");
    expect_code(&c.cmd(&b64("pw-3f")).await, "235");
    send_after_auth(&mut c).await;
}

#[tokio::test]
async fn auth_login_prompts_are_exactly_username_and_password() {
    // Some Xerox devices quit on any other prompt text.
    let t = auth_gateway().await;
    let mut c = Raw::connect(t.smtp()).await;
    expect_code(&c.reply().await, "220");
    let ehlo = c.cmd("EHLO mfp").await;
    assert!(ehlo.contains("AUTH PLAIN LOGIN CRAM-MD5"), "{ehlo}");
    assert_eq!(c.cmd("AUTH LOGIN").await, "334 VXNlcm5hbWU6\r\n");
    assert_eq!(c.cmd(&b64("mfp-3f")).await, "334 UGFzc3dvcmQ6\r\n");
    expect_code(&c.cmd(&b64("pw-3f")).await, "235");
}

#[tokio::test]
async fn auth_cram_md5() {
    use hmac_md5::digest;
    let t = auth_gateway().await;
    let mut c = Raw::connect(t.smtp()).await;
    expect_code(&c.reply().await, "220");
    expect_code(&c.cmd("EHLO mfp").await, "250");
    let challenge = c.cmd("AUTH CRAM-MD5").await;
    let challenge = B64.decode(challenge.trim_end()[4..].trim()).unwrap();
    let answer = format!("mfp-3f {}", digest("pw-3f", &challenge));
    expect_code(&c.cmd(&b64(&answer)).await, "235");
}

#[tokio::test]
async fn mail_from_without_angle_brackets() {
    let t = TestGateway::start(|_| {}).await;
    let mut c = Raw::connect(t.smtp()).await;
    expect_code(&c.reply().await, "220");
    expect_code(&c.cmd("EHLO mfp").await, "250");
    expect_code(&c.cmd("MAIL FROM:scan@mfp.test").await, "250");
    expect_code(&c.cmd("RCPT TO:office@example.test").await, "250");
    expect_code(&c.cmd("DATA").await, "354");
    c.send("Subject: s\r\n\r\nbody\r\n").await;
    expect_code(&c.cmd(".").await, "250");
    let (entry, _) = t.only_message().await;
    assert_eq!(entry.envelope.mail_from, "scan@mfp.test");
    assert_eq!(entry.envelope.rcpt_to, ["office@example.test"]);
}

#[tokio::test]
async fn bare_lf_line_endings_through_a_whole_session() {
    let t = TestGateway::start(|_| {}).await;
    let mut c = Raw::connect(t.smtp()).await;
    expect_code(&c.reply().await, "220");
    c.send("EHLO mfp\n").await;
    expect_code(&c.reply().await, "250");
    c.send("MAIL FROM:<scan@mfp.test>\n").await;
    expect_code(&c.reply().await, "250");
    c.send("RCPT TO:<office@example.test>\n").await;
    expect_code(&c.reply().await, "250");
    c.send("DATA\n").await;
    expect_code(&c.reply().await, "354");
    c.send("Subject: lf\nFrom: <scan@mfp.test>\nDate: Tue, 02 Jan 2024 15:04:05 +0000\nMessage-ID: <1@mfp>\n\nline one\n..dotted\n.\n")
        .await;
    expect_code(&c.reply().await, "250");
    c.send("QUIT\n").await;
    expect_code(&c.reply().await, "221");
    let (_, body) = t.only_message().await;
    let want = "Subject: lf\r\nFrom: <scan@mfp.test>\r\nDate: Tue, 02 Jan 2024 15:04:05 +0000\r\nMessage-ID: <1@mfp>\r\n\r\nline one\r\n.dotted\r\n";
    assert_eq!(String::from_utf8_lossy(without_received(&body)), want);
}

#[tokio::test]
async fn missing_from_date_and_message_id_are_added() {
    let t = TestGateway::start(|_| {}).await;
    let mut c = Raw::connect(t.smtp()).await;
    let reply = c
        .send_mail(
            "scan@mfp.test",
            &["office@example.test"],
            "Subject: bare scan\r\n\r\nbody\r\n",
        )
        .await;
    expect_code(&reply, "250");
    let (_, body) = t.only_message().await;
    let text = String::from_utf8(without_received(&body).to_vec()).unwrap();
    let (headers, rest) = text.split_once("\r\n\r\n").unwrap();
    assert_eq!(rest, "body\r\n");
    let lines: Vec<&str> = headers.split("\r\n").collect();
    assert_eq!(lines[0], "Subject: bare scan");
    assert_eq!(lines[1], "From: <scan@mfp.test>");
    assert!(
        lines[2].starts_with("Date: ") && lines[2].ends_with(" +0000"),
        "{}",
        lines[2]
    );
    assert!(
        lines[3].starts_with("Message-ID: <") && lines[3].ends_with("@gw.test>"),
        "{}",
        lines[3]
    );
    assert_eq!(lines.len(), 4);
}

#[tokio::test]
async fn bcc_recipient_is_only_in_the_envelope() {
    let t = TestGateway::start(|_| {}).await;
    let mut c = Raw::connect(t.smtp()).await;
    let content =
        "From: <scan@mfp.test>\r\nTo: <office@example.test>\r\nSubject: s\r\n\r\nbody\r\n";
    let reply = c
        .send_mail(
            "scan@mfp.test",
            &["office@example.test", "boss@example.test"],
            content,
        )
        .await;
    expect_code(&reply, "250");
    let (entry, body) = t.only_message().await;
    assert_eq!(
        entry.envelope.rcpt_to,
        ["office@example.test", "boss@example.test"]
    );
    assert!(
        !String::from_utf8_lossy(&body).contains("boss@"),
        "Bcc leaked into headers"
    );
}

#[tokio::test]
async fn smuggled_lf_dot_lf_does_not_end_the_message() {
    let t = TestGateway::start(|_| {}).await;
    let mut c = Raw::connect(t.smtp()).await;
    let content =
        "Subject: a\r\n\r\nbefore\n.\nMAIL FROM:<evil@x.test>\r\nRCPT TO:<victim@y.test>\r\n";
    let reply = c
        .send_mail("scan@mfp.test", &["office@example.test"], content)
        .await;
    expect_code(&reply, "250");
    expect_code(&c.cmd("QUIT").await, "221");
    let (entry, body) = t.only_message().await;
    assert_eq!(entry.envelope.rcpt_to, ["office@example.test"]);
    let text = String::from_utf8_lossy(&body);
    assert!(text.contains("MAIL FROM:<evil@x.test>\r\n"), "{text}");
    assert!(!text.contains("\n.\n"), "a bare LF.LF survived: {text:?}");
}

#[tokio::test]
async fn pipelined_transaction_in_one_write() {
    let t = TestGateway::start(|_| {}).await;
    let mut c = Raw::connect(t.smtp()).await;
    expect_code(&c.reply().await, "220");
    expect_code(&c.cmd("EHLO mfp").await, "250");
    c.send("MAIL FROM:<a@mfp.test>\r\nRCPT TO:<b@example.test>\r\nDATA\r\n")
        .await;
    expect_code(&c.reply().await, "250");
    expect_code(&c.reply().await, "250");
    expect_code(&c.reply().await, "354");
    c.send("Subject: p\r\n\r\nx\r\n.\r\nQUIT\r\n").await;
    expect_code(&c.reply().await, "250");
    expect_code(&c.reply().await, "221");
    t.only_message().await;
}

/// HMAC-MD5 for the CRAM-MD5 test, from the proto crate's client side.
mod hmac_md5 {
    use scanrelay_proto::Command;
    use scanrelay_proto::sasl::{Credentials, Mechanism, SaslClient};

    /// `hex(HMAC-MD5(password, challenge))` via the client state machine.
    pub fn digest(password: &str, challenge: &[u8]) -> String {
        use base64::Engine as _;
        let creds = Credentials::Password {
            user: "x".into(),
            password: password.into(),
        };
        let mut client = SaslClient::new(Mechanism::CramMd5, creds).unwrap();
        client.start();
        let encoded = base64::engine::general_purpose::STANDARD.encode(challenge);
        let Command::AuthResponse(line) = client.respond(&encoded).unwrap() else {
            panic!("expected a response line");
        };
        let raw = base64::engine::general_purpose::STANDARD
            .decode(line)
            .unwrap();
        String::from_utf8(raw)
            .unwrap()
            .split_once(' ')
            .unwrap()
            .1
            .to_string()
    }
}

/// Routing at acceptance (issue 7, item 7): the upstream a message leaves through is chosen
/// from the device account, the client's network and the envelope sender, and stored in its
/// envelope, so a config change later does not move mail already queued.
#[tokio::test]
async fn the_route_is_chosen_at_acceptance_and_stored_in_the_envelope() {
    use scanrelay_gateway::routing::{RouteRule, Router};
    let t = TestGateway::start(|s| {
        s.routing = Router {
            devices: Vec::new(),
            rules: vec![
                RouteRule {
                    networks: Vec::new(),
                    senders: vec!["*@sales.example".into()],
                    upstream: "sales".into(),
                },
                RouteRule {
                    networks: vec!["127.0.0.0/8".parse().unwrap()],
                    senders: Vec::new(),
                    upstream: "office".into(),
                },
            ],
        };
    })
    .await;
    for from in ["kim@sales.example", "lee@hr.example"] {
        let mut c = Raw::connect(t.smtp()).await;
        let reply = c
            .send_mail(from, &["office@example.test"], "Subject: s\r\n\r\nx\r\n")
            .await;
        expect_code(&reply, "250");
    }
    let mut routes: Vec<(String, Option<String>)> = t
        .messages()
        .await
        .into_iter()
        .map(|(e, _)| (e.envelope.mail_from, e.envelope.route))
        .collect();
    routes.sort();
    assert_eq!(
        routes,
        [
            ("kim@sales.example".to_string(), Some("sales".to_string())),
            ("lee@hr.example".to_string(), Some("office".to_string())),
        ]
    );
}
