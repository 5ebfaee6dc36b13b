//! Advice only promises what exists (issue 6, item 2). Every advice text (cause × provider ×
//! language × situation) is checked against the build: no feature on the not-yet list
//! (`NOT_YET_BUILT` in crates/diagnose/src/not_yet.rs), every `--flag` a flag of this
//! binary's `--help`, every `scanrelay <word>` a subcommand, every config key and `[section]`
//! one the gateway reads (crates/gateway/src/default-config.toml and its raw config structs).

use std::collections::BTreeSet;

use scanrelay_diagnose::{
    Cause, Lang, Provider, Situation, advise_in, not_yet_built_in, pop3_advice, providers,
};

use crate::scanrelay;

/// What the build has: flags, subcommands, config keys and sections.
pub struct Known {
    flags: BTreeSet<String>,
    commands: BTreeSet<String>,
    keys: BTreeSet<String>,
    sections: BTreeSet<String>,
}

/// The subcommand names listed under `Commands:` in a help text (without `help`).
fn commands_in(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .map(str::to_string)
        .collect()
}

/// Every `--flag` in a text.
fn flags_in(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (at, _) in text.match_indices("--") {
        let before = text[..at].chars().next_back();
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '-') {
            continue;
        }
        let name: String = text[at + 2..]
            .chars()
            .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-')
            .collect();
        if name.starts_with(|c: char| c.is_ascii_lowercase()) {
            out.push(format!("--{}", name.trim_end_matches('-')));
        }
    }
    out
}

/// The flags and subcommands of the built binary, from its `--help` texts.
async fn cli_surface() -> (BTreeSet<String>, BTreeSet<String>) {
    let mut flags = BTreeSet::new();
    let mut commands = BTreeSet::new();
    let top = scanrelay(&["--help"], &[]).await.stdout;
    flags.extend(flags_in(&top));
    let mut todo: Vec<Vec<String>> = commands_in(&top).into_iter().map(|c| vec![c]).collect();
    assert!(todo.len() >= 4, "subcommands from --help: {todo:?}\n{top}");
    while let Some(path) = todo.pop() {
        commands.insert(path[0].clone());
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let help = scanrelay(&args, &[]).await.stdout;
        assert!(help.contains("Usage:"), "{args:?}: {help}");
        flags.extend(flags_in(&help));
        for sub in commands_in(&help) {
            let mut deeper = path.clone();
            deeper.push(sub);
            todo.push(deeper);
        }
    }
    (flags, commands)
}

fn read(relative: &str) -> String {
    let path = format!("{}/../{relative}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read `{path}`: {e}"))
}

/// Config keys and sections: the default config (commented examples included) and the
/// field names of the gateway's raw config structs (every table denies unknown keys).
fn config_surface() -> (BTreeSet<String>, BTreeSet<String>) {
    let mut keys = BTreeSet::new();
    let mut sections = BTreeSet::new();
    for line in read("gateway/src/default-config.toml").lines() {
        let line = line.trim_start_matches(['#', ' ']);
        if let Some(inner) = line.strip_prefix('[') {
            let name = inner.trim_matches(['[', ']']);
            sections.insert(name.to_string());
        } else if let Some((key, _)) = line.split_once(" =")
            && is_ident(key.trim())
        {
            keys.insert(key.trim().to_string());
        }
    }
    for line in read("gateway/src/config/raw.rs").lines() {
        if let Some(rest) = line.trim().strip_prefix("pub ")
            && let Some((name, _)) = rest.split_once(':')
            && is_ident(name)
        {
            keys.insert(name.to_string());
        }
    }
    assert!(
        keys.contains("ca_file") && keys.contains("allow_networks"),
        "{keys:?}"
    );
    assert!(sections.contains("upstream"), "{sections:?}");
    (keys, sections)
}

fn is_ident(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// The whole surface of the current build.
pub async fn known() -> Known {
    let (flags, commands) = cli_surface().await;
    let (keys, sections) = config_surface();
    Known {
        flags,
        commands,
        keys,
        sections,
    }
}

/// Config keys a text names: `key` or `key = value` in backticks, and any bare snake_case
/// word (`allow_networks`) outside double quotes (a quoted word is a value:
/// `flow = "device_code"`, a scope such as "offline_access").
fn keys_in(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (i, span) in text.split('`').enumerate() {
        let ident = span.split(" = ").next().unwrap_or("");
        if i % 2 == 1 && is_ident(ident) && (ident == span || span.contains(" = ")) {
            out.insert(ident.to_string());
        }
    }
    // Dotted words (`connect.not_smtp`, host names) are not keys.
    let unquoted: String = text.split('"').step_by(2).collect::<Vec<_>>().join(" ");
    for word in unquoted.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.')) {
        let word = word.trim_end_matches('.');
        if word.contains('_') && is_ident(word) && !word.ends_with('_') {
            out.insert(word.to_string());
        }
    }
    out
}

