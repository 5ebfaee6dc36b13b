//! The device sheet follows the gateway's listeners: the address devices reach, the port,
//! SSL/TLS as the listener speaks it, AUTH only where it is offered, and the problems that
//! would stop the device.

use std::path::Path;

use scanrelay_gateway::config::{ParseOptions, parse_str};
use scanrelay_gateway::settings::Settings;
use scanrelay_setup::{Lang, Mode, Sheet, SheetField, SheetInput, device_sheet};

pub(crate) fn settings(listen: &str) -> Settings {
    let text = format!(
        "[listen]\n{listen}\n\n[upstream]\nprovider = \"gmail\"\nusername = \"scans@example.com\"\n\
         password = \"abcdefghijklmnop\"\n"
    );
    parse_str(
        &text,
        Path::new("/etc/scanrelay/scanrelay.toml"),
        Path::new("/var/lib/scanrelay"),
        &ParseOptions::default(),
    )
    .unwrap()
    .settings
}

fn value(sheet: &Sheet, field: SheetField, lang: Lang) -> Option<String> {
    sheet
        .rows
        .iter()
        .find(|r| r.field == field)
        .map(|r| r.value.get(lang).to_string())
}

struct Case {
    label: &'static str,
    listen: &'static str,
    user: Option<&'static str>,
    password: Option<&'static str>,
    device_ip: Option<&'static str>,
    mode: Option<Mode>,
    want_mode: Mode,
    want: &'static [(SheetField, &'static str)],
    problem: Option<&'static str>,
}

const LAN: &str = "smtp = \"0.0.0.0:2525\"\nallow_networks = [\"192.168.1.0/24\"]";

const CASES: &[Case] = &[
    Case {
        label: "an account over STARTTLS on every interface",
        listen: LAN,
        user: Some("scan-3f"),
        password: Some("Xk7mQ2pR9wZa"),
        device_ip: None,
        mode: None,
        want_mode: Mode::StartTls,
        want: &[
            (SheetField::SmtpServer, "192.168.1.10"),
            (SheetField::SmtpPort, "2525"),
            (SheetField::Security, "On (STARTTLS)"),
            (SheetField::SmtpAuth, "On"),
            (SheetField::UserName, "scan-3f"),
            (SheetField::Password, "Xk7mQ2pR9wZa"),
            (SheetField::SenderAddress, "scanner-3f@example.com"),
            (SheetField::PopBeforeSmtp, "Off"),
            (SheetField::MaxSize, "35 MB"),
        ],
        problem: None,
    },
    Case {
        label: "an SSL listener is preferred for an account",
        listen: "smtp = \"0.0.0.0:2525\"\nsmtps = \"0.0.0.0:2465\"",
        user: Some("scan-3f"),
        password: None,
        device_ip: None,
        mode: None,
        want_mode: Mode::ImplicitTls,
        want: &[
            (SheetField::SmtpPort, "2465"),
            (SheetField::Security, "On (SSL/TLS)"),
            (SheetField::Password, "(not shown again)"),
        ],
        problem: None,
    },
    Case {
        label: "a listener on one address is that address",
        listen: "smtp = \"192.168.1.7:25\"",
        user: Some("scan-3f"),
        password: None,
        device_ip: None,
        mode: None,
        want_mode: Mode::StartTls,
        want: &[
            (SheetField::SmtpServer, "192.168.1.7"),
            (SheetField::SmtpPort, "25"),
        ],
        problem: None,
    },
    Case {
        label: "loopback only cannot be reached",
        listen: "smtp = \"127.0.0.1:2525\"",
        user: Some("scan-3f"),
        password: None,
        device_ip: None,
        mode: None,
        want_mode: Mode::StartTls,
        want: &[(SheetField::SmtpServer, "192.168.1.10")],
        problem: Some("listens on 127.0.0.1:2525 only"),
    },
    Case {
        label: "a device in allow_networks sends without AUTH and without TLS",
        listen: LAN,
        user: None,
        password: None,
        device_ip: Some("192.168.1.50"),
        mode: None,
        want_mode: Mode::Plain,
        want: &[(SheetField::Security, "Off"), (SheetField::SmtpAuth, "Off")],
        problem: None,
    },
    Case {
        label: "a device outside allow_networks needs an account",
        listen: LAN,
        user: None,
        password: None,
        device_ip: Some("10.9.9.9"),
        mode: None,
        want_mode: Mode::Plain,
        want: &[],
        problem: Some("must be in allow_networks (now: 192.168.1.0/24)"),
    },
    Case {
        label: "AUTH without TLS needs allow_plaintext_auth",
        listen: LAN,
        user: Some("scan-3f"),
        password: None,
        device_ip: None,
        mode: Some(Mode::Plain),
        want_mode: Mode::Plain,
        want: &[(SheetField::SmtpAuth, "On")],
        problem: Some("allow_plaintext_auth = true"),
    },
    Case {
        label: "with allow_plaintext_auth an old device logs in without TLS",
        listen: "smtp = \"0.0.0.0:2525\"\nallow_plaintext_auth = true",
        user: Some("scan-3f"),
        password: None,
        device_ip: None,
        mode: Some(Mode::Plain),
        want_mode: Mode::Plain,
        want: &[(SheetField::Security, "Off"), (SheetField::SmtpAuth, "On")],
        problem: None,
    },
    Case {
        label: "no SSL listener: another mode is shown and said so",
        listen: LAN,
        user: Some("scan-3f"),
        password: None,
        device_ip: None,
        mode: Some(Mode::ImplicitTls),
        want_mode: Mode::StartTls,
        want: &[],
        problem: Some("no listener for the way asked for"),
    },
];

