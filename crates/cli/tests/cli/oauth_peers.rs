//! OAuth2 logins of `fetch` and `send` against the REAL peers (issue 9, items 3 and 4): `fetch
//! --oauth NAME` logs in to Dovecot POP3S with AUTH XOAUTH2 (Dovecot's oauth2 passdb asks the
//! local authority's `/introspect`), and `send --config PATH` whose upstream has `auth =
//! "oauth2"` logs in to the Postfix submission port with XOAUTH2. The grant is imported with
//! `scanrelay oauth import`; the mail is read back over POP3; no token (access or refresh)
//! appears in any output.

use scanrelay_test_support::oauth_authority::{ClientSpec, OAuthAuthority, peer_authority};

use crate::fetch_support::{MAILBOX, account, lf, messages_in, with_attachment};
use crate::oauth::{Place, microsoft_account};
use crate::send_peers::{read_back, sha256_of, token};
use crate::{Run, gateway_support::random_scan, scanrelay};

/// What a Microsoft mailbox asks for POP3 with OAuth2.
const POP_SCOPE: &str = "https://outlook.office.com/POP.AccessAsUser.All offline_access";
const SMTP_SCOPE: &str = "https://outlook.office.com/SMTP.Send offline_access";

fn authority() -> &'static OAuthAuthority {
    peer_authority().expect("SCANRELAY_PEER_OAUTH_PORT is set by scripts/peers")
}

