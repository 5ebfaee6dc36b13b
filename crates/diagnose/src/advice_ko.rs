//! Generic advice in Korean, in the words a Korean MFP service engineer uses for the
//! device's 송신 > 이메일 설정 (SMTP서버, 포트번호, SSL허가, SMTP인증, 사용자 이름, 비밀번호).

use crate::Cause;
use crate::advice::Text;

const fn t(summary: &'static str, fix: &'static str) -> Text {
    Text { summary, fix }
}

/// The provider-independent advice, one entry per cause (Korean).
pub(crate) static GENERIC: [(Cause, Text); 35] = [
    (
        Cause::Ok,
        t(
            "서버가 명령을 정상적으로 받아들였습니다. 이 단계에는 문제가 없습니다.",
            "조치할 필요가 없습니다. 그래도 스캔 메일이 도착하지 않으면 연결확인의 다음 단계 \
             결과와 받는 사람의 스팸메일함을 확인하십시오.",
        ),
    ),
    (
        Cause::DnsNotFound,
        t(
            "SMTP서버 이름을 찾을 수 없습니다(DNS 조회 실패).",
            "복합기 이메일 설정의 SMTP서버 이름에 오타가 없는지 확인하십시오(예: gmail.com이 \
             아니라 smtp.gmail.com). 복합기 네트워크 설정에 DNS 서버 주소가 올바르게 들어가 \
             있는지도 확인하십시오.",
        ),
    ),
    (
        Cause::ConnectRefused,
        t(
            "서버가 이 포트로의 연결을 거부했습니다.",
            "SMTP 송신 포트번호를 확인하십시오. 메일 서비스 안내에 따라 587(STARTTLS) 또는 \
             465(SSL)를 사용합니다. 포트번호가 맞다면 방화벽이나 인터넷 회선 업체가 SMTP 송신을 \
             막고 있는 것입니다(특히 25번 포트).",
        ),
    ),
    (
        Cause::ConnectTimeout,
        t(
            "SMTP서버 연결 시간이 초과되었습니다.",
            "복합기가 인터넷에 연결되는지(기본 게이트웨이, DNS, 프록시)와 방화벽이 SMTP 포트로 \
             나가는 연결을 허용하는지 확인하십시오. 잠시 후 다시 시도해도 계속 실패하면 해당 \
             포트가 차단된 것입니다.",
        ),
    ),
    (
        Cause::ConnectNotSmtp,
        t(
            "이 포트의 서버는 SMTP서버가 아닙니다(POP3, IMAP, 웹 또는 SSH 서버처럼 응답합니다).",
            "포트번호가 잘못되었을 가능성이 큽니다. 메일 서비스의 송신용 SMTP 포트를 \
             사용하십시오: 587(STARTTLS) 또는 465(SSL)이며, 25번은 로그인 없는 릴레이에만 \
             씁니다. 흔히 혼동하는 포트: 110과 995는 POP3(메일 수신), 143과 993은 IMAP, 80과 \
             443은 웹(HTTP/HTTPS), 22는 SSH입니다. SMTP서버 이름도 송신 서버인지 \
             확인하십시오(예: pop.gmail.com이나 imap.gmail.com이 아니라 smtp.gmail.com).",
        ),
    ),
    (
        Cause::ConnectNotPop3,
        t(
            "이 포트의 서버는 POP3서버가 아닙니다(SMTP, IMAP, 웹 또는 SSH 서버처럼 응답합니다).",
            "포트번호가 잘못되었을 가능성이 큽니다. POP3는 995(SSL) 또는 110(STLS)입니다. \
             흔히 혼동하는 포트: 25, 465, 587은 SMTP(메일 송신), 143과 993은 IMAP, 80과 443은 \
             웹입니다. 서버 이름도 수신 서버인지 확인하십시오(예: smtp.gmail.com이 아니라 \
             pop.gmail.com).",
        ),
    ),
    (
        Cause::TlsModeMismatch,
        t(
            "포트번호와 암호화 방식이 맞지 않습니다(복합기와 서버의 SSL/STARTTLS 설정이 서로 \
             다릅니다).",
            "465번 포트는 SSL(접속 직후부터 암호화), 587번 포트는 STARTTLS(일반 접속 후 암호화로 \
             전환)입니다. 587번 포트에 SSL 방식을 쓰면 안 됩니다. 복합기 이메일 설정에서 \
             포트번호와 SSL허가/STARTTLS 설정을 짝이 맞게 지정하십시오.",
        ),
    ),
    (
        Cause::TlsHandshakeFailed,
        t(
            "서버와의 TLS(SSL) 연결 협상에 실패했습니다.",
            "포트번호와 암호화 방식이 맞는지(465 = SSL, 587 = STARTTLS) 확인하고, 복합기 \
             펌웨어를 TLS 1.2를 지원하는 버전으로 업데이트하십시오. 복합기의 날짜와 시각도 \
             확인하십시오. 업데이트가 불가능한 기종은 사내 scanrelay 게이트웨이로 보내도록 \
             설정하십시오. 구형 TLS 그대로 보내려면 게이트웨이 설정에 [listen] \
             tls_min_version = \"1.0\"을 넣고, 아니면 SSL허가/STARTTLS를 끄십시오(게이트웨이의 \
             allow_networks에 복합기의 네트워크를 등록). 게이트웨이는 메일 서비스에 TLS 1.2 \
             이상으로 송신합니다.",
        ),
    ),
    (
        Cause::TlsVersionRejected,
        t(
            "복합기가 사용한 TLS 버전을 서버가 거부했습니다(TLS 1.0/1.1은 더 이상 허용되지 \
             않습니다).",
            "복합기 펌웨어를 업데이트하고 보안(SSL/TLS) 설정에서 TLS 1.2를 사용하도록 \
             하십시오. TLS 1.0/1.1만 지원하는 구형 복합기는 사내 scanrelay 게이트웨이로 \
             보내도록 설정하면(게이트웨이 설정에 [listen] tls_min_version = \"1.0\"(또는 \
             \"1.1\")을 넣으면 장치 쪽에서 TLS 1.0/1.1을 받습니다) 게이트웨이가 TLS 1.2 \
             이상으로 대신 송신합니다.",
        ),
    ),
    (
        Cause::TlsCertificateUntrusted,
        t(
            "서버 인증서가 복합기에서 신뢰하는 인증기관에서 발급된 것이 아닙니다.",
            "복합기에서: SMTP서버에 IP 주소나 사내 프록시가 아닌 메일 서비스의 정식 호스트 \
             이름을 입력하고, 펌웨어 업데이트로 루트 인증서를 갱신하거나 발급 기관(CA) 인증서를 \
             복합기의 신뢰할 수 있는 인증서에 등록하십시오. 인증서 검증 끄기는 최후의 수단으로만 \
             사용하십시오. 서버 인증서가 사내(사설) 인증기관에서 발급된 경우: 그 CA 인증서를 \
             scanrelay check에는 --ca-file로, scanrelay 게이트웨이에는 [upstream] 항목의 \
             `ca_file`로 지정하십시오. 복합기에도 같은 CA 인증서를 등록해야 합니다.",
        ),
    ),
    (
        Cause::TlsHostnameMismatch,
        t(
            "서버 인증서의 이름이 설정한 SMTP서버 이름과 다릅니다.",
            "SMTP서버에 IP 주소나 별칭 대신 메일 서비스가 안내하는 이름을 그대로 \
             입력하십시오(예: smtp.office365.com).",
        ),
    ),
    (
        Cause::TlsCertificateExpired,
        t(
            "복합기 시계 기준으로 서버 인증서가 만료되었거나 아직 유효 기간이 시작되지 \
             않았습니다.",
            "복합기의 날짜, 시각, 시간대를 확인하고 NTP 시간 동기화를 설정하십시오. 시계가 \
             정확한데도 발생하면 서버 인증서가 실제로 만료된 것이므로 메일 서버 관리자에게 \
             문의하십시오.",
        ),
    ),
    (
        Cause::TlsStarttlsRequired,
        t(
            "서버가 로그인이나 송신 전에 암호화(STARTTLS)를 요구하는데 복합기가 암호화 없이 \
             접속했습니다.",
            "복합기 이메일 설정에서 SSL허가를 켜십시오. 포트번호 587에는 STARTTLS, 465에는 \
             SSL을 사용합니다.",
        ),
    ),
    (
        Cause::TlsStarttlsUnavailable,
        t(
            "서버가 이 포트에서 STARTTLS를 지원하지 않습니다.",
            "메일 서비스의 송신 포트를 사용하십시오(587 + STARTTLS 또는 465 + SSL). 사내 릴레이 \
             서버라면 관리자에게 TLS 사용을 요청하고, 신뢰할 수 있는 사내 릴레이에 한해서만 \
             복합기의 STARTTLS를 끄십시오.",
        ),
    ),
    (
        Cause::AuthNotOffered,
        t(
            "서버가 이 시점에 SMTP인증(AUTH)을 제공하지 않았습니다.",
            "대부분의 메일 서비스는 암호화한 뒤에만 SMTP인증을 제공합니다. SSL허가를 켜고 \
             587(STARTTLS) 또는 465(SSL)를 사용하십시오. 로그인을 쓰지 않는 사내 릴레이 \
             서버라면 복합기의 SMTP인증을 끄십시오.",
        ),
    ),
    (
        Cause::AuthMechanismUnsupported,
        t(
            "복합기가 선택한 로그인 방식(인증 방식)을 서버가 지원하지 않습니다.",
            "복합기의 SMTP인증 방식을 LOGIN 또는 PLAIN(또는 자동)으로 설정하십시오. 대부분의 \
             메일 서비스는 CRAM-MD5나 NTLM을 지원하지 않습니다.",
        ),
    ),
    (
        Cause::AuthRequired,
        t(
            "서버가 송신 전에 로그인(SMTP인증)을 요구하는데 복합기가 로그인하지 않았습니다.",
            "복합기 이메일 설정에서 SMTP인증을 켜고 사용자 이름(보통 전체 이메일 주소)과 \
             비밀번호를 입력한 뒤, 연결확인으로 로그인이 성공하는지 확인하십시오.",
        ),
    ),
    (
        Cause::AuthAppPasswordRequired,
        t(
            "이 계정은 앱 비밀번호가 필요합니다. 일반 계정 비밀번호로는 SMTP 로그인이 \
             거부됩니다.",
            "계정 보안 설정에서 2단계 인증을 켜고 앱 비밀번호를 만든 다음, 복합기의 SMTP인증 \
             비밀번호에 공백 없이 입력하십시오.",
        ),
    ),
    (
        Cause::AuthBadCredentials,
        t(
            "서버가 사용자 이름 또는 비밀번호를 거부했습니다.",
            "복합기의 SMTP인증 사용자 이름(보통 전체 이메일 주소)과 비밀번호를 다시 \
             입력하십시오. 많은 메일 서비스가 일반 비밀번호 대신 앱 비밀번호를 요구하므로, \
             확실하지 않으면 앱 비밀번호를 새로 만들어 입력하십시오.",
        ),
    ),
    (
        Cause::AuthSmtpAuthDisabled,
        t(
            "이 사서함 또는 조직에서 SMTP인증(송신용 로그인)이 꺼져 있습니다.",
            "메일 관리자에게 송신용 사서함의 SMTP인증(Authenticated SMTP) 사용을 요청하거나, \
             로그인이 필요 없는 릴레이를 통해 송신하십시오.",
        ),
    ),
    (
        Cause::AuthBasicAuthDisabled,
        t(
            "이 계정은 비밀번호 방식(기본 인증) 로그인이 차단되어 OAuth2 로그인만 허용됩니다.",
            concat!(
                "복합기가 OAuth2(XOAUTH2)를 지원하면 OAuth2로 로그인하도록 설정하십시오. OAuth2를 \
                 지원하지 않는 복합기는 사내 scanrelay 게이트웨이를 거쳐 보내면 게이트웨이가 대신 \
                 OAuth2로 로그인합니다(Microsoft, Google 계정). [[oauth]] 계정을 추가하고 \
                 [upstream]에 `auth = \"oauth2\"`와 `oauth = \"NAME\"`을 설정한 뒤 `scanrelay \
                 oauth login NAME` 명령",
                name_note_ko!(),
                "을 한 번 실행하십시오. 그렇지 않으면 비밀번호나 앱 비밀번호로 SMTP인증을 허용하는 \
                 다른 계정이나 릴레이 서비스로 송신하거나, 메일 관리자에게 로그인 없이 복합기를 \
                 허용하는 릴레이를 요청하십시오."
            ),
        ),
    ),
    (
        Cause::AuthOauthTokenRejected,
        t(
            "서버가 OAuth2 액세스 토큰을 거부했습니다.",
            concat!(
                "다시 로그인해서 새 토큰을 발급받으십시오. scanrelay 게이트웨이라면 `scanrelay \
                 oauth login NAME` 명령",
                name_note_ko!(),
                "을 실행합니다. 토큰이 메일 송신 권한으로 발급되었는지(Google: \
                 https://mail.google.com/, Microsoft: https://outlook.office.com/SMTP.Send), \
                 로그인한 사용자가 송신 사서함과 같은지 확인하십시오."
            ),
        ),
    ),
    (
        Cause::AuthTooManyAttempts,
        t(
            "짧은 시간에 로그인 시도가 너무 많아 서버가 일시적으로 로그인을 거부하고 있습니다.",
            "10~30분 정도 기다린 뒤 다시 시도하고, 실패하는 로그인을 반복하지 마십시오(먼저 \
             비밀번호를 바로잡으십시오). 같은 계정으로 동시에 로그인하는 복합기 수도 \
             줄이십시오.",
        ),
    ),
    (
        Cause::SenderNotAllowed,
        t(
            "로그인한 계정으로는 이 발신자(From) 주소를 사용할 수 없습니다.",
            "복합기의 발신자 이메일 주소를 SMTP인증 계정의 주소와 똑같이 설정하거나, 관리자에게 \
             그 계정이 해당 주소로 보낼 수 있는 권한을 요청하십시오.",
        ),
    ),
    (
        Cause::RelayDenied,
        t(
            "서버가 이 복합기나 발신자의 메일 중계(릴레이)를 거부했습니다.",
            "유효한 계정으로 SMTP인증을 켜거나, 서버 관리자에게 복합기 IP 주소의 릴레이 허용을 \
             요청하십시오. 발신자 주소의 도메인이 서버에서 허용하는 도메인인지도 \
             확인하십시오.",
        ),
    ),
    (
        Cause::RecipientRejected,
        t(
            "서버가 받는 사람 주소를 거부했습니다.",
            "복합기 주소록에 등록된 받는 사람 주소에 오타가 없는지, 실제로 있는 메일 주소인지 \
             확인하십시오. 본인 주소로 테스트 송신을 해 보십시오.",
        ),
    ),
    (
        Cause::MessageTooLarge,
        t(
            "스캔한 메일의 크기가 서버 허용 한도를 넘었습니다.",
            "해상도를 낮추거나 흑백/고압축으로 스캔하고, 복합기의 송신 최대 데이터 크기를 \
             설정해 큰 작업은 나누어 보내도록 하십시오. 이메일로 보낼 때는 인코딩 때문에 파일 \
             크기가 약 37% 커집니다.",
        ),
    ),
    (
        Cause::QuotaExceeded,
        t(
            "계정의 송신 한도(하루 메일 수 또는 받는 사람 수)를 넘었습니다.",
            "한도가 초기화될 때까지(최대 24시간) 기다리고 송신량을 줄이십시오. 여러 계정으로 \
             나누거나 메일 서비스의 기기용 릴레이 서비스를 이용하십시오.",
        ),
    ),
    (
        Cause::MailboxFull,
        t(
            "관련된 사서함이 가득 찼습니다(받는 사람의 사서함, 또는 보낸 메일이 저장되는 송신 \
             계정의 사서함).",
            "사서함을 정리하거나 용량을 늘리십시오. 송신 계정이라면 보낸 편지함과 지운 \
             편지함을 비우십시오.",
        ),
    ),
    (
        Cause::RateLimited,
        t(
            "메일이나 동시 접속이 너무 많아 서버가 이 계정/연결의 송신을 일시적으로 제한하고 \
             있습니다.",
            "몇 분 뒤 다시 시도하십시오. 한 번에 보내는 양을 줄이고 같은 계정을 여러 복합기에서 \
             동시에 쓰지 마십시오. scanrelay 게이트웨이를 거치면 자동으로 대기 후 \
             재전송합니다.",
        ),
    ),
    (
        Cause::ServerTemporary,
        t(
            "서버에 일시적인 문제가 있습니다.",
            "몇 분 뒤 다시 시도하십시오. 같은 오류가 계속 나지 않는 한 설정을 바꿀 필요는 \
             없습니다.",
        ),
    ),
    (
        Cause::SyntaxError,
        t(
            "복합기가 보낸 명령이나 주소를 서버가 이해하지 못했습니다.",
            "발신자와 받는 사람 주소에 표시 이름, 공백, 한글 등이 들어가 있지 않은지 확인하고 \
             (user@example.com 형태의 주소만 입력), 복합기 펌웨어를 업데이트하십시오. scanrelay \
             게이트웨이는 복합기에서 흔한 형식 차이(MAIL FROM: 뒤의 공백, 꺾쇠괄호 없는 주소)를 \
             받아들여 표준 형식으로 전달하므로, 게이트웨이를 거쳐 송신하면 해결될 수 있습니다.",
        ),
    ),
    (
        Cause::PolicyRejected,
        t(
            "보안 또는 내용 정책 때문에 서버가 메일을 거부했습니다.",
            "서버 응답 문구에서 원인(스팸 필터, 차단된 첨부 형식, 발신자 평판 등)을 \
             확인하십시오. 작은 PDF로 테스트 송신을 해 보고, 그래도 거부되면 메일 관리자에게 \
             정책 확인을 요청하십시오. 응답에 클라이언트 호스트(Client host), 차단 목록(\"blocked \
             using\"), 역방향 호스트 이름(reverse hostname), HELO 이름이 나오면 서버가 복합기의 \
             네트워크 주소나 호스트 이름을 거부한 것이므로, 25번 포트로 직접 보내지 말고 메일 \
             서비스의 송신 서버에 SMTP인증으로(포트번호 587) 보내거나 복합기에 정식 도메인 \
             호스트 이름(FQDN)을 설정하십시오. 받는 사람이 너무 많다는 응답(too many \
             recipients)이면 메일 1통의 받는 사람 수를 줄여 여러 작업으로 나누어 보내십시오.",
        ),
    ),
    (
        Cause::PopMailboxInUse,
        t(
            "다른 세션이 POP3 메일함을 사용 중입니다(다른 프로그램이나 장치가 메일을 가져가는 \
             중입니다).",
            "다른 세션이 끝날 때까지 기다렸다가 다시 시도하십시오. 계속 발생하면 이 메일함을 \
             가져가는 다른 프로그램이나 장치(메일 앱, 휴대전화, 다른 scanrelay fetch)를 찾아 \
             멈추거나 가져오는 간격을 늘리십시오.",
        ),
    ),
    (
        Cause::Unknown,
        t(
            "알려진 문제 유형과 일치하지 않는 응답입니다.",
            "서버 응답 전문을 확인하고 복합기의 연결확인을 다시 실행한 뒤, SMTP서버, 포트번호, \
             SSL허가/STARTTLS, SMTP인증, 사용자 이름과 비밀번호를 메일 서비스 안내와 \
             비교하십시오.",
        ),
    ),
];

/// Fixes that replace the generic one when the connection was already encrypted (implicit
/// TLS or a completed STARTTLS), so "turn on SSL/STARTTLS" would be wrong (Korean).
pub(crate) static ENCRYPTED: [(Cause, &str); 1] = [(
    Cause::AuthNotOffered,
    "이미 암호화된 연결인데도 서버가 SMTP인증(AUTH)을 제공하지 않으므로, 이 포트는 로그인을 \
     받지 않는 포트(릴레이나 메일 수신용, 흔히 25번)입니다. 로그인해서 보내려면 메일 서비스의 \
     송신 포트인 587(STARTTLS) 또는 465(SSL)를 사용하십시오. IP 주소로 복합기를 허용하는 사내 \
     릴레이 서버라면 복합기의 SMTP인증을 끄십시오.",
)];
