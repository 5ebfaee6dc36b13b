//! `[[oauth]]` accounts in the config: defaults per provider and flow, endpoints from the
//! authority and tenant, overrides, the http-only-for-loopback rule, the client secret read
//! from its file and never shown, and errors that name the key and line.

use std::path::Path;

use scanrelay_gateway::config::{self, ParseOptions};
use scanrelay_oauth::{Flow, ProviderKind};

fn parse_in(dir: &Path, text: &str) -> Result<config::Loaded, config::ConfigError> {
    config::parse_str(
        text,
        &dir.join("scanrelay.toml"),
        dir,
        &ParseOptions::default(),
    )
}

#[test]
fn accounts_get_defaults_endpoints_and_their_secret() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("secret"), "Zx8~very-secret-value\n").unwrap();
    let text = r#"
[[oauth]]
name = "office"
provider = "microsoft"
client_id = "11111111-2222-3333-4444-555555555555"

[[oauth]]
name = "app"
provider = "microsoft"
tenant = "contoso.onmicrosoft.com"
client_id = "app-id"
client_secret_file = "secret"
flow = "client_credentials"
use = "graph"

[[oauth]]
name = "gmail"
provider = "google"
client_id = "g-id"

[[oauth]]
name = "test-cloud"
provider = "microsoft"
authority = "http://127.0.0.1:9"
tenant = "tests"
client_id = "t"
scopes = ["https://outlook.office.com/SMTP.Send", "offline_access"]
"#;
    let loaded = parse_in(dir.path(), text).unwrap();
    let a = &loaded.settings.oauth;
    assert_eq!(a.len(), 4);
    assert_eq!(
        (a[0].provider, a[0].flow, a[0].tenant.as_deref()),
        (
            ProviderKind::Microsoft,
            Flow::DeviceCode,
            Some("organizations")
        )
    );
    assert_eq!(
        a[0].scopes,
        ["https://outlook.office.com/SMTP.Send", "offline_access"]
    );
    assert_eq!(
        a[0].endpoints.device.as_deref(),
        Some("https://login.microsoftonline.com/organizations/oauth2/v2.0/devicecode")
    );
    assert_eq!(a[1].scopes, ["https://graph.microsoft.com/.default"]);
    assert_eq!(
        a[1].client_secret.as_ref().map(|s| s.expose()),
        Some("Zx8~very-secret-value")
    );
    assert_eq!(
        (a[2].flow, a[2].endpoints.token.as_str()),
        (Flow::AuthCode, "https://oauth2.googleapis.com/token")
    );
    assert_eq!(a[2].scopes, ["https://mail.google.com/"]);
    assert_eq!(
        a[3].endpoints.token,
        "http://127.0.0.1:9/tests/oauth2/v2.0/token"
    );
    let summary = config::summary(&loaded.settings);
    assert!(
        summary.contains("app (microsoft tenant contoso.onmicrosoft.com, client_credentials"),
        "{summary}"
    );
    assert!(
        summary.contains("client secret set") && !summary.contains("very-secret"),
        "{summary}"
    );
    assert!(!format!("{:?}", loaded.settings).contains("very-secret"));
}

#[test]
fn bad_accounts_name_the_key_and_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("empty"), "\n").unwrap();
    let head = "[[oauth]]\nname = \"office\"\nclient_id = \"x\"\n";
    let cases: &[(&str, &str, usize, &str)] = &[
        (
            "provider = \"yahoo\"\n",
            "oauth[0].provider",
            4,
            "expected microsoft, google or custom",
        ),
        (
            "provider = \"microsoft\"\nflow = \"implicit\"\n",
            "oauth[0].flow",
            5,
            "expected device_code, auth_code or client_credentials",
        ),
        (
            "provider = \"microsoft\"\nauthority = \"http://login.example.com\"\n",
            "oauth[0].authority",
            5,
            "plain http",
        ),
        (
            "provider = \"custom\"\nflow = \"auth_code\"\nscopes = [\"s\"]\nauth_url = \"https://a.example/x\"\n",
            "oauth[0].token_url",
            1,
            "needs token_url",
        ),
        (
            "provider = \"microsoft\"\nflow = \"client_credentials\"\ntenant = \"x.example\"\n",
            "oauth[0].client_secret_file",
            1,
            "client secret",
        ),
        (
            "provider = \"microsoft\"\nflow = \"client_credentials\"\ntenant = \"organizations\"\nclient_secret_file = \"empty\"\n",
            "oauth[0].client_secret_file",
            7,
            "is empty",
        ),
        (
            "provider = \"google\"\nflow = \"device_code\"\n",
            "oauth[0].flow",
            5,
            "refuses Gmail scopes",
        ),
        (
            "provider = \"google\"\ntenant = \"x\"\n",
            "oauth[0].tenant",
            5,
            "only for provider = \"microsoft\"",
        ),
        (
            "provider = \"microsoft\"\nclient_secret = \"inline\"\n",
            "oauth[0].client_secret",
            5,
            "unknown field",
        ),
        (
            "provider = \"microsoft\"\nscopes = \"offline_access\"\n",
            "oauth[0].scopes",
            5,
            "expected a list of scopes in quotes",
        ),
    ];
    for (rest, key, line, words) in cases {
        let text = format!("{head}{rest}");
        let err = parse_in(dir.path(), &text)
            .err()
            .unwrap_or_else(|| panic!("accepted:\n{text}"));
        let p = err.problem().unwrap_or_else(|| panic!("{err}"));
        assert_eq!(
            p.key
                .as_deref()
                .map(|k| k.split('.').take(2).collect::<Vec<_>>().join(".")),
            Some(key.to_string()),
            "{text}\n{err}"
        );
        assert_eq!(p.line, Some(*line), "{text}\n{err}");
        assert!(p.message.contains(words), "{text}\n{err}");
        assert!(!err.to_string().contains("inline"), "{err}");
    }
    let twice = format!("{head}provider = \"microsoft\"\n{head}provider = \"microsoft\"\n");
    let err = parse_in(dir.path(), &twice).unwrap_err();
    assert!(err.to_string().contains("listed twice"), "{err}");
    let err = parse_in(
        dir.path(),
        "[[oauth]]\nname = \"../x\"\nprovider = \"microsoft\"\nclient_id = \"x\"\n",
    )
    .unwrap_err();
    assert!(err.to_string().contains("not a usable name"), "{err}");
}

#[test]
fn the_default_config_example_parses_when_uncommented() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("google-client-secret"), "gsecret\n").unwrap();
    let example: String = config::DEFAULT_CONFIG
        .lines()
        .skip_while(|l| !l.starts_with("# [[oauth]]"))
        .take_while(|l| !l.starts_with("[delivery]"))
        .filter_map(|l| l.strip_prefix("# "))
        .filter(|l| l.starts_with("[[oauth]]") || l.contains(" = "))
        .map(|l| l.replace("/etc/scanrelay/", ""))
        .collect::<Vec<_>>()
        .join("\n");
    let loaded = parse_in(dir.path(), &example).unwrap_or_else(|e| panic!("{e}\n{example}"));
    let names: Vec<&str> = loaded
        .settings
        .oauth
        .iter()
        .map(|a| a.name.as_str())
        .collect();
    assert_eq!(names, ["office", "gmail"]);
}
