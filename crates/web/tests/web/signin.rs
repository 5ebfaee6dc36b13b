//! The wizard's OAuth2 sign-in against the local authority: the device sheet of an OAuth2
//! upstream offers it, the page shows the authority's address and user code, the test
//! approves the code as the user would, the page follows to "signed in" and the tokens are
//! stored where the gateway's token manager finds them; then the connection check runs with
//! the new token (XOAUTH2). An expired code and a declined sign-in show their diagnosis; a
//! second sign-in of the account stops the first; Cancel stops one. No token in any page.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use scanrelay_oauth::TokenManager;
use scanrelay_test_support::oauth_authority::{
    ClientSpec, DeviceScript, OAuthAuthority, peer_authority,
};
use scanrelay_test_support::{Script, ScriptedSmtpServer, ServerLog, Step};
use scanrelay_web::ConsoleBackend as _;

use crate::editable::Console;
use crate::support::DEVICE_SECRET;

/// A config whose upstream logs in with account `office` of `client` at `authority`, on a
/// scripted server at `smtp_port` without TLS.
fn oauth_config(authority: &OAuthAuthority, client: &str, smtp_port: u16) -> String {
    let upstream = format!(
        "server = \"127.0.0.1\"\nport = {smtp_port}\ntls = \"none\"\n\
         username = \"scanner@example.test\"\n"
    );
    config_with(authority, client, &upstream)
}

/// A config with account `office` and an upstream (`upstream`: its server lines) using it.
fn config_with(authority: &OAuthAuthority, client: &str, upstream: &str) -> String {
    format!(
        "[listen]\nsmtp = \"127.0.0.1:0\"\nweb = \"127.0.0.1:0\"\nhostname = \"gw.test\"\n\n\
         [[device]]\nusername = \"mfp-3f\"\npassword = \"{DEVICE_SECRET}\"\n\n\
         [[oauth]]\nname = \"office\"\nprovider = \"microsoft\"\nauthority = \"{}\"\n\
         tenant = \"tests\"\nclient_id = \"{client}\"\n\n\
         [upstream]\nauth = \"oauth2\"\noauth = \"office\"\n{upstream}",
        authority.url()
    )
}

fn script(interval: u64, expires_in: u64) -> DeviceScript {
    DeviceScript {
        interval,
        expires_in,
        slow_down_at: None,
        approve_after: None,
    }
}

/// Presses "Sign in" on the device sheet; answers the sign-in page's path and body.
async fn sign_in(c: &mut Console) -> (String, String) {
    let sheet = "/settings/device/sheet?username=mfp-3f";
    let res = c
        .admin
        .submit(sheet, "/wizard/signin", &[("account", "office")])
        .await;
    assert!(res.status.is_redirection(), "{}: {}", res.status, res.body);
    let path = res.location().to_string();
    let page = c.admin.get(&path).await;
    assert_eq!(page.status, 200, "{}", page.body);
    (path, page.body)
}

/// The user code shown on a sign-in page.
fn user_code(body: &str) -> String {
    let start = "<strong class=\"user-code\"><code>";
    let at = body.find(start).expect("the user code on the page") + start.len();
    body[at..body[at..].find('<').unwrap() + at].to_string()
}

