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
/// Outlook.com fixes a gateway "which signs in with OAuth2" and Microsoft Graph, before
/// any of them existed (issue 6); issue 7 built those, and the list keeps what is still
/// missing.
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

/// (text, whether it names something not built): promises of features that do not exist,
/// features that issue 7 built (an OAuth2 upstream, Microsoft Graph, `scanrelay oauth`,
/// `--oauth`: no longer on the list), features issues 8 and 9 built (the web console,
/// `scanrelay send`, POP3 in the gateway and POP-before-SMTP), and true sentences that must
/// not be flagged.
const MATCHER_CASES: &[(&str, bool)] = &[
    ("The gateway serves IMAP to devices.", true),
    ("Use scanrelay fetch over IMAP.", true),
    // Built in issues 8 and 9.
    ("Run scanrelay send --to a@b.", false),
    ("Open the scanrelay web console.", false),
    ("Turn on pop_before_smtp in the gateway.", false),
    ("The gateway serves POP3 to devices.", false),
    ("Set `tls_min_version = \"1.0\"` in [listen].", false),
    ("Set min_tls_version to 1.0.", false),
    // Built in issue 7.
    (
        "If the App passwords page is missing, ask them, or use OAuth2 through the scanrelay \
         gateway.",
        false,
    ),
    ("scanrelay 게이트웨이를 통해 OAuth2로 송신하십시오.", false),
    (
        "Ways to send: direct send, a connector, or Microsoft Graph (`kind = \"graph\"`).",
        false,
    ),
    (
        "Set `auth = \"oauth2\"` in [upstream] and run scanrelay oauth login NAME.",
        false,
    ),
    ("Give --oauth to the check.", false),
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
