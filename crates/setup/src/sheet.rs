//! The device sheet: field by field, what to type into an MFP's "Send > E-mail" settings so it
//! sends through this gateway, matching the gateway's listeners (which port, TLS or not, whether
//! AUTH is offered there) and the account made for the device. The page and the printable
//! sheet render the same [`Sheet`].
//!
//! The labels follow the names devices use (the source document's menu: SMTP서버, 이메일 주소,
//! SMTP인증, SSL허가, 포트번호, 연결확인). A device's password is only on a sheet made right after
//! the account was generated; later sheets say it is not shown again.

use std::net::{IpAddr, SocketAddr};

use scanrelay_gateway::settings::{FromPolicy, ListenSettings, UpstreamSettings};

use crate::Text;

/// How the device connects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    /// TLS from the first byte, on the `smtps` listener ("SSL").
    ImplicitTls,
    /// Plain, then STARTTLS, on the `smtp` listener.
    StartTls,
    /// No encryption, on the `smtp` listener (for devices that cannot use TLS 1.2).
    Plain,
}

/// A way the gateway's listeners allow, for a choice on the page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModeOption {
    /// The mode.
    pub mode: Mode,
    /// The port.
    pub port: u16,
    /// Whether SMTP AUTH is offered that way.
    pub auth: bool,
    /// Its name.
    pub label: Text,
}

/// A field of the device's settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SheetField {
    /// SMTP server.
    SmtpServer,
    /// Port for SMTP send.
    SmtpPort,
    /// SSL / TLS for SMTP send.
    Security,
    /// SMTP AUTH on or off.
    SmtpAuth,
    /// SMTP AUTH user name.
    UserName,
    /// SMTP AUTH password.
    Password,
    /// The device's e-mail (sender) address.
    SenderAddress,
    /// POP before SMTP.
    PopBeforeSmtp,
    /// Largest message to send.
    MaxSize,
    /// The device's connection check.
    ConnectionCheck,
}

/// One line of the sheet. `Debug` hides the value of the password row.
#[derive(Clone, PartialEq, Eq)]
pub struct SheetRow {
    /// Which field.
    pub field: SheetField,
    /// Its name on devices.
    pub label: Text,
    /// What to enter or choose.
    pub value: Text,
    /// Why, or what to watch for.
    pub note: Option<Text>,
}

impl std::fmt::Debug for SheetRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let value: &dyn std::fmt::Debug = match self.field {
            SheetField::Password => &"<redacted>",
            _ => &self.value,
        };
        f.debug_struct("SheetRow")
            .field("field", &self.field)
            .field("value", value)
            .field("note", &self.note)
            .finish()
    }
}

/// What the sheet is made from. `Debug` hides the password.
#[derive(Clone, Copy)]
pub struct SheetInput<'a> {
    /// The gateway's listeners.
    pub listen: &'a ListenSettings,
    /// The address devices reach this machine at, for a listener on every interface
    /// (`0.0.0.0`, `[::]`): an IP address or a host name.
    pub lan_address: &'a str,
    /// The device account; `None` for a device that sends without AUTH.
    pub username: Option<&'a str>,
    /// Its password, only right after it was generated.
    pub password: Option<&'a str>,
    /// The sender address to give the device.
    pub sender: &'a str,
    /// The device's IP address, when known (checked against `allow_networks`).
    pub device_ip: Option<IpAddr>,
    /// The mode wanted; `None` for the recommended one.
    pub mode: Option<Mode>,
    /// The upstream the device's mail leaves through.
    pub upstream: Option<&'a UpstreamSettings>,
}

impl std::fmt::Debug for SheetInput<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SheetInput")
            .field("lan_address", &self.lan_address)
            .field("username", &self.username)
            .field("password", &self.password.map(|_| "<redacted>"))
            .field("sender", &self.sender)
            .field("device_ip", &self.device_ip)
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}

/// A device sheet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sheet {
    /// The mode the rows are for.
    pub mode: Mode,
    /// The ways the listeners allow.
    pub options: Vec<ModeOption>,
    /// Field by field.
    pub rows: Vec<SheetRow>,
    /// What stops the device from sending this way, to fix first.
    pub problems: Vec<Text>,
    /// Where devices keep these settings.
    pub menu_hint: Text,
}

const MENU_HINT: Text = Text::fixed(
    "These fields are in the device's e-mail send settings; on many MFPs: User mode > Function \
     settings > Send > E-mail/I-Fax settings > Communication settings (names differ by maker).",
    "복합기의 이메일 송신 설정에 있는 항목입니다. 많은 복합기에서: 사용자 모드 > 기능설정 > 송신 > \
     이메일/I-팩스설정 > 통신설정(제조사마다 이름이 다릅니다).",
);

