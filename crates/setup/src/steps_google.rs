//! Steps for Gmail, Google Workspace and the Workspace SMTP relay service.
//!
//! Facts: the source document (2-Step Verification, app password "Other (custom name)", the
//! 16 letters in four groups), providers.md A.1/A.2 (app passwords not offered with Advanced
//! Protection or security-key-only 2-Step Verification; an administrator can block them; the
//! relay's checks of sender domain, EHLO name and IP address), B.3 (Gmail's OAuth2 scope is
//! restricted; apps in Testing lose refresh tokens after 7 days; no device flow for Gmail).

use crate::steps::{Step, step};

const TWO_STEP: Step = step(
    "Turn on 2-Step Verification",
    "2단계 인증 켜기",
    "In the Google account (myaccount.google.com) open Security and turn on 2-Step \
     Verification. Google offers app passwords only with 2-Step Verification on, and not to \
     accounts with Advanced Protection or with security keys as the only second step. The old \
     \"less secure app access\" switch no longer exists: Google refuses the normal account \
     password for SMTP.",
    "Google 계정(myaccount.google.com)의 보안 메뉴에서 2단계 인증을 켭니다. 앱 비밀번호는 \
     2단계 인증을 켠 계정에만 제공되며, 고급 보호 프로그램을 쓰거나 보안 키만 2단계 수단으로 \
     쓰는 계정에는 제공되지 않습니다. 예전의 '보안 수준이 낮은 앱의 액세스' 설정은 더 이상 \
     없으며, Google은 SMTP 로그인에 일반 계정 비밀번호를 허용하지 않습니다.",
);

const ADMIN_MAY_BLOCK: Step = step(
    "If App passwords is missing",
    "앱 비밀번호 메뉴가 없다면",
    "A Google Workspace administrator can turn app passwords off for the organisation. If \
     the App passwords page is missing, ask the administrator to allow them, or choose OAuth2 \
     sign-in, or the Workspace SMTP relay service instead.",
    "Google Workspace 관리자가 조직 전체에서 앱 비밀번호를 막아 둘 수 있습니다. 앱 비밀번호 \
     메뉴가 보이지 않으면 관리자에게 허용을 요청하거나, OAuth2 로그인 또는 Workspace SMTP \
     릴레이 서비스를 선택하십시오.",
);

const CREATE_APP_PASSWORD: Step = step(
    "Create the app password",
    "앱 비밀번호 만들기",
    "Open App passwords (myaccount.google.com/apppasswords). Where Google asks for the app, \
     choose \"Other (custom name)\"; type a name such as \"SMTP\" and press Generate.",
    "앱 비밀번호(myaccount.google.com/apppasswords) 메뉴를 엽니다. 앱을 고르라고 하면 \
     '기타(맞춤 이름)'를 선택하고, 'SMTP'처럼 이름을 입력한 뒤 [생성]을 누릅니다.",
);

const PASTE_APP_PASSWORD: Step = step(
    "Copy the 16 letters",
    "16자리 복사",
    "Google shows the app password as four groups of four letters, for example \"abcd efgh \
     ijkl mnop\". Paste it with or without the spaces: the gateway stores the 16 letters without \
     spaces, which is exactly what the login sends. The user name is the full address of the \
     account.",
    "앱 비밀번호는 'abcd efgh ijkl mnop'처럼 4자씩 네 묶음으로 표시됩니다. 공백을 넣은 채로 \
     붙여 넣어도 되고 빼고 넣어도 됩니다. scanrelay는 로그인할 때 실제로 보내는 형태인 공백 \
     없는 16자리로 저장합니다. 사용자 이름은 계정의 전체 주소입니다.",
);

const SENDER_REWRITTEN: Step = step(
    "Which sender the mail shows",
    "메일에 표시되는 보낸 사람",
    "Google sends as the account that logs in: it replaces another From address unless that \
     address is a verified \"Send mail as\" address of the account. The gateway therefore puts \
     the account in the sender itself and keeps the device's address as Reply-To.",
    "Google은 로그인한 계정을 보낸 사람으로 사용합니다. 계정에 '다른 주소에서 메일 보내기'로 \
     인증해 둔 주소가 아니면 다른 보낸 사람(From) 주소를 바꿔 버립니다. 그래서 scanrelay는 \
     처음부터 그 계정을 보낸 사람으로 넣고, 복합기의 주소는 회신 주소(Reply-To)로 둡니다.",
);

