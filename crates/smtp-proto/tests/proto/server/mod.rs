//! Server state machine tests.
//!
//! Table-driven: each case is named after the device behaviour it reproduces, feeds the
//! client's reads to a [`ServerSession`] through a small driver that answers verdicts with a
//! fixed policy, and compares the transcript. Every case runs twice, once with each read whole
//! and once byte by byte, and both transcripts must be identical (except cases with STARTTLS,
//! where bytes pipelined after it are dropped only when they arrive before the handshake).
//!
//! Transcript entries: a reply's wire lines joined by `\n`; `MAIL <addr> params [size=n]
//! [user=u]`, `RCPT <addr>`, `AUTH MECH user`, `DATA`, `CONTENT <escaped bytes>` (chunks merged),
//! `END`, `TOOLARGE`, `STARTTLS`, `QUIT`, `CLOSE`. An expected entry matches an actual entry it
//! is a prefix of, or exactly if it ends in `$`.

use proptest::prelude::*;
use scanrelay_proto::dot::stuff_all;
use scanrelay_proto::sasl::{Credentials, Mechanism, SaslClient};
use scanrelay_proto::server::{
    CommandError, DataReceiver, Event, ServerCommand, ServerConfig, ServerSession, UnexpectedCall,
    fuzz_session, replies,
};
use scanrelay_proto::{EhloInfo, Reply};

const SEED: &str = "42.1700000000";

fn config() -> ServerConfig {
    let mut c = ServerConfig::new("mx.test");
    c.starttls_available = true;
    c.allow_plaintext_auth = true;
    c.auth_mechanisms = vec![Mechanism::Plain, Mechanism::Login, Mechanism::CramMd5];
    c.max_message_size = 1000;
    c.max_recipients = 3;
    c.max_line_length = 100;
    c.max_errors = 5;
    c
}

type Setup = fn(&mut ServerConfig);

fn tls_required(c: &mut ServerConfig) {
    c.allow_plaintext_auth = false;
}

fn no_starttls(c: &mut ServerConfig) {
    c.starttls_available = false;
}

fn three_errors(c: &mut ServerConfig) {
    c.max_errors = 3;
}

fn oauth_and_duplicates(c: &mut ServerConfig) {
    c.auth_mechanisms = vec![Mechanism::XOAuth2, Mechanism::Plain, Mechanism::Plain];
}

/// A driver with a fixed policy: user `scanner` / `secret`; senders and recipients containing
/// `deny` are refused; every message is queued as `Q1`; TLS handshakes succeed.
struct Harness {
    session: ServerSession,
    transcript: Vec<String>,
}

impl Harness {
    fn new(setup: Setup, tls: bool, seed: bool) -> Harness {
        let mut config = config();
        setup(&mut config);
        let mut session = ServerSession::new(config, tls);
        if seed {
            session.set_cram_seed(SEED);
        }
        Harness {
            session,
            transcript: Vec::new(),
        }
    }

    fn read(&mut self, bytes: &[u8]) {
        self.session.receive(bytes);
        while let Some(event) = self.session.next_event() {
            let entry = self.answer(event);
            self.record(entry);
        }
    }

    fn answer(&mut self, event: Event) -> String {
        let s = &mut self.session;
        match event {
            Event::Reply(reply) => reply.wire_lines().join("\n"),
            Event::StartTls => {
                s.tls_established().unwrap();
                "STARTTLS".into()
            }
            Event::Auth(c) => {
                s.auth_verdict(c.user() == "scanner" && c.verify_password("secret"))
                    .unwrap();
                format!("AUTH {} {}", c.mechanism(), c.user())
            }
            Event::MailFrom {
                address,
                params,
                size_hint,
            } => {
                let mut entry = format!("MAIL <{address}>");
                params.iter().for_each(|p| entry += &format!(" {p}"));
                size_hint
                    .iter()
                    .for_each(|n| entry += &format!(" size={n}"));
                s.authenticated_user()
                    .iter()
                    .for_each(|u| entry += &format!(" user={u}"));
                s.mail_verdict(policy(&address, replies::auth_required()))
                    .unwrap();
                entry
            }
            Event::Rcpt { address } => {
                s.rcpt_verdict(policy(&address, replies::relay_denied()))
                    .unwrap();
                format!("RCPT <{address}>")
            }
            Event::DataStart => "DATA".into(),
            Event::DataChunk(chunk) => format!("CONTENT {}", escape(&chunk)),
            Event::DataEnd => {
                s.data_verdict(replies::queued("Q1")).unwrap();
                "END".into()
            }
            Event::DataTooLarge => "TOOLARGE".into(),
            Event::Quit => "QUIT".into(),
            Event::Close => "CLOSE".into(),
        }
    }

