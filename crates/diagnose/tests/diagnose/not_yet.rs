//! Advice only promises what exists: no advice text names a feature on the not-yet list
//! (`NOT_YET_BUILT`, crates/diagnose/src/not_yet.rs). The positive checks (every `--flag`
//! is a flag of the binary, every config key a key of the gateway) need the binary and live
//! in the cli tests (advice_claims.rs).

use scanrelay_diagnose::{Cause, Lang, Situation, advise_in, not_yet_built_in, providers};

/// Every advice text: cause × (no provider, every provider) × language × situation.
pub fn every_advice() -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut who: Vec<Option<&'static scanrelay_diagnose::Provider>> = vec![None];
    who.extend(providers().iter().map(Some));
    for &cause in Cause::ALL {
        for &p in &who {
            for lang in [Lang::En, Lang::Ko] {
                for &situation in Situation::ALL {
                    let a = advise_in(cause, p, lang, situation);
                    let label = format!(
                        "{cause} / {} / {lang} / {situation:?}",
                        p.map_or("-", |p| p.id)
                    );
                    out.push((label, format!("{}\n{}", a.summary, a.fix)));
                }
            }
        }
    }
    out
}

/// The Gmail fix promised "OAuth2 through the scanrelay gateway", and the Microsoft and
/// Outlook.com fixes a gateway "which signs in with OAuth2" and Microsoft Graph, none of
/// which exists.
#[test]
fn no_advice_names_a_feature_that_is_not_built() {
    let all = every_advice();
    assert!(all.len() > 1000, "{} texts", all.len());
    let bad: Vec<String> = all
        .iter()
        .filter_map(|(label, text)| {
            let found = not_yet_built_in(text);
            (!found.is_empty()).then(|| {
                let names: Vec<&str> = found.iter().map(|f| f.feature).collect();
                format!("{label}: names {names:?}\n  {text}")
            })
        })
        .collect();
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// (text, whether it names something not built): the promises that were in the advice
/// before, and true sentences that must not be flagged.
const MATCHER_CASES: &[(&str, bool)] = &[
    (
        "If the App passwords page is missing, ask them, or use OAuth2 through the scanrelay \
         gateway.",
        true,
    ),
    ("scanrelay 게이트웨이를 통해 OAuth2로 송신하십시오.", true),
    (
        "Otherwise set the device's SMTP server to the scanrelay gateway on the LAN, which logs \
         in upstream with OAuth2.",
        true,
    ),
    (
        "복합기의 SMTP서버를 OAuth2로 로그인하는 scanrelay 게이트웨이로 지정하십시오.",
        true,
    ),
    (
        "Ways to send: direct send, a connector, or Microsoft Graph.",
        true,
    ),
    ("Run scanrelay send --to a@b.", true),
    ("Set `tls_min_version = \"1.0\"` in [listen].", true),
    // Built with issue 7: `scanrelay check --oauth NAME` and `scanrelay oauth login`.
    ("Give --oauth to the check.", false),
    ("Run scanrelay oauth login office.", false),
    ("Open the scanrelay web console.", true),
    // True sentences.
    ("Use OAuth2 (XOAUTH2) if the device supports it.", false),
    (
        "Check that the device can reach the Internet (default gateway, DNS, proxy).",
        false,
    ),
    (
        "Test a token with --auth oauthbearer --token-env VAR.",
        false,
    ),
    (
        "The scanrelay gateway queues and retries. The device logs in with OAuth2.",
        false,
    ),
    ("Open the Google Admin console.", false),
];

#[test]
fn the_not_yet_matcher_finds_the_old_promises_and_spares_true_sentences() {
    for &(text, expected) in MATCHER_CASES {
        assert_eq!(
            !not_yet_built_in(text).is_empty(),
            expected,
            "{text}: {:?}",
            not_yet_built_in(text)
        );
    }
}
