//! `--lang ko` reports are Korean throughout (issue 6, item 7): step names and details, TLS
//! and certificate labels, the error line and notes. Only protocol lines (`S:` / `C:`) and
//! values (server replies, addresses, certificate names, flags) stay as they are.

use scanrelay_test_support::{CertChoice, Script, ScriptedSmtpServer, Step, peers, scenarios};

use crate::scanrelay;

const PASSWORD: &str = "correct horse battery";

fn has_hangul(s: &str) -> bool {
    s.chars().any(|c| ('\u{AC00}'..='\u{D7A3}').contains(&c))
}

/// Korean certificate labels: what follows them is a value (names, dates).
const VALUE_LABELS: &[&str] = &["발급자:", "이름:", "유효 기간:"];

/// The values in a report: payloads of protocol lines, certificate names and dates, and
/// `extra` (a greeting that reaches the report only inside a note).
fn values(report: &str, extra: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
    for line in report.lines().map(str::trim) {
        if let Some(payload) = line.strip_prefix("S: ").or(line.strip_prefix("C: ")) {
            out.push(payload.to_string());
        } else if line.starts_with("인증서 #") {
            out.extend(line.split_once(": ").map(|(_, v)| v.to_string()));
        } else if let Some(label) = VALUE_LABELS.iter().find(|l| line.starts_with(**l)) {
            out.push(line[label.len()..].trim().to_string());
        }
    }
    out.retain(|v| !v.is_empty());
    // Longest first, so a reply is removed before a shorter value inside it.
    out.sort_by_key(|v| std::cmp::Reverse(v.len()));
    out
}

/// ASCII words that may stand in Korean text: the product's name and the unit.
const ALLOWED_WORDS: &[&str] = &["scanrelay", "ms"];

/// An English word: ASCII letters with a lower-case letter, not CamelCase (`UnknownIssuer`
/// is an identifier), not allowed above.
fn is_english_word(token: &str) -> bool {
    let word = token.trim_matches(|c: char| !c.is_ascii_alphanumeric());
    let letters = !word.is_empty() && word.chars().all(|c| c.is_ascii_alphabetic());
    let camel = word.chars().skip(1).any(|c| c.is_ascii_uppercase());
    let inner_punct = token
        .trim_matches(|c: char| "()[],;:\"'`".contains(c))
        .contains(['.', '_', '@', '/', '=', '-', ':']);
    letters
        && word.chars().any(|c| c.is_ascii_lowercase())
        && !camel
        && !inner_punct
        && !ALLOWED_WORDS.contains(&word)
}

/// The lines of a Korean report that are not Korean: a line (other than protocol lines and
/// the advice texts, which have their own tests) without Hangul, or with an English word
/// left once the values are removed. A word right after a `--flag` is its value.
fn not_korean(report: &str, extra: &[&str]) -> Vec<String> {
    let values = values(report, extra);
    let mut bad = Vec::new();
    let mut advice_next = false;
    for line in report.lines() {
        let trimmed = line.trim();
        // Advice and warnings come from scanrelay-diagnose, whose tests cover both languages.
        let advice =
            advice_next || trimmed.starts_with("해결 방법:") || trimmed.starts_with("주의:");
        advice_next = trimmed.starts_with("결과:");
        if trimmed.is_empty() || trimmed.starts_with("S: ") || trimmed.starts_with("C: ") {
            continue;
        }
        let mut rest = trimmed.to_string();
        for v in &values {
            rest = rest.replace(v.as_str(), " ");
        }
        let mut after_flag = false;
        let english: Vec<&str> = rest
            .split_whitespace()
            .filter(|t| {
                let skip = after_flag;
                after_flag = t.contains("--");
                !skip && is_english_word(t)
            })
            .collect();
        let has_words = rest.chars().any(|c| c.is_alphabetic());
        if (has_words && !has_hangul(&rest)) || (!advice && !english.is_empty()) {
            bad.push(format!("{line}    <- {english:?}"));
        }
    }
    bad
}

fn assert_korean(report: &str, extra: &[&str]) {
    let bad = not_korean(report, extra);
    assert!(
        bad.is_empty(),
        "not Korean:\n{}\n--- report ---\n{report}",
        bad.join("\n")
    );
}

/// `scanrelay check --lang ko` against a scripted server.
async fn ko_report(script: Script, extra: &[&str]) -> crate::Run {
    let server = ScriptedSmtpServer::start(script).await;
    let port = server.port().to_string();
    let ca = server.ca_pem_path().to_string_lossy().into_owned();
    let mut args = vec![
        "check",
        "--server",
        "127.0.0.1",
        "--port",
        &port,
        "--ca-file",
        &ca,
    ];
    args.extend_from_slice(&[
        "--timeout",
        "3",
        "--helo",
        "mfp.example.test",
        "--lang",
        "ko",
    ]);
    args.extend_from_slice(extra);
    let run = scanrelay(&args, &[("PW", PASSWORD)]).await;
    let _ = server.finish().await;
    run.assert_no_secrets(&[PASSWORD]);
    run
}

