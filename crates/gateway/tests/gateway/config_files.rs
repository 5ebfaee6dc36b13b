//! Validation does no I/O of its own: every file a config names (certificate, CA file,
//! password file, OAuth2 client secret) and the host name come through `ConfigFiles`, so a
//! config is validated against files that exist only in memory, and a missing one is named.

use std::path::Path;

use scanrelay_gateway::config::{self, ConfigFiles, MemoryFiles, ParseOptions};

const TEXT: &str = r#"
[listen]
smtp = "127.0.0.1:2525"
tls_cert = "tls/cert.pem"
tls_key = "/secure/key.pem"

[[oauth]]
name = "app"
provider = "microsoft"
tenant = "contoso.onmicrosoft.com"
client_id = "app-id"
client_secret_file = "app.secret"
flow = "client_credentials"
use = "graph"

[upstream]
server = "smtp.example.test"
port = 587
tls = "starttls"
username = "scanner@example.test"
password_file = "pw/upstream"
ca_file = "/ca/private.pem"
"#;

fn files() -> MemoryFiles {
    MemoryFiles::new("mfp-relay.office.test")
        .with_file("/nowhere/etc/tls/cert.pem", "cert")
        .with_file("/secure/key.pem", "key")
        .with_file("/nowhere/etc/app.secret", "client-secret-value\n")
        .with_file("/nowhere/etc/pw/upstream", "abcd efgh ijkl mnop\n")
        .with_file("/ca/private.pem", "ca")
}

fn parse(files: &dyn ConfigFiles) -> Result<config::Loaded, config::ConfigError> {
    config::parse_with(
        TEXT,
        Path::new("/nowhere/etc/scanrelay.toml"),
        Path::new("/nowhere/data"),
        &ParseOptions::default(),
        files,
    )
}

#[test]
fn a_config_is_validated_against_files_in_memory() {
    let loaded = parse(&files()).expect("valid against the in-memory files");
    let s = &loaded.settings;
    assert_eq!(s.listen.hostname, "mfp-relay.office.test");
    assert_eq!(
        s.listen.tls_cert.as_deref(),
        Some(Path::new("/nowhere/etc/tls/cert.pem"))
    );
    let up = &s.upstreams[0];
    assert_eq!(up.password.as_deref(), Some("abcd efgh ijkl mnop"));
    assert_eq!(up.ca_file.as_deref(), Some(Path::new("/ca/private.pem")));
    assert_eq!(up.helo, "mfp-relay.office.test");
    let secret = s.oauth[0].client_secret.as_ref().expect("secret read");
    assert_eq!(secret.expose(), "client-secret-value");
    assert_eq!(s.spool_dir, Path::new("/nowhere/data/spool"));
}

#[test]
fn the_same_config_on_this_machine_fails_on_the_first_missing_file() {
    let err = parse(&config::SystemFiles).unwrap_err().to_string();
    assert!(
        err.contains("listen.tls_cert") && err.contains("/nowhere/etc/tls/cert.pem"),
        "{err}"
    );
}

#[test]
fn each_missing_file_is_named_with_its_key() {
    let cases = [
        ("/nowhere/etc/tls/cert.pem", "listen.tls_cert"),
        ("/secure/key.pem", "listen.tls_key"),
        ("/nowhere/etc/app.secret", "client_secret_file"),
        ("/nowhere/etc/pw/upstream", "upstream.password_file"),
        ("/ca/private.pem", "upstream.ca_file"),
    ];
    for (missing, key) in cases {
        let mut present = MemoryFiles::new("h.test");
        for (path, _) in cases.iter().filter(|(p, _)| *p != missing) {
            present = present.with_file(*path, "x");
        }
        let err = parse(&present).unwrap_err().to_string();
        assert!(
            err.contains(key) && err.contains(missing),
            "{missing}: {err}"
        );
        assert!(!err.contains("abcd efgh"), "no secret in {err}");
    }
}