    /// Merges consecutive chunks; drops the chunks of a message that turned out too large (how
    /// much arrives before the limit trips depends on the read sizes).
    fn record(&mut self, entry: String) {
        let last_is_content = self
            .transcript
            .last()
            .is_some_and(|l| l.starts_with("CONTENT "));
        if let (true, Some(more)) = (last_is_content, entry.strip_prefix("CONTENT ")) {
            self.transcript.last_mut().unwrap().push_str(more);
            return;
        }
        if entry == "TOOLARGE" && last_is_content {
            self.transcript.pop();
        }
        self.transcript.push(entry);
    }
}

fn policy(address: &str, refusal: Reply) -> Result<(), Reply> {
    if address.contains("deny") {
        Err(refusal)
    } else {
        Ok(())
    }
}

fn escape(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| match b {
            b'\r' => "\\r".to_string(),
            b'\n' => "\\n".to_string(),
            b' '..=b'~' => (b as char).to_string(),
            _ => format!("\\x{b:02x}"),
        })
        .collect()
}

struct Case {
    name: String,
    setup: Setup,
    tls: bool,
    seed: bool,
    reads: Vec<Vec<u8>>,
    expect: Vec<String>,
}

/// Parses a table: `case NAME [tls] [tls_required] [no_starttls] [three_errors]...` starts a
/// case; each `>> ` line is one read of the client (escapes `\r`, `\n`, `\t`, `\\`, `\xNN`);
/// `<< ` lines hold expected entries separated by ` | `; `#` starts a comment.
fn cases(spec: &str) -> Vec<Case> {
    let mut cases: Vec<Case> = Vec::new();
    for line in spec
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        if let Some(header) = line.strip_prefix("case ") {
            let mut words = header.split_whitespace();
            let mut case = Case {
                name: words.next().unwrap().to_string(),
                setup: |_| {},
                tls: false,
                seed: true,
                reads: Vec::new(),
                expect: Vec::new(),
            };
            for flag in words {
                match flag {
                    "tls" => case.tls = true,
                    "tls_required" => case.setup = tls_required,
                    "no_starttls" => case.setup = no_starttls,
                    "three_errors" => case.setup = three_errors,
                    "oauth_and_duplicates" => case.setup = oauth_and_duplicates,
                    "no_auth" => case.setup = |c| c.auth_mechanisms.clear(),
                    "no_seed" => case.seed = false,
                    other => panic!("unknown flag {other}"),
                }
            }
            cases.push(case);
            continue;
        }
        let case = cases.last_mut().expect("`case` line first");
        match (line.strip_prefix(">> "), line.strip_prefix("<< ")) {
            (Some(read), _) => case.reads.push(unescape(read)),
            (_, Some(expect)) => case.expect.extend(expect.split(" | ").map(str::to_string)),
            _ => panic!("bad table line {line:?}"),
        }
    }
    cases
}

fn unescape(text: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let mut bytes = text.bytes();
    while let Some(b) = bytes.next() {
        if b != b'\\' {
            out.push(b);
            continue;
        }
        match bytes.next() {
            Some(b'r') => out.push(b'\r'),
            Some(b'n') => out.push(b'\n'),
            Some(b't') => out.push(b'\t'),
            Some(b'\\') => out.push(b'\\'),
            Some(b'x') => {
                let hex = [bytes.next().unwrap(), bytes.next().unwrap()];
                out.push(u8::from_str_radix(std::str::from_utf8(&hex).unwrap(), 16).unwrap());
            }
            other => panic!("bad escape {other:?} in {text:?}"),
        }
    }
    out
}

fn transcript(case: &Case, byte_by_byte: bool) -> Vec<String> {
    let mut h = Harness::new(case.setup, case.tls, case.seed);
    for read in &case.reads {
        if byte_by_byte {
            read.iter().for_each(|b| h.read(std::slice::from_ref(b)));
        } else {
            h.read(read);
        }
    }
    h.transcript
}

fn entry_matches(expected: &str, actual: &str) -> bool {
    match expected.strip_suffix('$') {
        Some(exact) => actual == exact,
        None => actual.starts_with(expected),
    }
}

fn run_table(cases: Vec<Case>) {
    assert!(!cases.is_empty());
    for case in &cases {
        let whole = transcript(case, false);
        let ok = whole.len() == case.expect.len()
            && case
                .expect
                .iter()
                .zip(&whole)
                .all(|(e, a)| entry_matches(e, a));
        let (name, expect) = (&case.name, &case.expect);
        assert!(ok, "{name}: expected {expect:#?}\ngot {whole:#?}");
        if !whole.iter().any(|e| e == "STARTTLS") {
            let split = transcript(case, true);
            assert_eq!(
                whole, split,
                "{name}: byte-by-byte reads changed the transcript"
            );
        }
    }
}

