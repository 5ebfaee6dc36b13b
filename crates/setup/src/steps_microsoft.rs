//! Steps for Microsoft 365 and Outlook.com.
//!
//! Facts: providers.md A.3 (SMTP AUTH off for newer tenants, enabled per mailbox; switched-off
//! SMTP AUTH refuses OAuth2 too, 535 5.7.139; Basic authentication retirement per MC786329,
//! update of 2026-01-27; Outlook.com OAuth2 only since 2024-09-16; the sender is the
//! authenticated mailbox), B.3 (device code flow, SMTP.Send + offline_access, refresh tokens end
//! after 90 days unused). The sign-in step describes `scanrelay oauth login` with
//! `flow = "device_code"` (crates/cli/src/oauth.rs).

use crate::steps::{Step, step};

const AUTHENTICATED_SMTP: Step = step(
    "Turn on Authenticated SMTP for the mailbox",
    "사서함의 인증된 SMTP 켜기",
    "Organisations created after January 2020 have SMTP AUTH off. A Microsoft 365 administrator \
     turns it on for the one sending mailbox in the Microsoft 365 admin center: Users > Active \
     users > the user > Mail > Manage email apps > Authenticated SMTP (or in Exchange Online \
     PowerShell: Set-CASMailbox -Identity <mailbox> -SmtpClientAuthenticationDisabled $false). \
     While it is off every SMTP login is refused (535 5.7.139), OAuth2 sign-ins included.",
    "2020년 1월 이후에 만든 조직은 SMTP AUTH가 꺼져 있습니다. Microsoft 365 관리자가 Microsoft \
     365 관리 센터의 사용자 > 활성 사용자 > 해당 사용자 > 메일 > 전자 메일 앱 관리 > 인증된 \
     SMTP에서 송신 사서함 하나만 켜면 됩니다(또는 Exchange Online PowerShell에서 Set-CASMailbox \
     -Identity <mailbox> -SmtpClientAuthenticationDisabled $false). 꺼져 있으면 OAuth2 로그인을 \
     포함한 모든 SMTP 로그인이 거부됩니다(535 5.7.139).",
);

const REGISTER_APP: Step = step(
    "Register an app in Microsoft Entra",
    "Microsoft Entra에 앱 등록",
    "In the Microsoft Entra admin center open App registrations > New registration. In the \
     new app: Authentication > Allow public client flows = Yes; API permissions > Add a \
     permission > APIs my organization uses > Office 365 Exchange Online > Delegated \
     permissions > SMTP.Send. Copy the Application (client) ID and the Directory (tenant) ID \
     from the app's Overview.",
    "Microsoft Entra 관리 센터에서 앱 등록 > 새 등록을 엽니다. 새 앱에서 인증 > '퍼블릭 \
     클라이언트 흐름 허용'을 '예'로 하고, API 권한 > 권한 추가 > 내 조직에서 사용하는 API > \
     Office 365 Exchange Online > 위임된 권한 > SMTP.Send를 추가합니다. 앱의 개요에서 애플리케이션 \
     (클라이언트) ID와 디렉터리(테넌트) ID를 복사합니다.",
);

const REGISTER_APP_PERSONAL: Step = step(
    "Register an app in Microsoft Entra",
    "Microsoft Entra에 앱 등록",
    "In the Microsoft Entra admin center open App registrations > New registration and choose \
     supported account types that include personal Microsoft accounts. In the new app: \
     Authentication > Allow public client flows = Yes; API permissions: add the delegated \
     permission SMTP.Send. Copy the Application (client) ID from the app's Overview.",
    "Microsoft Entra 관리 센터에서 앱 등록 > 새 등록을 열고, 지원되는 계정 유형에 개인 Microsoft \
     계정이 포함되도록 선택합니다. 새 앱에서 인증 > '퍼블릭 클라이언트 흐름 허용'을 '예'로 \
     하고, API 권한에 위임된 권한 SMTP.Send를 추가합니다. 앱의 개요에서 애플리케이션(클라이언트) \
     ID를 복사합니다.",
);

const ACCOUNT_M365: Step = step(
    "The account in scanrelay",
    "scanrelay의 계정 설정",
    "In the gateway's config the sign-in is an [[oauth]] account with `provider = \"microsoft\"`, `tenant` = \
     the Directory (tenant) ID or your organisation's domain, the `client_id` and `flow = \
     \"device_code\"` (no client secret). The upstream names it with `auth = \"oauth2\"` and \
     `oauth = \"NAME\"`; its `username` is the sending mailbox.",
    "scanrelay에서는 [[oauth]] 계정에 `provider = \"microsoft\"`, `tenant`(디렉터리(테넌트) ID \
     또는 조직의 도메인), `client_id`, `flow = \"device_code\"`를 지정합니다(클라이언트 보안 비밀은 \
     필요 없음). 업스트림에는 `auth = \"oauth2\"`와 `oauth = \"NAME\"`으로 그 계정을 지정하고, \
     `username`은 송신 사서함 주소입니다.",
);

