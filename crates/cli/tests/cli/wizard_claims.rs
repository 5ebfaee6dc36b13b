//! The setup wizard's texts (crates/setup: every provider's steps, the method and provider
//! names, the app-password note and the device sheet's values, notes and problems, in both
//! languages) promise only what this build has, checked like the advice texts
//! (`advice_claims`): no feature on the not-yet list, only real flags, commands, config keys
//! and sections.

use std::path::Path;

use scanrelay_gateway::config::{ParseOptions, parse_str};
use scanrelay_setup::{
    Lang, Method, Mode, STORED_FORM, SheetInput, Text, catalogue, device_sheet, steps,
};

use crate::advice_claims::{false_claims, known};

const METHODS: [Method; 4] = [
    Method::AppPassword,
    Method::Password,
    Method::OAuth2,
    Method::NoLogin,
];

/// Sheets for listeners that bring out every note and problem the sheet has.
fn sheet_texts() -> Vec<(String, Text)> {
    let listens = [
        "[listen]\nsmtp = \"127.0.0.1:2525\"\n",
        "[listen]\nsmtp = \"0.0.0.0:2525\"\nsmtps = \"0.0.0.0:2465\"\nallow_networks = [\"192.168.1.0/24\"]\n",
    ];
    let upstreams = [
        "",
        "[upstream]\nprovider = \"gmail\"\nusername = \"s@example.com\"\npassword = \"abcdefghijklmnop\"\n",
        "[upstream]\nserver = \"relay.example.com\"\n",
    ];
    let mut out = Vec::new();
    for listen in listens {
        for upstream in upstreams {
            let text = format!("{listen}\n{upstream}");
            let s = parse_str(
                &text,
                Path::new("/etc/scanrelay/scanrelay.toml"),
                Path::new("/var/lib/scanrelay"),
                &ParseOptions::default(),
            )
            .unwrap()
            .settings;
            for (user, password) in [
                (None, None),
                (Some("scan-3f"), None),
                (Some("scan-3f"), Some("pw")),
            ] {
                for mode in [
                    None,
                    Some(Mode::ImplicitTls),
                    Some(Mode::StartTls),
                    Some(Mode::Plain),
                ] {
                    let sheet = device_sheet(&SheetInput {
                        listen: &s.listen,
                        lan_address: "192.168.1.10",
                        username: user,
                        password,
                        sender: "scanner@example.com",
                        device_ip: Some("10.1.1.1".parse().unwrap()),
                        mode,
                        upstream: s.upstreams.first(),
                    });
                    let label = format!("sheet {listen:?} {upstream:?} {user:?} {mode:?}");
                    out.push((label.clone(), sheet.menu_hint.clone()));
                    for p in sheet.problems {
                        out.push((label.clone(), p));
                    }
                    for row in sheet.rows {
                        out.push((format!("{label} {:?}", row.field), row.value));
                        out.extend(row.note.map(|n| (format!("{label} {:?}", row.field), n)));
                    }
                }
            }
        }
    }
    out
}

fn every_text() -> Vec<(String, Text)> {
    let mut out = vec![("app password note".to_string(), STORED_FORM)];
    for m in METHODS {
        out.push((format!("{m:?}"), m.label()));
    }
    for c in catalogue() {
        out.push((c.slug.to_string(), c.name()));
        for m in METHODS {
            for step in steps(c.choice, m) {
                out.push((format!("{} {m:?}", c.slug), step.title));
                out.push((format!("{} {m:?}", c.slug), step.body));
            }
        }
    }
    out.extend(sheet_texts());
    out
}

#[tokio::test]
async fn every_wizard_text_promises_only_what_this_build_has() {
    let known = known().await;
    let texts = every_text();
    assert!(texts.len() > 300, "{} texts", texts.len());
    let mut problems = Vec::new();
    for (label, text) in &texts {
        for lang in [Lang::En, Lang::Ko] {
            for claim in false_claims(text.get(lang), &known) {
                problems.push(format!("{label} / {lang}: {claim}\n  {}", text.get(lang)));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