const DIALECTS: &str = r#"
case ricoh_sends_lowercase_verbs
>> ehlo ricoh\r\nmail from:<scan@ricoh.lan>\r\nrcpt to:<u@example.com>\r\ndata\r\n
<< 250-mx.test | MAIL <scan@ricoh.lan>$ | 250 2.1.0 Sender OK$ | RCPT <u@example.com>$
<< 250 2.1.5 Recipient OK$ | 354 End data with <CR><LF>.<CR><LF>$ | DATA
case canon_puts_a_space_after_the_colon
>> EHLO dev\r\nMAIL FROM: <scan@canon.lan>\r\nRCPT TO:  <u@example.com>\r\n
<< 250-mx.test | MAIL <scan@canon.lan>$ | 250 2.1.0 | RCPT <u@example.com>$ | 250 2.1.5
case old_kyocera_omits_angle_brackets
>> HELO kyocera\r\nMAIL FROM:scan@kyo.lan\r\nRCPT TO:u@example.com\r\n
<< 250 mx.test$ | MAIL <scan@kyo.lan>$ | 250 2.1.0 | RCPT <u@example.com>$ | 250 2.1.5
case scan_to_self_bounce_uses_null_sender
>> EHLO dev\r\nMAIL FROM:<>\r\n
<< 250-mx.test | MAIL <>$ | 250 2.1.0
case hp_declares_size_and_8bitmime
>> EHLO dev\r\nMAIL FROM:<a@b> SIZE=123 BODY=8BITMIME\r\n
<< 250-mx.test | MAIL <a@b> SIZE=123 BODY=8BITMIME size=123$ | 250 2.1.0
case declared_size_over_the_limit_refused_at_mail
>> EHLO dev\r\nMAIL FROM:<a@b> SIZE=5000\r\n
<< 250-mx.test | 552 5.3.4 Message size exceeds fixed maximum message size$
case old_device_says_helo_and_gets_one_line
>> HELO printer\r\n
<< 250 mx.test$
case helo_without_domain_is_accepted
>> HELO\r\nMAIL FROM:<a@b>\r\n
<< 250 mx.test$ | MAIL <a@b> | 250 2.1.0
case ehlo_without_domain_is_accepted
>> EHLO\r\n
<< 250-mx.test
case trailing_blanks_and_tabs_are_ignored
>> NOOP \r\nMAIL\tFROM:<a@b>\t\r\nQUIT  \r\n
<< 250 2.0.0 OK$ | 503 5.5.1 Send HELO/EHLO first$ | 221 2.0.0 mx.test | QUIT
case source_route_is_stripped
>> EHLO dev\r\nMAIL FROM:<@relay.lan:scan@x.lan>\r\n
<< 250-mx.test | MAIL <scan@x.lan>$ | 250
case quoted_local_part_may_hold_blanks_and_brackets
>> EHLO dev\r\nMAIL FROM:<"scan >ner"@x.lan>\r\n
<< 250-mx.test | MAIL <"scan >ner"@x.lan>$ | 250
case mail_auth_parameter_is_accepted
>> EHLO dev\r\nMAIL FROM:<a@b> AUTH=<>\r\n
<< 250-mx.test | MAIL <a@b> AUTH=<>$ | 250
case dsn_parameters_not_advertised_are_refused
>> EHLO dev\r\nMAIL FROM:<a@b> RET=HDRS\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d> NOTIFY=NEVER\r\n
<< 250-mx.test | 555 5.5.4 Unsupported parameter RET$ | MAIL <a@b> | 250
<< 555 5.5.4 Unsupported parameter NOTIFY$
case bare_lf_device_runs_a_whole_session
>> EHLO old\nMAIL FROM:<a@b>\nRCPT TO:<c@d>\nDATA\nline1\n..dot\n.\nQUIT\n
<< 250-mx.test | MAIL <a@b> | 250 2.1.0 | RCPT <c@d> | 250 2.1.5 | 354 | DATA
<< CONTENT line1\r\n.dot\r\n$ | END | 250 2.0.0 OK: queued as Q1$ | 221 2.0.0 | QUIT
case vrfy_help_and_expn
>> VRFY scan\r\nHELP\r\nEXPN staff\r\n
<< 252 2.5.2 | 214 2.0.0 | 502 5.5.1
"#;

#[test]
fn office_devices_command_dialects_are_understood() {
    run_table(cases(DIALECTS));
}

