//! With `--json`, every error is one JSON object on stdout with exit status 2, including the
//! usage errors clap finds while parsing; without it, usage errors stay human text. Regression
//! tests for issue 6, item 1: these command lines printed clap's text and no JSON.

use crate::scanrelay;

/// The check keys its JSON error has always had.
const CHECK_KEYS: [&str; 6] = ["ok", "cause", "summary", "fix", "error", "steps"];

#[tokio::test]
async fn usage_errors_with_json_are_one_json_object() {
    let dir = tempfile::tempdir().unwrap();
    let nowhere = dir.path().join("nowhere").to_string_lossy().into_owned();
    let cases: &[(&[&str], &[&str], &str)] = &[
        (
            &["check", "--json", "--password-env", "A", "--token-env", "B"],
            &CHECK_KEYS,
            "cannot be used with",
        ),
        (
            &["check", "--json", "--server", "x", "--send-test"],
            &CHECK_KEYS,
            "--to",
        ),
        (
            &["check", "--json", "--server", "x", "--tls", "bogus"],
            &CHECK_KEYS,
            "bogus",
        ),
        (
            &["check", "--server", "x", "--port", "99999", "--json"],
            &CHECK_KEYS,
            "99999",
        ),
        (
            &["check", "--server", "x", "--port", "0", "--json"],
            &CHECK_KEYS,
            "0",
        ),
        (
            &["explain", "--json", "--stage"],
            &["ok", "cause", "summary", "fix", "error"],
            "--stage",
        ),
        (
            &["explain", "--stage", "--json", "550 x"],
            &["ok", "error"],
            "--stage",
        ),
        (
            &["queue", "list", "--json", "--bogus"],
            &["ok", "error"],
            "--bogus",
        ),
        (&["queue", "show", "--json"], &["ok", "error"], "<ID>"),
        (
            &["queue", "--data-dir", &nowhere, "show", "--json", "x"],
            &["ok", "error"],
            "no spool",
        ),
    ];
    for (args, keys, mention) in cases {
        let run = scanrelay(args, &[]).await;
        assert_eq!(run.code, 2, "{args:?}: {}{}", run.stdout, run.stderr);
        let v = run.json();
        for key in *keys {
            assert!(v.get(key).is_some(), "{args:?}: no `{key}` in {v}");
        }
        assert_eq!(v["ok"], false, "{args:?}");
        let error = v["error"].as_str().unwrap_or_default();
        assert!(error.contains(mention), "{args:?}: {error}");
        // A fix is a text worth printing, or null when none is known.
        assert_ne!(v.get("fix"), Some(&serde_json::json!("")), "{args:?}: {v}");
    }
    assert!(!dir.path().join("nowhere").exists());
}

#[tokio::test]
async fn without_json_usage_errors_stay_text_and_help_still_works() {
    for args in [
        &["check", "--server", "x", "--tls", "bogus"][..],
        // `--json` as a value, or after `--`, is not the flag.
        &["explain", "--stage=--json", "550 x"],
        &["check", "--server", "x", "--port", "99999", "--", "--json"],
    ] {
        let run = scanrelay(args, &[]).await;
        assert_eq!(run.code, 2, "{args:?}");
        assert!(run.stdout.is_empty(), "{args:?}: {}", run.stdout);
        assert!(run.stderr.contains("error"), "{args:?}: {}", run.stderr);
    }
    let run = scanrelay(&["explain", "--", "--json"], &[]).await;
    assert!(
        !run.stdout.trim_start().starts_with('{'),
        "a reply text: {}",
        run.stdout
    );

    for args in [
        &["check", "--json", "--help"][..],
        &["--version"],
        &["queue", "list", "--help"],
    ] {
        let run = scanrelay(args, &[]).await;
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
        assert!(
            !run.stdout.is_empty() && !run.stdout.starts_with('{'),
            "{args:?}"
        );
    }
}
