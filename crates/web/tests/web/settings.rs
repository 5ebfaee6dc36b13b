//! The settings page: every form's validation (errors next to their fields, nothing saved,
//! no reload), the round trip that keeps the file's comments, write-only passwords, a stale
//! page refused, and no secret in any page.

use scanrelay_gateway::config::edit::Version;

use crate::editable::{Console, commented_config};
use crate::support::{DEVICE_SECRET, UPSTREAM_SECRET};

fn version(text: &str) -> String {
    Version::of(text).as_str().to_string()
}

/// Posts `fields` to `path` with the page's CSRF token and the file's current version.
async fn post(c: &mut Console, path: &str, fields: &[(&str, &str)]) -> crate::support::Resp {
    let v = version(&c.text());
    let mut all = vec![("version", v.as_str())];
    all.extend_from_slice(fields);
    c.admin.submit("/settings", path, &all).await
}

#[tokio::test]
async fn the_page_shows_the_files_values_and_no_secret() {
    let mut c = Console::new(&commented_config()).await;
    let page = c.admin.get("/settings").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("value=\"gw.test\""), "{}", page.body);
    assert!(page.body.contains("value=\"scanner@example.com\""));
    assert!(page.body.contains("a password is stored"));
    for secret in [UPSTREAM_SECRET, DEVICE_SECRET] {
        assert!(!page.body.contains(secret), "{secret} in the page");
    }
}

