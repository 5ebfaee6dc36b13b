//! Provider-specific fixes, where a provider's fix differs from the generic one.
//! One table, English and Korean side by side; first matching row wins.

use crate::{Cause, Lang, Provider, ProviderFamily};

/// Which providers a row applies to.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Target {
    /// These provider ids.
    Ids(&'static [&'static str]),
    /// Every provider of this family.
    Family(ProviderFamily),
}

/// One provider-specific fix.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Override {
    pub(crate) target: Target,
    pub(crate) causes: &'static [Cause],
    pub(crate) en: &'static str,
    pub(crate) ko: &'static str,
}

const GOOGLE_USER: &[&str] = &["gmail", "workspace"];
const GOOGLE: Target = Target::Ids(GOOGLE_USER);
const MICROSOFT: Target = Target::Family(ProviderFamily::Microsoft);

macro_rules! google_steps_en {
    () => {
        concat!(
            "1) In the Google account, open Security and turn on 2-Step Verification. 2) Open App \
         passwords (myaccount.google.com/apppasswords), choose \"Other (custom name)\", type a \
         name such as \"SMTP\" and press Generate. 3) Google shows a 16-letter app password as \
         four groups of four letters, e.g. `abcd efgh ijkl mnop`. 4) On the device (Send > \
         E-mail settings): SMTP server smtp.gmail.com, port 587, STARTTLS (allow SSL), SMTP AUTH \
         on, user name = the full Gmail/Workspace address, password = the app password typed \
         without spaces. 5) Press the connection check and confirm that the connection to the \
         server succeeded. A Workspace administrator can block app passwords: if the App passwords page is missing, \
         ask them to allow app passwords, use a device that logs in with OAuth2 (XOAUTH2), let the \
         scanrelay gateway log in with OAuth2 for the device, or use the Workspace SMTP relay \
         service (smtp-relay.gmail.com), which can accept the device by the office's public IP \
         address. For the gateway: an [[oauth]] account with `provider = \"google\"`, `flow = \
         \"auth_code\"` and a Desktop app OAuth client from an Internal app of your Google Cloud \
         project (an app in Testing status must sign in again every 7 days), `auth = \"oauth2\"` \
         and `oauth = \"NAME\"` in [upstream], then `scanrelay oauth login NAME` once",
            name_note_en!(),
            ", with --paste on a server without a browser."
        )
    };
}

macro_rules! google_steps_ko {
    () => {
        concat!(
            "1) Google 계정의 보안 메뉴에서 2단계 인증을 켭니다. 2) 앱 비밀번호\
         (myaccount.google.com/apppasswords)에서 앱을 '기타(맞춤 이름)'로 선택하고 'SMTP'처럼 \
         이름을 입력한 뒤 [생성]을 누릅니다. 3) 'abcd efgh ijkl mnop'처럼 4자씩 네 묶음으로 된 \
         16자리 앱 비밀번호가 표시됩니다. 4) 복합기의 송신 > 이메일 설정에서 SMTP서버 \
         smtp.gmail.com, 포트번호 587, SSL허가(STARTTLS) 사용, SMTP인증 사용, 사용자 이름은 \
         Gmail/Workspace 전체 주소, 비밀번호는 앱 비밀번호를 공백 없이 입력합니다. 5) \
         [연결확인]을 눌러 서버 연결에 성공했다는 메시지를 확인합니다. Workspace 관리자가 앱 \
         비밀번호를 막아 두면 앱 비밀번호 메뉴가 보이지 않으니 관리자에게 앱 비밀번호 허용을 \
         요청하거나, OAuth2(XOAUTH2) 로그인을 지원하는 복합기를 사용하거나, scanrelay 게이트웨이가 \
         복합기 대신 OAuth2로 로그인하게 하거나, 사무실 공인 IP 주소로 복합기를 허용할 수 있는 \
         Workspace SMTP 릴레이 서비스(smtp-relay.gmail.com)를 사용하십시오. 게이트웨이 설정: \
         [[oauth]] 계정에 `provider = \"google\"`, `flow = \"auth_code\"`와 Google Cloud \
         프로젝트의 '내부' 앱에서 만든 '데스크톱 앱' OAuth 클라이언트를 지정하고(게시 상태가 \
         '테스트'인 앱은 7일마다 다시 로그인해야 함), [upstream]에 `auth = \"oauth2\"`와 `oauth = \
         \"NAME\"`을 설정한 뒤 `scanrelay oauth login NAME` 명령",
            name_note_ko!(),
            "을 한 번 실행하십시오. 브라우저가 없는 서버에서는 --paste를 붙이십시오."
        )
    };
}

