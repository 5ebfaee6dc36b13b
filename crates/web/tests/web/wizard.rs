//! The setup wizard: the provider choices, the provider's steps in the page's language, the
//! form pre-filled from the presets, its validation, the live check with its diagnosis, saving
//! (upstream and a generated device account) and the device sheet; no secret shown.

use std::time::Duration;

use scanrelay_gateway::config::edit::Version;
use scanrelay_test_support::{Script, ScriptedSmtpServer, Step};

use crate::editable::{Console, commented_config};
use crate::support::UPSTREAM_SECRET;

const GMAIL_FORM: &str = "/wizard/gmail/app-password?address=scanner%40example.com";

#[tokio::test]
async fn the_wizard_offers_each_provider_with_its_steps_in_both_languages() {
    let mut c = Console::new(&commented_config()).await;
    let list = c.admin.get("/wizard").await;
    for name in [
        "Gmail",
        "Google Workspace",
        "Naver",
        "Daum / Kakao Mail",
        "Microsoft 365",
        "Outlook.com",
        "Other SMTP server",
    ] {
        assert!(list.body.contains(name), "{name}");
    }
    let form = c.admin.get(GMAIL_FORM).await;
    assert_eq!(form.status, 200, "{}", form.body);
    assert!(form.body.contains("Turn on 2-Step Verification"));
    assert!(form.body.contains("value=\"smtp.gmail.com\"") && form.body.contains("value=\"587\""));
    assert!(form.body.contains("value=\"scanner@example.com\""));
    c.admin.accept_language = Some("ko-KR,ko;q=0.9".into());
    let ko = c.admin.get(GMAIL_FORM).await;
    assert!(ko.body.contains("2단계 인증 켜기"), "{}", ko.body);
    assert_eq!(c.admin.get("/wizard/gmail/no-login").await.status, 404);
}

async fn wizard_post(c: &mut Console, path: &str, fields: &[(&str, &str)]) -> crate::support::Resp {
    let v = Version::of(&c.text()).as_str().to_string();
    let mut all = vec![("version", v.as_str())];
    all.extend_from_slice(fields);
    c.admin.submit("/wizard", path, &all).await
}

const GMAIL_FIELDS: &[(&str, &str)] = &[
    ("address", "scanner@example.com"),
    ("name", "gmail"),
    ("server", "smtp.gmail.com"),
    ("port", "587"),
    ("tls", "starttls"),
    ("username", "scanner@example.com"),
    ("password", "qrst uvwx yzab cdef"),
    ("sender", "scanner@example.com"),
    ("device_label", "3F"),
];

#[tokio::test]
async fn saving_writes_the_upstream_and_a_device_and_shows_the_sheet() {
    let mut c = Console::new(&commented_config()).await;
    let mut fields = GMAIL_FIELDS.to_vec();
    fields.push(("action", "save"));
    let res = wizard_post(&mut c, "/wizard/gmail/app-password", &fields).await;
    assert_eq!(res.status, 200, "{}", res.body);
    let text = c.text();
    assert!(text.starts_with("# Office gateway: edited by hand, keep these notes.\n"));
    assert!(text.contains("name = \"gmail\"\nprovider = \"gmail\"\nauth = \"password\"\nusername = \"scanner@example.com\"\npassword = \"qrstuvwxyzabcdef\"\n"), "{text}");
    assert!(text.contains("username = \"scan-3f\""), "{text}");
    assert_eq!(c.reloads(), 1);
    assert!(res.body.contains("Device sheet") && res.body.contains("scan-3f"));
    assert!(res.body.contains("SMTP server") && res.body.contains("POP before SMTP"));
    for secret in ["qrstuvwxyzabcdef", "qrst uvwx", UPSTREAM_SECRET] {
        assert!(!res.body.contains(secret), "{secret} on the sheet");
    }
}

