//! Editing the config as the console's settings page does (`config::edit`): every kind of edit
//! on the commented default config changes only its own lines (byte-exact snapshots, built
//! from the default text by replacing or inserting exactly those lines), undoing an edit gives
//! the original text back, invalid edits are refused keyed by field, secrets stay write-only,
//! and no edit can open the relay.

use std::path::{Path, PathBuf};

use scanrelay_gateway::config::edit::{
    Change, DeliveryField, FieldError, Form, ListenField, OAuthField, SecretInput, UpstreamField,
    View, apply,
};
use scanrelay_gateway::config::{DEFAULT_CONFIG, ParseOptions};

pub(crate) const PATH: &str = "/etc/scanrelay/scanrelay.toml";

pub(crate) fn edit(text: &str, changes: &[Change]) -> Result<String, Vec<FieldError>> {
    apply(
        text,
        Path::new(PATH),
        Path::new("/var/lib/scanrelay"),
        &ParseOptions::default(),
        changes,
    )
    .map(|a| a.text)
}

fn listen(field: ListenField, value: &str) -> Change {
    Change::Listen(field, value.to_string())
}

fn set(p: &str) -> SecretInput {
    SecretInput::Set(p.to_string())
}

pub(crate) fn add_device(username: &str, password: &str) -> Change {
    Change::AddDevice {
        username: username.into(),
        password: set(password),
        upstream: String::new(),
    }
}

fn gmail_upstream(name: &str) -> Change {
    Change::AddUpstream {
        name: name.into(),
        fields: vec![
            (UpstreamField::Provider, "gmail".into()),
            (UpstreamField::Username, "scanner@example.com".into()),
        ],
        password: set("abcd efgh ijkl mnop"),
    }
}

/// `text` with `old` (which must occur exactly once) replaced by `new`.
fn replaced(text: &str, old: &str, new: &str) -> String {
    assert_eq!(text.matches(old).count(), 1, "{old:?} must occur once");
    text.replacen(old, new, 1)
}

/// `text` with `lines` inserted right after `anchor` (which must occur exactly once).
fn inserted_after(text: &str, anchor: &str, lines: &str) -> String {
    replaced(text, anchor, &format!("{anchor}{lines}"))
}

const DEVICE_EXAMPLE_END: &str = "# upstream = \"office\"            # optional: this device's mail leaves through that upstream\n";
const OAUTH_EXAMPLES_END: &str =
    "# Any other authority: provider \"custom\", with token_url and auth_url or device_url.\n";