/// Base64 here: `AHNjYW5uZXIAc2VjcmV0` = `\0scanner\0secret`, `AHNjYW5uZXIAd3Jvbmc=` =
/// `\0scanner\0wrong`, `c2Nhbm5lcg==` = `scanner`, `c2VjcmV0` = `secret`,
/// `c2Nhbm5lci1uby1udWxz` = `scanner-no-nuls`, `PDQy...Pg==` = `<42.1700000000.1@mx.test>`.
const AUTH: &str = r#"
case sharp_sends_plain_with_initial_response
>> EHLO dev\r\nAUTH PLAIN AHNjYW5uZXIAc2VjcmV0\r\n
<< 250-mx.test | AUTH PLAIN scanner$ | 235 2.7.0 Authentication successful$
case plain_without_initial_response_gets_an_empty_334
>> EHLO dev\r\nAUTH PLAIN\r\n
>> AHNjYW5uZXIAc2VjcmV0\r\n
<< 250-mx.test | 334 $ | AUTH PLAIN scanner | 235 2.7.0
case xerox_needs_the_exact_login_prompts
>> EHLO dev\r\nAUTH LOGIN\r\n
>> c2Nhbm5lcg==\r\n
>> c2VjcmV0\r\n
<< 250-mx.test | 334 VXNlcm5hbWU6$ | 334 UGFzc3dvcmQ6$ | AUTH LOGIN scanner | 235 2.7.0
case brother_sends_the_login_user_inline
>> EHLO dev\r\nAUTH LOGIN c2Nhbm5lcg==\r\n
>> c2VjcmV0\r\n
<< 250-mx.test | 334 UGFzc3dvcmQ6$ | AUTH LOGIN scanner | 235 2.7.0
case wrong_password_is_refused
>> EHLO dev\r\nAUTH PLAIN AHNjYW5uZXIAd3Jvbmc=\r\n
<< 250-mx.test | AUTH PLAIN scanner | 535 5.7.8 Authentication credentials invalid$
case device_cancels_with_a_star
>> EHLO dev\r\nAUTH LOGIN\r\n*\r\nNOOP\r\n
<< 250-mx.test | 334 | 501 5.0.0 Authentication cancelled$ | 250 2.0.0
case garbage_instead_of_base64
>> EHLO dev\r\nAUTH PLAIN !!!\r\nAUTH LOGIN\r\n%%\r\n
<< 250-mx.test | 501 5.5.2 Invalid base64 | 334 | 501 5.5.2 Invalid base64
case plain_response_without_nul_separators
>> EHLO dev\r\nAUTH PLAIN c2Nhbm5lci1uby1udWxz\r\n
<< 250-mx.test | 501 5.5.2 Malformed
case second_auth_after_success
>> EHLO dev\r\nAUTH PLAIN AHNjYW5uZXIAc2VjcmV0\r\nAUTH PLAIN AHNjYW5uZXIAc2VjcmV0\r\n
<< 250-mx.test | AUTH PLAIN scanner | 235 | 503 5.5.1 Already authenticated$
case old_device_authenticates_after_helo
>> HELO mfp\r\nAUTH PLAIN AHNjYW5uZXIAc2VjcmV0\r\nMAIL FROM:<a@b>\r\n
<< 250 mx.test$ | AUTH PLAIN scanner | 235 | MAIL <a@b> user=scanner$ | 250
case auth_before_any_greeting
>> AUTH PLAIN AHNjYW5uZXIAc2VjcmV0\r\n
<< 503 5.5.1 Send HELO/EHLO first
case unsupported_mechanisms
>> EHLO dev\r\nAUTH GSSAPI\r\nAUTH XOAUTH2 dG9rZW4=\r\n
<< 250-mx.test | 504 5.5.4 Unrecognized authentication type$ | 504 5.5.4
case auth_in_cleartext_when_tls_is_required tls_required
>> EHLO dev\r\nAUTH PLAIN AHNjYW5uZXIAc2VjcmV0\r\n
<< 250-mx.test | 538 5.7.11 Encryption required
case auth_over_implicit_tls_when_tls_is_required tls_required tls
>> EHLO dev\r\nAUTH PLAIN AHNjYW5uZXIAc2VjcmV0\r\n
<< 250-mx.test | AUTH PLAIN scanner | 235
case auth_inside_a_mail_transaction
>> EHLO dev\r\nMAIL FROM:<a@b>\r\nAUTH PLAIN AHNjYW5uZXIAc2VjcmV0\r\n
<< 250-mx.test | MAIL | 250 | 503 5.5.1 AUTH not permitted during a mail transaction$
case cram_md5_with_initial_response_is_malformed
>> EHLO dev\r\nAUTH CRAM-MD5 abc\r\n
<< 250-mx.test | 501 5.5.2
case cram_md5_challenge_carries_the_driver_seed
>> EHLO dev\r\nAUTH CRAM-MD5\r\n*\r\n
<< 250-mx.test | 334 PDQyLjE3MDAwMDAwMDAuMUBteC50ZXN0Pg==$ | 501 5.0.0
"#;

#[test]
fn auth_exchanges_of_office_devices() {
    run_table(cases(AUTH));
}

