//! The workspace's shared fixtures (`<workspace>/fixtures/`), above all the labelled provider
//! replies in `provider-replies.jsonl`.

use std::path::PathBuf;

use serde::Deserialize;

/// The labelled replies, embedded at compile time (cargo rebuilds when the file changes).
const PROVIDER_REPLIES: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../fixtures/provider-replies.jsonl"
));

/// One real provider reply with its diagnosis, as captured in `provider-replies.jsonl`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct LabelledReply {
    /// Who sent it, e.g. `Gmail (smtp.gmail.com)`.
    pub provider: String,
    /// The SMTP stage: `connect`, `ehlo`, `starttls`, `auth`, `mail`, `rcpt` or `data`.
    pub stage: String,
    /// The reply text; lines of a multi-line reply are separated by `\n`.
    pub reply: String,
    /// The diagnosis key, e.g. `auth.app_password_required`.
    pub cause: String,
    /// What the reply means.
    pub meaning: String,
    /// What the user should do.
    pub fix: String,
    /// Where the capture comes from (URL).
    pub source: String,
}

/// Every row of `fixtures/provider-replies.jsonl`, in file order.
///
/// # Panics
/// When a line is not a valid row (the message names the line).
pub fn provider_replies() -> Vec<LabelledReply> {
    PROVIDER_REPLIES
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(index, line)| {
            serde_json::from_str(line).unwrap_or_else(|e| {
                panic!("fixtures/provider-replies.jsonl line {}: {e}", index + 1)
            })
        })
        .collect()
}

/// The one row whose provider contains `provider` (case-insensitive) with exactly this
/// `stage` and `cause`, e.g. `provider_reply("gmail", "auth", "auth.app_password_required")`.
///
/// # Panics
/// When there is no such row, or more than one.
pub fn provider_reply(provider: &str, stage: &str, cause: &str) -> LabelledReply {
    let needle = provider.to_ascii_lowercase();
    let mut found: Vec<LabelledReply> = provider_replies()
        .into_iter()
        .filter(|r| r.stage == stage && r.cause == cause)
        .filter(|r| r.provider.to_ascii_lowercase().contains(&needle))
        .collect();
    match found.len() {
        1 => found.remove(0),
        n => panic!(
            "expected one fixture reply for provider {provider:?}, stage {stage:?}, cause {cause:?}; found {n}"
        ),
    }
}

/// The path of a file in the workspace's `fixtures/` directory (it need not exist).
pub fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures")).join(name)
}
