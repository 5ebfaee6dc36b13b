//! App-password clean-up.

use scanrelay_diagnose::{normalize_password, provider};

#[test]
fn google_app_passwords_lose_their_spaces() {
    let cases = [
        ("abcd efgh ijkl mnop", "abcdefghijklmnop"),
        ("jmya ujpa hdgz fxhi", "jmyaujpahdgzfxhi"),
        ("  abcd\tefgh\u{a0}ijkl\nmnop ", "abcdefghijklmnop"),
        ("abcdefghijklmnop", "abcdefghijklmnop"),
        ("ABCD EFGH IJKL MNOP", "ABCDEFGHIJKLMNOP"),
    ];
    for id in ["gmail", "workspace", "gmail-relay"] {
        for (typed, cleaned) in cases {
            let check = normalize_password(provider(id), typed);
            assert_eq!(check.password, cleaned, "{id} {typed:?}");
            assert!(check.warning.is_none(), "{id} {typed:?}");
        }
    }
}

#[test]
fn non_app_passwords_get_a_warning_without_the_password() {
    let cases = [
        "hunter2",
        "qwer tyui opas dfg",
        "abcd efgh ijkl mnop q",
        "abcd-efgh-ijkl-mnop",
        "비밀번호비밀번호비밀번호비밀번호",
        "",
    ];
    for typed in cases {
        let check = normalize_password(provider("gmail"), typed);
        let warning = check
            .warning
            .unwrap_or_else(|| panic!("no warning for {typed:?}"));
        for text in [&warning.en, &warning.ko] {
            if typed.len() > 3 {
                assert!(
                    !text.contains(typed),
                    "warning repeats the password {typed:?}"
                );
                assert!(
                    !text.contains(&check.password),
                    "warning repeats the password"
                );
            }
        }
        assert!(warning.en.contains("app password") && warning.en.contains("2-Step Verification"));
        assert!(
            warning.en.contains("Other (custom name)")
                && warning.en.contains("abcd efgh ijkl mnop")
        );
        assert!(warning.ko.contains("앱 비밀번호") && warning.ko.contains("2단계 인증"));
        assert!(warning.ko.contains("기타(맞춤 이름)") && warning.ko.contains("16자리"));
    }
    let check = normalize_password(provider("gmail"), "hunter2");
    assert_eq!(check.password, "hunter2");
    assert!(
        !format!("{check:?}").contains("hunter2"),
        "Debug hides the password"
    );
}

#[test]
fn other_providers_are_left_alone() {
    for id in [
        "naver", "m365", "outlook", "yahoo", "daum", "kakao", "icloud", "zoho",
    ] {
        for typed in ["hunter2", " spaced out ", "abcd efgh ijkl mnop"] {
            let check = normalize_password(provider(id), typed);
            assert_eq!(check.password, typed, "{id}");
            assert!(check.warning.is_none(), "{id}");
        }
    }
    let check = normalize_password(None, " x y ");
    assert_eq!(check.password, " x y ");
    assert!(check.warning.is_none());
}
