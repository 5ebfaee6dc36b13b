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
    signin_title, signin_open, signin_enter, signin_waiting, signin_expires, signin_cancel,
    signin_ok, signin_until, signin_failed, signin_cancelled, signin_abandoned, signin_replaced,
    signin_again, signin_button, signin_sheet, signin_no_account, signin_not_device,
    signin_no_check, oauth_signin_note,
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
        `scanrelay oauth login NAME` on the gateway's machine (add --paste on a machine without \
        a browser), then `scanrelay check --oauth NAME` checks the login.",
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
    oauth_signin_note: "An OAuth2 upstream is checked after the sign-in: save, then press \
        \"Sign in\" on the device sheet. This page shows the address and the code to enter at \
        Microsoft; once you have signed in, the connection is checked with the new \
        token.",
    signin_title: "Sign in",
    signin_open: "On any computer or phone, open",
    signin_enter: "Enter this code there and sign in as the mailbox the scanners send from:",
    signin_waiting: "Waiting for the sign-in… this page follows it by itself.",
    signin_expires: "The code expires at",
    signin_cancel: "Cancel the sign-in",
    signin_ok: "Signed in: the tokens are stored where the gateway reads them, and it uses \
        them from its next delivery.",
    signin_until: "The access token is valid until (the gateway renews it by itself):",
    signin_failed: "The sign-in did not complete.",
    signin_cancelled: "The sign-in was cancelled.",
    signin_abandoned: "The sign-in was stopped: no page followed it for 90 seconds.",
    signin_replaced: "The sign-in was stopped: a newer sign-in of this account was started.",
    signin_again: "Sign in again",
    signin_button: "Sign in",
    signin_sheet: "This upstream logs in with OAuth2: sign in its account now; the \
        connection is checked right after.",
    signin_no_account: "No [[oauth]] account in the running settings is named",
    signin_not_device: "This account does not use the device code sign-in, which is the one \
        the console runs; sign it in on the gateway's machine with",
    signin_no_check: "No SMTP upstream uses this account, so there is no connection to \
        check here.",
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
        `scanrelay oauth login NAME`을 실행한 다음(브라우저가 없는 컴퓨터에서는 --paste를 붙임) \
        `scanrelay check --oauth NAME`으로 로그인을 확인하십시오.",
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
    oauth_signin_note: "OAuth2 업스트림은 로그인한 뒤에 확인합니다. 저장한 다음 복합기 설정표의 \
        \"로그인\"을 누르십시오. Microsoft에서 입력할 주소와 코드가 이 페이지에 \
        표시되고, 로그인이 끝나면 새 토큰으로 연결을 확인합니다.",
    signin_title: "로그인",
    signin_open: "아무 컴퓨터나 휴대폰에서 다음 주소를 여십시오:",
    signin_enter: "그곳에 이 코드를 입력하고, 복합기가 보내는 메일 계정으로 로그인하십시오:",
    signin_waiting: "로그인을 기다리는 중… 이 페이지가 알아서 따라갑니다.",
    signin_expires: "코드 만료 시각:",
    signin_cancel: "로그인 취소",
    signin_ok: "로그인했습니다. 토큰은 게이트웨이가 읽는 곳에 저장되었고, 다음 전달부터 \
        사용됩니다.",
    signin_until: "액세스 토큰 유효 기한(게이트웨이가 알아서 갱신함):",
    signin_failed: "로그인이 끝나지 않았습니다.",
    signin_cancelled: "로그인을 취소했습니다.",
    signin_abandoned: "로그인을 중단했습니다. 90초 동안 이 페이지를 보는 사람이 없었습니다.",
    signin_replaced: "로그인을 중단했습니다. 이 계정의 새 로그인이 시작되었습니다.",
    signin_again: "다시 로그인",
    signin_button: "로그인",
    signin_sheet: "이 업스트림은 OAuth2로 로그인합니다. 지금 계정에 로그인하면 바로 연결을 \
        확인합니다.",
    signin_no_account: "실행 중인 설정에 이 이름의 [[oauth]] 계정이 없습니다:",
    signin_not_device: "이 계정은 콘솔이 쓰는 장치 코드 로그인을 쓰지 않습니다. 게이트웨이 \
        컴퓨터에서 다음 명령으로 로그인하십시오:",
    signin_no_check: "이 계정을 쓰는 SMTP 업스트림이 없어 여기서 확인할 연결이 없습니다.",
};

/// The table of `lang`.
pub fn setup_texts(lang: super::Lang) -> &'static SetupTexts {
    match lang {
        super::Lang::En => &EN,
        super::Lang::Ko => &KO,
    }
}
