//! English and Korean: the tables, Accept-Language, and the switch that sticks.

use std::collections::BTreeSet;

use axum::http::{StatusCode, header};
use scanrelay_web::i18n::{EN, KO, LANG_COOKIE};

use crate::support::Harness;

fn placeholders(text: &str) -> BTreeSet<String> {
    text.split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name.to_string()))
        .collect()
}

/// Every text exists in both tables (the struct makes a missing one a compile error), is not
/// empty, has the same placeholders, and the Korean one is a translation.
#[test]
fn both_tables_have_every_text() {
    let en = EN.entries();
    let ko = KO.entries();
    assert_eq!(en.len(), ko.len());
    let same_in_both = ["none", "col_id", "col_tls", "col_auth"];
    for ((key, en_text), (ko_key, ko_text)) in en.iter().zip(&ko) {
        assert_eq!(key, ko_key);
        assert!(!en_text.trim().is_empty(), "en {key} is empty");
        assert!(!ko_text.trim().is_empty(), "ko {key} is empty");
        assert_eq!(
            placeholders(en_text),
            placeholders(ko_text),
            "placeholders of {key}"
        );
        if !same_in_both.contains(key) {
            assert_ne!(en_text, ko_text, "{key} is not translated");
        }
    }
}

#[tokio::test]
async fn accept_language_chooses_the_language() {
    let h = Harness::with_password().await;
    for (accept, lang, title) in [
        ("ko-KR,ko;q=0.9,en;q=0.8", "ko", KO.login_title),
        ("en-US,en;q=0.9", "en", EN.login_title),
        ("fr-FR, ko;q=0.5", "ko", KO.login_title),
        ("de", "en", EN.login_title),
    ] {
        let mut c = h.client();
        c.accept_language = Some(accept.into());
        let page = c.get("/login").await;
        assert!(
            page.body.contains(&format!("<html lang=\"{lang}\">")),
            "{accept}"
        );
        assert!(page.body.contains(title), "{accept}");
    }
}

#[tokio::test]
async fn the_switch_sticks_over_accept_language() {
    let h = Harness::with_password().await;
    let mut c = h.admin().await;
    c.accept_language = Some("en-US".into());
    assert!(c.get("/queue").await.body.contains(EN.queue_empty));
    let res = c.get("/lang/ko?next=%2Fqueue%3Fstate%3Dfailed").await;
    res.assert_redirect("/queue?state=failed");
    let cookie = res.headers[header::SET_COOKIE].to_str().unwrap();
    assert!(
        cookie.starts_with(&format!("{LANG_COOKIE}=ko;")),
        "{cookie}"
    );
    assert!(
        cookie.contains("Max-Age="),
        "it outlives the browser session: {cookie}"
    );
    let page = c.get("/queue").await;
    assert!(page.body.contains("<html lang=\"ko\">"));
    assert!(page.body.contains(KO.queue_empty) && !page.body.contains(EN.queue_empty));
    assert!(
        page.body.contains("href=\"/lang/en?next="),
        "the switch offers English"
    );
    c.get("/lang/en?next=/queue")
        .await
        .assert_redirect("/queue");
    assert!(c.get("/queue").await.body.contains(EN.queue_empty));
}

#[tokio::test]
async fn the_switch_goes_back_only_to_this_console() {
    let h = Harness::new().await;
    let mut c = h.client();
    for next in [
        "%2F%2Fevil.example%2F",
        "https%3A%2F%2Fevil.example%2F",
        "%2F%5Cevil.example",
    ] {
        c.get(&format!("/lang/ko?next={next}"))
            .await
            .assert_redirect("/");
    }
    assert_eq!(c.get("/lang/fr").await.status, StatusCode::NOT_FOUND);
}