const ACCOUNT_OUTLOOK: Step = step(
    "The account in scanrelay",
    "scanrelay의 계정 설정",
    "In the gateway's config the sign-in is an [[oauth]] account with `provider = \"microsoft\"`, `tenant = \
     \"consumers\"`, the `client_id` and `flow = \"device_code\"`. The upstream names it with \
     `auth = \"oauth2\"` and `oauth = \"NAME\"`; its `username` is the Outlook.com address.",
    "scanrelay에서는 [[oauth]] 계정에 `provider = \"microsoft\"`, `tenant = \"consumers\"`, \
     `client_id`, `flow = \"device_code\"`를 지정합니다. 업스트림에는 `auth = \"oauth2\"`와 \
     `oauth = \"NAME\"`으로 그 계정을 지정하고, `username`은 Outlook.com 주소입니다.",
);

const DEVICE_CODE_LOGIN: Step = step(
    "Sign in once",
    "한 번 로그인",
    "Run `scanrelay oauth login NAME` on the gateway's machine. It shows a web address and a \
     code from Microsoft: open the address on any phone or computer, enter the code and sign \
     in as the sending mailbox. The command waits for the sign-in and stores the tokens; the \
     gateway refreshes them by itself and picks up a new sign-in without a restart. Microsoft \
     ends a sign-in that goes unused for 90 days: `scanrelay oauth status` warns ahead.",
    "게이트웨이 컴퓨터에서 `scanrelay oauth login NAME`을 실행하면 Microsoft의 웹 주소와 코드가 \
     표시됩니다. 아무 휴대폰이나 컴퓨터에서 그 주소를 열고 코드를 입력한 뒤 송신 사서함 계정으로 \
     로그인합니다. 명령은 로그인을 기다렸다가 토큰을 저장하며, 게이트웨이는 토큰을 스스로 \
     갱신하고 새 로그인도 재시작 없이 알아챕니다. 90일 동안 쓰지 않은 로그인은 Microsoft가 \
     끝내므로 `scanrelay oauth status`가 미리 경고합니다.",
);

const SENDER_MAILBOX: Step = step(
    "Which sender the mail shows",
    "메일에 표시되는 보낸 사람",
    "Microsoft sends as the mailbox that logs in; another sender needs Send As rights on it \
     (otherwise 550 5.7.60 or 554 5.2.252 SendAsDenied). The gateway therefore puts the mailbox \
     in the sender itself and keeps the device's address as Reply-To.",
    "Microsoft는 로그인한 사서함을 보낸 사람으로 사용하며, 다른 보낸 사람을 쓰려면 그 주소에 \
     대한 '다른 사람으로 보내기(Send As)' 권한이 필요합니다(없으면 550 5.7.60 또는 554 5.2.252 \
     SendAsDenied). 그래서 scanrelay는 처음부터 사서함을 보낸 사람으로 넣고, 복합기의 주소는 \
     회신 주소(Reply-To)로 둡니다.",
);

/// Microsoft 365 with OAuth2 (device code).
pub(crate) fn m365_oauth2() -> Vec<Step> {
    vec![
        AUTHENTICATED_SMTP,
        REGISTER_APP,
        ACCOUNT_M365,
        DEVICE_CODE_LOGIN,
        SENDER_MAILBOX,
    ]
}

const BASIC_RETIRING: Step = step(
    "Know that passwords are being retired",
    "비밀번호 로그인 종료 예정",
    "Microsoft turns SMTP AUTH with a password off by default for existing organisations at the \
     end of December 2026 (administrators can still turn it on), and organisations created \
     after that will not have it. Security defaults or multi-factor authentication on the \
     mailbox block password logins already (535 5.7.139). OAuth2 sign-in is the way that \
     lasts.",
    "Microsoft는 2026년 12월 말에 기존 조직의 비밀번호 방식 SMTP AUTH를 기본으로 끄며(관리자가 \
     다시 켤 수는 있음), 그 뒤에 만든 조직에서는 쓸 수 없습니다. 보안 기본값이나 사서함의 다단계 \
     인증도 이미 비밀번호 로그인을 막습니다(535 5.7.139). 오래 쓸 방법은 OAuth2 로그인입니다.",
);

const PASSWORD_LOGIN: Step = step(
    "The login",
    "로그인 정보",
    "The user name is the mailbox's full address (its user principal name) and the password \
     is its password.",
    "사용자 이름은 사서함의 전체 주소(사용자 계정 이름, UPN)이고 비밀번호는 그 계정의 \
     비밀번호입니다.",
);

/// Microsoft 365 with a password.
pub(crate) fn m365_password() -> Vec<Step> {
    vec![
        AUTHENTICATED_SMTP,
        BASIC_RETIRING,
        PASSWORD_LOGIN,
        SENDER_MAILBOX,
    ]
}

const OUTLOOK_OAUTH_ONLY: Step = step(
    "Outlook.com takes only OAuth2",
    "Outlook.com은 OAuth2만 허용",
    "Since 16 September 2024 Outlook.com, Hotmail and Live accounts accept only OAuth2 sign-ins \
     from mail programs and devices; passwords and app passwords are refused.",
    "2024년 9월 16일부터 Outlook.com, Hotmail, Live 계정은 메일 프로그램과 기기의 로그인에 \
     OAuth2만 허용하며, 비밀번호와 앱 비밀번호는 거부됩니다.",
);

/// Outlook.com (personal Microsoft accounts) with OAuth2.
pub(crate) fn outlook_oauth2() -> Vec<Step> {
    vec![
        OUTLOOK_OAUTH_ONLY,
        REGISTER_APP_PERSONAL,
        ACCOUNT_OUTLOOK,
        DEVICE_CODE_LOGIN,
        SENDER_MAILBOX,
    ]
}
