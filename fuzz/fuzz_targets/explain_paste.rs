//! Feeds arbitrary pasted text to `scanrelay_diagnose::explain`, the code behind
//! `scanrelay explain`, which reads whatever users copy out of logs and error dialogs: SMTP
//! replies (`parse_pasted`), OAuth2 and Graph errors (`parse_service_error`, `aadsts_codes`)
//! and client error messages (`classify_error`). None of it may panic, and the explanation
//! must be the one its parts give.
//!
//! The first byte picks the `--stage` (0 and anything past the last stage: none), the second
//! the `--provider` (the same); the rest, read as UTF-8 with invalid bytes replaced (the CLI
//! reads a `String`), is the paste.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scanrelay_diagnose::{
    Cause, Lang, Stage, aadsts_codes, advise, explain, parse_pasted, parse_service_error, providers,
};

fuzz_target!(|data: &[u8]| {
    let [stage, provider, paste @ ..] = data else {
        return;
    };
    let stage = usize::from(*stage)
        .checked_sub(1)
        .and_then(|i| Stage::ALL.get(i).copied());
    let given = usize::from(*provider)
        .checked_sub(1)
        .and_then(|i| providers().get(i));
    let input = String::from_utf8_lossy(paste);

    let found = explain(&input, stage, given);

    // A service error is read first; only without one is the text read as an SMTP reply.
    let service = parse_service_error(&input);
    assert_eq!(
        found.service, service,
        "service error differs from parse_service_error"
    );
    if service.is_some() {
        assert!(found.facts.is_none(), "both a service error and SMTP facts");
    } else {
        assert_eq!(
            found.facts,
            parse_pasted(&input),
            "facts differ from parse_pasted"
        );
    }
    assert_eq!(
        found.recognised(),
        found.facts.is_some() || found.service.is_some()
    );
    if let Some(facts) = &found.facts {
        assert!(
            (200..600).contains(&facts.code),
            "reply code {}",
            facts.code
        );
        if let Some(enhanced) = &facts.enhanced {
            assert!(!enhanced.is_empty());
        }
    }
    if let Some(p) = given {
        assert_eq!(
            found.provider.map(|f| f.id),
            Some(p.id),
            "--provider not kept"
        );
    }
    let codes = aadsts_codes(&input);
    for (i, code) in codes.iter().enumerate() {
        assert!(!codes[..i].contains(code), "AADSTS{code} listed twice");
    }

    // What the CLI does next: the cause's code round-trips, the advice exists in both
    // languages, and the `--json` form serialises.
    assert_eq!(found.cause.as_str().parse::<Cause>(), Ok(found.cause));
    for lang in [Lang::En, Lang::Ko] {
        let advice = advise(found.cause, found.provider, lang);
        assert!(!advice.summary.is_empty() && !advice.fix.is_empty());
    }
    serde_json::to_string(&found).expect("an explanation serialises");
});