const SEQUENCE: &str = r#"
case rcpt_before_mail
>> EHLO dev\r\nRCPT TO:<a@b>\r\n
<< 250-mx.test | 503 5.5.1 Need MAIL command first$
case data_before_mail
>> EHLO dev\r\nDATA\r\n
<< 250-mx.test | 503 5.5.1 Need MAIL
case data_before_rcpt
>> EHLO dev\r\nMAIL FROM:<a@b>\r\nDATA\r\n
<< 250-mx.test | MAIL | 250 | 503 5.5.1 Need RCPT command first$
case mail_twice
>> EHLO dev\r\nMAIL FROM:<a@b>\r\nMAIL FROM:<a@b>\r\n
<< 250-mx.test | MAIL | 250 | 503 5.5.1 Sender already specified$
case mail_before_helo
>> MAIL FROM:<a@b>\r\n
<< 503 5.5.1 Send HELO/EHLO first
case fourth_recipient_over_a_limit_of_three
>> EHLO dev\r\nMAIL FROM:<a@b>\r\nRCPT TO:<1@x>\r\nRCPT TO:<2@x>\r\nRCPT TO:<3@x>\r\nRCPT TO:<4@x>\r\n
<< 250-mx.test | MAIL | 250 | RCPT <1@x> | 250 | RCPT <2@x> | 250 | RCPT <3@x> | 250
<< 452 4.5.3 Too many recipients$
case every_recipient_refused_then_data
>> EHLO dev\r\nMAIL FROM:<a@b>\r\nRCPT TO:<deny@x>\r\nDATA\r\n
<< 250-mx.test | MAIL | 250 | RCPT <deny@x> | 550 5.7.1 Relay access denied$
<< 554 5.5.1 No valid recipients$
case driver_refuses_the_sender
>> EHLO dev\r\nMAIL FROM:<deny@x>\r\nRCPT TO:<a@b>\r\n
<< 250-mx.test | MAIL <deny@x> | 530 5.7.0 Authentication required$ | 503 5.5.1 Need MAIL
case unknown_command
>> XYZZY\r\n
<< 500 5.5.2 Command unrecognized$
case command_that_is_not_utf8
>> NOOP \xff\r\n
<< 500 5.5.2 Invalid characters in command$
case syntax_error_carries_a_hint
>> EHLO dev\r\nMAIL TO:<a@b>\r\nRCPT FROM:<a@b>\r\nDATA now\r\n
<< 250-mx.test | 501 5.5.4 Syntax: MAIL FROM:<address> | 501 5.5.4 Syntax: RCPT TO:<address>$
<< 501 5.5.4 Syntax: DATA$
case malformed_addresses
>> EHLO dev\r\nMAIL FROM:<a@b\r\nMAIL FROM:<a@b>\r\nRCPT TO:<>\r\nRCPT TO:<a b@c>\r\n
<< 250-mx.test | 501 5.1.7 Bad sender address syntax$ | MAIL | 250
<< 501 5.1.3 Bad recipient address syntax$ | 501 5.1.3
case rset_ends_the_transaction
>> EHLO dev\r\nMAIL FROM:<a@b>\r\nRSET\r\nMAIL FROM:<c@d>\r\n
<< 250-mx.test | MAIL <a@b> | 250 | 250 2.0.0 OK$ | MAIL <c@d> | 250
case ehlo_again_ends_the_transaction
>> EHLO dev\r\nMAIL FROM:<a@b>\r\nEHLO dev\r\nRCPT TO:<c@d>\r\n
<< 250-mx.test | MAIL | 250 | 250-mx.test | 503 5.5.1 Need MAIL
case input_after_quit_is_ignored
>> QUIT\r\nNOOP\r\n
>> NOOP\r\n
<< 221 2.0.0 mx.test closing connection$ | QUIT
case too_many_errors_close_the_session three_errors
>> A\r\nB\r\nC\r\nNOOP\r\n
<< 500 | 500 | 500 | 421 4.7.0 mx.test Too many errors, closing connection$ | CLOSE
case refused_credentials_count_as_errors three_errors
>> EHLO dev\r\nAUTH PLAIN AHNjYW5uZXIAd3Jvbmc=\r\n
>> AUTH PLAIN AHNjYW5uZXIAd3Jvbmc=\r\n
>> AUTH PLAIN AHNjYW5uZXIAd3Jvbmc=\r\nNOOP\r\n
<< 250-mx.test | AUTH | 535 | AUTH | 535 | AUTH | 535 | 421 4.7.0 | CLOSE
"#;

#[test]
fn commands_out_of_sequence_and_errors() {
    run_table(cases(SEQUENCE));
}

