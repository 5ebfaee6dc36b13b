//! Secrets are write-only: no page, form value or URL carries the upstream password, a device
//! account's password, the admin password or its hash.

use scanrelay_test_support::assert_no_secrets;
use scanrelay_web::auth::password;

use crate::support::{ADMIN_PASSWORD, DEVICE_SECRET, Harness, UPSTREAM_SECRET, fail_message};

#[tokio::test]
async fn no_page_shows_a_secret() {
    let h = Harness::with_password().await;
    let id = h.spool_message("192.0.2.7:51234", "a@example.com").await;
    fail_message(&h.backend.spool, &id, "a@example.com", "535 5.7.8 no").await;
    let hash = password::load(h.dir.path()).unwrap().unwrap();
    let secrets = [
        UPSTREAM_SECRET,
        DEVICE_SECRET,
        ADMIN_PASSWORD,
        hash.as_str(),
    ];
    let mut c = h.admin().await;
    let mut pages = Vec::new();
    for lang in ["en", "ko"] {
        c.accept_language = Some(lang.into());
        for path in [
            "/".to_string(),
            "/queue".into(),
            format!("/queue/{id}"),
            format!("/queue/{id}/delete"),
            "/devices".into(),
            "/events".into(),
            "/events.json".into(),
            "/metrics".into(),
            "/login".into(),
        ] {
            let res = c.get(&path).await;
            pages.push((path, res));
        }
    }
    let mut anon = h.client();
    pages.push(("/login (anonymous)".into(), anon.get("/login").await));
    for (path, res) in &pages {
        let headers: String = res
            .headers
            .iter()
            .map(|(k, v)| format!("{k}: {}\n", v.to_str().unwrap_or("")))
            .collect();
        assert_no_secrets(&format!("{headers}\n{}", res.body), &secrets);
        assert!(!res.body.contains("type=\"password\" value="), "{path}");
    }
}
