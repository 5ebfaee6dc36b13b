//! `scanrelay oauth` end to end against the local authority: device code login (the test
//! approves the code while the CLI polls), PKCE through the loopback listener (the test plays
//! the browser) and with --paste, client credentials, import, a dead grant shown as
//! needs_login by `status` and cured by a new login, logout, and JSON errors.

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use scanrelay_test_support::oauth_authority::{ClientSpec, DeviceScript, OAuthAuthority, http_get};
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::process::{Child, ChildStdout};

use crate::{Run, scanrelay};

/// A data directory with a config holding `accounts` (TOML) and the flags pointing at it.
pub struct Place {
    pub dir: tempfile::TempDir,
}

impl Place {
    pub fn new(accounts: &str) -> Place {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("scanrelay.toml"), accounts).unwrap();
        Place { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `--config C --data-dir D` then `args`.
    pub fn args<'a>(&'a self, args: &[&'a str]) -> Vec<String> {
        let mut out = vec![
            "--config".to_string(),
            self.path().join("scanrelay.toml").display().to_string(),
            "--data-dir".to_string(),
            self.path().display().to_string(),
        ];
        out.extend(args.iter().map(|s| s.to_string()));
        out
    }

    pub async fn oauth(&self, args: &[&str]) -> Run {
        let mut full = vec!["oauth".to_string()];
        full.extend(self.args(args));
        let refs: Vec<&str> = full.iter().map(String::as_str).collect();
        scanrelay(&refs, &[]).await
    }

    pub fn token_file(&self, name: &str) -> PathBuf {
        self.path().join("oauth").join(format!("{name}.json"))
    }
}

/// A Microsoft account at `authority`.
pub fn microsoft_account(
    authority: &OAuthAuthority,
    name: &str,
    client_id: &str,
    extra: &str,
) -> String {
    format!(
        "[[oauth]]\nname = \"{name}\"\nprovider = \"microsoft\"\nauthority = \"{}\"\ntenant = \"tests\"\nclient_id = \"{client_id}\"\n{extra}\n",
        authority.url()
    )
}

/// Starts `scanrelay oauth ... ARGS` with piped stdio.
fn spawn(place: &Place, args: &[&str]) -> Child {
    let mut full = vec!["oauth".to_string()];
    full.extend(place.args(args));
    tokio::process::Command::new(env!("CARGO_BIN_EXE_scanrelay"))
        .args(&full)
        .env("LANG", "C.UTF-8")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn scanrelay")
}

/// Reads stdout lines until one satisfies `pick`; returns what was read and the pick.
async fn read_until(
    out: &mut BufReader<ChildStdout>,
    seen: &mut String,
    pick: impl Fn(&str) -> Option<String>,
) -> String {
    let read = async {
        loop {
            let mut line = String::new();
            let n = out.read_line(&mut line).await.unwrap();
            assert!(n > 0, "stdout closed before the expected line:\n{seen}");
            seen.push_str(&line);
            if let Some(found) = pick(&line) {
                return found;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(20), read)
        .await
        .unwrap_or_else(|_| panic!("no such line in:\n{seen}"))
}

/// Waits for the child; returns its whole output (stdout read so far + the rest).
async fn finish(mut child: Child, mut out: BufReader<ChildStdout>, mut seen: String) -> Run {
    let mut rest = String::new();
    out.read_to_string(&mut rest).await.unwrap();
    seen.push_str(&rest);
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .await
        .unwrap();
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .unwrap()
        .unwrap();
    Run {
        code: status.code().unwrap_or(-1),
        stdout: seen,
        stderr,
    }
}

/// Every token the authority issued to `client_id` (access and refresh).
fn issued(authority: &OAuthAuthority, client_id: &str) -> Vec<String> {
    let mut all = authority.access_tokens(client_id);
    all.extend(authority.used_refresh_tokens(client_id));
    all.extend(authority.live_refresh_tokens(client_id));
    all
}

fn assert_clean(run: &Run, authority: &OAuthAuthority, client_id: &str, more: &[&str]) {
    let tokens = issued(authority, client_id);
    let mut secrets: Vec<&str> = tokens.iter().map(String::as_str).collect();
    secrets.extend_from_slice(more);
    run.assert_no_secrets(&secrets);
}

#[tokio::test]
async fn device_code_login_transcript_then_status() {
    let authority = OAuthAuthority::start();
    let script = DeviceScript {
        interval: 1,
        expires_in: 120,
        slow_down_at: Some(2),
        approve_after: None,
    };
    authority.add_client(ClientSpec::public("cli-dev", "scanner@example.test").device(script));
    let place = Place::new(&microsoft_account(&authority, "office", "cli-dev", ""));
    let mut child = spawn(&place, &["login", "office"]);
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut seen = String::new();
    let code = read_until(&mut out, &mut seen, |l| {
        l.split("enter the code ")
            .nth(1)
            .map(|c| c.trim().to_string())
    })
    .await;
    // The user signs in on another device while the CLI polls.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        authority.approve_device(&code),
        "the printed code {code} is the authority's"
    );
    let run = finish(child, out, seen).await;
    eprintln!(
        "--- scanrelay oauth login office ---\n{}{}",
        run.stdout, run.stderr
    );
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains("Signed in: account \"office\" is ready"),
        "{}",
        run.stdout
    );
    assert!(
        authority.device_polls("cli-dev") >= 2,
        "polled through pending and slow_down"
    );
    let mode = std::fs::metadata(place.token_file("office"))
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
    assert_clean(&run, &authority, "cli-dev", &[]);

    let text = place.oauth(&["status"]).await;
    eprintln!("--- scanrelay oauth status ---\n{}", text.stdout);
    assert_eq!(text.code, 0, "{}{}", text.stdout, text.stderr);
    assert!(
        text.stdout
            .starts_with("office (microsoft, device_code): ok"),
        "{}",
        text.stdout
    );
    let json = place.oauth(&["status", "--json"]).await;
    eprintln!("--- scanrelay oauth status --json ---\n{}", json.stdout);
    let v = json.json();
    let a = &v["accounts"][0];
    assert_eq!(
        (
            a["name"].as_str(),
            a["provider"].as_str(),
            a["flow"].as_str(),
            a["state"].as_str()
        ),
        (
            Some("office"),
            Some("microsoft"),
            Some("device_code"),
            Some("ok")
        )
    );
    let expires = a["access_expires"].as_str().unwrap();
    assert!(
        expires.ends_with('Z') && expires.len() == 20,
        "RFC 3339: {expires}"
    );
    assert!(
        a["last_refresh"].is_null() && a["warnings"].as_array().unwrap().is_empty(),
        "{a}"
    );
    assert_clean(&json, &authority, "cli-dev", &[]);
}

#[tokio::test]
async fn pkce_login_through_the_loopback_listener() {
    let authority = OAuthAuthority::start();
    authority.add_client(ClientSpec::public("cli-pkce", "scanner@gmail.test"));
    let place = google_place(&authority, "cli-pkce");
    let mut child = spawn(&place, &["login", "gmail"]);
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut seen = String::new();
    let url = read_until(&mut out, &mut seen, |l| {
        l.trim()
            .starts_with("http://127.0.0.1")
            .then(|| l.trim().to_string())
    })
    .await;
    assert!(
        url.contains("redirect_uri=http%3A%2F%2F127.0.0.1%3A"),
        "{url}"
    );
    // The browser: consent at the authority, follow the redirect to the CLI's listener.
    let location = authority.consent(&url).await;
    let page = http_get(&location).await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("you can close this window"),
        "{}",
        page.body
    );
    let run = finish(child, out, seen).await;
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(authority.pkce_verified("cli-pkce"), 1);
    assert_clean(&run, &authority, "cli-pkce", &["gsecret-value"]);
    let v = place.oauth(&["status", "--json"]).await.json();
    let a = &v["accounts"][0];
    assert_eq!(a["state"], "ok");
    let warning = a["warnings"][0].as_str().unwrap();
    assert!(
        warning.contains("Testing") && warning.contains("7 days"),
        "{warning}"
    );
}

