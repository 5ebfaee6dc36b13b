//! Real XOAUTH2 and OAUTHBEARER: Postfix submission with Dovecot SASL, whose `oauth2` passdb
//! asks the process-wide local authority (`SCANRELAY_PEER_OAUTH_PORT`) to introspect the
//! token. Tokens come from the token manager, as the gateway's will; the login goes through
//! the one SMTP client (`scanrelay_client::establish`).

use std::sync::Arc;
use std::time::Duration;

use scanrelay_client::{
    ClientConfig, ClientError, Credentials, Facts, Mechanism, TlsMode, establish,
};
use scanrelay_oauth::{
    Flow, ManagerOptions, OAuthClient, Secret, TokenManager, TokenStore, import,
};
use scanrelay_test_support::oauth_authority::{ClientSpec, OAuthAuthority, peer_authority};
use scanrelay_test_support::{Peers, assert_no_secrets, require_peers};

use crate::microsoft;

fn authority() -> &'static OAuthAuthority {
    peer_authority().expect("SCANRELAY_PEER_OAUTH_PORT is set by scripts/peers (is it up to date?)")
}

/// A manager for a new client of the peer authority whose tokens belong to the peers' user.
async fn manager(
    spec: ClientSpec,
    options: ManagerOptions,
) -> (tempfile::TempDir, Arc<TokenManager>) {
    let authority = authority();
    let id = spec.id.clone();
    authority.add_client(spec);
    let dir = tempfile::tempdir().unwrap();
    let account = microsoft(authority, "office", &id, Flow::DeviceCode);
    let rt = authority.mint_refresh_token(&id, &account.scopes.join(" "));
    let client = OAuthClient::new(&account, &Default::default()).unwrap();
    import(
        &client,
        &TokenStore::new(dir.path()),
        Secret::new(rt),
        std::time::SystemTime::now(),
    )
    .await
    .unwrap();
    let m = TokenManager::with_options(account, dir.path(), options).unwrap();
    (dir, Arc::new(m))
}

fn config(p: &Peers, token: &str, mechanism: Mechanism) -> ClientConfig {
    let mut c = ClientConfig::new(p.host.clone(), p.submission_port, TlsMode::StartTls);
    c.tls_server_name = Some(p.cert_host.clone());
    c.ca_file = Some(p.ca.clone());
    c.helo = "gateway.example.test".into();
    c.timeout = Duration::from_secs(10);
    c.credentials = Some(Credentials::Token {
        user: p.user.clone(),
        token: token.to_string(),
    });
    c.mechanism = Some(mechanism);
    c
}

/// Logs in; the transcript on success or the error and transcript on failure.
async fn login(
    p: &Peers,
    token: &str,
    mechanism: Mechanism,
) -> Result<Facts, (ClientError, Facts)> {
    match establish(&config(p, token, mechanism)).await {
        Ok(session) => Ok(session.quit().await),
        Err(f) => Err((f.error, f.facts)),
    }
}