#[test]
fn overlong_command_lines_are_refused_and_dropped() {
    let spec = format!(
        r"
case scanner_sends_a_500_byte_command
>> EHLO dev\r\nNOOP {a500}\r\nNOOP\r\n
<< 250-mx.test | 500 5.5.6 Line too long$ | 250 2.0.0
case line_of_exactly_the_limit_is_accepted
>> NOOP {a95}\r\n
<< 250 2.0.0
case line_one_over_the_limit_is_refused
>> NOOP {a95}a\n
<< 500 5.5.6
case overlong_auth_response_ends_the_exchange
>> EHLO dev\r\nAUTH PLAIN\r\n
>> {a500}\r\nNOOP\r\n
<< 250-mx.test | 334 | 500 5.5.6 | 250 2.0.0
case long_line_arrives_in_many_reads
>> NOOP\x20
<< 500 5.5.6 | 250 2.0.0
",
        a500 = "a".repeat(500),
        a95 = "a".repeat(95),
    );
    let mut cases = cases(&spec);
    let pieces = &mut cases.last_mut().unwrap().reads;
    pieces.extend(std::iter::repeat_n(vec![b'x'; 1000], 50));
    pieces.push(b"\r\nNOOP\r\n".to_vec());
    run_table(cases);

    let mut h = Harness::new(|_| {}, false, true);
    h.read(b"NOOP ");
    for _ in 0..1000 {
        h.read(&[b'x'; 4096]);
        assert!(
            h.session.buffered() <= 4096 + 101,
            "an overlong line is being buffered"
        );
    }
}

/// Each `>>` is one read; the harness completes the TLS handshake as soon as it sees
/// `StartTls`, so a later read arrives over TLS.
const STARTTLS: &str = r#"
case injected_mail_after_starttls_is_dropped
>> EHLO dev\r\nSTARTTLS\r\nMAIL FROM:<evil@x>\r\nRCPT TO:<evil@y>\r\n
>> MAIL FROM:<a@b>\r\n
>> EHLO dev\r\n
<< 250-mx.test | 220 2.0.0 Ready to start TLS$ | STARTTLS | 503 5.5.1 Send HELO/EHLO first
<< 250-mx.test
case auth_is_forgotten_after_starttls
>> EHLO dev\r\nAUTH PLAIN AHNjYW5uZXIAc2VjcmV0\r\n
>> STARTTLS\r\n
>> EHLO again\r\nMAIL FROM:<a@b>\r\n
<< 250-mx.test | AUTH | 235 | 220 2.0.0 | STARTTLS | 250-mx.test | MAIL <a@b>$ | 250
case starttls_inside_implicit_tls tls
>> EHLO dev\r\nSTARTTLS\r\n
<< 250-mx.test | 503 5.5.1 TLS already active$
case starttls_without_a_certificate no_starttls
>> EHLO dev\r\nSTARTTLS\r\n
<< 250-mx.test | 502 5.5.1 STARTTLS not available$
case starttls_inside_a_transaction
>> EHLO dev\r\nMAIL FROM:<a@b>\r\nSTARTTLS\r\n
<< 250-mx.test | MAIL | 250 | 503 5.5.1 Mail transaction in progress$
case starttls_with_an_argument
>> EHLO dev\r\nSTARTTLS now\r\n
<< 250-mx.test | 501 5.5.4 Syntax: STARTTLS$
"#;

#[test]
fn starttls_upgrades_and_drops_injected_commands() {
    run_table(cases(STARTTLS));
}