macro_rules! naver_steps_en {
    () => {
        "1) In Naver Mail, open 환경설정 > POP3/IMAP 설정 and set 'IMAP/SMTP 사용' to on. 2) Turn \
         on 2-step verification for the Naver account and create an application password \
         (애플리케이션 비밀번호) for the device. 3) On the device: SMTP server smtp.naver.com, port \
         465 with SSL (or 587 with STARTTLS), SMTP AUTH on, user name = the Naver ID (the part \
         before @naver.com), password = the application password. 4) Run the connection check."
    };
}

macro_rules! naver_steps_ko {
    () => {
        "1) 네이버 메일 > 환경설정 > POP3/IMAP 설정에서 'IMAP/SMTP 사용'을 사용함으로 \
         설정합니다. 2) 네이버 계정에 2단계 인증을 켜고 복합기용 애플리케이션 비밀번호(앱 \
         비밀번호)를 생성합니다. 3) 복합기 설정: SMTP서버 smtp.naver.com, 포트번호 465, SSL허가 \
         사용(또는 587 + STARTTLS), SMTP인증 사용, 사용자 이름은 네이버 아이디(@naver.com \
         앞부분), 비밀번호는 애플리케이션 비밀번호를 입력합니다. 4) 연결확인을 실행합니다."
    };
}

