//! Every labelled provider reply in `fixtures/provider-replies.jsonl` classifies to its
//! label, with the labelled stage and provider and through `explain` alone.

use scanrelay_diagnose::{
    Cause, Stage, classify_reply, explain, parse_pasted, provider_from_label,
};
use serde::Deserialize;

const REPLIES: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../fixtures/provider-replies.jsonl"
));

#[derive(Debug, Deserialize)]
struct Row {
    provider: String,
    stage: String,
    reply: String,
    cause: String,
}

fn rows() -> Vec<Row> {
    REPLIES
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad fixture line {l}: {e}")))
        .collect()
}

#[test]
fn fixture_is_not_empty() {
    assert!(
        rows().len() >= 20,
        "expected the full fixture, got {} rows",
        rows().len()
    );
}

#[test]
fn every_reply_classifies_with_stage_and_provider() {
    for row in rows() {
        let expected: Cause = row.cause.parse().expect("labelled cause is a known code");
        let stage: Stage = row.stage.parse().expect("labelled stage parses");
        let provider = provider_from_label(&row.provider)
            .unwrap_or_else(|| panic!("unknown provider label {}", row.provider));
        let facts = parse_pasted(&row.reply).unwrap_or_else(|| panic!("no reply in {}", row.reply));
        assert_eq!(
            classify_reply(Some(stage), &facts, Some(provider)),
            expected,
            "{} / {}: {}",
            row.provider,
            row.stage,
            row.reply
        );
    }
}

#[test]
fn every_reply_classifies_through_explain_alone() {
    for row in rows() {
        let expected: Cause = row.cause.parse().unwrap();
        let e = explain(&row.reply, None, None);
        assert_eq!(e.cause, expected, "explain({:?})", row.reply);
        let code: u16 = row.reply[..3].parse().unwrap();
        assert_eq!(e.facts.map(|f| f.code), Some(code), "{}", row.reply);
    }
}

#[test]
fn detected_provider_agrees_with_the_label() {
    for row in rows() {
        let labelled = provider_from_label(&row.provider).unwrap();
        if let Some(found) = explain(&row.reply, None, None).provider {
            assert_eq!(found.family, labelled.family, "{}", row.reply);
        }
    }
}

#[test]
fn provider_markers_are_recognised() {
    let cases = [
        (" - gsmtp", "gmail"),
        ("SmtpClientAuthentication is disabled", "m365"),
        ("Invalid credentials for relay", "gmail-relay"),
        (" - nsmtp", "naver"),
    ];
    for (marker, id) in cases {
        let row = rows()
            .into_iter()
            .find(|r| r.reply.contains(marker))
            .unwrap_or_else(|| panic!("fixture has no reply containing {marker}"));
        let found = explain(&row.reply, None, None).provider.map(|p| p.id);
        assert_eq!(found, Some(id), "{}", row.reply);
    }
}