fn google_place(authority: &OAuthAuthority, client_id: &str) -> Place {
    let text = format!(
        "[[oauth]]\nname = \"gmail\"\nprovider = \"google\"\nclient_id = \"{client_id}\"\nclient_secret_file = \"google-secret\"\nauth_url = \"{}\"\ntoken_url = \"{}\"\n",
        authority.google_auth_url(),
        authority.google_token_url()
    );
    let place = Place::new(&text);
    std::fs::write(place.path().join("google-secret"), "gsecret-value\n").unwrap();
    place
}

#[tokio::test]
async fn paste_login_reads_back_the_redirected_address() {
    let authority = OAuthAuthority::start();
    authority.add_client(ClientSpec::public("cli-paste", "scanner@gmail.test"));
    let place = google_place(&authority, "cli-paste");
    let mut child = spawn(&place, &["login", "gmail", "--paste"]);
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut seen = String::new();
    let url = read_until(&mut out, &mut seen, |l| {
        l.trim()
            .starts_with("http://127.0.0.1")
            .then(|| l.trim().to_string())
    })
    .await;
    let location = authority.consent(&url).await;
    assert!(
        location.starts_with("http://localhost/?code="),
        "{location}"
    );
    read_until(&mut out, &mut seen, |l| {
        l.contains("paste it here").then(String::new)
    })
    .await;
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(format!("{location}\n").as_bytes())
        .await
        .unwrap();
    drop(stdin);
    let run = finish(child, out, seen).await;
    eprintln!(
        "--- scanrelay oauth login gmail --paste ---\n{}{}",
        run.stdout, run.stderr
    );
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(authority.pkce_verified("cli-paste"), 1);
    assert_clean(&run, &authority, "cli-paste", &["gsecret-value"]);
}

