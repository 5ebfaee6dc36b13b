//! Fixtures and the secret check.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use scanrelay_test_support::assert_no_secrets;
use scanrelay_test_support::fixtures::{fixture_path, provider_replies, provider_reply};

#[test]
fn provider_replies_has_24_complete_rows() {
    let rows = provider_replies();
    assert_eq!(rows.len(), 24);
    for row in &rows {
        for (field, value) in [
            ("provider", &row.provider),
            ("stage", &row.stage),
            ("reply", &row.reply),
            ("cause", &row.cause),
            ("meaning", &row.meaning),
            ("fix", &row.fix),
            ("source", &row.source),
        ] {
            assert!(!value.trim().is_empty(), "{field} empty in {row:?}");
        }
        assert!(
            row.reply.as_bytes()[..3].iter().all(u8::is_ascii_digit),
            "{row:?}"
        );
    }
    assert!(fixture_path("provider-replies.jsonl").is_file());
}

#[test]
#[should_panic(expected = "found 0")]
fn provider_reply_panics_on_an_unknown_row() {
    provider_reply("gmail", "auth", "no.such.cause");
}

fn leak_message(haystack: &str, secrets: &[&str]) -> Option<String> {
    let result = std::panic::catch_unwind(|| assert_no_secrets(haystack, secrets));
    result.err().map(|payload| {
        payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default()
    })
}

#[test]
fn secrets_are_found_literally_and_in_any_base64_blob() {
    let secret = "correct horse battery";
    assert_eq!(leak_message("C: AUTH PLAIN <redacted>", &[secret]), None);
    let literal = leak_message(&format!("password={secret}"), &["other-secret", secret]).unwrap();
    assert!(literal.contains("secret #1 appears literally"), "{literal}");
    assert!(!literal.contains(secret));
    for user in ["", "a", "ab", "someone@example.test"] {
        let plain = B64.encode(format!("\0{user}\0{secret}"));
        let message =
            leak_message(&format!("C: AUTH PLAIN {plain}"), &[secret]).expect("PLAIN payload");
        assert!(
            message.contains("secret #0 appears base64-encoded"),
            "{message}"
        );
    }
    let login = B64.encode("pw12");
    assert!(
        leak_message(&format!("C: {login}"), &["pw12"]).is_some(),
        "short secret, base64 alone"
    );
}

#[test]
#[should_panic(expected = "secret #0 is empty")]
fn an_empty_secret_is_a_test_bug() {
    assert_no_secrets("anything", &[""]);
}