/// The provider-specific rows.
pub(crate) static OVERRIDES: &[Override] = &[
    Override {
        target: Target::Ids(&["gmail-relay"]),
        causes: &[Cause::RelayDenied],
        en: "smtp-relay.gmail.com checks the office's public IP address, the sender domain and \
             the EHLO name. In the Google Admin console (Apps > Google Workspace > Gmail > Routing \
             > SMTP relay service) add the office's public IP address, use a sender address in one \
             of your Workspace domains, and make the device (or the scanrelay gateway, with \
             `helo` in its [upstream] section) send EHLO with one of your domain names. Alternatively require SMTP AUTH in the relay rule and \
             turn on SMTP AUTH on the device with a Workspace account (port 587, STARTTLS).",
        ko: "smtp-relay.gmail.com은 사무실 공인 IP 주소, 발신자 도메인, EHLO 이름을 확인합니다. \
             Google 관리 콘솔(앱 > Google Workspace > Gmail > 라우팅 > SMTP 릴레이 서비스)에 \
             사무실 공인 IP 주소를 등록하고, 발신자 주소는 Workspace 도메인의 주소를 사용하며, \
             복합기(또는 scanrelay 게이트웨이: [upstream] 항목의 `helo`)가 EHLO에 회사 도메인 \
             이름을 보내도록 하십시오. \
             또는 릴레이 규칙에서 SMTP 인증을 요구하도록 하고 복합기에서 Workspace 계정으로 \
             SMTP인증을 켜십시오(포트번호 587, STARTTLS).",
    },
    Override {
        target: GOOGLE,
        causes: &[Cause::AuthAppPasswordRequired],
        en: concat!(
            "Google refuses the normal account password for SMTP; it needs an app password. ",
            google_steps_en!()
        ),
        ko: concat!(
            "Google은 SMTP 로그인에 일반 계정 비밀번호를 허용하지 않으며 앱 비밀번호가 \
             필요합니다. ",
            google_steps_ko!()
        ),
    },
    Override {
        target: GOOGLE,
        causes: &[Cause::AuthBadCredentials],
        en: concat!(
            "Google did not accept the user name or password. The user name must be the full \
             address and the password a current app password (the normal password, a revoked or \
             a mistyped app password all fail the same way). To create a new app password: ",
            google_steps_en!()
        ),
        ko: concat!(
            "Google이 사용자 이름 또는 비밀번호를 거부했습니다. 사용자 이름은 전체 주소, \
             비밀번호는 현재 유효한 앱 비밀번호여야 합니다(일반 비밀번호, 삭제된 앱 비밀번호, \
             오타 모두 같은 오류가 납니다). 앱 비밀번호 새로 만들기: ",
            google_steps_ko!()
        ),
    },
    Override {
        target: GOOGLE,
        causes: &[Cause::TlsModeMismatch, Cause::TlsStarttlsRequired],
        en: "For Gmail set SMTP server smtp.gmail.com, port 587 with STARTTLS (allow SSL), as in \
             Google's setup; port 465 with SSL also works. Never combine port 587 with SSL.",
        ko: "Gmail은 SMTP서버 smtp.gmail.com, 포트번호 587, SSL허가(STARTTLS) 사용으로 \
             설정하십시오. 465번 포트에 SSL도 사용할 수 있지만, 587번 포트에 SSL을 조합하면 안 \
             됩니다.",
    },
    Override {
        target: Target::Family(ProviderFamily::Google),
        causes: &[Cause::MessageTooLarge],
        en: "Gmail accepts at most 35,882,577 bytes per message (EHLO SIZE) and e-mail encoding \
             (base64) adds about 37%, so keep the scanned attachments under about 25 MB: lower the \
             resolution, scan in black and white or with higher compression, or set the device's \
             maximum data size for sending so that large jobs are divided.",
        ko: "Gmail은 메일 1통에 최대 35,882,577바이트(EHLO SIZE)까지 받으며, 이메일 인코딩(base64) \
             때문에 크기가 약 37% 늘어나므로 스캔 첨부파일은 약 25MB 이하로 해야 합니다. 해상도를 \
             낮추거나 흑백/고압축으로 스캔하고, 복합기의 송신 최대 데이터 크기를 설정해 큰 작업은 \
             나누어 보내십시오.",
    },
    Override {
        target: Target::Family(ProviderFamily::Google),
        causes: &[Cause::QuotaExceeded],
        en: "Google limits sending per rolling 24 hours (about 500 messages for personal Gmail, \
             2,000 for Workspace, and 100 recipients per SMTP message). Wait up to 24 hours and \
             send less; for many devices in a Workspace domain use smtp-relay.gmail.com, which \
             has separate limits.",
        ko: "Google은 24시간 단위로 송신량을 제한합니다(개인 Gmail 약 500통, Workspace 2,000통, \
             SMTP 메일 1통당 받는 사람 100명). 최대 24시간 기다리고 송신량을 줄이십시오. \
             Workspace 도메인에서 복합기가 많다면 한도가 따로 적용되는 smtp-relay.gmail.com을 \
             사용하십시오.",
    },
    Override {
        target: Target::Ids(&["outlook"]),
        causes: &[
            Cause::AuthBadCredentials,
            Cause::AuthBasicAuthDisabled,
            Cause::AuthAppPasswordRequired,
        ],
        en: concat!(
            "Outlook.com personal accounts (outlook.com, hotmail.com, live.com) accept only OAuth2 \
             for third-party SMTP since 16 September 2024; passwords and app passwords no longer \
             work. A device that supports OAuth2 (XOAUTH2) can use smtp-mail.outlook.com, port \
             587, STARTTLS. A device without OAuth2 can send through the scanrelay gateway, which \
             logs in to Outlook.com with OAuth2 for it: register an app in Microsoft Entra admin \
             center (App registrations, with personal Microsoft accounts among the supported \
             account types, Allow public client flows = Yes and the delegated permission \
             SMTP.Send), add an [[oauth]] account with `provider = \"microsoft\"`, `tenant = \
             \"consumers\"`, `flow = \"device_code\"` and the app's `client_id`, and set \
             `provider = \"outlook\"`, `username` (the Outlook.com address), `auth = \"oauth2\"` \
             and `oauth = \"NAME\"` in [upstream]; then run `scanrelay oauth login NAME` once",
            name_note_en!(),
            "."
        ),
        ko: concat!(
            "Outlook.com 개인 계정(outlook.com, hotmail.com, live.com)은 2024년 9월 16일부터 외부 \
             프로그램의 SMTP 로그인에 OAuth2만 허용하며, 비밀번호나 앱 비밀번호로는 로그인할 수 \
             없습니다. OAuth2(XOAUTH2)를 지원하는 복합기라면 smtp-mail.outlook.com, 포트번호 \
             587, STARTTLS로 설정하십시오. OAuth2를 지원하지 않는 복합기는 scanrelay 게이트웨이를 \
             거쳐 보내면 게이트웨이가 대신 OAuth2로 Outlook.com에 로그인합니다. Microsoft Entra \
             관리 센터에서 앱을 등록하고(앱 등록, 지원되는 계정 유형에 개인 Microsoft 계정 포함, \
             '퍼블릭 클라이언트 흐름 허용'은 '예', 위임된 권한 SMTP.Send), [[oauth]] 계정에 \
             `provider = \"microsoft\"`, `tenant = \"consumers\"`, `flow = \"device_code\"`와 \
             앱의 `client_id`를 지정하고, [upstream]에 `provider = \"outlook\"`, `username`(Outlook.com \
             주소), `auth = \"oauth2\"`, `oauth = \"NAME\"`을 설정한 뒤 `scanrelay oauth login \
             NAME` 명령",
            name_note_ko!(),
            "을 한 번 실행하십시오."
        ),
    },
    Override {
        target: MICROSOFT,
        causes: &[Cause::AuthSmtpAuthDisabled],
        // Switched-off SMTP AUTH refuses OAuth2 (XOAUTH2) logins as well
        // (simonrob/email-oauth2-proxy#66), so OAuth2 is no way around it.
        en: concat!(
            "SMTP AUTH is switched off for this mailbox or the whole tenant, and that refuses every \
             SMTP login, with a password or with OAuth2 (XOAUTH2) alike, the scanrelay gateway's \
             OAuth2 login included: moving the device or the gateway to OAuth2 does not help. A \
             Microsoft 365 administrator can enable SMTP AUTH for the one sending mailbox, \
             whichever way it logs in: in the Microsoft 365 admin center (Users > Active users > \
             the user > Mail > Manage email apps > Authenticated SMTP) or in Exchange Online \
             PowerShell with `Set-CASMailbox -Identity <mailbox> -SmtpClientAuthenticationDisabled \
             $false` (the mailbox setting overrides the tenant-wide one). Device settings: \
             smtp.office365.com, port 587, STARTTLS. Ways to send that need no SMTP AUTH: 1) the \
             scanrelay gateway sends through Microsoft Graph instead of SMTP: an [upstream] with \
             `kind = \"graph\"`, `mailbox` set to the sending mailbox and `oauth = \"NAME\"`, the \
             [[oauth]] account of an app with the Microsoft Graph permission Mail.Send",
            name_note_en!(),
            "; 2) direct send (port 25 to <domain>.mail.protection.outlook.com, without login, \
             recipients in your own organisation only); 3) a connector that accepts the device by \
             its public IP address or a certificate (same address, port 25, any recipient). The \
             gateway can deliver the last two ways as well: an [upstream] with that server, port \
             25 and no username."
        ),
        ko: concat!(
            "이 사서함 또는 테넌트 전체에서 SMTP인증이 꺼져 있으며, 이 경우 비밀번호든 \
             OAuth2(XOAUTH2)든 모든 SMTP 로그인이 거부되고 scanrelay 게이트웨이의 OAuth2 로그인도 \
             마찬가지입니다. 복합기나 게이트웨이를 OAuth2로 바꿔도 해결되지 않습니다. 로그인 \
             방식과 관계없이 Microsoft 365 관리자가 송신 사서함 하나의 SMTP인증을 켜면 됩니다. \
             Microsoft 365 관리 센터(사용자 > 활성 사용자 > 해당 사용자 > 메일 > 전자 메일 앱 관리 \
             > 인증된 SMTP)에서 켜거나, Exchange Online PowerShell에서 `Set-CASMailbox -Identity \
             <mailbox> -SmtpClientAuthenticationDisabled $false`를 실행하십시오(사서함 설정이 \
             테넌트 전체 설정보다 우선합니다). 복합기 설정: SMTP서버 smtp.office365.com, \
             포트번호 587, STARTTLS. SMTP인증 없이 보내는 방법: 1) scanrelay 게이트웨이가 SMTP \
             대신 Microsoft Graph로 보냅니다. [upstream]에 `kind = \"graph\"`를 지정하고, 송신 \
             사서함 주소를 `mailbox`로, Microsoft Graph Mail.Send 권한이 있는 앱의 [[oauth]] \
             계정을 `oauth = \"NAME\"`으로 지정합니다",
            name_note_ko!(),
            ". 2) 직접 송신(direct send: 로그인 없이 <domain>.mail.protection.outlook.com의 25번 \
             포트로, 같은 조직의 받는 사람만 가능). 3) 복합기의 공인 IP 주소나 인증서로 허용하는 \
             커넥터(같은 주소, 25번 포트, 외부 받는 사람도 가능). scanrelay 게이트웨이도 2)와 \
             3)의 방법으로 보낼 수 있습니다: [upstream]에 그 서버, 25번 포트를 지정하고 사용자 \
             이름은 비워 두십시오."
        ),
    },
    Override {
        target: MICROSOFT,
        causes: &[Cause::AuthBasicAuthDisabled],
        en: concat!(
            "Microsoft is retiring password (Basic) login for SMTP AUTH: it is disabled by default \
             for existing tenants from the end of December 2026 (administrators can still \
             re-enable it until the final removal), and MFA or Security Defaults already block \
             it. Use OAuth2 (XOAUTH2) with smtp.office365.com, port 587, STARTTLS, if the device \
             supports it. If it does not, let the scanrelay gateway log in with OAuth2 for it: an \
             [[oauth]] account with `provider = \"microsoft\"` and `flow = \"device_code\"` (an \
             app in Microsoft Entra admin center with the delegated permission SMTP.Send and Allow \
             public client flows = Yes), `auth = \"oauth2\"` and `oauth = \"NAME\"` in \
             [upstream], then `scanrelay oauth login NAME` once",
            name_note_en!(),
            ". OAuth2 SMTP still needs SMTP AUTH enabled for the mailbox (`Set-CASMailbox \
             -Identity <mailbox> -SmtpClientAuthenticationDisabled $false`). Without SMTP AUTH: \
             the gateway can send through Microsoft Graph (`kind = \"graph\"` in [upstream]), or \
             use direct send or a connector (port 25 to <domain>.mail.protection.outlook.com, no \
             login) with an [upstream] on port 25 and no username."
        ),
        ko: concat!(
            "Microsoft는 SMTP인증의 비밀번호(기본 인증) 로그인을 종료하고 있습니다. 기존 \
             테넌트도 2026년 12월 말부터 기본적으로 꺼지며(최종 폐지 전까지는 관리자가 다시 켤 \
             수 있음), 다단계 인증(MFA)이나 보안 기본값이 켜진 계정은 이미 차단됩니다. \
             복합기가 지원하면 OAuth2(XOAUTH2)로 smtp.office365.com, 포트번호 587, STARTTLS를 \
             사용하십시오. 지원하지 않으면 scanrelay 게이트웨이가 복합기 대신 OAuth2로 \
             로그인하게 하십시오: [[oauth]] 계정에 `provider = \"microsoft\"`와 `flow = \
             \"device_code\"`를 지정하고(Microsoft Entra 관리 센터에서 위임된 권한 SMTP.Send와 \
             '퍼블릭 클라이언트 흐름 허용'을 설정한 앱), [upstream]에 `auth = \"oauth2\"`와 \
             `oauth = \"NAME\"`을 설정한 뒤 `scanrelay oauth login NAME` 명령",
            name_note_ko!(),
            "을 한 번 실행하십시오. OAuth2로 SMTP 로그인을 해도 사서함의 SMTP인증은 켜져 있어야 \
             합니다(`Set-CASMailbox -Identity <mailbox> -SmtpClientAuthenticationDisabled \
             $false`). SMTP인증 없이 보내려면 게이트웨이가 Microsoft Graph로 보내게 하거나 \
             ([upstream]에 `kind = \"graph\"`), 직접 송신(direct send)이나 커넥터(로그인 없이 \
             25번 포트로 <domain>.mail.protection.outlook.com)를 사용하십시오. 이때는 [upstream]에 \
             25번 포트를 지정하고 사용자 이름을 비워 둡니다."
        ),
    },
    Override {
        target: MICROSOFT,
        causes: &[Cause::AuthBadCredentials],
        en: concat!(
            "Check that the user name is the full mailbox address and the password is right. \
             SMTP AUTH must be enabled for the mailbox (for password and OAuth2 logins alike), \
             and accounts with MFA or Security Defaults cannot log in with a password. Password \
             (Basic) SMTP login is turned off by default from the end of December 2026, so plan \
             the move to OAuth2: on the device (XOAUTH2), or in the scanrelay gateway, which logs \
             in with OAuth2 for devices that cannot: `auth = \"oauth2\"` and `oauth = \"NAME\"` \
             in [upstream], then `scanrelay oauth login NAME`",
            name_note_en!(),
            ". Other ways: Microsoft Graph through the gateway (`kind = \"graph\"`), direct send \
             or a connector (port 25, no login). With OAuth2, the token must be issued for \
             https://outlook.office.com/SMTP.Send (tokens for other Microsoft APIs are refused)."
        ),
        ko: concat!(
            "사용자 이름이 사서함 전체 주소인지, 비밀번호가 맞는지 확인하십시오. 해당 사서함에 \
             SMTP인증이 켜져 있어야 하며(비밀번호 로그인과 OAuth2 로그인 모두), 다단계 \
             인증(MFA)이나 보안 기본값이 적용된 계정은 비밀번호로 로그인할 수 없습니다. \
             비밀번호(기본 인증) SMTP 로그인은 2026년 12월 말부터 기본적으로 꺼지므로 OAuth2로 \
             전환을 준비하십시오. 복합기에서 OAuth2(XOAUTH2)를 쓰거나, OAuth2를 지원하지 않는 \
             복합기 대신 scanrelay 게이트웨이가 로그인하게 합니다: [upstream]에 `auth = \
             \"oauth2\"`와 `oauth = \"NAME\"`을 설정한 뒤 `scanrelay oauth login NAME` 명령",
            name_note_ko!(),
            "을 실행하십시오. 그 밖의 방법: 게이트웨이를 통한 Microsoft Graph(`kind = \
             \"graph\"`), 직접 송신(direct send) 또는 커넥터(25번 포트, 로그인 없음). OAuth2를 \
             쓰는 경우 토큰은 https://outlook.office.com/SMTP.Send 권한으로 발급되어야 합니다(다른 \
             Microsoft API용 토큰은 거부됨)."
        ),
    },
    Override {
        target: MICROSOFT,
        causes: &[Cause::TlsVersionRejected],
        en: "Microsoft 365 accepts only TLS 1.2 or newer. Update the device firmware and enable \
             TLS 1.2; if the device only speaks TLS 1.0/1.1, put the scanrelay gateway in front of \
             it: the device sends to the gateway on the LAN (with [listen] tls_min_version = \
             \"1.0\" the gateway accepts its TLS 1.0/1.1) and the gateway submits to \
             smtp.office365.com with TLS 1.2 or newer.",
        ko: "Microsoft 365는 TLS 1.2 이상만 허용합니다. 복합기 펌웨어를 업데이트하고 TLS 1.2를 \
             켜십시오. TLS 1.0/1.1만 지원하는 복합기라면 scanrelay 게이트웨이를 앞에 두어, \
             복합기는 사내 게이트웨이로 보내고([listen] tls_min_version = \"1.0\"이면 \
             게이트웨이가 TLS 1.0/1.1을 받습니다) 게이트웨이가 TLS 1.2 이상으로 \
             smtp.office365.com에 송신하도록 하십시오.",
    },
    Override {
        target: MICROSOFT,
        causes: &[Cause::TlsModeMismatch, Cause::TlsStarttlsRequired],
        en: "Microsoft has no port 465: a device that only offers SSL on port 465 cannot use SMTP \
             AUTH submission. Set the SMTP server to smtp.office365.com (the name, not an IP \
             address), port 587, STARTTLS.",
        ko: "Microsoft는 465번 포트를 지원하지 않습니다. 465번 포트의 SSL만 지원하는 복합기는 \
             SMTP인증 송신을 사용할 수 없습니다. SMTP서버는 IP 주소가 아닌 smtp.office365.com, \
             포트번호 587, STARTTLS로 설정하십시오.",
    },
    Override {
        target: MICROSOFT,
        causes: &[Cause::SenderNotAllowed],
        en: "Microsoft 365 sends only as the mailbox that logs in. Set the device's sender address \
             to that mailbox, or have the administrator grant the login account Send As (or Send \
             on Behalf) permission on the other mailbox or shared mailbox.",
        ko: "Microsoft 365는 로그인한 사서함 주소로만 보낼 수 있습니다. 복합기의 발신자 주소를 그 \
             사서함 주소로 설정하거나, 관리자에게 다른 사서함(공유 사서함)에 대한 \
             '다른 사람으로 보내기(Send As)' 권한을 로그인 계정에 부여해 달라고 요청하십시오.",
    },
    Override {
        target: MICROSOFT,
        causes: &[Cause::RateLimited],
        en: "Microsoft 365 allows at most 3 simultaneous SMTP connections per mailbox and slows \
             down above 30 messages per minute. Let fewer devices use the same mailbox at once, or \
             route them through the scanrelay gateway, which limits the connections.",
        ko: "Microsoft 365는 사서함당 동시 SMTP 연결을 최대 3개까지 허용하고, 분당 30통을 넘으면 \
             송신을 지연시킵니다. 같은 사서함을 동시에 쓰는 복합기 수를 줄이거나, 연결 수를 \
             제한하는 scanrelay 게이트웨이를 거쳐 보내십시오.",
    },
    Override {
        target: MICROSOFT,
        causes: &[Cause::QuotaExceeded],
        en: "Microsoft 365 allows 10,000 recipients per mailbox per 24 hours. Wait until the \
             window has passed, or spread the devices over several mailboxes.",
        ko: "Microsoft 365는 사서함당 24시간에 받는 사람 10,000명까지 허용합니다. 24시간이 \
             지나기를 기다리거나 복합기를 여러 사서함으로 나누십시오.",
    },
    Override {
        target: MICROSOFT,
        causes: &[Cause::MessageTooLarge],
        en: "Microsoft 365 refuses a message larger than the sending mailbox's maximum send size \
             (35 MB by default; MapiExceptionMaxSubmissionExceeded over SMTP, \
             ErrorMessageSizeExceeded through Microsoft Graph), and e-mail encoding (base64) adds \
             about 37%, so keep the scans under about 25 MB: lower the resolution, scan in black \
             and white or with higher compression, or let the device divide large jobs. An \
             administrator can raise the sending mailbox's limit up to 150 MB: `Set-Mailbox \
             -Identity <mailbox> -MaxSendSize 150MB` in Exchange Online PowerShell.",
        ko: "Microsoft 365는 송신 사서함의 최대 보내기 크기(기본 35MB, SMTP에서는 \
             MapiExceptionMaxSubmissionExceeded, Microsoft Graph에서는 ErrorMessageSizeExceeded)보다 \
             큰 메일을 거부하며, 이메일 인코딩(base64) 때문에 크기가 약 37% 늘어나므로 스캔은 약 \
             25MB 이하로 하십시오. 해상도를 낮추거나 흑백/고압축으로 스캔하고, 큰 작업은 \
             복합기에서 나누어 보내도록 설정하십시오. 관리자는 Exchange Online PowerShell에서 \
             `Set-Mailbox -Identity <mailbox> -MaxSendSize 150MB`로 송신 사서함의 한도를 최대 \
             150MB까지 늘릴 수 있습니다.",
    },
    Override {
        target: MICROSOFT,
        causes: &[Cause::MailboxFull],
        en: "Microsoft 365 saves every sent message in the sending mailbox's Sent Items, so a full \
             sending mailbox blocks sending. Empty Sent Items and Deleted Items or raise the \
             mailbox quota.",
        ko: "Microsoft 365는 보낸 메일을 송신 사서함의 보낸 편지함에 저장하므로, 송신 사서함이 \
             가득 차면 송신이 막힙니다. 보낸 편지함과 지운 편지함을 비우거나 사서함 용량을 \
             늘리십시오.",
    },
    Override {
        target: Target::Family(ProviderFamily::Naver),
        causes: &[Cause::AuthBadCredentials, Cause::AuthAppPasswordRequired],
        en: concat!(
            "Naver gives the same reply for a wrong password, a missing application password and \
             SMTP not being enabled. ",
            naver_steps_en!()
        ),
        ko: concat!(
            "네이버는 비밀번호 오류, 애플리케이션 비밀번호 미사용, SMTP 사용 안 함에 모두 같은 \
             응답을 보냅니다. ",
            naver_steps_ko!()
        ),
    },
    Override {
        target: Target::Family(ProviderFamily::Naver),
        causes: &[Cause::SenderNotAllowed],
        en: "Naver only allows the account's own address as sender. Set the device's sender \
             e-mail address to exactly the account's @naver.com address (the same ID as the SMTP \
             AUTH user name).",
        ko: "네이버는 로그인한 계정의 주소만 발신자로 허용합니다. 복합기의 발신자 이메일 주소를 \
             SMTP인증에 쓰는 아이디의 @naver.com 주소와 똑같이 설정하십시오.",
    },
    Override {
        target: Target::Family(ProviderFamily::Naver),
        causes: &[Cause::TlsModeMismatch, Cause::TlsStarttlsRequired],
        en: "Naver: SMTP server smtp.naver.com with port 465 and SSL, or port 587 with STARTTLS.",
        ko: "네이버: SMTP서버 smtp.naver.com, 포트번호 465에 SSL허가 사용, 또는 포트번호 587에 \
             STARTTLS를 사용하십시오.",
    },
    Override {
        target: Target::Family(ProviderFamily::Naver),
        causes: &[Cause::MessageTooLarge],
        en: "Naver accepts about 20 MB per message (EHLO SIZE 20971520); after e-mail encoding \
             that leaves about 14.5 MB of scanned files. Lower the resolution, use black and white \
             or higher compression, or let the device divide large jobs.",
        ko: "네이버는 메일 1통에 약 20MB(EHLO SIZE 20971520)까지 받으며, 이메일 인코딩 후에는 \
             스캔 파일 약 14.5MB까지 보낼 수 있습니다. 해상도를 낮추거나 흑백/고압축으로 \
             스캔하고, 큰 작업은 복합기에서 나누어 보내도록 설정하십시오.",
    },
    Override {
        target: Target::Family(ProviderFamily::Yahoo),
        causes: &[Cause::AuthBadCredentials, Cause::AuthAppPasswordRequired],
        en: "Yahoo refuses the normal account password over SMTP (reply \"(#AUTH005) Too many bad \
             auth attempts\"). In Yahoo Account Security generate an app password and enter it as \
             the SMTP AUTH password; SMTP server smtp.mail.yahoo.com, port 465 with SSL (or 587 \
             with STARTTLS), user name = the full Yahoo address. Wait a while before retrying, as \
             repeated failures block the login for some time.",
        ko: "Yahoo는 SMTP 로그인에 일반 계정 비밀번호를 허용하지 않습니다(응답 \"(#AUTH005) Too \
             many bad auth attempts\"). Yahoo 계정 보안에서 앱 비밀번호를 생성해 SMTP인증 \
             비밀번호로 입력하십시오. SMTP서버 smtp.mail.yahoo.com, 포트번호 465에 SSL허가 \
             사용(또는 587 + STARTTLS), 사용자 이름은 Yahoo 전체 주소입니다. 실패가 반복되면 한동안 \
             로그인이 막히므로 잠시 기다린 뒤 다시 시도하십시오.",
    },
    Override {
        target: Target::Family(ProviderFamily::Daum),
        causes: &[Cause::AuthBadCredentials, Cause::AuthAppPasswordRequired],
        en: "In Daum Mail open 환경설정 > IMAP/POP3 and set 'IMAP / SMTP 사용' to 사용함. If the \
             account uses 2-step verification, use the password issued on the 2-step verification \
             page instead of the normal password. Device: SMTP server smtp.daum.net, port 465 with \
             SSL, user name = the full address.",
        ko: "다음 메일 > 환경설정 > IMAP/POP3에서 'IMAP / SMTP 사용'을 사용함으로 설정하십시오. \
             2단계 인증을 쓰는 계정은 일반 비밀번호 대신 2단계 인증 화면에서 발급한 비밀번호를 \
             입력해야 합니다. 복합기 설정: SMTP서버 smtp.daum.net, 포트번호 465, SSL허가 사용, \
             사용자 이름은 전체 메일 주소.",
    },
    Override {
        target: Target::Family(ProviderFamily::Kakao),
        causes: &[Cause::AuthBadCredentials, Cause::AuthAppPasswordRequired],
        en: "Create an app password in the Kakao account's two-step verification settings \
             (accounts.kakao.com) and use it as the SMTP AUTH password. Device: SMTP server \
             smtp.kakao.com, port 465 with SSL, user name = the full @kakao.com address.",
        ko: "카카오 계정(accounts.kakao.com)의 2단계 인증 설정에서 앱 비밀번호를 만들어 SMTP인증 \
             비밀번호로 입력하십시오. 복합기 설정: SMTP서버 smtp.kakao.com, 포트번호 465, SSL허가 \
             사용, 사용자 이름은 @kakao.com 전체 주소.",
    },
    Override {
        target: Target::Family(ProviderFamily::Icloud),
        causes: &[Cause::AuthBadCredentials, Cause::AuthAppPasswordRequired],
        en: "iCloud Mail requires an app-specific password: create one at appleid.apple.com \
             (Sign-In and Security > App-Specific Passwords) and enter it as the SMTP AUTH \
             password. Device: SMTP server smtp.mail.me.com, port 587, STARTTLS, user name = the \
             full iCloud address.",
        ko: "iCloud 메일은 앱 암호(앱 비밀번호)가 필요합니다. appleid.apple.com(로그인 및 보안 > \
             앱 암호)에서 만든 뒤 SMTP인증 비밀번호로 입력하십시오. 복합기 설정: SMTP서버 \
             smtp.mail.me.com, 포트번호 587, STARTTLS, 사용자 이름은 iCloud 전체 주소.",
    },
    Override {
        target: Target::Family(ProviderFamily::Icloud),
        causes: &[Cause::TlsModeMismatch],
        en: "iCloud Mail uses port 587 with STARTTLS only; SSL on port 587 fails. Set \
             smtp.mail.me.com, port 587, STARTTLS.",
        ko: "iCloud 메일은 포트번호 587에 STARTTLS만 사용합니다. 587번 포트에 SSL을 쓰면 \
             실패합니다. smtp.mail.me.com, 포트번호 587, STARTTLS로 설정하십시오.",
    },
    Override {
        target: Target::Family(ProviderFamily::Zoho),
        causes: &[Cause::SenderNotAllowed],
        en: "Zoho sends only as the account address or a verified alias, and rejects other \
             senders after the message has been transferred (\"553 Relaying disallowed\"). Set \
             the device's sender address to the account, or add and verify the address as an \
             alias in Zoho Mail settings.",
        ko: "Zoho는 계정 주소나 인증된 별칭(alias) 주소로만 보낼 수 있으며, 다른 발신자는 메일 \
             전송 후에 거부합니다(\"553 Relaying disallowed\"). 복합기의 발신자 주소를 계정 \
             주소로 설정하거나, Zoho 메일 설정에서 그 주소를 별칭으로 추가해 인증하십시오.",
    },
];

impl Target {
    fn applies_to(self, provider: &Provider) -> bool {
        match self {
            Target::Ids(ids) => ids.contains(&provider.id),
            Target::Family(family) => provider.family == family,
        }
    }
}

/// The provider-specific fix for this cause, if the provider has one.
pub(crate) fn provider_fix(provider: &Provider, cause: Cause, lang: Lang) -> Option<&'static str> {
    OVERRIDES
        .iter()
        .find(|o| o.causes.contains(&cause) && o.target.applies_to(provider))
        .map(|o| match lang {
            Lang::En => o.en,
            Lang::Ko => o.ko,
        })
}
