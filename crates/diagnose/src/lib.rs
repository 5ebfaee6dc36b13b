//! `scanrelay-diagnose` turns what an SMTP server, an OAuth2 sign-in server or Microsoft
//! Graph said into a cause code and tells the person at the scanner (or the administrator
//! of the gateway and its app registration) what to change: it holds the provider presets
//! (Gmail, Microsoft 365, Naver, ...), the table that maps SMTP replies to causes, the
//! mapping of OAuth2 token-endpoint errors ([`oauth_error_cause`]) and Graph errors
//! ([`graph_error_cause`]) to causes, the advice texts in English and Korean, the parsers
//! for replies and errors that users paste from logs and error dialogs, and the
//! app-password clean-up. It depends on the protocol crate only (not on the SMTP client, the
//! oauth or the graph crate, nor through them on tokio and rustls): it takes strings,
//! numbers and protocol values. The SMTP client maps its own errors to these causes
//! (`scanrelay_client::diagnosis`). It is pure data and string work: it must not do
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

/// The note after `scanrelay oauth login NAME` in English advice, removed again by
/// [`Advice::with_account`] when the account is known.
macro_rules! name_note_en {
    () => {
        " (NAME is the account's `name` in [[oauth]]; `scanrelay oauth status` lists the \
         accounts)"
    };
}

/// The Korean form of [`name_note_en`].
macro_rules! name_note_ko {
    () => {
        "(NAME은 [[oauth]] 계정의 `name` 값이며, `scanrelay oauth status`로 계정 목록을 볼 수 \
         있습니다)"
    };
}

mod advice;
mod advice_en;
mod advice_ko;
mod advice_oauth_en;
mod advice_oauth_ko;
mod advice_pop3;
mod advice_provider;
mod causes;
mod endpoint;
mod explain;
mod graph_errors;
mod lang;
mod not_yet;
mod oauth_errors;
mod password;
mod paste;
mod providers;
mod reply_cause;
mod rules;
mod service_paste;

pub use advice::{Advice, Situation, advise, advise_in, generic_advice, settings_line};
pub use advice_pop3::pop3_advice;
pub use causes::{Cause, ReplyFacts, Stage};
pub use endpoint::{default_port, pop3_port_and_tls, port_and_tls};
pub use explain::{Explanation, explain};
pub use graph_errors::{graph_draft_error_cause, graph_error_cause};
pub use lang::Lang;
pub use not_yet::{NOT_YET_BUILT, NotYetBuilt, not_yet_built_in};
pub use oauth_errors::{aadsts_codes, oauth_error_cause, oauth_error_cause_with_codes};
pub use password::{PasswordCheck, Warning, normalize_password};
pub use paste::parse_pasted;
pub use providers::{
    AppPasswordRule, Provider, ProviderFamily, detect_provider, provider, provider_by_host,
    provider_from_label, providers,
};
pub use reply_cause::{reply_cause, reply_facts, token_auth_cause};
pub use rules::{
    Check, RULES, Rule, classify_error, classify_reply, infer_stage, is_oauth_error_challenge,
    matching_rule,
};
pub use service_paste::{Service, ServiceError, parse_service_error};

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