/// Polls the page's state until it is not `waiting`; answers the JSON bodies seen.
async fn until_done(c: &mut Console, path: &str) -> Vec<String> {
    let mut seen = Vec::new();
    for _ in 0..150 {
        let state = c.admin.get(&format!("{path}/state")).await;
        assert_eq!(state.status, 200);
        let done = !state.body.contains("\"state\":\"waiting\"");
        seen.push(state.body);
        if done {
            return seen;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the sign-in did not end: {seen:?}");
}

fn xoauth2_server() -> Script {
    Script::new(vec![
        Step::send("220 mail.test ESMTP"),
        Step::expect("EHLO"),
        Step::send("250-mail.test\n250 AUTH XOAUTH2 PLAIN"),
        Step::expect("AUTH XOAUTH2"),
        Step::send("235 2.7.0 Accepted"),
        Step::ExpectQuitOrClose,
    ])
}

#[tokio::test]
async fn signing_in_from_the_page_stores_the_tokens_then_checks_with_xoauth2() {
    let authority = OAuthAuthority::start();
    authority
        .add_client(ClientSpec::public("web-dev", "scanner@example.test").device(script(1, 120)));
    let server = ScriptedSmtpServer::start(xoauth2_server()).await;
    let mut c = Console::new(&oauth_config(&authority, "web-dev", server.port())).await;
    let sheet = c.admin.get("/settings/device/sheet?username=mfp-3f").await;
    assert!(
        sheet.body.contains("name=\"account\" value=\"office\""),
        "the sheet offers the sign-in: {}",
        sheet.body
    );
    // The running gateway's token manager for the account, made before the sign-in.
    let account = c.backend.settings().oauth[0].clone();
    let manager = TokenManager::new(account, c._dir.path()).unwrap();
    assert!(manager.bearer().await.unwrap_err().needs_login());
    let (path, page) = sign_in(&mut c).await;
    let code = user_code(&page);
    assert!(
        page.contains("<code>https://microsoft.com/devicelogin</code>"),
        "the address: {page}"
    );
    assert!(page.contains(&format!("data-poll=\"{path}/state\"")));
    let mut bodies = vec![sheet.body, page];
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert!(authority.approve_device(&code), "{code} is the authority's");
    let states = until_done(&mut c, &path).await;
    let last = states.last().unwrap().clone();
    assert!(last.contains("\"state\":\"signed_in\""), "{last}");
    bodies.extend(states);
    let done = c.admin.get(&path).await;
    assert!(done.body.contains("Signed in"), "{}", done.body);
    bodies.push(done.body);

    let check = next_of(&last);
    bodies.extend(check_passes(&mut c, check).await);
    let log = server
        .finish()
        .await
        .expect("the server saw XOAUTH2 and QUIT");

    let file = c._dir.path().join("oauth").join("office.json");
    let stored = std::fs::read_to_string(&file).unwrap();
    let access = authority.access_tokens("web-dev");
    assert_eq!(access.len(), 1, "one sign-in, one token");
    assert!(
        stored.contains(&access[0]),
        "the token file holds the new grant"
    );
    // The gateway's manager picks up the new grant by itself.
    assert_eq!(manager.bearer().await.unwrap().expose(), access[0]);
    // The check logged in with the fresh token.
    assert_eq!(
        xoauth2(&log),
        format!(
            "user=scanner@example.test\x01auth=Bearer {}\x01\x01",
            access[0]
        )
    );

    assert_no_tokens(&authority, "web-dev", &bodies);
}

/// The decoded initial response of the `AUTH XOAUTH2` a server received.
fn xoauth2(log: &ServerLog) -> String {
    let auth = log
        .received
        .iter()
        .find_map(|l| l.strip_prefix("AUTH XOAUTH2 "))
        .expect("AUTH XOAUTH2 with its initial response");
    String::from_utf8(STANDARD.decode(auth.trim()).unwrap()).unwrap()
}

/// The page the sign-in's state JSON sends the browser to next.
fn next_of(state: &str) -> &str {
    let rest = state.split("\"next\":\"").nth(1).expect("a next page");
    rest.split('"').next().unwrap()
}

/// No token the authority issued to `client` is in any of `bodies`.
fn assert_no_tokens(authority: &OAuthAuthority, client: &str, bodies: &[String]) {
    let mut secrets = authority.access_tokens(client);
    secrets.extend(authority.live_refresh_tokens(client));
    assert!(!secrets.is_empty());
    for body in bodies {
        for secret in &secrets {
            assert!(!body.contains(secret.as_str()), "a token in a page: {body}");
        }
    }
}

/// Follows the check started after the sign-in; answers the bodies seen.
async fn check_passes(c: &mut Console, check: &str) -> Vec<String> {
    let mut bodies = Vec::new();
    for _ in 0..100 {
        let steps = c.admin.get(&format!("{check}/steps")).await;
        let done = steps.body.contains("\"done\":true");
        bodies.push(steps.body);
        if done {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let result = c.admin.get(check).await;
    assert!(
        result.body.contains("The connection works."),
        "{}",
        result.body
    );
    assert!(result.body.contains("XOAUTH2"), "{}", result.body);
    assert!(
        !result.body.contains("/save\""),
        "a saved upstream has nothing to save: {}",
        result.body
    );
    bodies.push(result.body);
    bodies
}

#[tokio::test]
async fn an_expired_code_and_a_declined_sign_in_show_their_diagnosis() {
    let authority = OAuthAuthority::start();
    authority
        .add_client(ClientSpec::public("web-exp", "scanner@example.test").device(script(1, 2)));
    let mut c = Console::new(&oauth_config(&authority, "web-exp", 2525)).await;
    let (path, _) = sign_in(&mut c).await;
    let states = until_done(&mut c, &path).await;
    assert!(states.last().unwrap().contains("\"state\":\"failed\""));
    let page = c.admin.get(&path).await;
    assert!(
        page.body.contains("oauth.device_code_expired"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Sign in again"), "{}", page.body);

    authority
        .add_client(ClientSpec::public("web-exp", "scanner@example.test").device(script(1, 120)));
    c.admin.accept_language = Some("ko-KR,ko;q=0.9".into());
    let (path, page) = sign_in(&mut c).await;
    assert!(page.contains("이 코드를 입력하고"), "{page}");
    assert!(authority.deny_device(&user_code(&page)));
    until_done(&mut c, &path).await;
    let page = c.admin.get(&path).await;
    assert!(page.body.contains("oauth.access_denied"), "{}", page.body);
    assert!(
        page.body.contains("로그인이 끝나지 않았습니다"),
        "{}",
        page.body
    );
    assert!(!c._dir.path().join("oauth").join("office.json").exists());
}

#[tokio::test]
async fn one_sign_in_per_account_and_cancel_stops_it() {
    let authority = OAuthAuthority::start();
    authority
        .add_client(ClientSpec::public("web-one", "scanner@example.test").device(script(5, 120)));
    let mut c = Console::new(&oauth_config(&authority, "web-one", 2525)).await;
    let (first, _) = sign_in(&mut c).await;
    let (second, _) = sign_in(&mut c).await;
    let old = c.admin.get(&first).await;
    assert!(
        old.body.contains("a newer sign-in of this account"),
        "{}",
        old.body
    );
    assert!(!old.body.contains("data-poll"), "{}", old.body);
    let res = c
        .admin
        .submit(&second, &format!("{second}/cancel"), &[])
        .await;
    res.assert_redirect(&second);
    let state = c.admin.get(&format!("{second}/state")).await;
    assert!(
        state.body.contains("\"state\":\"cancelled\""),
        "{}",
        state.body
    );
    // A POST without the CSRF token is refused; another session cannot see a sign-in.
    let refused = c
        .admin
        .post("/wizard/signin", &[("account", "office")])
        .await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    let other = c.admin.get("/wizard/signin/0000/state").await;
    assert_eq!(other.status, 404);
    let unknown = c
        .admin
        .submit(&second, "/wizard/signin", &[("account", "nope")])
        .await;
    assert_eq!(unknown.status, 422, "{}", unknown.body);
}

#[tokio::test]
async fn the_wizard_sends_a_saved_microsoft_upstream_to_its_sign_in() {
    let mut c = Console::new(&crate::editable::commented_config()).await;
    let form = c
        .admin
        .get("/wizard/m365/oauth2?address=scans%40office.test")
        .await;
    assert!(form.body.contains("on the device sheet"), "{}", form.body);
    let google = c
        .admin
        .get("/wizard/gmail/oauth2?address=s%40gmail.com")
        .await;
    assert!(
        google.body.contains("scanrelay oauth login NAME"),
        "{}",
        google.body
    );
    let v = scanrelay_gateway::config::edit::Version::of(&c.text());
    let fields = [
        ("version", v.as_str()),
        ("address", "scans@office.test"),
        ("name", "m365"),
        ("server", "smtp.office365.com"),
        ("port", "587"),
        ("tls", "starttls"),
        ("username", "scans@office.test"),
        ("oauth", "m365"),
        ("client_id", "00000000-0000-0000-0000-000000000001"),
        ("tenant", "office.test"),
        ("sender", "scans@office.test"),
        ("device_label", "2F"),
        ("action", "save"),
    ];
    let res = c
        .admin
        .submit("/wizard", "/wizard/m365/oauth2", &fields)
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert!(c.text().contains("flow = \"device_code\""), "{}", c.text());
    assert!(
        res.body.contains("action=\"/wizard/signin\"")
            && res.body.contains("name=\"account\" value=\"m365\""),
        "the sheet offers the sign-in: {}",
        res.body
    );
}

/// The real Postfix submission port, whose Dovecot checks XOAUTH2 tokens by introspection at
/// the peers' authority: signed in from the page, the check passes with the new token.
#[tokio::test]
async fn after_the_sign_in_the_real_submission_peer_accepts_the_token() {
    let p = scanrelay_test_support::require_peers!();
    let authority = peer_authority().expect("SCANRELAY_PEER_OAUTH_PORT is set by scripts/peers");
    authority.add_client(ClientSpec::public("web-peer", &p.user).device(script(1, 120)));
    let upstream = format!(
        "server = \"{}\"\nport = {}\ntls = \"starttls\"\nca_file = \"{}\"\nusername = \"{}\"\n",
        p.host,
        p.submission_port,
        p.ca.display(),
        p.user
    );
    let mut c = Console::new(&config_with(authority, "web-peer", &upstream)).await;
    let (path, page) = sign_in(&mut c).await;
    // The check starts as soon as the sign-in ends: count from before.
    let asked = authority.introspections();
    assert!(authority.approve_device(&user_code(&page)));
    let states = until_done(&mut c, &path).await;
    let last = states.last().unwrap();
    assert!(last.contains("\"state\":\"signed_in\""), "{last}");
    let check = next_of(last);
    let bodies = check_passes(&mut c, check).await;
    assert!(
        authority.introspections() > asked,
        "Dovecot asked about the token"
    );
    assert_no_tokens(authority, "web-peer", &bodies);
}