#[tokio::test]
async fn an_invalid_form_is_shown_again_with_the_error_at_its_field() {
    let mut c = Console::new(&commented_config()).await;
    let before = c.text();
    let mut fields: Vec<(&str, &str)> = GMAIL_FIELDS
        .iter()
        .copied()
        .filter(|(k, _)| *k != "port")
        .collect();
    fields.extend([("port", "58x"), ("action", "save")]);
    let res = wizard_post(&mut c, "/wizard/gmail/app-password", &fields).await;
    assert_eq!(res.status, 422, "{}", res.body);
    let at = res.body.find("id=\"w-port\"").unwrap();
    assert!(
        res.body[at..].contains("expected a port number"),
        "{}",
        res.body
    );
    let at = res.body.find("qrst uvwx yzab cdef");
    assert!(
        at.is_none(),
        "the password is put back: {}",
        &res.body[at.unwrap_or(0).saturating_sub(300)..]
    );
    assert_eq!(c.text(), before);
}

#[tokio::test]
async fn the_check_shows_its_steps_and_the_diagnosis_then_saves_without_retyping() {
    let server = ScriptedSmtpServer::start(Script::new(vec![
        Step::send("220 mail.test ESMTP"),
        Step::expect("EHLO"),
        Step::send("250-mail.test\n250 AUTH PLAIN LOGIN"),
        Step::expect("AUTH "),
        Step::send("535 5.7.8 Username and Password not accepted"),
        Step::ExpectQuitOrClose,
    ]))
    .await;
    let port = server.port().to_string();
    let mut c = Console::new(&commented_config()).await;
    let fields = [
        ("address", "scans@office.test"),
        ("name", "office"),
        ("server", "127.0.0.1"),
        ("port", port.as_str()),
        ("tls", "none"),
        ("username", "scans@office.test"),
        ("password", "wrong-password-1"),
        ("device_label", "1F"),
        ("action", "check"),
    ];
    let res = wizard_post(&mut c, "/wizard/other/password", &fields).await;
    assert!(res.status.is_redirection(), "{}: {}", res.status, res.body);
    let page = res.location().to_string();
    let mut done = false;
    for _ in 0..100 {
        let steps = c.admin.get(&format!("{page}/steps")).await;
        assert_eq!(steps.status, 200);
        if steps.body.contains("\"done\":true") {
            assert!(
                steps.body.contains("\"label\":\"connect\""),
                "{}",
                steps.body
            );
            done = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(done, "the check did not finish");
    let result = c.admin.get(&page).await;
    assert!(
        result.body.contains("auth.bad_credentials"),
        "{}",
        result.body
    );
    assert!(result.body.contains("What to do"));
    assert!(
        !result.body.contains("wrong-password-1"),
        "the password is not on the page"
    );
    back_keeps_the_form(&mut c, &page, &result.body, &port).await;
    let before = c.text();
    let saved = c.admin.submit(&page, &format!("{page}/save"), &[]).await;
    assert_eq!(saved.status, 200, "{}", saved.body);
    assert!(c.text().contains("password = \"wrong-password-1\""));
    assert_ne!(c.text(), before);
    let _ = server.finish().await;
}

/// "Back" on a check's result page shows the form as it was submitted (server, port, user,
/// the device's label), so only the password needs typing again; the password is not put back.
async fn back_keeps_the_form(c: &mut Console, page: &str, result: &str, port: &str) {
    let back = format!("{page}/form");
    assert!(
        result.contains(&format!("class=\"back\" href=\"{back}\"")),
        "{result}"
    );
    let form = c.admin.get(&back).await;
    assert_eq!(form.status, 200, "{}", form.body);
    for (id, value) in [
        ("w-name", "office"),
        ("w-server", "127.0.0.1"),
        ("w-port", port),
        ("w-tls", "none"),
        ("w-username", "scans@office.test"),
        ("w-device_label", "1F"),
    ] {
        let input = format!("id=\"{id}\" name=\"{}\" value=\"{value}\"", &id[2..]);
        assert!(form.body.contains(&input), "{input} in {}", form.body);
    }
    assert!(
        form.body
            .contains("id=\"w-password\" name=\"password\" type=\"password\""),
        "{}",
        form.body
    );
    assert!(!form.body.contains("wrong-password-1"), "{}", form.body);
    let other = c.admin.get("/wizard/check/0000/form").await;
    assert_eq!(other.status, 404);
}

#[tokio::test]
async fn a_check_belongs_to_its_session() {
    let mut c = Console::new(&commented_config()).await;
    let res = c.admin.get("/wizard/check/0000/steps").await;
    assert_eq!(res.status, 404);
}
