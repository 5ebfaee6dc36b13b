//! Upstreams in the config (issue 7, items 4, 6, 7, 8): a single `[upstream]` keeps working,
//! several `[[upstream]]` entries with names and a default, OAuth2 logins (`auth = "oauth2"`,
//! `oauth = NAME`), Graph (`kind = "graph"`), routes by device, network and sender, and pacing
//! from the preset or the file; mistakes name their key and line.

use std::path::Path;

use scanrelay_gateway::config::{self, ConfigError, ParseOptions};
use scanrelay_gateway::settings::UpstreamKind;

const ACCOUNTS: &str = r#"
[[oauth]]
name = "office"
provider = "microsoft"
client_id = "11111111-2222-3333-4444-555555555555"

[[oauth]]
name = "graph-app"
provider = "microsoft"
tenant = "contoso.onmicrosoft.com"
client_id = "app-id"
client_secret_file = "secret"
flow = "client_credentials"
use = "graph"
"#;

fn parse(text: &str) -> Result<config::Loaded, ConfigError> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("secret"), "s3cret-value\n").unwrap();
    config::parse_str(
        &format!("{ACCOUNTS}\n{text}"),
        &dir.path().join("scanrelay.toml"),
        Path::new("/d"),
        &ParseOptions::default(),
    )
}

fn error(text: &str) -> (String, String) {
    let err = parse(text).map(|_| ()).expect_err(text);
    let p = err.problem().expect("located").clone();
    (p.key.unwrap_or_default(), p.message)
}

#[test]
fn several_upstreams_routes_and_devices() {
    let loaded = parse(
        r#"
[[device]]
username = "mfp-hr"
password = "pw-hr"
upstream = "hr"

[[upstream]]
name = "office"
provider = "m365"
auth = "oauth2"
oauth = "office"
username = "scanner@contoso.com"

[[upstream]]
name = "hr"
kind = "graph"
oauth = "graph-app"
mailbox = "hr@contoso.com"
default = true

[[upstream]]
name = "lab"
server = "10.0.0.25"
port = 25
max_per_minute = 10

[[route]]
networks = ["192.168.20.0/24"]
upstream = "lab"

[[route]]
senders = ["*@sales.contoso.com"]
upstream = "office"
"#,
    )
    .unwrap();
    let s = &loaded.settings;
    let names: Vec<&str> = s.upstreams.iter().map(|u| u.name.as_str()).collect();
    assert_eq!(names, ["hr", "office", "lab"], "the default comes first");
    let hr = &s.upstreams[0];
    assert_eq!(
        hr.kind,
        UpstreamKind::Graph {
            mailbox: "hr@contoso.com".into(),
            graph_url: "https://graph.microsoft.com".into()
        }
    );
    assert_eq!(hr.oauth.as_deref(), Some("graph-app"));
    let office = &s.upstreams[1];
    assert_eq!(office.oauth.as_deref(), Some("office"));
    assert_eq!(office.password, None);
    assert_eq!(
        office.pacing.per_minute,
        Some(30),
        "Microsoft 365's documented limit"
    );
    assert_eq!(s.upstreams[2].pacing.per_minute, Some(10));
    assert_eq!(
        s.routing.devices,
        [("mfp-hr".to_string(), "hr".to_string())]
    );
    let ip = |t: &str| t.parse().unwrap();
    assert_eq!(
        s.routing
            .route(None, ip("192.168.20.7"), "a@b.c")
            .as_deref(),
        Some("lab")
    );
    assert_eq!(
        s.routing
            .route(None, ip("10.1.1.1"), "kim@sales.contoso.com")
            .as_deref(),
        Some("office")
    );
    assert_eq!(
        s.routing
            .route(Some("mfp-hr"), ip("192.168.20.7"), "x@y.z")
            .as_deref(),
        Some("hr")
    );
    assert_eq!(s.routing.route(None, ip("10.1.1.1"), "x@y.z"), None);
    let summary = config::summary(s);
    assert!(summary.contains("upstream (default)"), "{summary}");
    assert!(
        summary.contains("Microsoft Graph https://graph.microsoft.com as hr@contoso.com"),
        "{summary}"
    );
    assert!(
        summary.contains("AUTH XOAUTH2 as scanner@contoso.com (oauth account office)"),
        "{summary}"
    );
    assert!(summary.contains("device mfp-hr -> hr"), "{summary}");
    assert!(!summary.contains("s3cret"), "{summary}");
}