/// `[section]` names in a text.
fn sections_in(text: &str) -> Vec<String> {
    text.split('[')
        .skip(1)
        .filter_map(|rest| rest.split_once(']').map(|(name, _)| name))
        .filter(|name| is_ident(name))
        .map(str::to_string)
        .collect()
}

/// The words after `scanrelay ` that look like a subcommand.
fn commands_named(text: &str) -> Vec<String> {
    text.match_indices("scanrelay ")
        .map(|(at, m)| {
            text[at + m.len()..]
                .chars()
                .take_while(char::is_ascii_lowercase)
                .collect::<String>()
        })
        .filter(|w| !w.is_empty())
        .collect()
}

/// What `text` claims that the build does not have (empty when it is all true).
pub fn false_claims(text: &str, known: &Known) -> Vec<String> {
    let mut bad: Vec<String> = not_yet_built_in(text)
        .iter()
        .map(|f| format!("not built yet: {}", f.feature))
        .collect();
    for flag in flags_in(text) {
        if !known.flags.contains(&flag) {
            bad.push(format!("no such flag: {flag}"));
        }
    }
    for word in commands_named(text) {
        if word != "gateway" && !known.commands.contains(&word) {
            bad.push(format!("no such command: scanrelay {word}"));
        }
    }
    for key in keys_in(text) {
        if !known.keys.contains(&key) {
            bad.push(format!("no such config key: {key}"));
        }
    }
    for section in sections_in(text) {
        if !known.sections.contains(&section) {
            bad.push(format!("no such config section: [{section}]"));
        }
    }
    bad
}

fn every_advice() -> Vec<(String, String)> {
    let mut who: Vec<Option<&'static Provider>> = vec![None];
    who.extend(providers().iter().map(Some));
    let mut out = Vec::new();
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
        for lang in [Lang::En, Lang::Ko] {
            let a = pop3_advice(cause, lang);
            out.push((
                format!("{cause} / pop3 / {lang}"),
                format!("{}\n{}", a.summary, a.fix),
            ));
        }
    }
    out
}

/// The Gmail fix said "or use OAuth2 through the scanrelay gateway"; Outlook.com and
/// Microsoft 365 fixes promised a gateway that signs in with OAuth2 and Microsoft Graph,
/// before issue 7 built them. Their advice now names `scanrelay oauth login`, `[[oauth]]`,
/// `auth = "oauth2"`, `oauth`, `kind = "graph"`, `mailbox`, ...: this test checks them
/// against the merged build.
#[tokio::test]
async fn every_advice_text_promises_only_what_this_build_has() {
    let known = known().await;
    let texts = every_advice();
    assert!(texts.len() > 1000, "{} texts", texts.len());
    let mut problems = Vec::new();
    for (label, text) in &texts {
        for claim in false_claims(text, &known) {
            problems.push(format!("{label}: {claim}\n  {text}"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The checker itself must catch each kind of false claim (else the walk above proves
/// nothing), and leave real flags, commands and keys alone.
#[tokio::test]
async fn the_claim_checker_catches_each_kind_of_false_claim() {
    let known = known().await;
    let cases: &[(&str, usize)] = &[
        ("Open the scanrelay web console.", 1),
        (
            "Open the gateway's web console at http://127.0.0.1:8025/.",
            0,
        ),
        ("Run scanrelay check --oauth-token.", 1),
        ("Set keep_it in [upstream].", 1),
        ("Set `from_policy = \"keep_it\"` in [upstream].", 0),
        ("Use scanrelay fetch to download scans.", 0),
        ("Run scanrelay fetch --imap to download scans.", 2),
        ("Set `tls_min_version = \"1.0\"` in [listen].", 0),
        ("Set `tls_max_version = \"1.0\"` in [listen].", 1),
        ("Turn on pop_before_smtp in [listener].", 1),
        ("Turn on pop_before_smtp in [listen].", 0),
        ("Run scanrelay send --to a@b.test --split scan.pdf.", 0),
        ("Run scanrelay send --zip scan.pdf.", 1),
        ("Give --password-file to scanrelay check.", 0),
        (
            "Set `ca_file` in [upstream] and allow_networks in [listen].",
            0,
        ),
        (
            "Run scanrelay serve --check-config, then scanrelay queue list --json.",
            0,
        ),
        ("The scanrelay gateway queues the mail.", 0),
    ];
    for &(text, want) in cases {
        let got = false_claims(text, &known);
        assert_eq!(got.len(), want, "{text}: {got:?}");
    }
}
