//! The gateway delivering with OAuth2 (issue 7, items 4, 5 and 9): `scanrelay serve` with
//! `auth = "oauth2"` logs in to the REAL Postfix submission port with XOAUTH2, Dovecot checking
//! each token by introspection against the local authority. Short-lived access tokens are
//! refreshed ahead of expiry and every refresh rotates the refresh token (none is used twice,
//! also across a restart); tokens are longer than 512 octets; a revoked grant holds the mail
//! (no bounce) and sends one notice to `admin_notify`, and a new login releases it by itself;
//! a token for the wrong audience is diagnosed and retried, never called a bad password. No
//! token appears in the gateway's log.

use std::time::Duration;

use scanrelay_test_support::Peers;
use scanrelay_test_support::oauth_authority::{ClientSpec, OAuthAuthority, peer_authority};

use crate::gateway_support::{Gateway, swaks, wait_delivered};

const SMTP_SCOPE: &str = "https://outlook.office.com/SMTP.Send offline_access";

fn authority() -> &'static OAuthAuthority {
    peer_authority().expect("SCANRELAY_PEER_OAUTH_PORT is set by scripts/peers")
}

/// A gateway whose upstream is the submission port, logging in as `p.user` with account
/// `office` of client `client` (`scopes` TOML line optional), failure notices to `p.user2`.
async fn oauth_gateway(p: &Peers, client: &str, scopes: &str, gw_host: &str) -> Gateway {
    let authority = authority();
    Gateway::start_raw(|port, _dir| {
        format!(
            "[listen]\nsmtp = \"127.0.0.1:{port}\"\nweb = \"\"\nallow_networks = [\"127.0.0.0/8\"]\n\
             hostname = \"{gw_host}\"\n\n\
             [[oauth]]\nname = \"office\"\nprovider = \"microsoft\"\nauthority = \"{auth}\"\n\
             tenant = \"tests\"\nclient_id = \"{client}\"\n{scopes}\n\n\
             [upstream]\nserver = \"{host}\"\nport = {sub}\ntls = \"starttls\"\nca_file = \"{ca}\"\n\
             auth = \"oauth2\"\noauth = \"office\"\nusername = \"{user}\"\nfrom_policy = \"keep\"\n\n\
             [delivery]\nretry_min = \"1s\"\nretry_max = \"2s\"\nadmin_notify = \"{admin}\"\n",
            auth = authority.url(),
            host = p.host,
            sub = p.submission_port,
            ca = p.ca.display(),
            user = p.user,
            admin = p.user2,
        )
    })
    .await
}

/// `scanrelay oauth import office` of a fresh grant of `client`, into the gateway's data.
async fn login(gw: &Gateway, client: &str) {
    let rt = authority().mint_refresh_token(client, SMTP_SCOPE);
    let file = gw.dir.path().join(format!("rt-{}.txt", rand_suffix()));
    std::fs::write(&file, format!("{rt}\n")).unwrap();
    let (cfg, dir) = (
        gw.config.display().to_string(),
        gw.dir.path().display().to_string(),
    );
    let args = [
        "oauth",
        "import",
        "office",
        "--refresh-token-file",
        &file.display().to_string(),
        "--config",
        &cfg,
        "--data-dir",
        &dir,
    ];
    let run = crate::scanrelay(&args, &[]).await;
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    std::fs::remove_file(&file).unwrap();
}

/// A test id unique to this run (the peers' Maildirs outlive a test run).
fn unique(id: &str) -> String {
    format!("{id}-{}", rand_suffix())
}

fn rand_suffix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
}

async fn scan(p: &Peers, gw: &Gateway, id: &str) {
    let (code, out) = swaks(gw, "scan@mfp.example.test", &p.user2, id, &[]).await;
    assert_eq!(code, 0, "{out}");
}