#[test]
fn each_kind_of_edit_changes_only_its_own_lines_of_the_default_config() {
    let d = DEFAULT_CONFIG;
    let cases: Vec<(&str, Vec<Change>, String)> = vec![
        (
            "listener address and allow list replaced in place",
            vec![
                listen(ListenField::Smtp, "0.0.0.0:2525"),
                listen(ListenField::AllowNetworks, "192.168.1.0/24, 10.0.0.5"),
            ],
            replaced(
                &replaced(d, "smtp = \"127.0.0.1:2525\"", "smtp = \"0.0.0.0:2525\""),
                "allow_networks = [\"127.0.0.0/8\", \"::1/128\"]",
                "allow_networks = [\"192.168.1.0/24\", \"10.0.0.5\"]",
            ),
        ),
        (
            "a new key goes under its commented-out example",
            vec![listen(ListenField::Smtps, "0.0.0.0:2465")],
            inserted_after(
                d,
                "# smtps = \"127.0.0.1:2465\"\n",
                "smtps = \"0.0.0.0:2465\"\n",
            ),
        ),
        (
            "max message size",
            vec![listen(ListenField::MaxMessageSize, "25MB")],
            replaced(
                d,
                "max_message_size = \"35MB\"",
                "max_message_size = \"25MB\"",
            ),
        ),
        (
            "an example in the next section's comment block",
            vec![listen(ListenField::AllowPlaintextAuth, "true")],
            inserted_after(
                d,
                "# allow_plaintext_auth = false\n",
                "allow_plaintext_auth = true\n",
            ),
        ),
        (
            "an example whose comment goes on over the next line",
            vec![listen(ListenField::MaxConnections, "300")],
            inserted_after(
                d,
                "#                                # authenticated clients, see below\n",
                "max_connections = 300\n",
            ),
        ),
        (
            "a key of an empty [delivery]",
            vec![
                Change::Delivery(DeliveryField::AdminNotify, "ops@example.com".into()),
                Change::Delivery(DeliveryField::RetryMin, "2m".into()),
            ],
            inserted_after(
                &inserted_after(
                    d,
                    "# admin_notify = \"it@example.com\"\n",
                    "admin_notify = \"ops@example.com\"\n",
                ),
                "# retry_min = \"1m\"               # first retry delay, doubling (with jitter) ...\n",
                "retry_min = \"2m\"\n",
            ),
        ),
        (
            "the first device account goes after its example",
            vec![add_device("scan-3f", "Xk7mQ2pR9wZa")],
            inserted_after(
                d,
                DEVICE_EXAMPLE_END,
                "\n[[device]]\nusername = \"scan-3f\"\npassword = \"Xk7mQ2pR9wZa\"\n",
            ),
        ),
        (
            "the first upstream goes below the comment blocks, before [delivery]",
            vec![gmail_upstream("gmail")],
            inserted_after(
                d,
                OAUTH_EXAMPLES_END,
                "\n[upstream]\nname = \"gmail\"\nprovider = \"gmail\"\nusername = \
                 \"scanner@example.com\"\npassword = \"abcdefghijklmnop\"\n",
            ),
        ),
        (
            "an oauth account after the upstream",
            vec![
                gmail_upstream("office"),
                Change::AddOAuth {
                    name: "office".into(),
                    fields: vec![
                        (OAuthField::Provider, "microsoft".into()),
                        (
                            OAuthField::ClientId,
                            "00000000-0000-0000-0000-000000000000".into(),
                        ),
                    ],
                },
            ],
            inserted_after(
                d,
                OAUTH_EXAMPLES_END,
                "\n[upstream]\nname = \"office\"\nprovider = \"gmail\"\nusername = \
                 \"scanner@example.com\"\npassword = \"abcdefghijklmnop\"\n\n[[oauth]]\nname = \
                 \"office\"\nprovider = \"microsoft\"\nclient_id = \
                 \"00000000-0000-0000-0000-000000000000\"\n",
            ),
        ),
        (
            "a removed key leaves its comments",
            vec![listen(ListenField::AllowNetworks, "")],
            replaced(d, "allow_networks = [\"127.0.0.0/8\", \"::1/128\"]\n", ""),
        ),
    ];
    for (label, changes, want) in cases {
        let got = edit(d, &changes).unwrap_or_else(|e| panic!("{label}: {e:?}"));
        assert_eq!(got, want, "{label}");
    }
}

#[test]
fn undoing_an_edit_gives_the_original_text_back() {
    let d = DEFAULT_CONFIG;
    let cases: Vec<(Vec<Change>, Vec<Change>)> = vec![
        (
            vec![listen(ListenField::Smtps, "0.0.0.0:2465")],
            vec![listen(ListenField::Smtps, "")],
        ),
        (
            vec![listen(ListenField::MaxConnections, "300")],
            vec![listen(ListenField::MaxConnections, "")],
        ),
        (
            vec![Change::Delivery(
                DeliveryField::AdminNotify,
                "a@b.example".into(),
            )],
            vec![Change::Delivery(DeliveryField::AdminNotify, String::new())],
        ),
        (
            vec![add_device("scan-3f", "Xk7mQ2pR9wZa")],
            vec![Change::RemoveDevice {
                username: "scan-3f".into(),
            }],
        ),
        (
            vec![
                add_device("scan-3f", "Xk7mQ2pR9wZa"),
                add_device("scan-1f", "Pq8rT3vW6yZb"),
            ],
            vec![
                Change::RemoveDevice {
                    username: "scan-3f".into(),
                },
                Change::RemoveDevice {
                    username: "scan-1f".into(),
                },
            ],
        ),
        (
            vec![gmail_upstream("gmail")],
            vec![Change::RemoveUpstream {
                name: "gmail".into(),
            }],
        ),
    ];
    for (forward, back) in cases {
        let edited = edit(d, &forward).unwrap();
        assert_ne!(edited, d, "{forward:?} changed nothing");
        let restored = edit(&edited, &back).unwrap();
        assert_eq!(restored, d, "{forward:?} then {back:?}");
    }
}

const HAND_WRITTEN: &str = r#"# Office gateway, edited by hand.

[listen]
smtp = "0.0.0.0:2525"       # every interface
allow_networks = [ "192.168.1.0/24" ]   # the copier VLAN

# The Gmail account of the scanners.
[upstream]
provider = "gmail"
username = "scanner@example.com"
password = "abcdefghijklmnop"   # app password, 2024-05
port = 465                      # the firewall only opens 465

[[device]]
username = "mfp-3f"
password = "short-pass-3f"
upstream = "default"
"#;

