//! The catalogue: every choice named and explained in both languages, its pre-filled values
//! taken from the gateway's presets, and what the wizard writes parses with `serve`'s code.

use std::path::Path;

use scanrelay_gateway::config::edit::{Change, SecretInput, apply};
use scanrelay_gateway::config::{DEFAULT_CONFIG, Loaded, ParseOptions};
use scanrelay_proto::TlsMode;
use scanrelay_setup::{Choice, Lang, Method, UpstreamForm, catalogue, choice, steps};

const EVERY_METHOD: [Method; 4] = [
    Method::AppPassword,
    Method::Password,
    Method::OAuth2,
    Method::NoLogin,
];

#[test]
fn the_wizard_offers_the_eight_choices_of_the_issue() {
    let slugs: Vec<&str> = catalogue().iter().map(|c| c.slug).collect();
    assert_eq!(
        slugs,
        [
            "gmail",
            "workspace",
            "workspace-relay",
            "naver",
            "daum-kakao",
            "m365",
            "outlook",
            "other"
        ]
    );
    for c in catalogue() {
        assert_eq!(choice(c.slug).map(|x| x.choice), Some(c.choice));
        let name = c.name();
        assert!(
            !name.get(Lang::En).is_empty() && !name.get(Lang::Ko).is_empty(),
            "{c:?}"
        );
    }
    assert_eq!(choice("nosuch").map(|c| c.slug), None);
}

#[test]
fn every_offered_method_has_steps_in_both_languages_and_no_other_has_any() {
    for c in catalogue() {
        for method in EVERY_METHOD {
            let list = steps(c.choice, method);
            if !c.methods.contains(&method) {
                assert!(list.is_empty(), "{:?} {method:?} is not offered", c.choice);
                continue;
            }
            assert!(!list.is_empty(), "{:?} {method:?}", c.choice);
            for step in &list {
                for text in [&step.title, &step.body] {
                    let (en, ko) = (text.get(Lang::En), text.get(Lang::Ko));
                    assert!(!en.is_empty() && !ko.is_empty(), "{:?}: {en}", c.choice);
                    assert_ne!(en, ko, "{:?}: not translated: {en}", c.choice);
                    assert!(
                        ko.chars().any(|ch| ('가'..='힣').contains(&ch)),
                        "{:?}: no Korean in {ko}",
                        c.choice
                    );
                }
            }
        }
    }
}

/// The pre-filled values are the gateway's presets, not a second copy of them.
#[test]
fn prefilled_values_come_from_the_presets() {
    for c in catalogue() {
        for &method in c.methods {
            let p = c.prefill(method, "scanner@example.com");
            let Some(preset) = c.preset("scanner@example.com") else {
                assert_eq!(c.choice, Choice::Other);
                assert!(p.server.is_empty() && p.port.is_none() && p.provider.is_none());
                continue;
            };
            assert_eq!(p.provider, Some(preset.id));
            assert_eq!(p.server, preset.host, "{}", c.slug);
            assert_eq!(p.port, Some(preset.port), "{}", c.slug);
            assert_eq!(p.tls, preset.tls, "{}", c.slug);
            assert_eq!(p.per_day, preset.per_day, "{}", c.slug);
            assert_eq!(p.per_minute, preset.per_minute, "{}", c.slug);
            assert_eq!(p.max_connections, preset.max_concurrency, "{}", c.slug);
            assert_eq!(p.oauth.is_some(), method == Method::OAuth2, "{}", c.slug);
        }
    }
}

#[test]
fn user_names_and_presets_follow_the_providers_rules() {
    let naver = choice("naver").unwrap();
    assert_eq!(
        naver
            .prefill(Method::AppPassword, "scan.office@naver.com")
            .username,
        "scan.office"
    );
    let dk = choice("daum-kakao").unwrap();
    assert_eq!(dk.preset("copier@kakao.com").map(|p| p.id), Some("kakao"));
    assert_eq!(dk.preset("copier@hanmail.net").map(|p| p.id), Some("daum"));
    assert_eq!(
        dk.prefill(Method::AppPassword, "copier@kakao.com").username,
        "copier@kakao.com"
    );
    let relay = choice("workspace-relay")
        .unwrap()
        .prefill(Method::NoLogin, "a@b.example");
    assert!(relay.username.is_empty() && relay.needs_helo);
    let outlook = choice("outlook")
        .unwrap()
        .prefill(Method::OAuth2, "me@outlook.com");
    let oauth = outlook.oauth.unwrap();
    assert_eq!(
        (oauth.provider, oauth.tenant, oauth.flow),
        ("microsoft", Some("consumers"), "device_code")
    );
    let gmail = choice("gmail")
        .unwrap()
        .prefill(Method::OAuth2, "me@gmail.com");
    assert_eq!(
        gmail.oauth.unwrap().flow,
        "auth_code",
        "Google's device flow refuses Gmail"
    );
}