#[tokio::test]
async fn client_credentials_login_checks_the_secret() {
    let authority = OAuthAuthority::start();
    authority.add_client(ClientSpec::confidential(
        "cli-app",
        "right-secret-value",
        "scanner@example.test",
    ));
    let place = Place::new(&microsoft_account(
        &authority,
        "app",
        "cli-app",
        "flow = \"client_credentials\"\nclient_secret_file = \"secret\"\nuse = \"graph\"",
    ));
    std::fs::write(place.path().join("secret"), "wrong-secret-id\n").unwrap();
    let run = place.oauth(&["login", "app"]).await;
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("invalid_client") && run.stderr.contains("AADSTS7000215"),
        "{}",
        run.stderr
    );
    assert_clean(
        &run,
        &authority,
        "cli-app",
        &["wrong-secret-id", "right-secret-value"],
    );
    std::fs::write(place.path().join("secret"), "right-secret-value\n").unwrap();
    let run = place.oauth(&["login", "app"]).await;
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("app-only tokens need no sign-in"),
        "{}",
        run.stdout
    );
    assert_clean(&run, &authority, "cli-app", &["right-secret-value"]);
}

#[tokio::test]
async fn import_dead_grant_status_relogin_and_logout() {
    let authority = OAuthAuthority::start();
    authority.add_client(
        ClientSpec::public("cli-imp", "scanner@example.test").access_ttl(Duration::from_secs(60)),
    );
    let place = Place::new(&microsoft_account(&authority, "office", "cli-imp", ""));
    let rt = authority.mint_refresh_token(
        "cli-imp",
        "https://outlook.office.com/SMTP.Send offline_access",
    );
    let file = place.path().join("rt.txt");
    std::fs::write(&file, format!("{rt}\n")).unwrap();
    let file_arg = file.display().to_string();
    let run = place
        .oauth(&["import", "office", "--refresh-token-file", &file_arg])
        .await;
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("issued a new one, which is stored"),
        "{}",
        run.stdout
    );
    assert_clean(&run, &authority, "cli-imp", &[]);
    // Import of a token that does not work: refused, nothing changed.
    std::fs::write(&file, "rt-bogus\n").unwrap();
    let bad = place
        .oauth(&["import", "office", "--refresh-token-file", &file_arg])
        .await;
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr.contains("does not work") && bad.stderr.contains("invalid_grant"),
        "{}",
        bad.stderr
    );
    // The grant is revoked; the next use (a check) finds out and records it.
    authority.revoke("cli-imp");
    let mut args = vec![
        "check".to_string(),
        "--oauth".into(),
        "office".into(),
        "--user".into(),
        "scanner@example.test".into(),
        "--server".into(),
        "127.0.0.1".into(),
        "--port".into(),
        crate::closed_port().to_string(),
    ];
    args.extend(place.args(&[]));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let check = scanrelay(&refs, &[]).await;
    assert_eq!(check.code, 2, "{}{}", check.stdout, check.stderr);
    assert!(
        check
            .stderr
            .contains("needs a new login (`scanrelay oauth login office`)"),
        "{}",
        check.stderr
    );
    let status = place.oauth(&["status", "--json"]).await;
    assert_eq!(status.code, 1);
    let a = &status.json()["accounts"][0];
    assert_eq!(
        (a["state"].as_str(), a["error"].as_str()),
        (Some("needs_login"), Some("invalid_grant"))
    );
    assert_eq!(a["aadsts"][0], "AADSTS700082");
    assert!(
        a["fix"]
            .as_str()
            .unwrap()
            .contains("scanrelay oauth login office"),
        "{a}"
    );
    let text = place.oauth(&["status"]).await;
    eprintln!(
        "--- scanrelay oauth status (dead grant) ---\n{}",
        text.stdout
    );
    assert!(
        text.stdout
            .contains("office (microsoft, device_code): needs_login"),
        "{}",
        text.stdout
    );
    // A new grant (imported again) cures it.
    let rt2 = authority.mint_refresh_token(
        "cli-imp",
        "https://outlook.office.com/SMTP.Send offline_access",
    );
    std::fs::write(&file, format!("{rt2}\n")).unwrap();
    assert_eq!(
        place
            .oauth(&["import", "office", "--refresh-token-file", &file_arg])
            .await
            .code,
        0
    );
    assert_eq!(
        place.oauth(&["status", "--json"]).await.json()["accounts"][0]["state"],
        "ok"
    );
    let out = place.oauth(&["logout", "office"]).await;
    assert_eq!(out.code, 0);
    assert!(!place.token_file("office").exists());
    let a = &place.oauth(&["status", "--json"]).await.json()["accounts"][0];
    assert_eq!(
        (a["state"].as_str(), a["reason"].as_str()),
        (Some("needs_login"), Some("not logged in yet"))
    );
}