#[test]
fn the_sheet_matches_the_listeners() {
    for case in CASES {
        let s = settings(case.listen);
        let sheet = device_sheet(&SheetInput {
            listen: &s.listen,
            lan_address: "192.168.1.10",
            username: case.user,
            password: case.password,
            sender: "scanner-3f@example.com",
            device_ip: case.device_ip.map(|ip| ip.parse().unwrap()),
            mode: case.mode,
            upstream: s.upstreams.first(),
        });
        assert_eq!(sheet.mode, case.want_mode, "{}", case.label);
        for (field, want) in case.want {
            assert_eq!(
                value(&sheet, *field, Lang::En).as_deref(),
                Some(*want),
                "{}: {field:?}",
                case.label
            );
        }
        let problems: Vec<&str> = sheet.problems.iter().map(|p| p.get(Lang::En)).collect();
        match case.problem {
            None => assert!(problems.is_empty(), "{}: {problems:?}", case.label),
            Some(text) => assert!(
                problems.iter().any(|p| p.contains(text)),
                "{}: {problems:?}",
                case.label
            ),
        }
        let has_login = sheet.rows.iter().any(|r| r.field == SheetField::UserName);
        assert_eq!(has_login, case.user.is_some(), "{}", case.label);
    }
}

#[test]
fn every_row_is_in_korean_too_and_the_sender_note_names_the_account() {
    let s = settings(LAN);
    let sheet = device_sheet(&SheetInput {
        listen: &s.listen,
        lan_address: "192.168.1.10",
        username: Some("scan-3f"),
        password: Some("Xk7mQ2pR9wZa"),
        sender: "scanner-3f@example.com",
        device_ip: None,
        mode: None,
        upstream: s.upstreams.first(),
    });
    assert_eq!(
        value(&sheet, SheetField::SmtpAuth, Lang::Ko).as_deref(),
        Some("사용")
    );
    assert_eq!(
        value(&sheet, SheetField::Security, Lang::Ko).as_deref(),
        Some("사용 (STARTTLS)")
    );
    for row in &sheet.rows {
        assert_ne!(row.label.get(Lang::En), "", "{:?}", row.field);
        assert_ne!(row.label.get(Lang::Ko), "", "{:?}", row.field);
    }
    let sender = sheet
        .rows
        .iter()
        .find(|r| r.field == SheetField::SenderAddress)
        .unwrap();
    let note = sender.note.as_ref().unwrap();
    assert!(
        note.get(Lang::En).contains("scans@example.com") && note.get(Lang::En).contains("Reply-To")
    );
    assert!(sheet.menu_hint.get(Lang::Ko).contains("송신"));
    assert_eq!(
        value(&sheet, SheetField::Password, Lang::En).as_deref(),
        Some("Xk7mQ2pR9wZa")
    );
    assert!(
        !format!("{sheet:?}").contains("Xk7mQ2pR9wZa"),
        "Debug shows the password"
    );
}
