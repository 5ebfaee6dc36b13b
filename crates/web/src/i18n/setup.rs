//! The texts of the settings page, the setup wizard and the device sheet (the wizard's provider
//! steps and the sheet's rows come in both languages from `scanrelay-setup`).

macro_rules! setup_texts {
    ($($name:ident),* $(,)?) => {
        /// The settings and wizard pages' texts in one language.
        #[allow(missing_docs)]
        #[derive(Debug)]
        pub struct SetupTexts {
            $(pub $name: &'static str,)*
        }
    };
}

setup_texts! {
    settings_title, settings_intro, sec_listen, sec_delivery, sec_devices, sec_upstreams,
    save, saved, nothing_changed, applied, needs_restart, reload_failed, not_saved, conflict,
    no_config, password_stored, password_none, new_password, clear_password, remove, add_device,
    username, password_generate, device_upstream, device_sheet, add_upstream_wizard,
    set_password, default_hint,
    wizard_title, wizard_intro, recommended, steps_title, form_title, account_address, fill,
    check_to, device_label, sender, check_button, save_button, check_title, check_running,
    check_ok, check_failed, fix, oauth_check_note, sheet_title, sheet_intro, print, problems,
    col_field, col_value, col_note, refresh, report, password, oauth_client, back,
}

/// English.
pub static EN: SetupTexts = SetupTexts {
    settings_title: "Settings",
    settings_intro: "Changes are written to the config file keeping its comments and layout, \
        checked with the rules the gateway starts with, and applied without dropping \
        connections. Passwords are never shown: leave a password field empty to keep the \
        stored one.",
    sec_listen: "Listeners and allowed networks",
    sec_delivery: "Delivery and notifications",
    sec_devices: "Device accounts",
    sec_upstreams: "Upstreams",
    save: "Save",
    saved: "Saved.",
    nothing_changed: "Nothing changed.",
    applied: "Applied now:",
    needs_restart: "Takes effect after a restart of the gateway:",
    reload_failed: "Saved to the file, but the running gateway kept its settings:",
    not_saved: "Not saved: fix the fields marked below.",
    conflict: "Not saved: the config file changed since this page was loaded (saved from \
        another page, or edited by hand). The page now shows the file as it is: make the \
        change again.",
    no_config: "This console cannot edit the config file: the gateway was started without \
        one it can write.",
    password_stored: "a password is stored",
    password_none: "no password stored",
    new_password: "New password (empty: keep the stored one)",
    clear_password: "Remove the stored password",
    remove: "Remove",
    add_device: "Add a device account",
    username: "User name",
    password_generate: "Password (empty: generate one)",
    device_upstream: "Upstream (empty: the default)",
    device_sheet: "Device sheet",
    add_upstream_wizard: "Add an upstream with the setup wizard",
    set_password: "Set password",
    default_hint: "empty: the default",
    wizard_title: "Setup wizard",
    wizard_intro: "Choose where the scanners' mail goes. Each choice shows the provider's own \
        steps, then a form filled in from the gateway's presets: check the connection, save, \
        and print the device sheet with the values to enter on the device.",
    recommended: "recommended",
    steps_title: "At the provider",
    form_title: "Upstream settings",
    account_address: "The account's mail address",
    fill: "Fill in",
    check_to: "Test recipient (optional: the check goes up to RCPT TO; nothing is sent)",
    device_label: "Label for the device's account (e.g. 3F)",
    sender: "Sender address the device uses",
    check_button: "Check connection",
    save_button: "Save and make the device sheet",
    check_title: "Connection check",
    check_running: "Checking… the steps appear as they finish.",
    check_ok: "The connection works.",
    check_failed: "The check failed.",
    fix: "What to do",
    oauth_check_note: "An OAuth2 upstream is checked after the sign-in: save, run \
        `scanrelay oauth login NAME` on the gateway's machine, then `scanrelay check --oauth \
        NAME` checks the login.",
    sheet_title: "Device sheet",
    sheet_intro: "Enter these values in the device's e-mail send settings, then press its \
        connection check.",
    print: "Print",
    problems: "Fix this first:",
    col_field: "Setting",
    col_value: "Value",
    col_note: "Note",
    refresh: "Refresh",
    report: "Full report",
    password: "Password",
    oauth_client: "OAuth2 app",
    back: "Back",
};

/// Korean.
pub static KO: SetupTexts = SetupTexts {
    settings_title: "설정",
    settings_intro: "변경 내용은 설정 파일의 주석과 배치를 그대로 둔 채 기록되고, 게이트웨이가 \
        시작할 때와 같은 규칙으로 검사되며, 연결을 끊지 않고 적용됩니다. 비밀번호는 표시되지 \
        않습니다. 비밀번호 칸을 비워 두면 저장된 비밀번호를 유지합니다.",
    sec_listen: "수신 주소와 허용 네트워크",
    sec_delivery: "전달과 알림",
    sec_devices: "복합기 계정",
    sec_upstreams: "업스트림",
    save: "저장",
    saved: "저장했습니다.",
    nothing_changed: "바뀐 내용이 없습니다.",
    applied: "바로 적용됨:",
    needs_restart: "게이트웨이를 다시 시작해야 적용됨:",
    reload_failed: "파일에는 저장했지만 실행 중인 게이트웨이는 기존 설정을 유지했습니다:",
    not_saved: "저장하지 않았습니다. 아래 표시된 항목을 고치십시오.",
    conflict: "저장하지 않았습니다. 이 페이지를 연 뒤 설정 파일이 바뀌었습니다(다른 페이지에서 \
        저장했거나 직접 편집함). 지금 파일 내용을 다시 표시했으니 변경을 다시 하십시오.",
    no_config: "이 콘솔은 설정 파일을 편집할 수 없습니다. 게이트웨이가 쓸 수 있는 설정 파일 없이 \
        시작되었습니다.",
    password_stored: "비밀번호가 저장되어 있음",
    password_none: "저장된 비밀번호 없음",
    new_password: "새 비밀번호(비우면 저장된 비밀번호 유지)",
    clear_password: "저장된 비밀번호 삭제",
    remove: "삭제",
    add_device: "복합기 계정 추가",
    username: "사용자 이름",
    password_generate: "비밀번호(비우면 자동 생성)",
    device_upstream: "업스트림(비우면 기본)",
    device_sheet: "복합기 설정표",
    add_upstream_wizard: "설정 마법사로 업스트림 추가",
    set_password: "비밀번호 설정",
    default_hint: "비우면 기본값",
    wizard_title: "설정 마법사",
    wizard_intro: "스캔 메일을 보낼 곳을 고르십시오. 각 항목은 메일 업체에서 할 일을 순서대로 \
        보여 주고, 게이트웨이의 프리셋으로 채운 설정 양식을 보여 줍니다. 연결을 확인하고 저장한 \
        뒤, 복합기에 입력할 값이 담긴 설정표를 인쇄하십시오.",
    recommended: "권장",
    steps_title: "메일 업체에서 할 일",
    form_title: "업스트림 설정",
    account_address: "계정 메일 주소",
    fill: "채우기",
    check_to: "테스트 받는 사람(선택: RCPT TO까지만 확인하며 메일은 보내지 않음)",
    device_label: "복합기 계정 이름표(예: 3F)",
    sender: "복합기가 쓸 보낸 사람 주소",
    check_button: "연결 확인",
    save_button: "저장하고 복합기 설정표 만들기",
    check_title: "연결 확인",
    check_running: "확인 중… 단계가 끝날 때마다 표시됩니다.",
    check_ok: "연결에 성공했습니다.",
    check_failed: "확인에 실패했습니다.",
    fix: "해결 방법",
    oauth_check_note: "OAuth2 업스트림은 로그인한 뒤에 확인합니다. 저장하고 게이트웨이 컴퓨터에서 \
        `scanrelay oauth login NAME`을 실행한 다음 `scanrelay check --oauth NAME`으로 로그인을 \
        확인하십시오.",
    sheet_title: "복합기 설정표",
    sheet_intro: "복합기의 이메일 송신 설정에 이 값들을 입력한 뒤 연결확인을 누르십시오.",
    print: "인쇄",
    problems: "먼저 고칠 점:",
    col_field: "항목",
    col_value: "값",
    col_note: "참고",
    refresh: "새로 고침",
    report: "전체 보고서",
    password: "비밀번호",
    oauth_client: "OAuth2 앱",
    back: "돌아가기",
};

/// The table of `lang`.
pub fn setup_texts(lang: super::Lang) -> &'static SetupTexts {
    match lang {
        super::Lang::En => &EN,
        super::Lang::Ko => &KO,
    }
}