#[tokio::test]
async fn errors_name_the_account_and_json_stays_json() {
    let authority = OAuthAuthority::start();
    let place = Place::new(&microsoft_account(&authority, "office", "x", ""));
    let run = place.oauth(&["login", "offce"]).await;
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("no [[oauth]] account named \"offce\"")
            && run.stderr.contains("office"),
        "{}",
        run.stderr
    );
    let missing = tempfile::tempdir().unwrap();
    let cfg = missing.path().join("none.toml").display().to_string();
    let run = scanrelay(&["oauth", "--config", &cfg, "status", "--json"], &[]).await;
    assert_eq!(run.code, 2);
    let v = run.json();
    assert_eq!(v["ok"], false);
    assert!(
        v["error"].as_str().unwrap().contains("does not exist"),
        "{v}"
    );
    let run = scanrelay(&["oauth", "status", "--json", "--bogus"], &[]).await;
    assert_eq!((run.code, run.json()["ok"].as_bool()), (2, Some(false)));
    let run = place.oauth(&["login", "office", "--paste"]).await;
    assert!(
        run.stderr.contains("--paste is for flow = \"auth_code\""),
        "{}",
        run.stderr
    );
}

#[tokio::test]
async fn check_oauth_logs_in_to_the_real_submission_with_the_stored_grant() {
    let p = scanrelay_test_support::require_peers!();
    let authority = scanrelay_test_support::oauth_authority::peer_authority()
        .expect("SCANRELAY_PEER_OAUTH_PORT is set by scripts/peers");
    authority.add_client(ClientSpec::public("cli-peer-check", &p.user).long_tokens());
    let place = Place::new(&microsoft_account(
        authority,
        "office",
        "cli-peer-check",
        "",
    ));
    let rt = authority.mint_refresh_token(
        "cli-peer-check",
        "https://outlook.office.com/SMTP.Send offline_access",
    );
    let file = place.path().join("rt.txt");
    std::fs::write(&file, format!("{rt}\n")).unwrap();
    let imported = place
        .oauth(&[
            "import",
            "office",
            "--refresh-token-file",
            &file.display().to_string(),
        ])
        .await;
    assert_eq!(imported.code, 0, "{}{}", imported.stdout, imported.stderr);
    let ca = p.ca.display().to_string();
    let port = p.submission_port.to_string();
    let check = |user: Option<&str>| {
        let mut args: Vec<String> = [
            "check",
            "--oauth",
            "office",
            "--server",
            &p.host,
            "--port",
            &port,
            "--tls",
            "starttls",
            "--ca-file",
            &ca,
            "--helo",
            "device.example.test",
            "--json",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        if let Some(u) = user {
            args.extend(["--user".to_string(), u.to_string()]);
        }
        args.extend(place.args(&[]));
        async move {
            let refs: Vec<&str> = args.iter().map(String::as_str).collect();
            scanrelay(&refs, &[]).await
        }
    };
    let run = check(Some(&p.user)).await;
    assert_eq!(run.cause(), "ok", "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("AUTH XOAUTH2"), "{}", run.stdout);
    assert_clean(&run, authority, "cli-peer-check", &[]);
    let run = check(None).await;
    assert_eq!(run.code, 2);
    assert!(
        run.json()["error"]
            .as_str()
            .unwrap()
            .contains("needs the mailbox the token is for: give --user"),
        "{}",
        run.stdout
    );
}