/// Every token the authority issued to `client`: none may appear in the gateway's log.
fn assert_log_clean(gw: &Gateway, client: &str) {
    let a = authority();
    let mut tokens = a.access_tokens(client);
    tokens.extend(a.used_refresh_tokens(client));
    tokens.extend(a.live_refresh_tokens(client));
    assert!(!tokens.is_empty());
    let secrets: Vec<&str> = tokens.iter().map(String::as_str).collect();
    scanrelay_test_support::assert_no_secrets(&gw.logs(), &secrets);
}

/// The queue's entries as JSON.
async fn queued(gw: &Gateway) -> Vec<serde_json::Value> {
    gw.queue_json().await
}

#[tokio::test]
async fn xoauth2_delivery_refreshes_ahead_of_expiry_and_rotates_across_a_restart() {
    let p = scanrelay_test_support::require_peers!();
    let client = "gw-xoauth2-rotation";
    // 20 s access tokens: less than the 5-minute refresh margin, so every new session
    // refreshes first; each refresh rotates the refresh token. Tokens over 512 octets.
    authority().add_client(
        ClientSpec::public(client, &p.user)
            .access_ttl(Duration::from_secs(20))
            .long_tokens(),
    );
    let mut gw = oauth_gateway(&p, client, "", &unique("gw-rot")).await;
    login(&gw, client).await;
    let refreshes_before = authority().refresh_count(client);
    let id_rot_1 = unique("xoauth2-rot-1");
    scan(&p, &gw, &id_rot_1).await;
    assert!(wait_delivered(&p, &id_rot_1, 30).await, "{}", gw.logs());
    gw.kill9().await;
    gw.restart().await;
    let id_rot_2 = unique("xoauth2-rot-2");
    scan(&p, &gw, &id_rot_2).await;
    assert!(wait_delivered(&p, &id_rot_2, 30).await, "{}", gw.logs());
    let a = authority();
    assert!(
        a.refresh_count(client) >= refreshes_before + 2,
        "one refresh per new session ahead of expiry"
    );
    assert!(
        a.reused_refresh_tokens(client).is_empty(),
        "a refresh token was used twice"
    );
    assert!(
        a.access_tokens(client).iter().all(|t| t.len() > 512),
        "the test's tokens are long"
    );
    assert_log_clean(&gw, client);
}

#[tokio::test]
async fn a_revoked_grant_holds_mail_then_a_new_login_delivers_it_with_one_notice() {
    let p = scanrelay_test_support::require_peers!();
    let client = "gw-xoauth2-revoked";
    authority().add_client(ClientSpec::public(client, &p.user).access_ttl(Duration::from_secs(20)));
    let host = format!("{}.example.test", unique("gw-rev"));
    let mut gw = oauth_gateway(&p, client, "", &host).await;
    login(&gw, client).await;
    let id_rev_1 = unique("xoauth2-rev-1");
    scan(&p, &gw, &id_rev_1).await;
    assert!(wait_delivered(&p, &id_rev_1, 30).await, "{}", gw.logs());
    // Consent withdrawn. A new process (no pooled session) must refresh, and is refused.
    authority().revoke(client);
    gw.kill9().await;
    gw.restart().await;
    let id_rev_2 = unique("xoauth2-rev-2");
    scan(&p, &gw, &id_rev_2).await;
    let held = wait_for(Duration::from_secs(30), || async {
        let q = queued(&gw).await;
        q.iter()
            .any(|m| m["state"] == "waiting" && m["delivery"]["hold"] == "login")
            .then_some(q)
    })
    .await
    .unwrap_or_else(|| panic!("not held for a login:\n{}", gw.logs()));
    let scan_entry = held
        .iter()
        .find(|m| m["envelope"]["mail_from"] != "")
        .unwrap();
    assert_eq!(
        scan_entry["delivery"]["last_cause"], "oauth.needs_login",
        "{scan_entry}"
    );
    assert_eq!(
        scan_entry["delivery"]["attempts"], 0,
        "holding is not a failed attempt"
    );
    let status = gw_oauth(&gw, &["status", "--json"]).await;
    assert_eq!(
        status.json()["accounts"][0]["state"],
        "needs_login",
        "{}",
        status.stdout
    );
    // A new login while the gateway runs: it notices within seconds and delivers.
    login(&gw, client).await;
    assert!(wait_delivered(&p, &id_rev_2, 60).await, "{}", gw.logs());
    let notice = p
        .wait_for_message(
            &p.user2,
            |m| {
                let s = String::from_utf8_lossy(m);
                s.contains(&format!("<MAILER-DAEMON@{host}>"))
                    && s.contains("Auto-Submitted: auto-generated")
            },
            Duration::from_secs(60),
        )
        .await;
    assert!(
        notice.is_some(),
        "the administrator got the login notice; queue: {:?}\nlog:\n{}",
        queued(&gw).await,
        gw.logs()
    );
    let bounces = p
        .maildir_messages(&p.user2)
        .into_iter()
        .filter(|m| {
            std::fs::read_to_string(m)
                .unwrap_or_default()
                .contains(&id_rev_2)
        })
        .filter(|m| {
            std::fs::read_to_string(m)
                .unwrap_or_default()
                .contains("Undelivered Mail")
        })
        .count();
    assert_eq!(bounces, 0, "held mail is never bounced for a dead login");
    assert_log_clean(&gw, client);
}