fn transcript(facts: &Facts) -> String {
    facts
        .steps
        .iter()
        .flat_map(|s| s.exchange.iter().cloned())
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn xoauth2_and_oauthbearer_log_in_with_a_managed_token() {
    let p = require_peers!();
    let spec = ClientSpec::public("peer-login", &p.user);
    let (_dir, m) = manager(spec, ManagerOptions::default()).await;
    let token = m.bearer().await.unwrap();
    for mechanism in [Mechanism::XOAuth2, Mechanism::OAuthBearer] {
        let facts = login(&p, token.expose(), mechanism)
            .await
            .unwrap_or_else(|(e, f)| panic!("{mechanism}: {e}\n{}", transcript(&f)));
        let text = transcript(&facts);
        assert!(text.contains("235"), "{mechanism}:\n{text}");
        assert_no_secrets(&text, &[token.expose()]);
    }
}

#[tokio::test]
async fn a_token_longer_than_512_octets_logs_in() {
    let p = require_peers!();
    let spec = ClientSpec::public("peer-long", &p.user).long_tokens();
    let (_dir, m) = manager(spec, ManagerOptions::default()).await;
    let token = m.bearer().await.unwrap();
    assert!(
        token.expose().len() > 512,
        "the authority issued a long token"
    );
    for mechanism in [Mechanism::XOAuth2, Mechanism::OAuthBearer] {
        let facts = login(&p, token.expose(), mechanism)
            .await
            .unwrap_or_else(|(e, f)| panic!("{mechanism}: {e}\n{}", transcript(&f)));
        let text = transcript(&facts);
        // RFC 4954: no initial response when the line would pass 512 octets; 334 first.
        assert!(
            text.contains(&format!("AUTH {mechanism}\n"))
                || text
                    .lines()
                    .any(|l| l.trim_end() == format!("C: AUTH {mechanism}")),
            "{mechanism}:\n{text}"
        );
        assert!(
            text.contains("334") && text.contains("235"),
            "{mechanism}:\n{text}"
        );
        eprintln!(
            "--- {mechanism}, {}-octet token ---\n{text}",
            token.expose().len()
        );
        assert_no_secrets(&text, &[token.expose()]);
    }
}

#[tokio::test]
async fn a_graph_token_is_refused_for_smtp_after_the_334_json() {
    let p = require_peers!();
    let authority = authority();
    authority.add_client(ClientSpec::confidential(
        "peer-graph",
        "peer-graph-secret",
        &p.user,
    ));
    let token = authority.mint_access_token("peer-graph", "https://graph.microsoft.com/.default");
    let (error, facts) = login(&p, &token, Mechanism::XOAuth2)
        .await
        .expect_err("a Graph token must not log in to SMTP");
    let text = transcript(&facts);
    assert!(
        matches!(&error, ClientError::Rejected { reply, .. } if reply.code == 535),
        "{error}\n{text}"
    );
    let challenge = text
        .lines()
        .position(|l| l.contains("334 ey"))
        .unwrap_or_else(|| panic!("no 334 JSON challenge:\n{text}"));
    let refusal = text.lines().position(|l| l.contains("535")).unwrap();
    assert!(challenge < refusal, "{text}");
    eprintln!("--- XOAUTH2 with a Graph token ---\n{text}");
    assert_no_secrets(&text, &[&token]);
}

#[tokio::test]
async fn expired_tokens_are_refreshed_ahead_and_rotation_keeps_working() {
    let p = require_peers!();
    let spec = ClientSpec::public("peer-expiry", &p.user).access_ttl(Duration::from_secs(3));
    let options = ManagerOptions {
        refresh_margin: Duration::from_secs(1),
        ..ManagerOptions::default()
    };
    let (dir, m) = manager(spec, options).await;
    let first = m.bearer().await.unwrap();
    login(&p, first.expose(), Mechanism::XOAuth2)
        .await
        .unwrap_or_else(|(e, f)| panic!("{e}\n{}", transcript(&f)));
    tokio::time::sleep(Duration::from_millis(3200)).await;
    // The old token is dead at the server now...
    let (error, _) = login(&p, first.expose(), Mechanism::XOAuth2)
        .await
        .expect_err("an expired token");
    assert!(
        matches!(&error, ClientError::Rejected { reply, .. } if reply.code == 535),
        "{error}"
    );
    // ...and the manager refreshed ahead of its expiry: the new one works, the rotated
    // refresh token is the one stored, and none was used twice.
    let second = m.bearer().await.unwrap();
    assert_ne!(first, second);
    login(&p, second.expose(), Mechanism::OAuthBearer)
        .await
        .unwrap_or_else(|(e, f)| panic!("{e}\n{}", transcript(&f)));
    let stored = TokenStore::new(dir.path()).load("office").unwrap().unwrap();
    assert_eq!(
        authority().live_refresh_tokens("peer-expiry"),
        vec![stored.refresh_token.unwrap().expose().to_string()]
    );
    assert!(authority().reused_refresh_tokens("peer-expiry").is_empty());
}