/// A place whose config holds account `office` of `client` (tokens for `user`, `scopes` TOML
/// line optional, then `extra` TOML), with a grant of `scope` imported into its data directory.
async fn place_with_grant(client: &str, user: &str, scope: &str, extra: &str) -> Place {
    let authority = authority();
    authority.add_client(ClientSpec::public(client, user).long_tokens());
    let scopes = scope
        .split(' ')
        .map(|s| format!("\"{s}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let account = microsoft_account(authority, "office", client, &format!("scopes = [{scopes}]"));
    let place = Place::new(&format!("{account}\n{extra}"));
    let file = place.path().join("rt.txt");
    std::fs::write(
        &file,
        format!("{}\n", authority.mint_refresh_token(client, scope)),
    )
    .unwrap();
    let imported = place
        .oauth(&[
            "import",
            "office",
            "--refresh-token-file",
            &file.display().to_string(),
        ])
        .await;
    assert_eq!(imported.code, 0, "{}{}", imported.stdout, imported.stderr);
    std::fs::remove_file(&file).unwrap();
    place
}

/// Asserts that no token the authority issued to `client` is in `run`'s output.
fn assert_tokens_absent(run: &Run, client: &str) {
    let a = authority();
    let mut tokens = a.access_tokens(client);
    tokens.extend(a.used_refresh_tokens(client));
    tokens.extend(a.live_refresh_tokens(client));
    assert!(
        !tokens.is_empty(),
        "the authority issued no token to {client}"
    );
    let secrets: Vec<&str> = tokens.iter().map(String::as_str).collect();
    run.assert_no_secrets(&secrets);
}

#[tokio::test]
async fn fetch_oauth_logs_in_to_dovecot_pop3s_with_xoauth2() {
    let Some(acct) = account() else { return };
    let _guard = MAILBOX.lock().await;
    acct.empty();
    let client = "cli-fetch-xoauth2";
    let place = place_with_grant(client, &acct.user, POP_SCOPE, "").await;
    let raw: Vec<Vec<u8>> = (1..=2)
        .map(|i| {
            with_attachment(
                &format!("oauth {i}"),
                &format!("filename=\"o-{i}.pdf\""),
                b"%PDF",
            )
        })
        .collect();
    raw.iter().for_each(|r| acct.deliver(r));
    let out = place.path().join("out");
    let introspections = authority().introspections();
    let port = acct.peers.pop3s_port.to_string();
    let ca = acct.peers.ca.display().to_string();
    let out_arg = out.display().to_string();
    let mut args: Vec<String> = [
        "fetch",
        "--server",
        &acct.peers.cert_host,
        "--port",
        &port,
        "--tls",
        "implicit",
        "--user",
        &acct.user,
        "--oauth",
        "office",
        "--ca-file",
        &ca,
        "--out",
        &out_arg,
        "--json",
    ]
    .map(String::from)
    .to_vec();
    args.extend(place.args(&[]));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = scanrelay(&refs, &[]).await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.json()["on_server"], 2, "{}", run.stdout);
    let mut got: Vec<Vec<u8>> = messages_in(&out)
        .iter()
        .map(|p| lf(&std::fs::read(p).unwrap()))
        .collect();
    got.sort();
    assert_eq!(got, raw, "the saved messages are the delivered bytes");
    assert!(
        authority().introspections() > introspections,
        "Dovecot did not introspect the token: not an XOAUTH2 login"
    );
    assert_tokens_absent(&run, client);
    // A token of another user's grant is refused by Dovecot: exit 14, the token's cause.
    let other = place_with_grant("cli-fetch-xoauth2-other", &acct.peers.user2, POP_SCOPE, "").await;
    let mut args = args[..args.len() - 4].to_vec();
    args.extend(other.args(&[]));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let refused = scanrelay(&refs, &[]).await;
    assert_eq!(refused.code, 14, "{}\n{}", refused.stdout, refused.stderr);
    assert_eq!(
        refused.cause(),
        "auth.oauth_token_rejected",
        "{}",
        refused.stdout
    );
    assert_tokens_absent(&refused, "cli-fetch-xoauth2-other");
}

#[tokio::test]
async fn send_config_with_an_oauth2_upstream_logs_in_with_xoauth2() {
    let p = scanrelay_test_support::require_peers!();
    let client = "cli-send-xoauth2";
    let upstream = format!(
        "[upstream]\nserver = \"{}\"\nport = {}\ntls = \"starttls\"\nca_file = \"{}\"\n\
         auth = \"oauth2\"\noauth = \"office\"\nusername = \"{}\"\n",
        p.host,
        p.submission_port,
        p.ca.display(),
        p.user
    );
    let place = place_with_grant(client, &p.user, SMTP_SCOPE, &upstream).await;
    let (scan, _) = random_scan(place.path(), "토큰 로그인.pdf", 20_000);
    let t = token("send-xoauth2");
    let introspections = authority().introspections();
    let mut args: Vec<String> = ["send", "--from", &p.user, "--to", &p.user, "--subject", &t]
        .map(String::from)
        .to_vec();
    args.extend(place.args(&["--json", &scan.to_string_lossy()]));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = scanrelay(&refs, &[]).await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let json = run.json();
    assert_eq!(json["server"]["port"], p.submission_port);
    assert!(
        authority().introspections() > introspections,
        "Dovecot did not introspect the token: not an XOAUTH2 login"
    );
    assert_tokens_absent(&run, client);
    let got = read_back(&p, &p.user, &p.password, &t, 1).await;
    assert_eq!(got[0]["attachments"][0]["name"], "토큰 로그인.pdf");
    assert_eq!(got[0]["attachments"][0]["sha256"], sha256_of(&scan));
    let message_id = json["messages"][0]["message_id"].as_str().unwrap();
    assert_eq!(
        sasl_login_of(message_id),
        "sasl_method=XOAUTH2, sasl_username=scanner@example.test"
    );
}

/// The SASL part of the Postfix log line of the session that queued `message_id`
/// (`SCANRELAY_PEER_MAILLOG`: `QID: client=..., sasl_method=M, sasl_username=U`).
fn sasl_login_of(message_id: &str) -> String {
    let path = std::env::var("SCANRELAY_PEER_MAILLOG").expect("SCANRELAY_PEER_MAILLOG is set");
    let log = std::fs::read_to_string(&path).expect("read the Postfix log");
    let queue_id = log
        .lines()
        .find_map(|l| {
            let (head, _) = l.split_once(&format!(": message-id={message_id}"))?;
            head.rsplit(' ').next()
        })
        .unwrap_or_else(|| panic!("{message_id} is not in {path}"));
    let client = format!(" {queue_id}: client=");
    let line = log
        .lines()
        .find(|l| l.contains(&client))
        .expect("the queue id's client line");
    line.split_once(", ")
        .map(|(_, sasl)| sasl.to_string())
        .unwrap_or_default()
}