/// Every case opens a transaction with `DATA\r\n` (CRLF client) or `DATA\n` (bare-LF client)
/// in its first read and sends the content in the second.
const DATA: &str = r#"
case crlf_client_lf_dot_lf_is_content
>> EHLO dev\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n
>> a\n.\nMAIL FROM:<evil@x>\r\nb\r\n.\r\n
<< 250-mx.test | MAIL | 250 | RCPT | 250 | 354 | DATA
<< CONTENT a\r\n.\r\nMAIL FROM:<evil@x>\r\nb\r\n$ | END | 250 2.0.0 OK: queued as Q1$
case crlf_client_lf_dot_crlf_is_content
>> EHLO dev\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n
>> a\n.\r\nRSET\r\n.\r\n
<< 250-mx.test | MAIL | 250 | RCPT | 250 | 354 | DATA | CONTENT a\r\n.\r\nRSET\r\n$ | END | 250
case crlf_client_crlf_dot_lf_is_content
>> EHLO dev\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n
>> a\r\n.\nRSET\r\n.\r\n
<< 250-mx.test | MAIL | 250 | RCPT | 250 | 354 | DATA | CONTENT a\r\n\r\nRSET\r\n$ | END | 250
case bare_lf_device_ends_with_lf_dot_lf
>> EHLO dev\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\n
>> a\nb\n.\nQUIT\n
<< 250-mx.test | MAIL | 250 | RCPT | 250 | 354 | DATA | CONTENT a\r\nb\r\n$ | END | 250
<< 221 | QUIT
case bare_lf_device_may_end_with_crlf_dot_crlf
>> EHLO dev\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\n
>> a\r\n.\r\n
<< 250-mx.test | MAIL | 250 | RCPT | 250 | 354 | DATA | CONTENT a\r\n$ | END | 250
case bare_lf_device_ends_with_lf_dot_crlf
>> EHLO dev\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\n
>> a\n.\r\n
<< 250-mx.test | MAIL | 250 | RCPT | 250 | 354 | DATA | CONTENT a\r\n$ | END | 250
case dots_are_unstuffed
>> EHLO dev\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n
>> ..x\r\n.y\r\n...\r\n.\r\n
<< 250-mx.test | MAIL | 250 | RCPT | 250 | 354 | DATA | CONTENT .x\r\ny\r\n..\r\n$ | END | 250
case empty_message
>> EHLO dev\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n
>> .\r\n
<< 250-mx.test | MAIL | 250 | RCPT | 250 | 354 | DATA | END | 250
case bare_lf_lines_in_a_crlf_body_are_normalised
>> EHLO dev\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n
>> l1\nl2\r\n.\r\n
<< 250-mx.test | MAIL | 250 | RCPT | 250 | 354 | DATA | CONTENT l1\r\nl2\r\n$ | END | 250
case bare_cr_becomes_crlf_so_every_stage_sees_the_same_lines
>> EHLO dev\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n
>> From: dev@office\r\nX-A: 1\rFrom: ceo@bank.example\r\n\r\na\rb\r\r\n.\r\n
<< 250-mx.test | MAIL | 250 | RCPT | 250 | 354 | DATA
<< CONTENT From: dev@office\r\nX-A: 1\r\nFrom: ceo@bank.example\r\n\r\na\r\nb\r\n\r\n$ | END | 250
case bare_cr_neither_ends_data_nor_starts_a_stuffed_line
>> EHLO dev\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n
>> a\r.\r\nb\r..c\r\n.\r\n
<< 250-mx.test | MAIL | 250 | RCPT | 250 | 354 | DATA | CONTENT a\r\n.\r\nb\r\n..c\r\n$ | END | 250
case pipelined_mail_after_end_of_data
>> EHLO dev\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n
>> hi\r\n.\r\nMAIL FROM:<n@b>\r\n
<< 250-mx.test | MAIL | 250 | RCPT | 250 | 354 | DATA | CONTENT hi\r\n$ | END
<< 250 2.0.0 OK: queued as Q1 | MAIL <n@b> | 250 2.1.0
case second_transaction_after_the_first
>> EHLO dev\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n
>> 1\r\n.\r\n
>> MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n
>> 2\r\n.\r\nQUIT\r\n
<< 250-mx.test | MAIL | 250 | RCPT | 250 | 354 | DATA | CONTENT 1\r\n$ | END | 250 2.0.0
<< MAIL | 250 | RCPT | 250 | 354 | DATA | CONTENT 2\r\n$ | END | 250 2.0.0 | 221 | QUIT
case copier_pipelines_the_whole_envelope
>> EHLO dev\r\nMAIL FROM:<a@b>\r\nRCPT TO:<1@x>\r\nRCPT TO:<deny@x>\r\nRCPT TO:<2@x>\r\nDATA\r\nbody\r\n.\r\nQUIT\r\n
<< 250-mx.test | MAIL <a@b> | 250 2.1.0 | RCPT <1@x> | 250 2.1.5 | RCPT <deny@x> | 550 5.7.1
<< RCPT <2@x> | 250 2.1.5 | 354 | DATA | CONTENT body\r\n$ | END | 250 2.0.0 | 221 | QUIT
"#;

#[test]
fn data_framing_smuggling_and_pipelining() {
    run_table(cases(DATA));
    let spec = format!(
        r"
case oversized_scan_is_refused_after_end_of_data
>> EHLO dev\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n
>> {x1500}\r\n.\r\nMAIL FROM:<next@b>\r\n
<< 250-mx.test | MAIL | 250 | RCPT | 250 | 354 | DATA | TOOLARGE
<< 552 5.3.4 Message size exceeds fixed maximum message size$ | MAIL <next@b> | 250
case message_of_exactly_the_limit_is_accepted
>> EHLO dev\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n
>> {x998}\r\n.\r\n
<< 250-mx.test | MAIL | 250 | RCPT | 250 | 354 | DATA | CONTENT | END | 250
",
        x1500 = "x".repeat(1500),
        x998 = "x".repeat(998),
    );
    run_table(cases(&spec));
}

/// The keyword lines after the fixed ones (`mx.test`, `SIZE 1000`, `PIPELINING`, `8BITMIME`,
/// `ENHANCEDSTATUSCODES`) for each listener situation; `<<` without lines: nothing more.
const EHLO_OFFERS: &str = r#"
case office_lan_before_starttls_hides_auth tls_required
<< STARTTLS
case implicit_tls_offers_auth_not_starttls tls_required tls
<< AUTH PLAIN LOGIN CRAM-MD5 | AUTH=PLAIN LOGIN CRAM-MD5
case plaintext_lan_device_sees_auth_before_tls
<< STARTTLS | AUTH PLAIN LOGIN CRAM-MD5 | AUTH=PLAIN LOGIN CRAM-MD5
case cram_md5_needs_a_seed tls_required tls no_seed
<< AUTH PLAIN LOGIN | AUTH=PLAIN LOGIN
case listener_without_certificate no_starttls
<< AUTH PLAIN LOGIN CRAM-MD5 | AUTH=PLAIN LOGIN CRAM-MD5
case oauth_and_duplicates_are_not_offered oauth_and_duplicates tls
<< AUTH PLAIN | AUTH=PLAIN
case no_auth_configured no_auth tls
"#;

