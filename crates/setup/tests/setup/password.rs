//! App passwords: Google's 16 letters are stored without spaces however they were pasted;
//! other providers' passwords are stored as typed; nothing shows the password.

use scanrelay_diagnose::provider;
use scanrelay_setup::{Lang, STORED_FORM, app_password};

#[test]
fn a_google_app_password_is_stored_as_16_letters() {
    let gmail = provider("gmail");
    let cases = [
        ("abcd efgh ijkl mnop", "abcdefghijklmnop", false),
        ("abcdefghijklmnop", "abcdefghijklmnop", false),
        (" abcd\tefgh\nijkl mnop ", "abcdefghijklmnop", false),
        ("my usual password", "myusualpassword", true),
    ];
    for (typed, stored, warned) in cases {
        let got = app_password(gmail, typed);
        assert_eq!(got.stored, stored, "{typed:?}");
        assert_eq!(got.warning.is_some(), warned, "{typed:?}");
        if let Some(w) = &got.warning {
            for lang in [Lang::En, Lang::Ko] {
                assert!(!w.get(lang).contains("usual"), "{}", w.get(lang));
            }
        }
        assert!(!format!("{got:?}").contains(stored));
    }
    assert!(STORED_FORM.get(Lang::En).contains("without spaces"));
}

#[test]
fn other_providers_passwords_are_kept_as_typed() {
    for id in ["naver", "daum", "kakao", "m365"] {
        let got = app_password(provider(id), "AB12 CD34 EF56");
        assert_eq!(got.stored, "AB12 CD34 EF56", "{id}");
        assert!(got.warning.is_none(), "{id}");
    }
}
