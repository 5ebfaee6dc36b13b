//! Cleaning up a pasted app password before it is stored.
//!
//! Google shows an app password as four groups of four letters (`abcd efgh ijkl mnop`); the
//! spaces are only for reading. The stored form is the 16 letters without spaces, because
//! that is what the SMTP login sends: `serve` and `scanrelay check` take the spaces out the
//! same way (`scanrelay_diagnose::normalize_password`, used here too), so the file holds the
//! password exactly as it goes over the wire and a search of the file or a paste into another
//! tool finds the same text. Other providers' passwords are stored exactly as typed: their
//! formats are not documented well enough to change them.

use std::fmt;

use scanrelay_diagnose::{Provider, normalize_password};

use crate::Text;

/// What the form says about the stored form of a Google app password.
pub const STORED_FORM: Text = Text::fixed(
    "Paste the app password with or without its spaces: it is stored as the 16 letters \
     without spaces, which is what the login sends.",
    "앱 비밀번호는 공백을 넣은 채로 붙여 넣어도 되고 빼고 넣어도 됩니다. 로그인할 때 실제로 \
     보내는 형태인 공백 없는 16자리로 저장됩니다.",
);

/// A password ready to store, and what looks wrong with it. `Debug` hides the password.
#[derive(Clone, PartialEq, Eq)]
pub struct AppPassword {
    /// What to store and send.
    pub stored: String,
    /// Why it does not look like the provider's app password (never contains it).
    pub warning: Option<Text>,
}

impl fmt::Debug for AppPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppPassword")
            .field("stored", &"<redacted>")
            .field("warning", &self.warning)
            .finish()
    }
}

/// The password to store for `provider` from what was typed or pasted.
pub fn app_password(provider: Option<&Provider>, typed: &str) -> AppPassword {
    let checked = normalize_password(provider, typed);
    AppPassword {
        stored: checked.password,
        warning: checked.warning.map(|w| Text::owned(w.en, w.ko)),
    }
}
