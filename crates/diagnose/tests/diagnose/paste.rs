//! Paste forms: what users copy from device logs, Python, Node.js and Java.

use scanrelay_diagnose::{ReplyFacts, parse_pasted};

const GMAIL_TEXT: &str = "Username and Password not accepted. Learn more at\n\
    https://support.google.com/mail/?p=BadCredentials i5sm8565805wrv.34 - gsmtp";

fn gmail_535() -> ReplyFacts {
    ReplyFacts::new(535, Some("5.7.8"), GMAIL_TEXT)
}

/// The same Gmail reply as users paste it; `{L1}` and `{URL}` stand for its two lines.
const GMAIL_FORMS: &[(&str, &str)] = &[
    ("multi-line", "535-5.7.8 {L1}\n535 5.7.8  {URL}"),
    ("CRLF", "535-5.7.8 {L1}\r\n535 5.7.8  {URL}\r\n"),
    ("flattened", "535-5.7.8 {L1} 535 5.7.8  {URL}"),
    ("literal \\n", "535-5.7.8 {L1}\\n535 5.7.8  {URL}"),
    ("literal \\r\\n", "535-5.7.8 {L1}\\r\\n535 5.7.8  {URL}"),
    (
        "python smtplib",
        "smtplib.SMTPAuthenticationError: (535, b'5.7.8 {L1}\\n5.7.8  {URL}')",
    ),
    (
        "nodemailer",
        "Error: Invalid login: 535-5.7.8 {L1}\n535 5.7.8  {URL}",
    ),
    (
        "nodemailer dump",
        "Error: Invalid login: 535-5.7.8 {L1}\n535 5.7.8  {URL}\n    at SMTPConnection._formatError \
         (/app/node_modules/nodemailer/lib/smtp-connection/index.js:787:19) {\n  code: 'EAUTH',\n  \
         response: '535-5.7.8 {L1}\\n535 5.7.8  {URL}',\n  responseCode: 535,\n  command: 'AUTH \
         PLAIN'\n}",
    ),
    (
        "nodemailer response field",
        "  response: '535-5.7.8 {L1}\\n535 5.7.8  {URL}',\n  responseCode: 535,",
    ),
    (
        "jakarta",
        "javax.mail.AuthenticationFailedException: 535-5.7.8 {L1}\n535 5.7.8  {URL}\n\n\tat \
         com.sun.mail.smtp.SMTPTransport$Authenticator.authenticate(SMTPTransport.java:965)",
    ),
    ("go textproto", "535 5.7.8 {L1}\n5.7.8  {URL}"),
    ("quoted", "  \"535-5.7.8 {L1}\\n535 5.7.8  {URL}\"  "),
    (
        "transcript",
        "S: 220 smtp.gmail.com ESMTP x - gsmtp\nC: EHLO scanner\nS: 250-smtp.gmail.com at your \
         service\nS: 250 SMTPUTF8\nC: AUTH LOGIN\nS: 535-5.7.8 {L1}\nS: 535 5.7.8  {URL}\nC: QUIT",
    ),
];

#[test]
fn forms_of_the_same_gmail_reply() {
    let line1 = "Username and Password not accepted. Learn more at";
    let url = "https://support.google.com/mail/?p=BadCredentials i5sm8565805wrv.34 - gsmtp";
    for (form, template) in GMAIL_FORMS {
        let input = template.replace("{L1}", line1).replace("{URL}", url);
        assert_eq!(
            parse_pasted(&input),
            Some(gmail_535()),
            "form: {form}\ninput: {input}"
        );
    }
}