/// Gmail or Workspace with an app password.
pub(crate) fn app_password(workspace: bool) -> Vec<Step> {
    let mut out = vec![TWO_STEP];
    if workspace {
        out.push(ADMIN_MAY_BLOCK);
    }
    out.extend([CREATE_APP_PASSWORD, PASTE_APP_PASSWORD, SENDER_REWRITTEN]);
    out
}

const OAUTH_CLIENT: Step = step(
    "Create an OAuth client in Google Cloud",
    "Google Cloud에서 OAuth 클라이언트 만들기",
    "In the Google Cloud console, in a project of yours, set up Google Auth Platform (the \
     consent screen) with the scope https://mail.google.com/, then under Clients create an \
     OAuth client of type \"Desktop app\". Copy its Client ID, and save its client secret in a \
     file on the gateway's machine that only the user the gateway runs as can read (Google asks \
     for the secret even for a desktop app).",
    "Google Cloud 콘솔의 프로젝트에서 Google 인증 플랫폼(동의 화면)을 https://mail.google.com/ \
     범위로 설정한 뒤, 클라이언트 메뉴에서 유형이 '데스크톱 앱'인 OAuth 클라이언트를 \
     만듭니다. 클라이언트 ID를 복사하고, 클라이언트 보안 비밀은 게이트웨이 컴퓨터에 \
     scanrelay를 실행하는 사용자만 읽을 수 있는 파일로 저장합니다(데스크톱 앱이라도 Google은 \
     보안 비밀을 요구합니다).",
);

const OAUTH_TESTING_GMAIL: Step = step(
    "Mind the 7-day limit",
    "7일 제한 주의",
    "While the app's publishing status is \"Testing\", Google ends its sign-ins 7 days after \
     each one, and publishing an app for the Gmail scope needs Google's verification (it is a \
     restricted scope). For a personal Gmail account an app password is usually the practical \
     way.",
    "앱의 게시 상태가 '테스트'인 동안에는 로그인할 때마다 7일 뒤에 Google이 그 로그인을 \
     끝내며, Gmail 범위를 쓰는 앱을 게시하려면 Google의 검증이 필요합니다(제한된 범위). \
     개인 Gmail 계정은 보통 앱 비밀번호가 현실적인 방법입니다.",
);

const OAUTH_INTERNAL_WORKSPACE: Step = step(
    "Make the app Internal",
    "앱을 '내부'로 설정",
    "Create the app in your organisation's Google Cloud project with the audience \"Internal\". \
     An app left in \"Testing\" status must sign in again every 7 days.",
    "조직의 Google Cloud 프로젝트에서 사용자 유형(대상)을 '내부'로 하여 앱을 만드십시오. 게시 \
     상태가 '테스트'인 앱은 7일마다 다시 로그인해야 합니다.",
);

const OAUTH_ACCOUNT_GOOGLE: Step = step(
    "The account in scanrelay",
    "scanrelay의 계정 설정",
    "In the gateway's config the sign-in is an [[oauth]] account with `provider = \"google\"`, `flow = \
     \"auth_code\"` (Google's device flow refuses the Gmail scope), the `client_id` and the \
     `client_secret_file`. The upstream names it with `auth = \"oauth2\"` and `oauth = \"NAME\"`, \
     and its `username` is the mailbox's address.",
    "scanrelay에서는 [[oauth]] 계정에 `provider = \"google\"`, `flow = \"auth_code\"`(Google의 \
     기기 코드 방식은 Gmail 범위를 거부함), `client_id`, `client_secret_file`을 지정합니다. \
     업스트림에는 `auth = \"oauth2\"`와 `oauth = \"NAME\"`으로 그 계정을 지정하고, \
     `username`은 사서함 주소입니다.",
);

