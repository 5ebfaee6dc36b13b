//! What the settings editor must never do: open the relay, show or lose a secret, overwrite
//! someone else's save, or leave a half-written file.

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::sync::{Arc, Barrier};

use scanrelay_gateway::config::edit::{
    Change, ConfigFile, ListenField, SaveError, SecretInput, UpstreamField, Version, View,
};
use scanrelay_gateway::config::{DEFAULT_CONFIG, ParseOptions, parse_str};

use crate::config_edit::{PATH, add_device, base_dir, edit};

const SECRET: &str = "qwertyuiopasdfgh";

fn with_secrets() -> String {
    format!(
        "[listen]\nsmtp = \"192.168.1.10:2525\"\nallow_networks = [\"192.168.1.0/24\"]\n\n\
         [upstream]\nprovider = \"gmail\"\nusername = \"scanner@example.com\"\n\
         password = \"{SECRET}\"\n\n[[device]]\nusername = \"mfp-3f\"\npassword = \"dev-{SECRET}\"\n"
    )
}

fn listen(field: ListenField, value: &str) -> Change {
    Change::Listen(field, value.to_string())
}

#[test]
fn nothing_can_open_the_relay() {
    let lan = "[listen]\nsmtp = \"192.168.1.10:2525\"\n";
    let cases: Vec<(&str, Vec<Change>)> = vec![
        (
            "everything, on every interface",
            vec![
                listen(ListenField::Smtp, "0.0.0.0:2525"),
                listen(ListenField::AllowNetworks, "0.0.0.0/0"),
            ],
        ),
        (
            "everything in two halves",
            vec![listen(ListenField::AllowNetworks, "0.0.0.0/1 128.0.0.0/1")],
        ),
        (
            "every IPv6 address on an SSL listener",
            vec![
                listen(ListenField::Smtps, "[::]:2465"),
                listen(ListenField::AllowNetworks, "::/0"),
            ],
        ),
        (
            "every IPv4 address written IPv4-mapped",
            vec![listen(ListenField::AllowNetworks, "::ffff:0:0/96")],
        ),
        (
            "half the Internet",
            vec![listen(ListenField::AllowNetworks, "0.0.0.0/1")],
        ),
        (
            "someone else's /8",
            vec![listen(
                ListenField::AllowNetworks,
                "192.168.1.0/24, 8.0.0.0/8",
            )],
        ),
    ];
    for (label, changes) in cases {
        let errors = edit(lan, &changes).expect_err(label);
        assert!(
            errors
                .iter()
                .any(|e| e.key.as_deref() == Some("listen.allow_networks")
                    && e.message.contains("open relay")),
            "{label}: {errors:?}"
        );
    }
}

#[test]
fn a_wide_list_on_loopback_cannot_be_exposed_in_a_second_step() {
    let step1 = edit(
        "[listen]\nsmtp = \"127.0.0.1:2525\"\n",
        &[listen(ListenField::AllowNetworks, "0.0.0.0/1")],
    )
    .expect("harmless while only loopback listens");
    let errors = edit(&step1, &[listen(ListenField::Smtp, "0.0.0.0:2525")]).unwrap_err();
    assert_eq!(
        errors[0].key.as_deref(),
        Some("listen.allow_networks"),
        "{errors:?}"
    );
}

#[test]
fn values_cannot_inject_toml() {
    let sneaky = "x\"\n[listen]\nallow_networks = [\"0.0.0.0/0\"]\n#";
    let text = edit(
        "[listen]\nsmtp = \"0.0.0.0:2525\"\nallow_networks = [\"192.168.1.0/24\"]\n",
        &[add_device(sneaky, "long-enough-pw")],
    )
    .unwrap();
    let loaded = parse_str(
        &text,
        Path::new(PATH),
        &base_dir(),
        &ParseOptions::default(),
    )
    .unwrap();
    assert_eq!(loaded.settings.devices.len(), 1);
    assert_eq!(loaded.settings.devices[0].username, sneaky);
    let nets: Vec<String> = loaded
        .settings
        .listen
        .allow_networks
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(nets, ["192.168.1.0/24"]);
}

#[test]
fn device_accounts_need_a_real_password() {
    for password in [
        SecretInput::Keep,
        SecretInput::Set(String::new()),
        SecretInput::Clear,
    ] {
        let errors = edit(
            &with_secrets(),
            &[Change::AddDevice {
                username: "scan-2f".into(),
                password: password.clone(),
                upstream: String::new(),
            }],
        )
        .expect_err("no password");
        assert_eq!(
            errors[0].key.as_deref(),
            Some("device[1].password"),
            "{password:?}"
        );
    }
}

#[test]
fn an_empty_password_field_keeps_the_stored_one() {
    let text = with_secrets();
    let got = edit(
        &text,
        &[
            Change::UpstreamPassword {
                name: "default".into(),
                password: SecretInput::from_form(""),
            },
            Change::Upstream {
                name: "default".into(),
                field: UpstreamField::Username,
                value: "scans@example.com".into(),
            },
            Change::DevicePassword {
                username: "mfp-3f".into(),
                password: SecretInput::from_form(""),
            },
        ],
    )
    .unwrap();
    assert_eq!(
        got,
        text.replace("scanner@example.com", "scans@example.com")
    );
}

#[test]
fn a_new_google_app_password_is_stored_without_its_spaces() {
    let got = edit(
        &with_secrets(),
        &[Change::UpstreamPassword {
            name: "default".into(),
            password: SecretInput::from_form("abcd efgh ijkl mnop"),
        }],
    )
    .unwrap();
    assert!(got.contains("password = \"abcdefghijklmnop\"\n"), "{got}");
    let cleared = edit(
        &got,
        &[
            Change::UpstreamPassword {
                name: "default".into(),
                password: SecretInput::Clear,
            },
            Change::Upstream {
                name: "default".into(),
                field: UpstreamField::Username,
                value: String::new(),
            },
        ],
    )
    .unwrap();
    assert!(!cleared.contains("password = \"abcd"), "{cleared}");
}