/// The ways the listeners allow.
pub fn options(listen: &ListenSettings) -> Vec<ModeOption> {
    let mut out = Vec::new();
    if let Some(a) = listen.smtps {
        out.push(ModeOption {
            mode: Mode::ImplicitTls,
            port: a.port(),
            auth: true,
            label: Text::fixed("SSL/TLS", "SSL/TLS"),
        });
    }
    if let Some(a) = listen.smtp {
        out.push(ModeOption {
            mode: Mode::StartTls,
            port: a.port(),
            auth: true,
            label: Text::fixed("STARTTLS", "STARTTLS"),
        });
        out.push(ModeOption {
            mode: Mode::Plain,
            port: a.port(),
            auth: listen.allow_plaintext_auth,
            label: Text::fixed("No encryption", "암호화 없음"),
        });
    }
    out
}

/// The sheet for one device.
pub fn device_sheet(input: &SheetInput<'_>) -> Sheet {
    let options = options(input.listen);
    let mut problems = Vec::new();
    let wanted = input
        .mode
        .unwrap_or(match (input.username, input.listen.smtps) {
            (Some(_), Some(_)) => Mode::ImplicitTls,
            (Some(_), None) => Mode::StartTls,
            (None, _) => Mode::Plain,
        });
    let option = options
        .iter()
        .find(|o| o.mode == wanted)
        .or_else(|| options.first())
        .cloned();
    let Some(option) = option else {
        problems.push(Text::fixed(
            "The gateway has no listener: set [listen] smtp or smtps.",
            "게이트웨이에 수신 주소가 없습니다. [listen]의 smtp 또는 smtps를 설정하십시오.",
        ));
        return Sheet {
            mode: wanted,
            options,
            rows: Vec::new(),
            problems,
            menu_hint: MENU_HINT,
        };
    };
    if option.mode != wanted {
        problems.push(Text::fixed(
            "The gateway has no listener for the way asked for; the sheet shows another.",
            "요청한 방식의 수신 주소가 게이트웨이에 없어 다른 방식을 보여 줍니다.",
        ));
    }
    let listener = match option.mode {
        Mode::ImplicitTls => input.listen.smtps,
        Mode::StartTls | Mode::Plain => input.listen.smtp,
    }
    .expect("an option exists only for a listener");
    let auth = input.username.is_some();
    problems.extend(reachability(input, listener, option.mode, auth));
    Sheet {
        mode: option.mode,
        rows: rows(input, &option, listener, auth),
        options,
        problems,
        menu_hint: MENU_HINT,
    }
}

/// What keeps the device from sending this way.
fn reachability(input: &SheetInput<'_>, listener: SocketAddr, mode: Mode, auth: bool) -> Vec<Text> {
    let mut out = Vec::new();
    let key = if mode == Mode::ImplicitTls {
        "smtps"
    } else {
        "smtp"
    };
    if listener.ip().is_loopback() {
        out.push(Text::owned(
            format!(
                "The gateway listens on {listener} only, which devices on the network cannot \
                 reach: set [listen] {key} to this machine's LAN address or to \"0.0.0.0:{}\".",
                listener.port()
            ),
            format!(
                "게이트웨이가 {listener}에서만 받고 있어 네트워크의 복합기가 접속할 수 없습니다. \
                 [listen]의 {key}를 이 컴퓨터의 LAN 주소나 \"0.0.0.0:{}\"으로 설정하십시오.",
                listener.port()
            ),
        ));
    }
    if auth && mode == Mode::Plain && !input.listen.allow_plaintext_auth {
        out.push(Text::fixed(
            "Without encryption the gateway offers SMTP AUTH only with allow_plaintext_auth = true \
             in [listen] (the password then crosses the network readable); or use STARTTLS.",
            "암호화 없이 SMTP인증을 쓰려면 [listen]에 allow_plaintext_auth = true가 필요합니다(이때 \
             비밀번호가 네트워크에 그대로 보입니다). 또는 STARTTLS를 사용하십시오.",
        ));
    }
    let allowed = input
        .device_ip
        .map(|ip| input.listen.allow_networks.iter().any(|n| n.contains(&ip)));
    if !auth && allowed != Some(true) {
        let nets: Vec<String> = input
            .listen
            .allow_networks
            .iter()
            .map(ToString::to_string)
            .collect();
        let nets = nets.join(", ");
        out.push(Text::owned(
            format!(
                "Without SMTP AUTH the device's address must be in allow_networks (now: {nets}); \
                 otherwise give the device an account."
            ),
            format!(
                "SMTP인증 없이 보내려면 복합기 주소가 allow_networks에 있어야 합니다(현재: {nets}). \
                 아니면 복합기에 계정을 만들어 주십시오."
            ),
        ));
    }
    out
}