#[test]
fn a_single_upstream_is_the_default_and_gets_the_presets_pacing() {
    let loaded = parse("[upstream]\nprovider = \"gmail\"\nusername = \"a@gmail.com\"\npassword = \"abcd efgh ijkl mnop\"\n").unwrap();
    let up = &loaded.settings.upstreams[0];
    assert_eq!(up.name, "default");
    assert_eq!((up.pacing.per_minute, up.pacing.per_day), (None, Some(500)));
    assert_eq!(up.password.as_deref(), Some("abcdefghijklmnop"));
}

#[test]
fn mistakes_name_their_key() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "[[upstream]]\nserver = \"a\"\n[[upstream]]\nname = \"b\"\nserver = \"b\"\n",
            "upstream[0].name",
            "missing: each [[upstream]] needs a name",
        ),
        (
            "[[upstream]]\nname = \"a\"\nserver = \"a\"\n[[upstream]]\nname = \"a\"\nserver = \"b\"\n",
            "upstream[1].name",
            "listed twice",
        ),
        (
            "[upstream]\nserver = \"a\"\nauth = \"oauth2\"\noauth = \"nobody\"\nusername = \"x@y.z\"\n",
            "upstream.oauth",
            "no [[oauth]] account named \"nobody\" (office, graph-app)",
        ),
        (
            "[upstream]\nserver = \"a\"\nauth = \"oauth2\"\noauth = \"office\"\n",
            "upstream.username",
            "needs username = the mailbox",
        ),
        (
            "[upstream]\nserver = \"a\"\noauth = \"office\"\nusername = \"x@y.z\"\npassword = \"p\"\n",
            "upstream.password",
            "logs in with a token: remove the password",
        ),
        (
            "[upstream]\nkind = \"graph\"\noauth = \"graph-app\"\n",
            "upstream.mailbox",
            "missing: set mailbox",
        ),
        (
            "[upstream]\nkind = \"graph\"\noauth = \"graph-app\"\nmailbox = \"a@b.c\"\nserver = \"x\"\n",
            "upstream.server",
            "is not used by kind = \"graph\"",
        ),
        (
            "[upstream]\nkind = \"graph\"\noauth = \"graph-app\"\nmailbox = \"a@b.c\"\ngraph_url = \"http://graph.example.com\"\n",
            "upstream.graph_url",
            "plain http",
        ),
        (
            "[upstream]\nserver = \"a\"\n[[route]]\nnetworks = [\"10.0.0.0/8\"]\nupstream = \"sales\"\n",
            "route[0].upstream",
            "no upstream named \"sales\" (the upstreams are: default)",
        ),
        (
            "[upstream]\nserver = \"a\"\n[[route]]\nupstream = \"default\"\n",
            "route[0].networks",
            "needs networks = [...] or senders = [...]",
        ),
        (
            "[upstream]\nserver = \"a\"\n[[route]]\nsenders = [\"not an address\"]\nupstream = \"default\"\n",
            "route[0].senders[0]",
            "is not an address or a domain",
        ),
        (
            "[upstream]\nserver = \"a\"\n[[device]]\nusername = \"u\"\npassword = \"p\"\nupstream = \"x\"\n",
            "device[0].upstream",
            "no upstream named \"x\"",
        ),
        (
            "[upstream]\nserver = \"a\"\nmax_per_minute = 0\n",
            "upstream.max_per_minute",
            "must be greater than 0",
        ),
    ];
    for (text, key, message) in cases {
        let (got_key, got_message) = error(text);
        assert_eq!(got_key, *key, "{text}");
        assert!(got_message.contains(message), "{text}: {got_message}");
    }
}

#[test]
fn a_token_for_the_wrong_audience_is_a_warning() {
    let loaded = parse(
        "[upstream]\nserver = \"smtp.office365.com\"\nauth = \"oauth2\"\noauth = \"graph-app\"\nusername = \"a@contoso.com\"\n",
    )
    .unwrap();
    let warning = loaded
        .warnings
        .iter()
        .find(|w| w.key.as_deref() == Some("upstream.oauth"))
        .expect("a warning on upstream.oauth");
    assert!(warning.message.contains("535 5.7.3"), "{}", warning.message);
}