/// The checker must see what was wrong before: "connected to ...", "the server refused
/// auth: ...", `issuer:` / `names:` / `valid:` labels and the English step names.
#[test]
fn the_korean_checker_flags_the_english_that_was_there() {
    let before = "SMTP 연결확인 - 127.0.0.1:587 (starttls)\n\n\
  dns         성공          0.0 ms  127.0.0.1 -> 127.0.0.1\n\
  connect     성공          0.3 ms  connected to 127.0.0.1:587\n\
  auth        실패        501.9 ms  the server refused auth: 535 5.7.8 Error: authentication failed\n\
      S: 535 5.7.8 Error: authentication failed\n\n\
TLS: - - - 인증서 검증 실패 (127.0.0.1)\n\
  인증서 #0: O=scanrelay tests, CN=localhost\n\
      issuer: O=scanrelay tests, CN=scanrelay test CA\n\
      names:  DNS:localhost\n\
      valid:  Dec  4 16:06:06 2026 +00:00 .. Jan  3 16:06:06 2027 +00:00\n";
    let bad = not_korean(before, &[]);
    for wanted in [
        "(starttls)",
        "dns ",
        "connected to",
        "refused auth",
        "issuer:",
        "names:",
        "valid:",
    ] {
        assert!(
            bad.iter().any(|l| l.contains(wanted)),
            "{wanted} not flagged: {bad:#?}"
        );
    }
}

#[tokio::test]
async fn a_refused_login_over_starttls_is_korean_throughout() {
    let run = ko_report(
        scenarios::gmail_app_password_required(),
        &[
            "--provider",
            "gmail",
            "--user",
            "office@gmail.com",
            "--password-env",
            "PW",
        ],
    )
    .await;
    assert_eq!(run.code, 14, "{}", run.stdout);
    assert!(
        run.stdout.contains("발급자:") && run.stdout.contains("유효 기간:"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("서버가 로그인(AUTH) 요청을 거부함"),
        "{}",
        run.stdout
    );
    assert_korean(&run.stdout, &[]);
}

#[tokio::test]
async fn an_untrusted_certificate_is_korean_throughout() {
    let run = ko_report(
        Script::tls_rejected(CertChoice::Untrusted),
        &["--tls", "implicit"],
    )
    .await;
    assert!(
        run.stdout.contains("[tls.certificate_untrusted]"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("검증 오류:"), "{}", run.stdout);
    assert_korean(&run.stdout, &[]);
}

#[tokio::test]
async fn a_pop3_greeting_and_a_plain_pass_are_korean_throughout() {
    let greeting = "+OK POP3 server ready";
    let pop3 = Script::new([Step::send(greeting), Step::ExpectQuitOrClose]);
    let run = ko_report(pop3, &["--tls", "starttls"]).await;
    assert!(run.stdout.contains("[connect.not_smtp]"), "{}", run.stdout);
    assert_korean(&run.stdout, &[greeting]);
    let plain = Script::new([
        Step::send("220 lan-relay.example.test ESMTP"),
        Step::expect("EHLO "),
        Step::send("250 lan-relay.example.test"),
        Step::ExpectQuitOrClose,
    ]);
    let run = ko_report(plain, &["--tls", "none"]).await;
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(run.stdout.contains("TLS 없음"), "{}", run.stdout);
    assert_korean(&run.stdout, &[]);
}

/// The real Postfix and Dovecot: a wrong password, a pass that needs the CA file, an
/// implicit-TLS check of the plain POP3 port.
#[tokio::test]
async fn reports_against_the_real_peers_are_korean_throughout() {
    let Some(p) = peers() else { return };
    let ca = p.ca.to_string_lossy().into_owned();
    let (sub, pop3) = (p.submission_port.to_string(), p.pop3_port.to_string());
    let base = [
        "check",
        "--server",
        &p.host,
        "--timeout",
        "5",
        "--lang",
        "ko",
    ];
    let cases: Vec<(Vec<&str>, &str, &[&str])> = vec![
        (
            vec![
                "--port",
                &sub,
                "--ca-file",
                &ca,
                "--user",
                &p.user,
                "--password-env",
                "PW",
            ],
            "auth.bad_credentials",
            &[],
        ),
        (vec!["--port", &sub, "--ca-file", &ca], "참고:", &[]),
        (vec!["--port", &sub], "tls.certificate_untrusted", &[]),
        (
            vec!["--port", &pop3, "--tls", "implicit"],
            "connect.not_smtp",
            &["+OK Dovecot (Debian) ready."],
        ),
    ];
    for (extra, expected, values) in cases {
        let mut args = base.to_vec();
        args.extend_from_slice(&extra);
        let run = scanrelay(&args, &[("PW", "not-the-password")]).await;
        assert!(run.stdout.contains(expected), "{extra:?}: {}", run.stdout);
        assert_korean(&run.stdout, values);
    }
}