fn on_off(on: bool) -> Text {
    if on {
        Text::fixed("On", "사용")
    } else {
        Text::fixed("Off", "사용 안 함")
    }
}

fn rows(
    input: &SheetInput<'_>,
    option: &ModeOption,
    listener: SocketAddr,
    auth: bool,
) -> Vec<SheetRow> {
    let server = if listener.ip().is_unspecified() || listener.ip().is_loopback() {
        input.lan_address.to_string()
    } else {
        listener.ip().to_string()
    };
    let mut out = vec![
        SheetRow {
            field: SheetField::SmtpServer,
            label: Text::fixed("SMTP server", "SMTP서버"),
            value: Text::owned(server.clone(), server),
            note: Some(Text::fixed(
                "This gateway's address on the office network, not the mail provider's server: \
                 the gateway sends the mail on.",
                "메일 업체의 서버가 아니라 사무실 네트워크에서의 이 게이트웨이 주소입니다. 메일은 \
                 게이트웨이가 업체로 보냅니다.",
            )),
        },
        SheetRow {
            field: SheetField::SmtpPort,
            label: Text::fixed("Port number (SMTP send)", "SMTP 송신 포트번호"),
            value: Text::owned(option.port.to_string(), option.port.to_string()),
            note: None,
        },
        security_row(option.mode),
        SheetRow {
            field: SheetField::SmtpAuth,
            label: Text::fixed("SMTP authentication (SMTP AUTH)", "SMTP인증"),
            value: on_off(auth),
            note: Some(if auth {
                Text::fixed(
                    "The gateway takes PLAIN, LOGIN and CRAM-MD5.",
                    "게이트웨이는 PLAIN, LOGIN, CRAM-MD5를 받습니다.",
                )
            } else {
                Text::fixed(
                    "The gateway accepts the device by its address (allow_networks).",
                    "게이트웨이가 복합기의 주소(allow_networks)로 허용합니다.",
                )
            }),
        },
    ];
    if let Some(user) = input.username {
        out.extend(login_rows(user, input.password));
    }
    out.extend(tail_rows(input));
    out
}

fn security_row(mode: Mode) -> SheetRow {
    let (value, note) = match mode {
        Mode::ImplicitTls => (
            Text::fixed("On (SSL/TLS)", "사용 (SSL/TLS)"),
            Text::fixed(
                "Encrypted from the start (what devices call SSL). Unless tls_cert is set the \
                 gateway's certificate is self-signed: if the device checks certificates, turn \
                 the check off or install the gateway's certificate on it.",
                "처음부터 암호화합니다(복합기에서 SSL이라고 부르는 방식). tls_cert를 설정하지 \
                 않았다면 게이트웨이 인증서는 자체 서명 인증서이므로, 복합기가 인증서를 검사하면 \
                 검사를 끄거나 게이트웨이 인증서를 복합기에 설치하십시오.",
            ),
        ),
        Mode::StartTls => (
            Text::fixed("On (STARTTLS)", "사용 (STARTTLS)"),
            Text::fixed(
                "The device connects, then switches to TLS with STARTTLS (on devices with a \
                 single switch: allow SSL). Unless tls_cert is set the gateway's certificate is \
                 self-signed: if the device checks certificates, turn the check off or install \
                 the gateway's certificate on it.",
                "접속한 뒤 STARTTLS로 암호화를 시작합니다(스위치가 하나인 복합기는 SSL허가 사용). \
                 tls_cert를 설정하지 않았다면 게이트웨이 인증서는 자체 서명 인증서이므로, 복합기가 \
                 인증서를 검사하면 검사를 끄거나 게이트웨이 인증서를 복합기에 설치하십시오.",
            ),
        ),
        Mode::Plain => (
            Text::fixed("Off", "사용 안 함"),
            Text::fixed(
                "For devices that cannot use the gateway's TLS (1.2 and 1.3 only): the mail \
                 crosses the office network unencrypted; the gateway still uses TLS to the \
                 provider.",
                "게이트웨이의 TLS(1.2, 1.3만 지원)를 쓸 수 없는 복합기용입니다. 사무실 네트워크에서는 \
                 암호화 없이 전달되지만, 게이트웨이에서 메일 업체까지는 TLS를 사용합니다.",
            ),
        ),
    };
    SheetRow {
        field: SheetField::Security,
        label: Text::fixed("SSL/TLS (SMTP send)", "SMTP송신 SSL허가"),
        value,
        note: Some(note),
    }
}

