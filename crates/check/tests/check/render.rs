//! The reports of the fixed outcome, pinned byte for byte in `golden/` (the text `scanrelay
//! check` printed before the check became a library). Rewrite them with
//! `SCANRELAY_BLESS=1 cargo test -p scanrelay-check --test check render` after an intended
//! change, and review the diff.

use std::path::PathBuf;

use scanrelay_check::{Lang, render_human, render_json};

use crate::fixed::{self, PASSWORD};

fn golden(name: &str, got: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/check/golden")
        .join(name);
    if std::env::var_os("SCANRELAY_BLESS").is_some() {
        std::fs::write(&path, got).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
        return;
    }
    let want =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    assert!(
        got == want,
        "{name} differs from the golden file\n--- got ---\n{got}\n--- want ---\n{want}"
    );
    assert!(!got.contains(PASSWORD), "{name} shows the password");
}

#[test]
fn human_reports_are_unchanged_in_english_and_korean() {
    for (lang, tag) in [(Lang::En, "en"), (Lang::Ko, "ko")] {
        let plan = fixed::plan(lang);
        golden(
            &format!("refused-{tag}.txt"),
            &render_human(&plan, &fixed::outcome(&plan)),
        );
        golden(
            &format!("passed-{tag}.txt"),
            &render_human(&plan, &fixed::passing(&plan)),
        );
    }
}

#[test]
fn json_reports_are_unchanged() {
    for (lang, tag) in [(Lang::En, "en"), (Lang::Ko, "ko")] {
        let plan = fixed::plan(lang);
        let value = render_json(&plan, &fixed::outcome(&plan));
        let mut text = serde_json::to_string_pretty(&value).unwrap();
        text.push('\n');
        golden(&format!("refused-{tag}.json"), &text);
    }
}

#[test]
fn exit_status_follows_the_cause() {
    let plan = fixed::plan(Lang::En);
    assert_eq!(fixed::outcome(&plan).exit_status(), 14);
    assert_eq!(fixed::passing(&plan).exit_status(), 0);
}