#[test]
fn comments_after_values_stay_and_a_second_upstream_makes_entries_of_the_first() {
    let got = edit(
        HAND_WRITTEN,
        &[
            Change::Upstream {
                name: "default".into(),
                field: UpstreamField::Port,
                value: "587".into(),
            },
            gmail_upstream("sales"),
        ],
    )
    .unwrap();
    let want = r#"# Office gateway, edited by hand.

[listen]
smtp = "0.0.0.0:2525"       # every interface
allow_networks = [ "192.168.1.0/24" ]   # the copier VLAN

# The Gmail account of the scanners.
[[upstream]]
name = "default"
provider = "gmail"
username = "scanner@example.com"
password = "abcdefghijklmnop"   # app password, 2024-05
port = 587                      # the firewall only opens 465

[[upstream]]
name = "sales"
provider = "gmail"
username = "scanner@example.com"
password = "abcdefghijklmnop"

[[device]]
username = "mfp-3f"
password = "short-pass-3f"
upstream = "default"
"#;
    assert_eq!(got, want);
}

#[test]
fn new_sections_in_a_file_without_examples_go_in_the_default_configs_order() {
    let text = "# Office gateway.\n\n[listen]\nsmtp = \"0.0.0.0:2525\"\n\n# The account.\n[upstream]\n\
                provider = \"gmail\"\nusername = \"scanner@example.com\"\npassword = \"abcdefghijklmnop\"\n";
    let got = edit(
        text,
        &[
            Change::Delivery(DeliveryField::AdminNotify, "it@example.com".into()),
            add_device("scan-3f", "Xk7mQ2pR9wZa"),
            listen(ListenField::Smtps, "0.0.0.0:2465"),
        ],
    )
    .unwrap();
    let want = "# Office gateway.\n\n[listen]\nsmtp = \"0.0.0.0:2525\"\nsmtps = \"0.0.0.0:2465\"\n\n\
                [[device]]\nusername = \"scan-3f\"\npassword = \"Xk7mQ2pR9wZa\"\n\n# The account.\n\
                [upstream]\nprovider = \"gmail\"\nusername = \"scanner@example.com\"\npassword = \
                \"abcdefghijklmnop\"\n\n[delivery]\nadmin_notify = \"it@example.com\"\n";
    assert_eq!(got, want);
}

#[test]
fn renaming_an_upstream_renames_the_references_to_it() {
    let got = edit(
        HAND_WRITTEN,
        &[Change::Upstream {
            name: "default".into(),
            field: UpstreamField::Name,
            value: "gmail".into(),
        }],
    )
    .unwrap();
    assert!(got.contains("[upstream]\nprovider = \"gmail\""), "{got}");
    assert!(got.ends_with("upstream = \"gmail\"\n"), "{got}");
    assert!(
        got.contains(
            "port = 465                      # the firewall only opens 465\nname = \"gmail\"\n"
        ),
        "{got}"
    );
}

#[test]
fn resubmitting_unchanged_values_changes_nothing() {
    let view = View::of(HAND_WRITTEN).unwrap();
    let mut changes: Vec<Change> = view
        .listen
        .iter()
        .map(|f| Change::Listen(f.field, f.value.clone().unwrap_or_default()))
        .collect();
    for up in &view.upstreams {
        for f in &up.fields {
            changes.push(Change::Upstream {
                name: up.name.clone(),
                field: f.field,
                value: f.value.clone().unwrap_or_default(),
            });
        }
        changes.push(Change::UpstreamPassword {
            name: up.name.clone(),
            password: SecretInput::from_form(""),
        });
    }
    assert_eq!(edit(HAND_WRITTEN, &changes).unwrap(), HAND_WRITTEN);
}

/// The `(key, part of the message)` of each expected error.
type Expected = Vec<(&'static str, &'static str)>;

/// `(key, what the message says)` of each error, for comparing.
fn keyed(errors: &[FieldError]) -> Vec<(String, String)> {
    errors
        .iter()
        .map(|e| (e.key.clone().unwrap_or_default(), e.message.clone()))
        .collect()
}

