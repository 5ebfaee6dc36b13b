//! `explain` over every labelled provider reply, and the forms people paste.

use scanrelay_test_support::fixtures::provider_replies;

use crate::{scanrelay, scanrelay_stdin};

#[tokio::test]
async fn every_labelled_reply_is_explained_as_labelled() {
    let rows = provider_replies();
    assert!(rows.len() >= 24);
    for row in rows {
        let run = scanrelay_stdin(&["explain", "--json", "-"], &row.reply).await;
        assert_eq!(run.code, 0, "{}: {}", row.reply, run.stderr);
        let v = run.json();
        assert_eq!(
            v["cause"],
            row.cause.as_str(),
            "reply: {}\n{}",
            row.reply,
            run.stdout
        );
        assert!(!v["summary"].as_str().unwrap().is_empty());
    }
}

#[tokio::test]
async fn explain_tolerates_pasted_forms() {
    let cases: &[(&str, &str, u64)] = &[
        (
            "(535, b'5.7.8 Username and Password not accepted. Learn more at\\n5.7.8  https://support.google.com/mail/?p=BadCredentials x - gsmtp')",
            "auth.bad_credentials",
            535,
        ),
        (
            "Invalid login: 534-5.7.9 Application-specific password required. Learn more at\\n534 5.7.9  https://support.google.com/mail/?p=InvalidSecondFactor o13 - gsmtp",
            "auth.app_password_required",
            534,
        ),
        (
            "com.sun.mail.smtp.SMTPSendFailedException: 554 5.2.0 STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied",
            "sender.not_allowed",
            554,
        ),
        (
            "552 5.3.4 Message size exceeds fixed limit",
            "message.too_large",
            552,
        ),
    ];
    for (input, cause, code) in cases {
        let run = scanrelay(&["explain", "--json", input], &[]).await;
        let v = run.json();
        assert_eq!(v["cause"], *cause, "{input}\n{}", run.stdout);
        assert_eq!(v["code"], *code, "{input}");
    }
}

#[tokio::test]
async fn explain_in_korean() {
    let run = scanrelay(
        &["explain", "--lang", "ko", "--provider", "m365", "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant."],
        &[],
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("auth.smtp_auth_disabled"));
    assert!(run.stdout.contains("해결 방법"), "{}", run.stdout);
}

#[tokio::test]
async fn explain_without_a_reply_code_says_so() {
    let run = scanrelay(&["explain", "--json", "the printer is on fire"], &[]).await;
    assert_eq!(run.code, 1);
    assert_eq!(run.json()["code"], serde_json::Value::Null);
}

/// Held-out `explain` misses: a paste with size words but no numeric code was `unknown`.
#[tokio::test]
async fn size_words_without_a_code_are_message_too_large() {
    for input in [
        "Message size exceeds maximum size limit",
        "MapiExceptionMaxSubmissionExceeded",
        "Error: MapiExceptionMaxSubmissionExceeded:16.55847:2A0B0000",
    ] {
        let run = scanrelay(&["explain", "--json", input], &[]).await;
        let v = run.json();
        assert_eq!(v["cause"], "message.too_large", "{input}\n{}", run.stdout);
        assert_eq!(v["code"], serde_json::Value::Null, "{input}");
    }
}

/// A runtime error of `explain --json` (here an unknown provider) has the same shape as a
/// usage error: one object with `ok: false` and `error`, exit 2.
#[tokio::test]
async fn explain_json_runtime_errors_say_ok_false() {
    let run = scanrelay(
        &["explain", "--json", "--provider", "bogus", "550 5.7.1 no"],
        &[],
    )
    .await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    let v = run.json();
    assert_eq!(v["ok"], serde_json::Value::Bool(false), "{v}");
    assert!(v["error"].as_str().unwrap_or("").contains("bogus"), "{v}");
}
