//! Cleaning up the password a user types for SMTP AUTH (Google app passwords).

use std::fmt;

use serde::Serialize;

use crate::{AppPasswordRule, Lang, Provider};

/// A warning shown next to a setting, in both languages. Never contains the secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Warning {
    /// English text.
    pub en: String,
    /// Korean text.
    pub ko: String,
}

impl Warning {
    /// The text in one language.
    pub fn text(&self, lang: Lang) -> &str {
        match lang {
            Lang::En => &self.en,
            Lang::Ko => &self.ko,
        }
    }
}

/// The password to use, plus a warning when it does not look right. `Debug` hides the
/// password.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordCheck {
    /// The password to send (whitespace removed for Google app passwords).
    pub password: String,
    /// Why the password looks wrong, if it does.
    pub warning: Option<Warning>,
}

impl fmt::Debug for PasswordCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordCheck")
            .field("password", &"<redacted>")
            .field("warning", &self.warning)
            .finish()
    }
}

/// Normalises a password for the provider. Google (gmail, workspace, gmail-relay): all
/// whitespace is removed (app passwords are shown as `abcd efgh ijkl mnop`); if the result
/// is not exactly 16 ASCII letters, a warning explains how to create an app password.
/// Other providers: unchanged, no warning.
pub fn normalize_password(provider: Option<&Provider>, password: &str) -> PasswordCheck {
    let is_google = provider.is_some_and(|p| p.app_password == AppPasswordRule::Google16);
    if !is_google {
        return PasswordCheck {
            password: password.to_owned(),
            warning: None,
        };
    }
    let cleaned: String = password.chars().filter(|c| !c.is_whitespace()).collect();
    let valid = cleaned.len() == 16 && cleaned.chars().all(|c| c.is_ascii_alphabetic());
    let warning = (!valid).then(|| google_app_password_warning(cleaned.chars().count()));
    PasswordCheck {
        password: cleaned,
        warning,
    }
}

/// The warning for a Google password that is not a 16-letter app password. Only the
/// length is mentioned, never the characters.
fn google_app_password_warning(length: usize) -> Warning {
    let en = format!(
        "This does not look like a Google app password (after removing spaces it has {length} \
         characters; an app password is exactly 16 letters). Google refuses the normal account \
         password for SMTP. To create an app password: 1) in the Google account's Security \
         settings, turn on 2-Step Verification; 2) open App passwords, choose \"Other (custom \
         name)\", enter a name such as \"SMTP\" and press Generate; 3) Google shows 16 letters as \
         four groups of four, like `abcd efgh ijkl mnop`; 4) enter them on the device as the SMTP \
         AUTH password, without spaces."
    );
    let ko = format!(
        "Google 앱 비밀번호 형식이 아닙니다(공백을 뺀 길이가 {length}자이며, 앱 비밀번호는 \
         영문자 16자리입니다). Google은 SMTP 로그인에 일반 계정 비밀번호를 허용하지 않습니다. \
         앱 비밀번호 만드는 방법: 1) Google 계정의 보안 설정에서 2단계 인증을 켭니다. 2) 앱 \
         비밀번호 메뉴에서 '기타(맞춤 이름)'를 선택하고 'SMTP'처럼 이름을 입력한 뒤 [생성]을 \
         누릅니다. 3) 'abcd efgh ijkl mnop'처럼 4자씩 네 묶음으로 16자리가 표시됩니다. 4) 이를 \
         복합기의 SMTP인증 비밀번호에 공백 없이 입력합니다."
    );
    Warning { en, ko }
}