/// (form, input, code, enhanced code, text)
const OTHER_FORMS: &[(&str, &str, u16, Option<&str>, &str)] = &[
    (
        "google flattened",
        "530-5.7.0 Authentication Required. Learn more at 530 5.7.0 https://support.google.com/mail/?p=WantAuthError j5 - gsmtp",
        530,
        Some("5.7.0"),
        "Authentication Required. Learn more at\nhttps://support.google.com/mail/?p=WantAuthError j5 - gsmtp",
    ),
    (
        "jakarta send failed",
        "com.sun.mail.smtp.SMTPSendFailedException: 554 5.2.0 STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied; Cannot submit message.\n\n\tat com.sun.mail.smtp.SMTPTransport.issueSendCommand(SMTPTransport.java:2374)",
        554,
        Some("5.2.0"),
        "STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied; Cannot submit message.",
    ),
    (
        "python recipients refused",
        "smtplib.SMTPRecipientsRefused: {'nobody@example.com': (550, b'5.1.1 The email account that you tried to reach does not exist.')}",
        550,
        Some("5.1.1"),
        "The email account that you tried to reach does not exist.",
    ),
    (
        "python double-quoted bytes",
        "(550, b\"5.7.1 The IP address you've registered is not allowed\")",
        550,
        Some("5.7.1"),
        "The IP address you've registered is not allowed",
    ),
    (
        "quoted recipient",
        "  \"550 5.1.1 <nobody@example.com>: Recipient address rejected\"  ",
        550,
        Some("5.1.1"),
        "<nobody@example.com>: Recipient address rejected",
    ),
    (
        "sasl challenge",
        "334 eyJzdGF0dXMiOiI0MDEifQ==",
        334,
        None,
        "eyJzdGF0dXMiOiI0MDEifQ==",
    ),
    (
        "flattened ehlo without enhanced codes",
        "250-smtp.mail.yahoo.com 250-PIPELINING 250-SIZE 41697280 250 AUTH PLAIN LOGIN XOAUTH2",
        250,
        None,
        "smtp.mail.yahoo.com\nPIPELINING\nSIZE 41697280\nAUTH PLAIN LOGIN XOAUTH2",
    ),
    (
        "continuation marker only",
        "421-4.7.0 Try again later, closing connection. (EHLO)",
        421,
        Some("4.7.0"),
        "Try again later, closing connection. (EHLO)",
    ),
    (
        "colon after code",
        "550: 5.7.1 Message rejected due to local policy",
        550,
        Some("5.7.1"),
        "Message rejected due to local policy",
    ),
    ("code only", "221", 221, None, ""),
];

#[test]
fn other_forms() {
    let cases = OTHER_FORMS;
    for (form, input, code, enhanced, text) in cases {
        let expected = ReplyFacts::new(*code, *enhanced, text);
        assert_eq!(parse_pasted(input), Some(expected), "form: {form}");
    }
}

#[test]
fn flattened_relay_reply_loses_every_marker() {
    let reply = "550-5.7.1 Invalid credentials for relay [145.136.242.129]. The IP address you've 550-5.7.1 registered in your G Suite SMTP Relay service doesn't match domain of 550-5.7.1 the account this email is being sent from. For more 550-5.7.1 information, please visit 550 5.7.1 https://support.google.com/a/answer/6140680#invalidcred b10sm22683wmc.24 - gsmtp";
    let facts = parse_pasted(reply).unwrap();
    assert_eq!(
        (facts.code, facts.enhanced.as_deref()),
        (550, Some("5.7.1"))
    );
    assert!(
        facts
            .text
            .starts_with("Invalid credentials for relay [145.136.242.129].")
    );
    assert!(!facts.text.contains("550"), "{}", facts.text);
    assert!(!facts.text.contains("5.7.1"), "{}", facts.text);
    assert_eq!(facts.text.lines().count(), 5);
}

#[test]
fn no_reply_code_means_none() {
    let cases = [
        "",
        "   ",
        "Connection refused (os error 111)",
        "Could not connect to SMTP host: smtp.gmail.com, port: 465",
        "connect ETIMEDOUT 142.250.1.1:587",
        "Thu, 10 Oct 2024 22:49:55 +0000",
        "error 1234 happened",
        "invalid peer certificate: UnknownIssuer",
    ];
    for input in cases {
        assert_eq!(parse_pasted(input), None, "{input:?}");
    }
}

/// Pieces that real pastes are made of, recombined below.
const PIECES: &[&str] = &[
    "535",
    "-",
    " ",
    "5.7.8",
    "\n",
    "\r\n",
    "\\n",
    "'",
    "\"",
    "(",
    ", b'",
    ")",
    "550",
    "4.2.2",
    "é",
    "한글",
    "port ",
    ":",
    "334 ",
    "eyJzdGF0dXMiOiI0MDEifQ==",
    " - gsmtp",
    "S: ",
    "x",
    "9",
    "5.",
    ".",
    "\\",
    "`",
    "220",
    "\t",
];

#[test]
fn odd_inputs_do_not_panic() {
    let mut seed: u64 = 0x5eed;
    for _ in 0..5000 {
        let mut input = String::new();
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let len = (seed >> 59) as usize;
        for _ in 0..len {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            input.push_str(PIECES[(seed >> 33) as usize % PIECES.len()]);
        }
        if let Some(facts) = parse_pasted(&input) {
            assert!((200..=559).contains(&facts.code), "{input:?}");
            assert!(!facts.text.contains('\r'), "{input:?}");
            assert_eq!(facts.text, facts.text.trim(), "{input:?}");
        }
        let _ = scanrelay_diagnose::explain(&input, None, None);
    }
}