#[test]
fn invalid_edits_are_refused_keyed_by_field_in_the_configs_words() {
    let two = edit(HAND_WRITTEN, &[gmail_upstream("sales")]).unwrap();
    let up = |name: &str, field, value: &str| Change::Upstream {
        name: name.into(),
        field,
        value: value.into(),
    };
    let cases: Vec<(&str, Vec<Change>, Expected)> = vec![
        (
            HAND_WRITTEN,
            vec![listen(ListenField::Smtp, "the copier room")],
            vec![("listen.smtp", "\"the copier room\" is not an address")],
        ),
        (
            HAND_WRITTEN,
            vec![listen(
                ListenField::AllowNetworks,
                "192.168.1.0/24, 10.0.0.0/33",
            )],
            vec![("listen.allow_networks", "\"10.0.0.0/33\" is not a network")],
        ),
        (
            HAND_WRITTEN,
            vec![listen(ListenField::MaxConnections, "many")],
            vec![(
                "listen.max_connections",
                "expected a whole number greater than 0, e.g. 200; found \"many\"",
            )],
        ),
        (
            HAND_WRITTEN,
            vec![listen(ListenField::MaxMessageSize, "35 parsecs")],
            vec![("listen.max_message_size", "unknown size unit `parsecs`")],
        ),
        (
            HAND_WRITTEN,
            vec![up("default", UpstreamField::Port, "58x")],
            vec![(
                "upstream[0].port",
                "expected a port number 1-65535, e.g. 587; found \"58x\"",
            )],
        ),
        (
            &two,
            vec![up("sales", UpstreamField::Port, "70000")],
            vec![(
                "upstream[1].port",
                "expected a port number 1-65535, e.g. 587; found 70000",
            )],
        ),
        (
            HAND_WRITTEN,
            vec![up("default", UpstreamField::Tls, "ssl3")],
            vec![("upstream[0].tls", "ssl3")],
        ),
        (
            HAND_WRITTEN,
            vec![Change::Delivery(DeliveryField::RetryMin, "2h".into())],
            vec![("delivery.retry_min", "is longer than retry_max")],
        ),
        (
            HAND_WRITTEN,
            vec![Change::Delivery(
                DeliveryField::AdminNotify,
                "the IT people".into(),
            )],
            vec![(
                "delivery.admin_notify",
                "\"the IT people\" is not a mail address",
            )],
        ),
        (
            HAND_WRITTEN,
            vec![add_device("mfp-1f", "short")],
            vec![("device[1].password", "too short: use at least 8 characters")],
        ),
        (
            HAND_WRITTEN,
            vec![add_device("mfp-3f", "long-enough-pw")],
            vec![("device[1].username", "device \"mfp-3f\" is listed twice")],
        ),
        (
            HAND_WRITTEN,
            vec![Change::RemoveUpstream {
                name: "default".into(),
            }],
            vec![("device[0].upstream", "no upstream named \"default\"")],
        ),
        (
            HAND_WRITTEN,
            vec![
                listen(ListenField::Smtp, "nowhere"),
                up("default", UpstreamField::Port, "0"),
                Change::Delivery(DeliveryField::MaxAge, "0s".into()),
            ],
            vec![
                ("listen.smtp", "\"nowhere\" is not an address"),
                ("delivery.max_age", "must be longer than 0"),
                ("upstream[0].port", "port 0 is not allowed"),
            ],
        ),
    ];
    for (base, changes, want) in cases {
        let errors = edit(base, &changes).expect_err(&format!("{changes:?} must be refused"));
        let got = keyed(&errors);
        assert_eq!(got.len(), want.len(), "{changes:?}: {got:?}");
        for ((key, message), (want_key, want_text)) in got.iter().zip(&want) {
            assert_eq!(key, want_key, "{changes:?}: {got:?}");
            assert!(
                message.contains(want_text),
                "{key}: {message:?} lacks {want_text:?}"
            );
        }
    }
}

/// A file that is already wrong at the key being edited reports it once, not once per round.
#[test]
fn a_problem_already_in_the_file_is_reported_once() {
    let errors = edit(
        "[listen]\nmax_connections = 0\n",
        &[listen(ListenField::MaxConnections, "0")],
    )
    .unwrap_err();
    assert_eq!(keyed(&errors).len(), 1, "{errors:?}");
}

#[test]
fn errors_name_the_form_by_account_and_upstream_name() {
    let errors = edit(
        HAND_WRITTEN,
        &[Change::DevicePassword {
            username: "mfp-3f".into(),
            password: set("1234"),
        }],
    )
    .unwrap_err();
    assert_eq!(errors[0].form, Form::Device("mfp-3f".into()));
    assert_eq!(errors[0].field.as_deref(), Some("password"));
    let errors = edit(
        HAND_WRITTEN,
        &[Change::Upstream {
            name: "default".into(),
            field: UpstreamField::Port,
            value: "x".into(),
        }],
    )
    .unwrap_err();
    assert_eq!(errors[0].form, Form::Upstream("default".into()));
    let errors = edit(
        HAND_WRITTEN,
        &[Change::RemoveDevice {
            username: "gone".into(),
        }],
    )
    .unwrap_err();
    assert!(errors[0].message.contains("reload the page"), "{errors:?}");
}

pub(crate) fn base_dir() -> PathBuf {
    PathBuf::from(PATH).parent().unwrap().to_path_buf()
}