#[tokio::test]
async fn a_saved_change_keeps_the_files_comments_and_is_applied() {
    let mut c = Console::new(&commented_config()).await;
    let before = c.text();
    let res = post(
        &mut c,
        "/settings/delivery",
        &[("retry_max", "3h"), ("admin_notify", "")],
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert!(res.body.contains("Saved."), "{}", res.body);
    let want = before.replace(
        "retry_max = \"2h\"   # the ISP",
        "retry_max = \"3h\"   # the ISP",
    );
    assert_eq!(c.text(), want);
    assert_eq!(c.reloads(), 1);
    let applied = c.backend.reloads.lock().unwrap()[0].delivery.retry_max;
    assert_eq!(applied.as_secs(), 3 * 3600);
}

/// `(form action, fields, what the error next to the field says)`.
type Case = (
    &'static str,
    &'static [(&'static str, &'static str)],
    &'static str,
);

#[tokio::test]
async fn every_forms_invalid_input_is_shown_next_to_its_field_and_not_saved() {
    let cases: &[Case] = &[
        (
            "/settings/listen",
            &[("smtp", "the copier room")],
            "is not an address",
        ),
        (
            "/settings/listen",
            &[("smtp", "0.0.0.0:2525"), ("allow_networks", "0.0.0.0/0")],
            "open relay",
        ),
        (
            "/settings/listen",
            &[("max_connections", "many")],
            "expected a whole number greater than 0",
        ),
        (
            "/settings/delivery",
            &[("retry_min", "3h")],
            "is longer than retry_max",
        ),
        (
            "/settings/device/add",
            &[("username", "scan-2f"), ("password", "tiny7")],
            "too short",
        ),
        (
            "/settings/device/add",
            &[("username", "mfp-3f"), ("password", "long-enough-1")],
            "listed twice",
        ),
        (
            "/settings/device/password",
            &[("username", "mfp-3f"), ("password", "tiny7")],
            "too short",
        ),
        (
            "/settings/upstream",
            &[("upstream", "default"), ("port", "58x")],
            "expected a port number 1-65535",
        ),
        (
            "/settings/upstream",
            &[("upstream", "default"), ("auth", "oauth2")],
            "remove the password",
        ),
    ];
    for (path, fields, message) in cases {
        let mut c = Console::new(&commented_config()).await;
        let before = c.text();
        let res = post(&mut c, path, fields).await;
        assert_eq!(res.status, 422, "{path} {fields:?}: {}", res.body);
        assert!(res.body.contains("Not saved"), "{path}: {}", res.body);
        let at = res
            .body
            .find("class=\"field-error\"")
            .unwrap_or_else(|| panic!("{path}: no field error\n{}", res.body));
        assert!(
            res.body[at..].contains(message),
            "{path}: {message:?} missing\n{}",
            res.body
        );
        assert_eq!(c.text(), before, "{path} {fields:?} changed the file");
        assert_eq!(c.reloads(), 0);
        assert!(!res.body.contains("tiny7") && !res.body.contains(UPSTREAM_SECRET));
    }
}

#[tokio::test]
async fn an_empty_password_keeps_the_stored_one_and_a_new_one_replaces_it() {
    let mut c = Console::new(&commented_config()).await;
    let res = post(
        &mut c,
        "/settings/upstream",
        &[
            ("upstream", "default"),
            ("username", "scans@example.com"),
            ("password", ""),
        ],
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.body);
    let text = c.text();
    assert!(
        text.contains(&format!("password = \"{UPSTREAM_SECRET}\"")),
        "{text}"
    );
    assert!(text.contains("username = \"scans@example.com\""));
    let res = post(
        &mut c,
        "/settings/device/password",
        &[("username", "mfp-3f"), ("password", "new-device-pw-9")],
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert!(c.text().contains("password = \"new-device-pw-9\""));
    assert!(
        !res.body.contains("new-device-pw-9"),
        "a set password is not shown back"
    );
}

#[tokio::test]
async fn a_device_added_without_a_password_gets_one_on_its_sheet() {
    let mut c = Console::new(&commented_config()).await;
    let res = post(
        &mut c,
        "/settings/device/add",
        &[("username", "scan-2f"), ("password", ""), ("upstream", "")],
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert!(
        res.body.contains("Device sheet") && res.body.contains("scan-2f"),
        "{}",
        res.body
    );
    let text = c.text();
    let mut lines = text.lines().skip_while(|l| *l != "username = \"scan-2f\"");
    let line = lines.find(|l| l.starts_with("password = ")).unwrap();
    let password = line
        .trim_start_matches("password = \"")
        .trim_end_matches('"');
    assert_eq!(password.len(), 12, "{line}");
    assert!(
        res.body.contains(password),
        "the generated password is on the sheet once"
    );
    assert!(!res.body.contains(UPSTREAM_SECRET) && !res.body.contains(DEVICE_SECRET));
    let later = c.admin.get("/settings/device/sheet?username=scan-2f").await;
    assert_eq!(later.status, 200);
    assert!(
        !later.body.contains(password),
        "a later sheet does not show it"
    );
}

#[tokio::test]
async fn a_save_from_a_stale_page_is_refused() {
    let mut c = Console::new(&commented_config()).await;
    let stale = version(&c.text());
    std::fs::write(&c.backend.path, c.text() + "\n# edited by hand meanwhile\n").unwrap();
    let before = c.text();
    let res = c
        .admin
        .submit(
            "/settings",
            "/settings/listen",
            &[("version", &stale), ("max_message_size", "20MB")],
        )
        .await;
    assert_eq!(res.status, 409, "{}", res.body);
    assert!(res.body.contains("changed since this page was loaded"));
    assert_eq!(c.text(), before);
}

#[tokio::test]
async fn forms_need_the_csrf_token_and_a_login() {
    let mut c = Console::new(&commented_config()).await;
    let before = c.text();
    let v = version(&before);
    let res = c
        .admin
        .post(
            "/settings/listen",
            &[("version", &v), ("smtp", "127.0.0.1:2626")],
        )
        .await;
    assert_eq!(res.status, 403);
    let mut anonymous = crate::support::Client::over(
        scanrelay_web::router(scanrelay_web::AppState::new(c.backend.clone(), false)),
        "127.0.0.1:40001",
    );
    anonymous.get("/settings").await.assert_redirect("/login");
    assert_eq!(c.text(), before);
}

/// Over a real started gateway: the page edits the file the gateway read and the save is
/// applied by the gateway's own reload, without a restart.
#[tokio::test]
async fn over_a_real_gateway_a_save_is_applied_by_its_reload() {
    use std::sync::Arc;

    use scanrelay_gateway::Gateway;
    use scanrelay_gateway::config::{ParseOptions, parse_str};

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("scanrelay.toml");
    let text = commented_config();
    std::fs::write(&path, &text).unwrap();
    let opts = ParseOptions {
        allow_port_zero: true,
    };
    let settings = parse_str(&text, &path, dir.path(), &opts).unwrap().settings;
    let gateway = Gateway::start(settings).await.unwrap();
    scanrelay_web::auth::password::store(dir.path(), crate::support::ADMIN_PASSWORD).unwrap();
    let app = scanrelay_web::router(scanrelay_web::AppState::new(
        Arc::new(gateway.handle()),
        false,
    ));
    let mut admin = crate::support::Client::over(app, "127.0.0.1:40000");
    admin
        .login(crate::support::ADMIN_PASSWORD)
        .await
        .assert_redirect("/");
    let v = version(&text);
    let res = admin
        .submit(
            "/settings",
            "/settings/listen",
            &[("version", &v), ("max_message_size", "20MB")],
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert!(res.body.contains("Saved."), "{}", res.body);
    assert_eq!(
        gateway.handle().settings().listen.max_message_size,
        20_000_000
    );
    let now = std::fs::read_to_string(&path).unwrap();
    assert!(now.starts_with("# Office gateway: edited by hand, keep these notes.\n"));
    assert!(now.contains("max_message_size = \"20MB\""), "{now}");
    gateway.shutdown().await;
}
