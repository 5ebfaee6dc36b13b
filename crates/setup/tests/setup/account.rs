//! Generated device accounts: short names, passwords a person can type without misreading,
//! and accounts the config accepts without a warning.

use std::collections::HashSet;
use std::path::Path;

use rand::SeedableRng as _;
use rand::rngs::StdRng;
use scanrelay_gateway::config::ParseOptions;
use scanrelay_gateway::config::edit::{Change, SecretInput, apply};
use scanrelay_setup::{PASSWORD_ALPHABET, new_device};

#[test]
fn names_are_short_and_free() {
    let mut rng = StdRng::seed_from_u64(7);
    let cases: &[(Option<&str>, &[&str], &str)] = &[
        (Some("3F"), &[], "scan-3f"),
        (Some(" Sales floor! "), &[], "scan-salesfloor"),
        (Some("--"), &[], "scan-"),
    ];
    for (label, taken, prefix) in cases {
        let d = new_device(&mut rng, *label, taken);
        assert!(d.username.starts_with(prefix), "{label:?}: {}", d.username);
        assert!(d.username.len() <= 16, "{}", d.username);
    }
    let random = new_device(&mut rng, None, &[]);
    assert_eq!(
        random.username.len(),
        "scan-".len() + 2,
        "{}",
        random.username
    );
    let taken = new_device(&mut rng, Some("3f"), &["scan-3f"]);
    assert!(taken.username.starts_with("scan-3f") && taken.username != "scan-3f");
}

#[test]
fn passwords_have_12_unambiguous_characters_and_differ() {
    let mut rng = StdRng::seed_from_u64(42);
    let mut seen = HashSet::new();
    for _ in 0..1000 {
        let d = new_device(&mut rng, None, &[]);
        assert_eq!(d.password.chars().count(), 12);
        assert!(d.password.chars().all(|c| PASSWORD_ALPHABET.contains(c)));
        assert!(!format!("{d:?}").contains(&d.password));
        seen.insert(d.password);
    }
    assert_eq!(seen.len(), 1000);
    for ambiguous in ['0', 'O', 'o', '1', 'l', 'I'] {
        assert!(!PASSWORD_ALPHABET.contains(ambiguous), "{ambiguous}");
    }
    assert_eq!(PASSWORD_ALPHABET.len(), 56);
}

#[test]
fn a_generated_account_is_saved_without_warnings() {
    let mut rng = StdRng::seed_from_u64(1);
    let d = new_device(&mut rng, Some("3f"), &[]);
    let applied = apply(
        scanrelay_gateway::config::DEFAULT_CONFIG,
        Path::new("/etc/scanrelay/scanrelay.toml"),
        Path::new("/var/lib/scanrelay"),
        &ParseOptions::default(),
        &[Change::AddDevice {
            username: d.username.clone(),
            password: SecretInput::Set(d.password.clone()),
            upstream: String::new(),
        }],
    )
    .unwrap();
    assert!(applied.warnings.is_empty(), "{:?}", applied.warnings);
    assert_eq!(applied.settings.devices[0].username, "scan-3f");
}
