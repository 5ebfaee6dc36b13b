//! docs/causes.md stays in sync with `Cause::ALL`.

use scanrelay_diagnose::{Cause, Lang, advise};

const CAUSES_MD: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/causes.md"));

#[test]
fn causes_md_mentions_every_cause() {
    for &cause in Cause::ALL {
        let code = format!("`{}`", cause.as_str());
        assert!(
            CAUSES_MD.contains(&code),
            "docs/causes.md does not mention {code}"
        );
    }
}

#[test]
fn causes_md_rows_carry_the_summaries() {
    for &cause in Cause::ALL {
        let row = CAUSES_MD
            .lines()
            .find(|l| l.starts_with(&format!("| `{}`", cause.as_str())))
            .unwrap_or_else(|| panic!("no table row for {cause}"));
        for lang in [Lang::En, Lang::Ko] {
            let summary = advise(cause, None, lang).summary;
            assert!(
                row.contains(&summary),
                "{cause} {lang}: row lacks {summary:?}"
            );
        }
    }
}
