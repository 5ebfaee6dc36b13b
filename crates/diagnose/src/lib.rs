//! `scanrelay-diagnose` turns what an SMTP server said into a cause code and tells the
//! person at the scanner what to change: it holds the provider presets (Gmail, Microsoft
//! 365, Naver, ...), the table that maps SMTP replies to causes, the advice texts in
//! English and Korean, the parser for replies that users paste from logs and error
//! dialogs, and the app-password clean-up. It is pure data and string work: it must not do
//! I/O, open network connections, read files, spawn processes or log, and its advice texts
//! and warnings must never contain a secret (they take none as input, and the password
//! warning only mentions the length). The only thing it reads from outside its arguments
//! is the locale in [`Lang::from_env`].
//!
//! ```
//! use scanrelay_diagnose::{Cause, Lang, advise, explain};
//!
//! let e = explain("535 5.7.8 Username and Password not accepted - gsmtp", None, None);
//! assert_eq!(e.cause, Cause::AuthBadCredentials);
//! assert_eq!(e.provider.map(|p| p.id), Some("gmail"));
//! let advice = advise(e.cause, e.provider, Lang::Ko);
//! assert!(advice.fix.contains("앱 비밀번호"));
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod advice;
mod advice_en;
mod advice_ko;
mod advice_provider;
mod causes;
mod client_failure;
mod explain;
mod lang;
mod not_yet;
mod password;
mod paste;
mod providers;
mod rules;

pub use advice::{Advice, Situation, advise, advise_in, generic_advice, settings_line};
pub use causes::{Cause, ReplyFacts, Stage};
pub use client_failure::{cause_of, failure_stage, reply_cause, reply_facts, stage_of};
pub use explain::{Explanation, explain};
pub use lang::Lang;
pub use not_yet::{NOT_YET_BUILT, NotYetBuilt, not_yet_built_in};
pub use password::{PasswordCheck, Warning, normalize_password};
pub use paste::parse_pasted;
pub use providers::{
    AppPasswordRule, Provider, ProviderFamily, detect_provider, provider, provider_by_host,
    provider_from_label, providers,
};
pub use rules::{
    Check, RULES, Rule, classify_error, classify_reply, infer_stage, is_oauth_error_challenge,
    matching_rule,
};

/// A name that does not parse as a [`Cause`], [`Stage`] or [`Lang`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// Not a cause code.
    #[error("unknown cause code `{0}`")]
    Cause(String),
    /// Not a stage name.
    #[error("unknown SMTP stage `{0}`")]
    Stage(String),
    /// Not `en` or `ko`.
    #[error("unknown language `{0}`: expected en or ko")]
    Lang(String),
}