#[test]
fn no_view_error_or_debug_output_shows_a_secret() {
    let text = with_secrets();
    let view = View::of(&text).unwrap();
    assert!(view.upstreams[0].password_set);
    assert!(view.devices[0].password_set);
    let shown = format!("{view:?}");
    assert!(!shown.contains(SECRET), "{shown}");
    let changes = vec![
        Change::UpstreamPassword {
            name: "default".into(),
            password: SecretInput::Set(format!("new-{SECRET}")),
        },
        Change::Upstream {
            name: "default".into(),
            field: UpstreamField::Port,
            value: "bad".into(),
        },
        Change::DevicePassword {
            username: "mfp-3f".into(),
            password: SecretInput::Set("tiny7".into()),
        },
    ];
    let errors = edit(&text, &changes).unwrap_err();
    for text in [format!("{changes:?}"), format!("{errors:?}")] {
        assert!(!text.contains(SECRET) && !text.contains("tiny7"), "{text}");
    }
}

fn config_file(dir: &Path, text: &str, mode: u32) -> ConfigFile {
    let path = dir.join("scanrelay.toml");
    std::fs::write(&path, text).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    ConfigFile {
        path,
        data_dir: dir.to_path_buf(),
        opts: ParseOptions::default(),
    }
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn save_replaces_the_file_keeping_its_mode_and_leaves_no_temp_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = config_file(dir.path(), DEFAULT_CONFIG, 0o640);
    let base = Version::of(DEFAULT_CONFIG);
    let saved = file
        .save(&base, &[listen(ListenField::MaxMessageSize, "25MB")])
        .unwrap();
    assert!(saved.written);
    let text = std::fs::read_to_string(&file.path).unwrap();
    assert_eq!(
        text,
        DEFAULT_CONFIG.replace("max_message_size = \"35MB\"", "max_message_size = \"25MB\"")
    );
    assert_eq!(saved.version, Version::of(&text));
    assert_eq!(saved.settings.listen.max_message_size, 25_000_000);
    let mode = std::fs::metadata(&file.path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o640);
    assert_eq!(files_in(dir.path()), ["scanrelay.toml"]);
    let again = file
        .save(
            &saved.version,
            &[listen(ListenField::MaxMessageSize, "25MB")],
        )
        .unwrap();
    assert!(!again.written);
}

#[test]
fn a_save_from_an_old_page_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = config_file(dir.path(), DEFAULT_CONFIG, 0o600);
    let old = Version::of(DEFAULT_CONFIG);
    let first = file
        .save(&old, &[listen(ListenField::MaxMessageSize, "25MB")])
        .unwrap();
    let err = file
        .save(&old, &[listen(ListenField::Smtp, "127.0.0.1:2626")])
        .unwrap_err();
    assert!(
        matches!(&err, SaveError::Conflict { current } if *current == first.version),
        "{err:?}"
    );
    assert!(err.to_string().contains("reload the page"), "{err}");
    let text = std::fs::read_to_string(&file.path).unwrap();
    assert_eq!(Version::of(&text), first.version);
}

#[test]
fn of_two_saves_from_the_same_page_exactly_one_wins() {
    let dir = tempfile::tempdir().unwrap();
    let file = Arc::new(config_file(dir.path(), DEFAULT_CONFIG, 0o600));
    let base = Version::of(DEFAULT_CONFIG);
    let start = Arc::new(Barrier::new(2));
    let threads: Vec<_> = ["2626", "2727"]
        .into_iter()
        .map(|port| {
            let (file, base, start) = (file.clone(), base.clone(), start.clone());
            std::thread::spawn(move || {
                start.wait();
                let addr = format!("127.0.0.1:{port}");
                file.save(&base, &[listen(ListenField::Smtp, &addr)])
            })
        })
        .collect();
    let results: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    let won = results.iter().filter(|r| r.is_ok()).count();
    let lost = results
        .iter()
        .filter(|r| matches!(r, Err(SaveError::Conflict { .. })))
        .count();
    assert_eq!((won, lost), (1, 1), "{results:?}");
}

#[test]
fn an_invalid_save_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let file = config_file(dir.path(), DEFAULT_CONFIG, 0o600);
    let err = file
        .save(
            &Version::of(DEFAULT_CONFIG),
            &[
                listen(ListenField::Smtp, "0.0.0.0:2525"),
                listen(ListenField::AllowNetworks, "0.0.0.0/0"),
            ],
        )
        .unwrap_err();
    assert!(matches!(err, SaveError::Rejected(_)), "{err:?}");
    assert_eq!(std::fs::read_to_string(&file.path).unwrap(), DEFAULT_CONFIG);
    assert_eq!(files_in(dir.path()), ["scanrelay.toml"]);
}

#[test]
fn a_symlinked_config_is_written_where_the_link_points() {
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("real");
    std::fs::create_dir(&real).unwrap();
    let target = config_file(&real, DEFAULT_CONFIG, 0o600);
    let link = dir.path().join("scanrelay.toml");
    std::os::unix::fs::symlink(&target.path, &link).unwrap();
    let file = ConfigFile {
        path: link.clone(),
        data_dir: dir.path().to_path_buf(),
        opts: ParseOptions::default(),
    };
    file.save(
        &Version::of(DEFAULT_CONFIG),
        &[listen(ListenField::MaxMessageSize, "20MB")],
    )
    .unwrap();
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    let text = std::fs::read_to_string(&target.path).unwrap();
    assert!(text.contains("max_message_size = \"20MB\""), "{text}");
}