#[tokio::test]
async fn a_token_for_the_wrong_audience_is_diagnosed_not_called_a_bad_password() {
    let p = scanrelay_test_support::require_peers!();
    let client = "gw-xoauth2-audience";
    authority().add_client(ClientSpec::public(client, &p.user));
    let scopes = "scopes = [\"https://graph.microsoft.com/.default\"]";
    let gw = oauth_gateway(&p, client, scopes, &unique("gw-aud")).await;
    assert!(
        gw.logs().contains("whose tokens SMTP refuses"),
        "{}",
        gw.logs()
    );
    let rt = authority().mint_refresh_token(client, "https://graph.microsoft.com/.default");
    let file = gw.dir.path().join("rt.txt");
    std::fs::write(&file, format!("{rt}\n")).unwrap();
    let (cfg, dir) = (
        gw.config.display().to_string(),
        gw.dir.path().display().to_string(),
    );
    let run = crate::scanrelay(
        &[
            "oauth",
            "import",
            "office",
            "--refresh-token-file",
            &file.display().to_string(),
            "--config",
            &cfg,
            "--data-dir",
            &dir,
        ],
        &[],
    )
    .await;
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let id_aud_1 = unique("xoauth2-aud-1");
    scan(&p, &gw, &id_aud_1).await;
    let deferred = wait_for(Duration::from_secs(30), || async {
        let q = queued(&gw).await;
        q.into_iter().find(|m| m["state"] == "deferred")
    })
    .await
    .unwrap_or_else(|| panic!("not deferred:\n{}", gw.logs()));
    let cause = deferred["delivery"]["last_cause"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        cause.starts_with("auth.oauth"),
        "a refused token, not a password: {cause}"
    );
    assert!(
        deferred["delivery"]["last_reply"]
            .as_str()
            .unwrap()
            .starts_with("535"),
        "{deferred}"
    );
    assert_log_clean(&gw, client);
}

async fn gw_oauth(gw: &Gateway, args: &[&str]) -> crate::Run {
    let (cfg, dir) = (
        gw.config.display().to_string(),
        gw.dir.path().display().to_string(),
    );
    let mut all = vec!["oauth"];
    all.extend_from_slice(args);
    all.extend(["--config", &cfg, "--data-dir", &dir]);
    crate::scanrelay(&all, &[]).await
}

/// Polls `check` every 200 ms until it gives a value or `limit` passes.
async fn wait_for<T, F, Fut>(limit: Duration, mut check: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + limit;
    while tokio::time::Instant::now() < deadline {
        if let Some(v) = check().await {
            return Some(v);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    None
}