fn save(changes: &[Change], dir: &Path) -> Result<(String, Loaded), String> {
    let path = dir.join("scanrelay.toml");
    let applied = apply(
        DEFAULT_CONFIG,
        &path,
        dir,
        &ParseOptions::default(),
        changes,
    )
    .map_err(|e| format!("{e:?}"))?;
    let loaded =
        scanrelay_gateway::config::parse_str(&applied.text, &path, dir, &ParseOptions::default())
            .map_err(|e| e.to_string())?;
    Ok((applied.text, loaded))
}

fn form(name: &str, p: &scanrelay_setup::Prefill, password: &str, oauth: &str) -> UpstreamForm {
    UpstreamForm {
        name: name.into(),
        server: p.server.clone(),
        port: p.port.map_or_else(String::new, |p| p.to_string()),
        tls: p.tls.as_str().into(),
        username: p.username.clone(),
        password: SecretInput::from_form(password),
        oauth: oauth.into(),
        helo: if p.needs_helo {
            "scan.example.com".into()
        } else {
            String::new()
        },
    }
}

#[test]
fn what_the_wizard_writes_is_a_valid_config_naming_only_the_preset() {
    let dir = tempfile::tempdir().unwrap();
    let gmail = choice("gmail")
        .unwrap()
        .prefill(Method::AppPassword, "scanner@example.com");
    let (text, loaded) = save(
        &[gmail.change(&form("gmail", &gmail, "abcd efgh ijkl mnop", ""))],
        dir.path(),
    )
    .unwrap();
    assert!(text.contains("[upstream]\nname = \"gmail\"\nprovider = \"gmail\"\nauth = \"password\"\nusername = \"scanner@example.com\"\npassword = \"abcdefghijklmnop\"\n"), "{text}");
    let up = &loaded.settings.upstreams[0];
    assert_eq!(
        (up.server.as_str(), up.port, up.tls),
        ("smtp.gmail.com", 587, TlsMode::StartTls)
    );
    assert_eq!(up.pacing.per_day, Some(500));

    let mut changed = form(
        "naver",
        &choice("naver")
            .unwrap()
            .prefill(Method::AppPassword, "x@naver.com"),
        "APPPASS12345",
        "",
    );
    changed.port = "587".into();
    changed.tls = "starttls".into();
    let naver = choice("naver")
        .unwrap()
        .prefill(Method::AppPassword, "x@naver.com");
    let (text, loaded) = save(&[naver.change(&changed)], dir.path()).unwrap();
    assert!(
        text.contains("port = \"587\"") || text.contains("port = 587"),
        "{text}"
    );
    assert_eq!(loaded.settings.upstreams[0].port, 587);

    let relay = choice("workspace-relay")
        .unwrap()
        .prefill(Method::NoLogin, "");
    let (_, loaded) = save(&[relay.change(&form("relay", &relay, "", ""))], dir.path()).unwrap();
    let up = &loaded.settings.upstreams[0];
    assert_eq!(
        (up.username.as_deref(), up.helo.as_str()),
        (None, "scan.example.com")
    );
}

#[test]
fn an_oauth_choice_writes_an_account_the_gateway_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("google-client-secret");
    std::fs::write(&secret, "GOCSPX-not-a-real-secret\n").unwrap();
    let cases = [
        ("m365", "scanner@contoso.com", "contoso.onmicrosoft.com", ""),
        ("outlook", "me@outlook.com", "", ""),
        ("gmail", "me@gmail.com", "", secret.to_str().unwrap()),
    ];
    for (slug, address, tenant, secret_file) in cases {
        let p = choice(slug).unwrap().prefill(Method::OAuth2, address);
        let account =
            p.oauth
                .as_ref()
                .unwrap()
                .change("office", "0000-client-id", tenant, secret_file);
        let upstream = p.change(&form(slug, &p, "", "office"));
        let (text, loaded) =
            save(&[account, upstream], dir.path()).unwrap_or_else(|e| panic!("{slug}: {e}"));
        assert!(text.contains("auth = \"oauth2\"\n"), "{text}");
        assert_eq!(
            loaded.settings.upstreams[0].oauth.as_deref(),
            Some("office"),
            "{slug}"
        );
        assert_eq!(loaded.settings.oauth.len(), 1, "{slug}");
    }
}
