//! Advice in Korean for OAuth2 sign-in (token endpoint) and Microsoft Graph failures, and
//! for an OAuth2 token refused by an SMTP server, with the product screens named as the
//! Korean Microsoft Entra / Google consoles show them. `NAME` stands for the `[[oauth]]`
//! account; [`crate::Advice::with_account`] puts the real name in.

use crate::Cause;
use crate::advice::Text;

const fn t(summary: &'static str, fix: &'static str) -> Text {
    Text { summary, fix }
}

/// The OAuth2 and Graph advice, one entry per cause (Korean).
pub(crate) static OAUTH: [(Cause, Text); 23] = [
    (
        Cause::AuthOauthWrongAudienceOrPermission,
        t(
            "SMTP서버가 OAuth2 토큰을 거부했습니다. 다른 서비스용으로 발급된 토큰이거나, 앱에 이 \
             사서함의 SMTP 송신 권한이 없습니다.",
            concat!(
                "Microsoft 365는 토큰이 Exchange SMTP용이 아닐 때(예: Microsoft Graph용 토큰), \
                 앱에 SMTP 권한이 없을 때, XOAUTH2의 사용자가 사서함 주소가 아닐 때 535 5.7.3으로 \
                 응답합니다. 사용자 로그인 방식이라면 Microsoft Entra 관리 센터 > 앱 등록 > 해당 \
                 앱 > API 사용 권한 > 권한 추가 > Microsoft Graph > 위임된 권한에서 SMTP.Send를 \
                 추가하고, 범위(scope)는 https://outlook.office.com/SMTP.Send를 사용한 뒤([[oauth]] \
                 계정에서 `scopes`를 지정하지 않으면 기본값이 쓰입니다) `scanrelay oauth login \
                 NAME` 명령을 실행하십시오",
                name_note_ko!(),
                ". 앱 전용(클라이언트 자격 증명) 방식이라면 권한 추가 > 내 조직에서 사용하는 API > \
                 Office 365 Exchange Online > 애플리케이션 권한에서 SMTP.SendAsApp를 추가하고 \
                 관리자 동의를 허용한 뒤, 범위는 https://outlook.office365.com/.default를 \
                 사용하고, Exchange Online PowerShell에서 앱을 등록해 사서함 권한을 주십시오: \
                 `New-ServicePrincipal -AppId <client id> -ObjectId <엔터프라이즈 애플리케이션의 \
                 개체 ID>` 다음 `Add-MailboxPermission -Identity <mailbox> -User <service \
                 principal id> -AccessRights FullAccess`. 어느 방식이든 [upstream]의 `username`은 \
                 사서함 주소여야 하고, 그 사서함의 SMTP인증이 켜져 있어야 합니다."
            ),
        ),
    ),
    (
        Cause::OauthNeedsLogin,
        t(
            "이 계정의 OAuth2 로그인이 만료되었거나 취소되었습니다. 갱신 토큰(refresh token)을 더 \
             이상 쓸 수 없으므로 다시 로그인해야 합니다.",
            concat!(
                "게이트웨이가 설치된 서버에서 `scanrelay oauth login NAME` 명령을 실행하고 송신 \
                 사서함 계정으로 로그인하십시오",
                name_note_ko!(),
                ". 이 계정을 쓰는 게이트웨이는 그동안 메일을 보관하며(이 때문에 반송하지 \
                 않습니다), 새 로그인이 저장되면 스스로 전송합니다. 발생 원인: Microsoft는 90일 \
                 동안 쓰지 않은 로그인(AADSTS700082), 비밀번호 변경이나 재설정 후(AADSTS50173), \
                 관리자가 사용자의 세션을 취소했을 때 로그인을 끝냅니다. Google은 사용자가 앱의 \
                 액세스 권한을 삭제했을 때, 비밀번호를 바꿨을 때, 6개월 동안 쓰지 않았을 때, 그리고 \
                 앱의 게시 상태가 '테스트'이면 단 7일 만에 로그인을 끝냅니다. Google이라면 Google \
                 Cloud 콘솔 > Google 인증 플랫폼 > 대상에서 [앱 게시]를 누른(Workspace \
                 도메인이라면 앱을 '내부'로 설정한) 뒤 다시 로그인하십시오. 그러면 로그인이 매주 \
                 만료되지 않습니다."
            ),
        ),
    ),
    (
        Cause::OauthInteractionRequired,
        t(
            "로그인에 사용자의 직접 확인(다단계 인증(MFA) 또는 조건부 액세스 검사)이 필요해서 \
             백그라운드에서 갱신할 수 없습니다.",
            concat!(
                "`scanrelay oauth login NAME` 명령을 실행하고",
                name_note_ko!(),
                " 브라우저에서 MFA 확인(AADSTS50076)이나 MFA 등록(AADSTS50079)까지 로그인을 \
                 끝내십시오. 몇 시간이나 며칠마다 다시 발생하면 조건부 액세스 정책의 로그인 빈도 \
                 설정이 로그인을 끝내는 것이므로, Microsoft Entra 관리자에게 송신 사서함이나 앱을 \
                 그 정책에서 제외해 달라고 요청하거나(Microsoft Entra 관리 센터 > 보호 > 조건부 \
                 액세스), 사용자 로그인이 없는 앱 전용 송신(`flow = \"client_credentials\"`와 \
                 클라이언트 암호)을 사용하십시오."
            ),
        ),
    ),
    (
        Cause::OauthConsentRequired,
        t(
            "앱이 요청하는 권한에 아무도 동의하지 않았습니다. 사용자나 관리자가 먼저 권한을 \
             허용해야 합니다.",
            concat!(
                "Microsoft: 관리자가 Microsoft Entra 관리 센터 > 앱 등록 > 해당 앱 > API 사용 \
                 권한에서 필요한 권한이 있는지 확인하고(사용자 로그인으로 SMTP 송신: SMTP.Send, \
                 앱 전용 송신: 내 조직에서 사용하는 API > Office 365 Exchange Online의 \
                 SMTP.SendAsApp 또는 Microsoft Graph의 Mail.Send) [<조직>에 대한 관리자 동의 \
                 허용]을 누르십시오(AADSTS65001, AADSTS90094). AADSTS500011(리소스 주체를 찾을 수 \
                 없음)은 조직에 Exchange Online이 없거나 계정이 다른 조직을 가리킨다는 뜻이므로, \
                 `tenant`를 사서함이 속한 조직의 디렉터리(테넌트) ID나 도메인으로 설정하십시오. \
                 Google: Workspace 도메인에서는 관리자가 관리 콘솔(보안 > 액세스 및 데이터 관리 > \
                 API 제어 > 타사 앱 액세스 관리)에서 앱을 허용해야 합니다. 그다음 `scanrelay oauth \
                 login NAME` 명령",
                name_note_ko!(),
                "을 실행하십시오. 앱 전용 계정은 로그인이 필요 없습니다."
            ),
        ),
    ),
    (
        Cause::OauthAccessDenied,
        t(
            "로그인이 거부되었습니다. 사용자가 [취소]나 [거부]를 눌렀거나, 정책이 이 사용자나 \
             앱을 막고 있습니다.",
            concat!(
                "`scanrelay oauth login NAME` 명령을 다시 실행하고",
                name_note_ko!(),
                " 앱이 요청하는 권한을 수락하십시오. Google: 앱의 게시 상태가 '테스트'인 동안에는 \
                 테스트 사용자만 로그인할 수 있으므로, Google Cloud 콘솔 > Google 인증 플랫폼 > \
                 대상 > 테스트 사용자에 사서함 계정을 추가하거나 앱을 게시하십시오. Microsoft: \
                 AADSTS53003은 조건부 액세스 정책이 로그인을 막았다는 뜻이고, AADSTS50057과 \
                 AADSTS50053은 계정이 사용 중지되었거나 잠겼다는 뜻입니다. Microsoft Entra \
                 관리자가 로그인을 허용해야 합니다(Microsoft Entra 관리 센터에서 해당 사용자의 \
                 로그인 로그를 보면 정책 이름이 나옵니다)."
            ),
        ),
    ),
    (
        Cause::OauthClientSecretWrong,
        t(
            "로그인 서버가 앱의 클라이언트 암호(client secret)를 거부했습니다.",
            "클라이언트 암호 파일에는 암호의 '비밀 ID'가 아니라 '값'이 들어 있어야 \
             합니다(AADSTS7000215). Microsoft Entra 관리 센터 > 앱 등록 > 해당 앱 > 인증서 및 \
             비밀에서 '값'은 [새 클라이언트 암호]를 만든 직후 한 번만 표시됩니다. 그때 복사하지 \
             않았다면 새 암호를 만들어 그 '값'만 [[oauth]] 계정의 `client_secret_file`이 가리키는 \
             파일에 넣고, 게이트웨이를 다시 시작한 뒤 이전 암호를 삭제하십시오. Google: 설정한 \
             클라이언트 ID와 같은 OAuth 클라이언트의 클라이언트 보안 비밀번호를 사용하거나(Google \
             Cloud 콘솔 > Google 인증 플랫폼 > 클라이언트) 그곳에서 새로 추가하십시오.",
        ),
    ),
    (
        Cause::OauthClientSecretExpired,
        t(
            "앱의 클라이언트 암호(client secret)가 만료되었습니다.",
            "Microsoft Entra 관리 센터 > 앱 등록 > 해당 앱 > 인증서 및 비밀 > [새 클라이언트 \
             암호]에서 새 암호를 만들고, '비밀 ID'가 아닌 '값'을 [[oauth]] 계정의 \
             `client_secret_file`이 가리키는 파일에 넣은 뒤 게이트웨이를 다시 시작하고 만료된 \
             암호를 삭제하십시오(AADSTS7000222). 클라이언트 암호는 최대 24개월까지만 유효하므로 \
             새 만료일을 기록해 두고 그 전에 갱신하십시오.",
        ),
    ),
    (
        Cause::OauthFlowNotAllowed,
        t(
            "앱 등록이 이 계정의 로그인 방식(flow)을 허용하지 않거나, 그 방식에 필요한 클라이언트 \
             암호가 없습니다(또는 암호를 보내면 안 되는 앱입니다).",
            concat!(
                "[[oauth]] 계정의 `flow`와 앱 설정을 맞추십시오. Microsoft 장치 코드 방식(`flow = \
                 \"device_code\"`)은 Microsoft Entra 관리 센터 > 앱 등록 > 해당 앱 > 인증에서 \
                 '퍼블릭 클라이언트 흐름 허용'이 '예'여야 하고 클라이언트 암호는 쓰지 않습니다. \
                 AADSTS7000218(요청에 클라이언트 암호가 필요함)은 이 설정이 꺼져 있다는 뜻이고, \
                 AADSTS700025는 퍼블릭 클라이언트에 암호를 보냈다는 뜻입니다(`client_secret_file`을 \
                 지우십시오). 앱 전용 송신(`flow = \"client_credentials\"`)에는 \
                 `client_secret_file`에 클라이언트 암호가 필요합니다. Google: `flow = \
                 \"auth_code\"`에는 유형이 '데스크톱 앱'인 OAuth 클라이언트와, \
                 `client_secret_file`에 그 클라이언트 보안 비밀번호가 필요합니다(PKCE를 써도 \
                 Google은 요구합니다). 그다음 `scanrelay oauth login NAME` 명령을 실행하십시오",
                name_note_ko!(),
                "."
            ),
        ),
    ),
    (
        Cause::OauthAppNotFound,
        t(
            "로그인 서버가 이 디렉터리에서 앱의 클라이언트 ID를 찾지 못했습니다.",
            "[[oauth]] 계정의 `client_id`를 확인하십시오. Microsoft Entra 관리 센터 > 앱 등록 > \
             해당 앱 > 개요의 '애플리케이션(클라이언트) ID'여야 하며(개체 ID나 비밀 ID가 아님), \
             Google이라면 Google Cloud 콘솔 > Google 인증 플랫폼 > 클라이언트의 클라이언트 \
             ID입니다. Microsoft의 AADSTS700016은 `tenant`가 앱이 등록된 조직이 아닌 다른 조직을 \
             가리킬 때, 또는 단일 조직용 앱을 `tenant = \"organizations\"`나 `tenant = \
             \"common\"`으로 쓸 때도 나옵니다. `tenant`를 앱의 디렉터리(테넌트) ID로 설정하거나, \
             앱이 모든 조직의 계정을 받도록 바꾸십시오(인증 > 지원되는 계정 유형).",
        ),
    ),
    (
        Cause::OauthWrongTenant,
        t(
            "계정 설정의 테넌트가 잘못되었습니다. 없는 테넌트이거나, 사용자나 앱이 그 테넌트에 \
             속하지 않습니다.",
            concat!(
                "[[oauth]] 계정의 `tenant`를 Microsoft Entra 관리 센터 > 개요에 표시되는 \
                 디렉터리(테넌트) ID나 조직의 도메인(contoso.onmicrosoft.com 또는 확인된 \
                 도메인)으로 설정하십시오. AADSTS90002는 이 클라우드에 그 테넌트가 없다는 뜻이고\
                 (국가별 클라우드라면 `authority`를 설정), AADSTS50020은 로그인한 사용자가 그 \
                 테넌트에 없다는 뜻이며, AADSTS50194는 앱이 자기 조직만 받으므로 \"common\"이나 \
                 \"organizations\" 대신 그 테넌트 ID를 써야 한다는 뜻입니다. 개인 Outlook.com \
                 계정은 `tenant = \"consumers\"`와 개인 Microsoft 계정을 받는 앱이 필요합니다. \
                 그다음 `scanrelay oauth login NAME` 명령을 실행하십시오",
                name_note_ko!(),
                "."
            ),
        ),
    ),
    (
        Cause::OauthScopeInvalid,
        t(
            "계정이 요청하는 범위(scope)가 이 앱, 메일 서비스 또는 로그인 방식에 맞지 않습니다.",
            concat!(
                "[[oauth]] 계정에서 `scopes`를 빼면 메일 서비스, 로그인 방식, 용도에 맞는 기본값이 \
                 쓰입니다. 직접 지정한다면: Microsoft SMTP 사용자 로그인은 \
                 https://outlook.office.com/SMTP.Send(갱신 토큰을 받으려면 \"offline_access\"도), \
                 앱 전용은 .default 범위 하나(SMTP는 https://outlook.office365.com/.default, \
                 Graph는 https://graph.microsoft.com/.default, AADSTS1002012)가 필요합니다. \
                 AADSTS70011은 잘못된 범위를, AADSTS900144는 빠진 항목을 알려 줍니다. Google SMTP는 \
                 https://mail.google.com/이 필요한데 Google의 장치 코드 방식은 이 범위를 거부하므로 \
                 '데스크톱 앱' 클라이언트로 `flow = \"auth_code\"`를 사용하십시오. 그다음 \
                 `scanrelay oauth login NAME` 명령을 실행하십시오",
                name_note_ko!(),
                "."
            ),
        ),
    ),
    (
        Cause::OauthRedirectUriMismatch,
        t(
            "브라우저 로그인이 돌아오는 주소(리디렉션 URI)가 앱에 등록되어 있지 않습니다.",
            concat!(
                "`scanrelay oauth login NAME`",
                name_note_ko!(),
                " 명령은 브라우저의 응답을 루프백 주소(실행할 때 정해지는 포트의 \
                 http://127.0.0.1)로 받습니다. Google: 모든 포트의 루프백 주소를 받는 '데스크톱 \
                 앱' 유형의 OAuth 클라이언트를 사용하십시오. '웹 애플리케이션' 클라이언트는 등록된 \
                 주소만 받습니다. Microsoft: Microsoft Entra 관리 센터 > 앱 등록 > 해당 앱 > \
                 인증에서 '모바일 및 데스크톱 애플리케이션' 플랫폼을 추가하고 AADSTS50011 오류에 \
                 나온 리디렉션 URI를 등록하거나, 리디렉션 URI가 필요 없는 장치 코드 방식(`flow = \
                 \"device_code\"`)을 사용하십시오."
            ),
        ),
    ),
    (
        Cause::OauthDeviceCodeExpired,
        t(
            "장치 코드 로그인을 제한 시간 안에 끝내지 않았거나, 입력한 코드가 틀렸습니다.",
            concat!(
                "`scanrelay oauth login NAME` 명령을 다시 실행하고",
                name_note_ko!(),
                " 화면에 나온 주소를 아무 브라우저에서 열어, 새 코드가 만료되기 전에(보통 15분) \
                 표시된 그대로 입력하십시오. 이전에 받은 코드는 더 이상 쓸 수 없습니다."
            ),
        ),
    ),
    (
        Cause::OauthTemporarilyUnavailable,
        t(
            "로그인 서버에 일시적인 문제가 있습니다.",
            "설정을 바꿀 필요는 없습니다. 몇 분 뒤 다시 시도하십시오. 게이트웨이는 메일을 \
             대기열에 보관하고 토큰을 스스로 다시 요청합니다. 계속되면 게이트웨이 서버가 프록시와 \
             방화벽을 거쳐 로그인 서버(login.microsoftonline.com, oauth2.googleapis.com)에 \
             접속할 수 있는지 확인하십시오.",
        ),
    ),
    (
        Cause::OauthRequestRejected,
        t(
            "로그인 서버가 여기에 정리되지 않은 이유로 요청을 거부했습니다.",
            concat!(
                "오류와 설명을 읽어 보십시오. Microsoft의 AADSTS 번호가 원인을 알려 \
                 줍니다(https://login.microsoftonline.com/error?code=NUMBER 에서 조회). [[oauth]] \
                 계정의 `provider`, `tenant`, `client_id`, `flow`를 앱 등록 정보와 비교한 뒤 \
                 `scanrelay oauth login NAME` 명령을 실행하십시오",
                name_note_ko!(),
                "."
            ),
        ),
    ),
    (
        Cause::GraphTokenInvalid,
        t(
            "Microsoft Graph가 액세스 토큰을 거부했습니다. 토큰이 만료되었거나 다른 서비스용으로 \
             발급되었습니다.",
            concat!(
                "만료된 토큰은 자동으로 갱신됩니다. 그래도 Graph가 계속 거부하면 Graph용 토큰이 \
                 아닌 것입니다. Graph [upstream](`kind = \"graph\"`)의 `oauth`가 가리키는 \
                 [[oauth]] 계정은 https://graph.microsoft.com용 토큰을 받아야 합니다. `scopes`를 \
                 빼서 기본값(앱 전용: https://graph.microsoft.com/.default)을 쓰고, 토큰이 \
                 https://outlook.office.com용인 SMTP upstream과 같은 계정을 함께 쓰지 마십시오. \
                 사용자 로그인 계정의 범위를 바꿨다면 `scanrelay oauth login NAME` 명령을 \
                 실행하십시오",
                name_note_ko!(),
                ". 게이트웨이 서버의 시계도 확인하십시오."
            ),
        ),
    ),
    (
        Cause::GraphNoPermissionsInToken,
        t(
            "액세스 토큰에 Microsoft Graph 메일 권한(Mail.Send)이 없습니다.",
            concat!(
                "Microsoft Entra 관리 센터 > 앱 등록 > 해당 앱 > API 사용 권한 > 권한 추가 > \
                 Microsoft Graph에서 Mail.Send를 추가하고(앱 전용 송신은 애플리케이션 권한, 사용자 \
                 로그인은 위임된 권한), [<조직>에 대한 관리자 동의 허용]을 누른 뒤 상태가 \
                 허용됨으로 바뀔 때까지 기다리십시오. 앱 전용 토큰은 다음 토큰부터(한 시간 안에, \
                 또는 게이트웨이를 다시 시작하면 바로) 권한을 갖습니다. 사용자 로그인이라면 \
                 `scanrelay oauth login NAME` 명령을 실행하십시오",
                name_note_ko!(),
                ". 애플리케이션 권한의 Mail.Send는 조직의 모든 사서함에 미치므로, Exchange Online \
                 PowerShell에서 애플리케이션 액세스 정책(`New-ApplicationAccessPolicy`)이나 \
                 애플리케이션용 RBAC로 스캐너 사서함에만 쓰도록 제한하십시오."
            ),
        ),
    ),
    (
        Cause::GraphAccessDenied,
        t(
            "Microsoft Graph가 사서함 접근을 거부했습니다. 앱에 Mail.Send 권한이 없거나, Exchange \
             정책이 이 사서함에서 앱을 막고 있습니다.",
            "Microsoft Entra 관리 센터 > 앱 등록 > 해당 앱 > API 사용 권한에 Microsoft Graph \
             Mail.Send가 있고 관리자 동의가 허용되어 있는지 확인하십시오(앱 전용 송신은 \
             애플리케이션 권한, 사용자 로그인은 위임된 권한이며, 사용자 로그인은 자기 사서함에서만 \
             보낼 수 있습니다). 메시지에 \"[RAOP] Blocked by tenant configured AppOnly \
             AccessPolicy\"가 있으면 애플리케이션 액세스 정책이 앱을 일부 사서함으로 제한하고 있고 \
             이 사서함은 거기에 없는 것이므로, 사서함(Graph [upstream]의 `mailbox`)을 정책의 메일 \
             사용 보안 그룹에 추가하십시오(Exchange Online PowerShell의 \
             `Get-ApplicationAccessPolicy`, `Test-ApplicationAccessPolicy -Identity <mailbox> \
             -AppId <client id>`). 애플리케이션용 RBAC를 쓴다면 앱 역할 할당의 관리 범위에 \
             사서함이 들어 있어야 합니다(`Test-ServicePrincipalAuthorization -Identity <client \
             id> -Resource <mailbox>`). 이런 변경은 적용되기까지 30분에서 2시간이 걸립니다.",
        ),
    ),
    (
        Cause::GraphDraftsNotAllowed,
        t(
            "메일이 Graph sendMail 요청 한 번으로 보내기에는 너무 크고, 큰 메일에 필요한 임시 \
             보관 메일(초안)을 앱이 만들 수 없습니다(Mail.Send만 있고 Mail.ReadWrite가 없음).",
            "약 3MB보다 작은 메일은 계속 전송되고, 더 큰 메일은 이 원인으로 대기열에 남습니다. \
             앱이 다른 사서함을 읽지 못하도록 스캐너 사서함에만 Mail.ReadWrite를 주십시오. 방법은 \
             두 가지입니다(Exchange Online PowerShell): 1) Microsoft Entra 관리 센터(앱 등록 > 해당 \
             앱 > API 사용 권한 > 권한 추가)에서 Microsoft Graph Mail.ReadWrite를 애플리케이션 \
             권한으로 추가해 관리자 동의를 허용하고, 애플리케이션 액세스 정책으로 앱을 \
             제한합니다: `New-ApplicationAccessPolicy -AppId <client id> -PolicyScopeGroupId <사서함이 \
             든 메일 사용 보안 그룹> -AccessRight RestrictAccess -Description scanner`. 2) 또는 \
             Entra 권한 없이(그 권한은 모든 사서함에 적용됨) 애플리케이션용 RBAC로만 부여합니다: \
             `New-ServicePrincipal -AppId <client id> -ObjectId <엔터프라이즈 애플리케이션의 개체 \
             ID>`, `New-ManagementScope -Name scanner -RecipientRestrictionFilter \
             \"PrimarySmtpAddress -eq '<mailbox>'\"`, `New-ManagementRoleAssignment -App <client \
             id> -Role \"Application Mail.ReadWrite\" -CustomResourceScope scanner`. 또는 \
             스캔을 약 3MB 이하로 줄이십시오(해상도 낮추기, 흑백).",
        ),
    ),
    (
        Cause::GraphMailboxUnavailable,
        t(
            "Microsoft Graph가 송신 사서함을 쓸 수 없습니다. 사서함이 없거나, Exchange Online \
             라이선스가 없거나, 비활성 또는 일시 삭제 상태이거나, 온-프레미스에 있습니다.",
            "Graph [upstream]의 `mailbox`를 확인하십시오. Exchange Online이 포함된 라이선스가 있는 \
             사용자 사서함 또는 공유 사서함의 주소(또는 사용자 계정 이름)여야 하며, 메일 그룹이나 \
             배포 목록은 사서함이 아닙니다. 새로 만들었거나 라이선스를 막 할당한 사서함은 준비에 \
             시간이 걸리니 기다린 뒤 다시 시도하십시오. 온-프레미스 Exchange 서버의 사서함은 \
             Graph로 쓸 수 없으므로 SMTP로 송신하십시오.",
        ),
    ),
    (
        Cause::GraphSendAsDenied,
        t(
            "메일의 발신자(From) 주소가 송신 사서함이 아니고, 사서함에 그 주소로 보낼 권한이 \
             없습니다.",
            "Graph [upstream]에 `from_policy = \"rewrite\"`를 설정해 게이트웨이가 자기 사서함 \
             주소로 보내도록 하거나(복합기의 From은 Reply-To로 옮겨집니다), 사서함에 그 주소로 \
             보낼 권한을 주십시오: Exchange 관리 센터 > 받는 사람 > 사서함 > 다른 사서함 > 위임 > \
             '다른 사람으로 보내기(Send as)', 또는 Exchange Online PowerShell에서 \
             `Add-RecipientPermission -Identity <From address> -Trustee <mailbox> -AccessRights \
             SendAs`.",
        ),
    ),
    (
        Cause::GraphThrottled,
        t(
            "Microsoft Graph가 이 앱이나 사서함의 요청을 일시적으로 제한하고 있습니다(429 Too Many \
             Requests).",
            "설정을 바꿀 필요는 없습니다. Graph의 Retry-After가 알려 주는 시간만큼 기다렸다가 다시 \
             보내면 되며, 게이트웨이가 스스로 그렇게 하고 메일을 잃지 않습니다. 자주 발생하면 같은 \
             사서함으로 한꺼번에 보내는 메일 수를 줄이십시오. Exchange는 앱당 사서함별로 동시 요청 \
             4개(MailboxConcurrency), 10분에 요청 10,000개까지 허용합니다.",
        ),
    ),
    (
        Cause::GraphRequestTooLarge,
        t(
            "Microsoft Graph 요청 하나가 약 4MB 한도를 넘었습니다(413 Request Entity Too Large).",
            "Graph는 약 4MB가 넘는 요청 본문을 거부하므로, 약 3MB보다 큰 스캔은 sendMail 요청 한 \
             번으로 보낼 수 없고 그렇게 보내는 도구는 큰 스캔에서 실패합니다. scanrelay \
             게이트웨이의 Graph upstream(`kind = \"graph\"`)은 큰 메일을 초안으로 만들고 첨부파일을 \
             나누어 올리는데, 여기에는 Mail.ReadWrite가 필요합니다. Mail.Send만 있다면 스캔을 약 \
             3MB 이하로 유지하십시오(해상도 낮추기, 흑백).",
        ),
    ),
];
