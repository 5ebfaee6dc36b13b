//! The setup wizard and the device sheet as data: which providers the wizard offers, each
//! provider's own steps (what each screen at Google, Microsoft, Naver or Kakao is called), the
//! upstream values to pre-fill (taken from the gateway's provider presets in
//! `scanrelay-diagnose`, never restated here), app-password clean-up, a generated device
//! account, and the field-by-field values to type into an MFP's "Send > E-mail" menu.
//!
//! Everything is in English and Korean ([`Text`]) and typed, so the console's pages and a
//! printable sheet render the same values. This crate does no IO: no files, no network, no
//! clock; randomness comes from the caller's `Rng`. It promises only what the build does:
//! the cli's claim test walks every text here (see `crates/cli/tests/cli/wizard_claims.rs`).

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod account;
mod catalogue;
mod password;
mod sheet;
mod steps;
mod steps_google;
mod steps_korean;
mod steps_microsoft;

use std::borrow::Cow;
use std::fmt;

pub use account::{NewDevice, PASSWORD_ALPHABET, new_device};
pub use catalogue::{
    Choice, Method, OAuthPrefill, Prefill, ProviderChoice, UpstreamForm, catalogue, choice,
};
pub use password::{AppPassword, STORED_FORM, app_password};
pub use scanrelay_diagnose::Lang;
pub use sheet::{
    Mode, ModeOption, Sheet, SheetField, SheetInput, SheetRow, device_sheet,
    options as sheet_options,
};
pub use steps::{Step, steps};

/// A text in both languages.
#[derive(Clone, PartialEq, Eq)]
pub struct Text {
    /// English.
    pub en: Cow<'static, str>,
    /// Korean.
    pub ko: Cow<'static, str>,
}

impl Text {
    /// A fixed text.
    pub const fn fixed(en: &'static str, ko: &'static str) -> Text {
        Text {
            en: Cow::Borrowed(en),
            ko: Cow::Borrowed(ko),
        }
    }

    /// A text made at run time.
    pub fn owned(en: String, ko: String) -> Text {
        Text {
            en: Cow::Owned(en),
            ko: Cow::Owned(ko),
        }
    }

    /// The text in `lang`.
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::En => &self.en,
            Lang::Ko => &self.ko,
        }
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.en)
    }
}
