//! The one list of features, commands, flags and config keys that scanrelay does NOT have
//! yet. Advice must only promise what the current build does, so tests walk every advice
//! text (every cause × provider × language × situation) and fail on a text that names one of
//! these. The same tests also check positively that every `--flag` is a real flag of the
//! binary and every config key a real key of the gateway.
//!
//! EDIT ME when a feature lands: delete its row here in the same change that builds it, and
//! the advice may then mention it. Add a row when a feature is planned but not built, so
//! nobody writes advice that runs ahead of the code.

/// One feature that does not exist yet, and the words a text would name it with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotYetBuilt {
    /// What is missing, in words (shown when a test finds it named).
    pub feature: &'static str,
    /// How a text names it: each entry is a set of fragments that must all occur in one
    /// sentence. Matching ignores case; an ASCII fragment matches whole words only, and a
    /// `*` at its end lets the word go on (`oauth*` matches `OAuth2`).
    pub names: &'static [&'static [&'static str]],
}

/// Not built yet (see the module documentation before editing).
pub const NOT_YET_BUILT: &[NotYetBuilt] = &[NotYetBuilt {
    feature: "IMAP (an IMAP listener in the gateway, or IMAP download)",
    names: &[
        &["gateway", "imap"],
        &["게이트웨이", "imap"],
        &["scanrelay fetch", "imap"],
    ],
}];

/// The rows of [`NOT_YET_BUILT`] that `text` names.
pub fn not_yet_built_in(text: &str) -> Vec<&'static NotYetBuilt> {
    let lower = text.to_lowercase();
    let sentences = sentences(&lower);
    NOT_YET_BUILT
        .iter()
        .filter(|row| {
            row.names.iter().any(|all| {
                sentences
                    .iter()
                    .any(|s| all.iter().all(|fragment| has_fragment(s, fragment)))
            })
        })
        .collect()
}

/// Splits at a full stop, `!`, `?` or `;` followed by white space, and at line breaks.
fn sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let next_blank = chars.peek().is_none_or(|(_, n)| n.is_whitespace());
        if c == '\n' || (matches!(c, '.' | '!' | '?' | ';') && next_blank) {
            out.push(&text[start..i]);
            start = i + c.len_utf8();
        }
    }
    out.push(&text[start..]);
    out
}

/// Whether the lower-case `sentence` contains `fragment` as whole words (see
/// [`NotYetBuilt::names`]).
fn has_fragment(sentence: &str, fragment: &str) -> bool {
    let (fragment, open_end) = match fragment.strip_suffix('*') {
        Some(f) => (f, true),
        None => (fragment, false),
    };
    let fragment = fragment.to_lowercase();
    let word = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    sentence.match_indices(&fragment).any(|(at, m)| {
        let before = sentence[..at].chars().next_back();
        let after = sentence[at + m.len()..].chars().next();
        let starts = !word(fragment.chars().next()) || !word(before);
        let ends = open_end || !word(fragment.chars().next_back()) || !word(after);
        starts && ends
    })
}