#[test]
fn ehlo_advertises_what_the_listener_offers() {
    for case in cases(EHLO_OFFERS) {
        let mut h = Harness::new(case.setup, case.tls, case.seed);
        h.session.receive(b"EHLO dev\r\n");
        let Some(Event::Reply(reply)) = h.session.next_event() else {
            panic!("{}: no reply", case.name)
        };
        let base = [
            "mx.test",
            "SIZE 1000",
            "PIPELINING",
            "8BITMIME",
            "ENHANCEDSTATUSCODES",
        ];
        let expected: Vec<String> = base
            .iter()
            .map(|l| l.to_string())
            .chain(case.expect)
            .collect();
        assert_eq!(
            (reply.code, &reply.lines),
            (250, &expected),
            "{}",
            case.name
        );
        let info = EhloInfo::parse(&reply);
        assert!(
            info.enhanced_status_codes() && info.pipelining(),
            "{}",
            case.name
        );
        assert_eq!(info.size_limit(), Some(1000), "{}", case.name);
    }
    let mut unlimited = config();
    unlimited.max_message_size = 0;
    let mut session = ServerSession::new(unlimited, false);
    session.receive(b"EHLO x\r\n");
    let Some(Event::Reply(reply)) = session.next_event() else {
        panic!("no reply")
    };
    assert_eq!(reply.lines[1], "SIZE");
    assert_eq!(
        session.greeting().to_string(),
        "220 mx.test ESMTP scanrelay\r\n"
    );
}

#[test]
fn sasl_client_of_this_crate_authenticates_against_the_server() {
    for mechanism in [Mechanism::Plain, Mechanism::Login, Mechanism::CramMd5] {
        for (password, expect_ok) in [("hunter2", true), ("wrong", false)] {
            let creds = Credentials::Password {
                user: "scanner".into(),
                password: password.into(),
            };
            let mut client = SaslClient::new(mechanism, creds).unwrap();
            let mut session = ServerSession::new(config(), true);
            session.set_cram_seed(SEED);
            session.receive(b"EHLO dev\r\n");
            while session.next_event().is_some() {}
            session.receive(client.start().to_string().as_bytes());
            let credentials = loop {
                match session.next_event() {
                    Some(Event::Reply(r)) if r.code == 334 => {
                        session.receive(client.respond(&r.lines[0]).unwrap().to_string().as_bytes())
                    }
                    Some(Event::Auth(c)) => break c,
                    other => panic!("{mechanism}: unexpected {other:?}"),
                }
            };
            assert_eq!(credentials.mechanism(), mechanism);
            assert_eq!(credentials.user(), "scanner");
            assert_eq!(
                credentials.verify_password("hunter2"),
                expect_ok,
                "{mechanism} {password}"
            );
            assert!(
                !format!("{credentials:?}").contains(password),
                "Debug leaks the secret"
            );
            session.auth_verdict(expect_ok).unwrap();
            let code = if expect_ok { 235 } else { 535 };
            assert!(matches!(session.next_event(), Some(Event::Reply(r)) if r.code == code));
            assert_eq!(session.authenticated_user(), expect_ok.then_some("scanner"));
        }
    }
}

#[test]
fn verdicts_out_of_turn_are_refused() {
    let mut s = ServerSession::new(config(), false);
    assert_eq!(s.state_name(), "connected");
    let err = s.data_verdict(replies::queued("x")).unwrap_err();
    assert_eq!(
        err,
        UnexpectedCall {
            call: "data_verdict",
            state: "connected"
        }
    );
    assert!(s.auth_verdict(true).is_err() && s.tls_established().is_err());
    s.receive(b"EHLO x\r\nMAIL FROM:<a@b>\r\n");
    assert!(matches!(s.next_event(), Some(Event::Reply(_))));
    assert!(matches!(s.next_event(), Some(Event::MailFrom { .. })));
    assert_eq!(s.state_name(), "await-mail");
    assert_eq!(s.next_event(), None, "no progress before the verdict");
    assert!(s.rcpt_verdict(Ok(())).is_err());
    s.mail_verdict(Ok(())).unwrap();
    assert!(s.next_event().is_some());
    assert_eq!((s.state_name(), s.client_domain()), ("mail", Some("x")));
}

mod parser;
mod props;
