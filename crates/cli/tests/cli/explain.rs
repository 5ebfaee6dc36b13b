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

/// The labelled OAuth2 sign-in and Graph errors (`fixtures/oauth-graph-errors.jsonl`), pasted
/// on stdin: `explain --json` gives the labelled cause, the service, the HTTP status when the
/// text has one, a summary and a fix, and exit 0. Before issue 7 a Graph body with
/// `HTTP/1.1 403` was an SMTP `403` (`server.temporary`) and every token-endpoint error was
/// `auth.oauth_token_rejected` with exit 1.
#[tokio::test]
async fn every_labelled_oauth_and_graph_error_is_explained_as_labelled() {
    const ROWS: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/oauth-graph-errors.jsonl"
    ));
    let rows: Vec<serde_json::Value> = ROWS
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("fixture line"))
        .collect();
    assert!(rows.len() >= 35);
    for row in rows {
        let text = row["text"].as_str().unwrap();
        let run = scanrelay_stdin(&["explain", "--json", "-"], text).await;
        assert_eq!(run.code, 0, "{text}: {}", run.stderr);
        let v = run.json();
        assert_eq!(v["cause"], row["cause"], "{text}\n{}", run.stdout);
        assert!(!v["summary"].as_str().unwrap().is_empty(), "{text}");
        assert!(!v["fix"].as_str().unwrap().is_empty(), "{text}");
        match row["service"].as_str().unwrap() {
            "smtp" => assert_eq!(v["service"], serde_json::Value::Null, "{text}"),
            kind => {
                assert_eq!(v["service"]["service"], kind, "{text}\n{}", run.stdout);
                assert_eq!(v["service"]["status"], row["status"], "{text}");
            }
        }
    }
}

/// (pasted text, cause, service, HTTP status, transient): the forms the brief names, as
/// command-line arguments.
const SERVICE_PASTES: &[(&str, &str, &str, Option<u64>, bool)] = &[
    (
        r#"{"error":"invalid_grant","error_description":"AADSTS700082: The refresh token has expired due to inactivity. The token was issued on 2024-01-10 and was inactive for 90.00:00:00."}"#,
        "oauth.needs_login",
        "oauth",
        None,
        false,
    ),
    (
        "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.",
        "oauth.client_secret_wrong",
        "oauth",
        None,
        false,
    ),
    (
        r#"{"error": "invalid_grant", "error_description": "Token has been expired or revoked."}"#,
        "oauth.needs_login",
        "oauth",
        None,
        false,
    ),
    (
        r#"HTTP/1.1 403 Forbidden {"error":{"code":"ErrorAccessDenied","message":"Access is denied. Check credentials and try again."}}"#,
        "graph.access_denied",
        "graph",
        Some(403),
        false,
    ),
    (
        r#"Status: 429 {"error":{"code":"ApplicationThrottled","message":"Application is over its MailboxConcurrency limit."}}"#,
        "graph.throttled",
        "graph",
        Some(429),
        true,
    ),
    (
        "MsalUiRequiredException: AADSTS50076: Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '00000002-0000-0ff1-ce00-000000000000'.",
        "oauth.interaction_required",
        "oauth",
        None,
        false,
    ),
    (
        "Microsoft.Graph.Models.ODataErrors.ODataError: Access is denied. Check credentials and try again.",
        "graph.access_denied",
        "graph",
        None,
        false,
    ),
];

#[tokio::test]
async fn explain_reads_pasted_oauth_and_graph_errors() {
    for &(input, cause, service, status, transient) in SERVICE_PASTES {
        let run = scanrelay(&["explain", "--json", input], &[]).await;
        assert_eq!(run.code, 0, "{input}: {}", run.stderr);
        let v = run.json();
        assert_eq!(v["cause"], cause, "{input}\n{}", run.stdout);
        assert_eq!(v["service"]["service"], service, "{input}");
        assert_eq!(v["service"]["status"].as_u64(), status, "{input}");
        assert_eq!(v["transient"], transient, "{input}");
        assert_eq!(v["code"], serde_json::Value::Null, "{input}: no SMTP code");
    }
}

/// The text output names what was found and the fix, in English and Korean.
#[tokio::test]
async fn explain_prints_oauth_and_graph_errors_in_both_languages() {
    let body = r#"{"error":"invalid_grant","error_description":"AADSTS700082: The refresh token has expired due to inactivity."}"#;
    let en = scanrelay(&["explain", "--lang", "en", body], &[]).await;
    assert_eq!(en.code, 0, "{}", en.stderr);
    assert!(
        en.stdout
            .starts_with("OAuth2 invalid_grant AADSTS700082  [oauth.needs_login]"),
        "{}",
        en.stdout
    );
    assert!(
        en.stdout.contains("Fix: Run `scanrelay oauth login NAME`"),
        "{}",
        en.stdout
    );
    let ko = scanrelay(&["explain", "--lang", "ko", body], &[]).await;
    assert!(
        ko.stdout.contains(
            "해결 방법: 게이트웨이가 설치된 서버에서 `scanrelay oauth login NAME` 명령을"
        ),
        "{}",
        ko.stdout
    );
    let graph = r#"HTTP/1.1 403 Forbidden {"error":{"code":"ErrorAccessDenied","message":"Access to OData is disabled: [RAOP] : Blocked by tenant configured AppOnly AccessPolicy settings."}}"#;
    let ko = scanrelay(&["explain", "--lang", "ko", graph], &[]).await;
    assert!(
        ko.stdout
            .starts_with("Graph 403 ErrorAccessDenied  [graph.access_denied]"),
        "{}",
        ko.stdout
    );
    assert!(
        ko.stdout.contains("Microsoft Entra 관리 센터"),
        "{}",
        ko.stdout
    );
    assert!(
        ko.stdout.contains("Test-ApplicationAccessPolicy"),
        "{}",
        ko.stdout
    );
}

/// `535 5.7.3` after `AUTH XOAUTH2` in a pasted transcript is a token problem, not a
/// password: before, `explain` said "rejected the user name or password".
#[tokio::test]
async fn explain_a_refused_xoauth2_login_is_no_bad_password() {
    let transcript = "C: AUTH XOAUTH2\nS: 334 \nC: dXNlcj1zY2FubmVyQGNvbnRvc28uY29tAWF1dGg9QmVhcmVyIGV5SjAuZmFrZQEB\nS: 535 5.7.3 Authentication unsuccessful [SN4PR0501CA0050.namprd05.prod.outlook.com]";
    let run = scanrelay_stdin(&["explain", "--json", "-"], transcript).await;
    let v = run.json();
    assert_eq!(
        v["cause"], "auth.oauth_wrong_audience_or_permission",
        "{}",
        run.stdout
    );
    assert_eq!(v["code"], 535);
    let fix = v["fix"].as_str().unwrap();
    assert!(
        fix.contains("SMTP.Send") && fix.contains("SMTP.SendAsApp"),
        "{fix}"
    );
    run.assert_no_secrets(&["dXNlcj1zY2FubmVyQGNvbnRvc28uY29tAWF1dGg9QmVhcmVyIGV5SjAuZmFrZQEB"]);
}