const OAUTH_LOGIN_GOOGLE: Step = step(
    "Sign in once",
    "한 번 로그인",
    "Run `scanrelay oauth login NAME` on the gateway's machine: it prints a web address; open \
     it in a browser on that machine and sign in as the mailbox; the browser comes back to the \
     command and the sign-in is stored. On a machine without a browser run `scanrelay oauth \
     login NAME --paste`: open the printed address in a browser anywhere, sign in, then copy \
     the address the browser ends on (it starts with http://localhost/ and does not load) and \
     paste it into the waiting command. The running gateway picks up the new sign-in by \
     itself; `scanrelay oauth status` shows whether it works.",
    "게이트웨이 컴퓨터에서 `scanrelay oauth login NAME`을 실행하면 웹 주소가 표시됩니다. 그 \
     컴퓨터의 브라우저로 열어 사서함 계정으로 로그인하면 브라우저가 명령으로 돌아오고 로그인 \
     정보가 저장됩니다. 브라우저가 없는 컴퓨터에서는 `scanrelay oauth login NAME --paste`를 \
     실행하고, 표시된 주소를 아무 컴퓨터의 브라우저로 열어 로그인한 뒤, 마지막에 열리지 않는 \
     http://localhost/로 시작하는 주소를 주소창에서 복사해 기다리고 있는 명령에 붙여 넣습니다. \
     실행 중인 게이트웨이는 새 로그인을 스스로 알아채며, `scanrelay oauth status`로 동작 \
     여부를 확인할 수 있습니다.",
);

/// Gmail or Workspace with OAuth2.
pub(crate) fn oauth2(workspace: bool) -> Vec<Step> {
    let limit = if workspace {
        OAUTH_INTERNAL_WORKSPACE
    } else {
        OAUTH_TESTING_GMAIL
    };
    vec![
        OAUTH_CLIENT,
        limit,
        OAUTH_ACCOUNT_GOOGLE,
        OAUTH_LOGIN_GOOGLE,
        SENDER_REWRITTEN,
    ]
}

const RELAY_SERVICE: Step = step(
    "Turn on the SMTP relay service",
    "SMTP 릴레이 서비스 설정",
    "In the Google Admin console open Apps > Google Workspace > Gmail > Routing > SMTP relay \
     service and add a rule for the office's public IP address (the address this gateway's \
     mail leaves the office with). The relay is for Google Workspace organisations only, not \
     for personal Gmail accounts.",
    "Google 관리 콘솔에서 앱 > Google Workspace > Gmail > 라우팅 > SMTP 릴레이 서비스를 열고, \
     사무실의 공인 IP 주소(이 게이트웨이의 메일이 사무실 밖으로 나갈 때의 주소)에 대한 규칙을 \
     추가합니다. 릴레이는 Google Workspace 조직 전용이며 개인 Gmail 계정에서는 쓸 수 \
     없습니다.",
);

const RELAY_DOMAIN: Step = step(
    "Use your domain for the sender and the EHLO name",
    "보낸 사람과 EHLO 이름에 회사 도메인 사용",
    "The relay checks that the sender is an address in one of your Workspace domains and that \
     the EHLO name is a host name in your domain. Set the upstream's EHLO name (`helo`) to such \
     a name, and give the devices a sender address in your domain: without a login there is no \
     account to put in the sender, so the gateway keeps the device's.",
    "릴레이는 보낸 사람이 Workspace 도메인의 주소인지, EHLO 이름이 회사 도메인의 호스트 \
     이름인지 확인합니다. 업스트림의 EHLO 이름(`helo`)을 그런 이름으로 설정하고, 복합기의 \
     보낸 사람 주소도 회사 도메인 주소로 하십시오. 로그인하지 않으므로 보낸 사람으로 넣을 \
     계정이 없어, 게이트웨이는 복합기의 주소를 그대로 둡니다.",
);

const RELAY_LOGIN: Step = step(
    "Require a login in the rule",
    "규칙에서 로그인 요구",
    "Instead of the IP address, the relay rule can require SMTP authentication: then the \
     gateway logs in with a Workspace user's full address and an app password of that user \
     (see the Google Workspace steps), over STARTTLS. Google allows logins to the relay only \
     with TLS.",
    "IP 주소 대신 릴레이 규칙에서 SMTP 인증을 요구할 수도 있습니다. 이 경우 게이트웨이는 \
     Workspace 사용자의 전체 주소와 그 사용자의 앱 비밀번호(Google Workspace 단계 참고)로 \
     STARTTLS 연결에서 로그인합니다. Google은 TLS 연결에서만 릴레이 로그인을 허용합니다.",
);

/// The Workspace SMTP relay, by IP address or with a login.
pub(crate) fn relay(login: bool) -> Vec<Step> {
    let mut out = vec![RELAY_SERVICE];
    if login {
        out.push(RELAY_LOGIN);
    } else {
        out.push(RELAY_DOMAIN);
    }
    out
}