fn login_rows(user: &str, password: Option<&str>) -> Vec<SheetRow> {
    let password = match password {
        Some(p) => SheetRow {
            field: SheetField::Password,
            label: Text::fixed("Password", "비밀번호"),
            value: Text::owned(p.to_string(), p.to_string()),
            note: Some(Text::fixed(
                "Shown only now: type it exactly (letters are case-sensitive).",
                "지금만 표시됩니다. 대소문자를 구분해 정확히 입력하십시오.",
            )),
        },
        None => SheetRow {
            field: SheetField::Password,
            label: Text::fixed("Password", "비밀번호"),
            value: Text::fixed("(not shown again)", "(다시 표시되지 않음)"),
            note: Some(Text::fixed(
                "The password given when the account was made. If it is lost, set a new one \
                 for the account.",
                "계정을 만들 때 받은 비밀번호입니다. 잃어버렸다면 계정의 비밀번호를 새로 \
                 정하십시오.",
            )),
        },
    };
    vec![
        SheetRow {
            field: SheetField::UserName,
            label: Text::fixed("User name", "사용자 이름"),
            value: Text::owned(user.to_string(), user.to_string()),
            note: None,
        },
        password,
    ]
}

fn tail_rows(input: &SheetInput<'_>) -> Vec<SheetRow> {
    let size = megabytes(input.listen.max_message_size);
    vec![
        SheetRow {
            field: SheetField::SenderAddress,
            label: Text::fixed("E-mail address (sender)", "이메일 주소(보낸 사람)"),
            value: Text::owned(input.sender.to_string(), input.sender.to_string()),
            note: Some(sender_note(input.upstream)),
        },
        SheetRow {
            field: SheetField::PopBeforeSmtp,
            label: Text::fixed("POP before SMTP", "POP before SMTP"),
            value: on_off(false),
            note: Some(Text::fixed(
                "Not used: the gateway checks SMTP AUTH or the device's address.",
                "사용하지 않습니다. 게이트웨이는 SMTP인증이나 복합기 주소로 확인합니다.",
            )),
        },
        SheetRow {
            field: SheetField::MaxSize,
            label: Text::fixed("Maximum data size (send)", "송신 최대 데이터 크기"),
            value: Text::owned(format!("{size} MB"), format!("{size} MB")),
            note: Some(Text::fixed(
                "The gateway refuses larger messages (max_message_size), and the provider has a \
                 limit of its own: let the device divide large jobs, or scan at a lower \
                 resolution.",
                "게이트웨이는 이보다 큰 메일을 거부하며(max_message_size), 메일 업체에도 자체 \
                 한도가 있습니다. 큰 작업은 복합기에서 분할 송신하거나 해상도를 낮추십시오.",
            )),
        },
        SheetRow {
            field: SheetField::ConnectionCheck,
            label: Text::fixed("Connection check", "연결확인"),
            value: Text::fixed("Press it", "누르기"),
            note: Some(Text::fixed(
                "The device should report that the connection to the server succeeded.",
                "서버 연결에 성공했다는 메시지가 나와야 합니다.",
            )),
        },
    ]
}

fn sender_note(upstream: Option<&UpstreamSettings>) -> Text {
    match upstream {
        Some(up) if up.from_policy == FromPolicy::Rewrite => {
            let account = up.username.clone().unwrap_or_default();
            Text::owned(
                format!(
                    "The gateway sends as {account}, as the provider requires, and puts this \
                     address in Reply-To, so replies reach it."
                ),
                format!(
                    "게이트웨이는 업체가 요구하는 대로 {account} 계정으로 보내고, 이 주소는 회신 \
                     주소(Reply-To)로 넣어 답장이 이 주소로 오게 합니다."
                ),
            )
        }
        Some(_) => Text::fixed(
            "Mail leaves with this sender, so the provider must accept it (with a login, \
             usually only the account's own address).",
            "메일이 이 보낸 사람 주소로 나가므로 업체가 받아 주는 주소여야 합니다(로그인하는 \
             경우 보통 계정 자신의 주소만).",
        ),
        None => Text::fixed(
            "No upstream is set yet: the gateway keeps the mail until one is.",
            "아직 업스트림이 없습니다. 설정될 때까지 게이트웨이가 메일을 보관합니다.",
        ),
    }
}

/// Bytes as megabytes (10^6) for a device menu: whole when exact, else one decimal, rounded
/// down so the device stays under the limit.
fn megabytes(bytes: u64) -> String {
    let tenths = bytes / 100_000;
    if tenths.is_multiple_of(10) {
        (tenths / 10).to_string()
    } else {
        format!("{}.{}", tenths / 10, tenths % 10)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn megabytes_round_down() {
        for (bytes, want) in [
            (35_000_000, "35"),
            (36_700_160, "36.7"),
            (20_971_520, "20.9"),
            (999_999, "0.9"),
        ] {
            assert_eq!(super::megabytes(bytes), want);
        }
    }
}
