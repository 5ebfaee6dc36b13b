//! Advice for a POP3 session (`scanrelay check --pop`, `scanrelay fetch`): the causes are the
//! same codes as for SMTP, but the generic texts speak of the SMTP server, ports 465/587 and
//! the device's E-mail settings; these say POP3, 995/110 and the fetch flags. Causes without a
//! POP3 text here get the generic advice.

use crate::advice::{Advice, Text, generic_advice};
use crate::{Cause, Lang};

const fn t(summary: &'static str, fix: &'static str) -> Text {
    Text { summary, fix }
}

/// POP3 texts in English.
static POP3_EN: [(Cause, Text); 11] = [
    (
        Cause::DnsNotFound,
        t(
            "The POP3 server name could not be found (DNS lookup failed).",
            "Check the spelling of --server (for example pop.gmail.com, pop.naver.com or \
             outlook.office365.com) and that this machine has a working DNS server.",
        ),
    ),
    (
        Cause::ConnectRefused,
        t(
            "The server refused the connection on this port.",
            "Check the POP3 port: 995 with --tls implicit (SSL) or 110 with --tls starttls, as \
             the provider documents. Some providers need POP3 turned on in the mailbox's web \
             settings first (Gmail, Naver).",
        ),
    ),
    (
        Cause::ConnectTimeout,
        t(
            "The connection to the POP3 server timed out.",
            "Check that this machine can reach the server and that the firewall allows \
             outgoing connections to the POP3 port (995 or 110). Try again later; if it keeps \
             failing, the port is blocked.",
        ),
    ),
    (
        Cause::TlsModeMismatch,
        t(
            "The encryption setting does not match the port: SSL (implicit TLS) against a STLS \
             port, or the other way round.",
            "Port 995 means SSL (--tls implicit, encrypted from the first byte); port 110 means \
             STLS (--tls starttls, a plain connection that switches to TLS). Give --port and \
             --tls as a matching pair.",
        ),
    ),
    (
        Cause::TlsHandshakeFailed,
        t(
            "The TLS (SSL) handshake with the server failed.",
            "Check that port and encryption match (995 = --tls implicit, 110 = --tls \
             starttls) and that the server supports TLS 1.2 or newer.",
        ),
    ),
    (
        Cause::TlsCertificateUntrusted,
        t(
            "The server's certificate is not issued by an authority this machine trusts.",
            "Use the provider's real POP3 host name as --server (not an IP address or a local \
             proxy). If the certificate comes from a private (company) CA, give that CA \
             certificate with --ca-file.",
        ),
    ),
    (
        Cause::TlsHostnameMismatch,
        t(
            "The server's certificate is for a different name than the configured POP3 server.",
            "Give --server exactly as the provider documents it (for example pop.gmail.com), \
             not as an IP address or an alias.",
        ),
    ),
    (
        Cause::TlsStarttlsRequired,
        t(
            "The server requires encryption before login, but the connection was plain text.",
            "Use --tls implicit with port 995, or --tls starttls with port 110.",
        ),
    ),
    (
        Cause::TlsStarttlsUnavailable,
        t(
            "The server does not offer STLS (STARTTLS for POP3) on this port.",
            "Use port 995 with --tls implicit. Use --tls none only for a trusted server on the \
             LAN.",
        ),
    ),
    (
        Cause::AuthMechanismUnsupported,
        t(
            "The server does not offer the login method needed (AUTH XOAUTH2 for --oauth).",
            "Log in with a password (--password-env or --password-file) instead, or use a \
             server that offers OAuth2 for POP3 (Gmail, Microsoft 365).",
        ),
    ),
    (
        Cause::AuthBadCredentials,
        t(
            "The server rejected the user name or password.",
            "Check --user (usually the full e-mail address) and the password. Many providers \
             want an app password for POP3 and need POP3 turned on in the mailbox's web \
             settings first (Gmail, Naver, Daum).",
        ),
    ),
];

/// POP3 texts in Korean.
static POP3_KO: [(Cause, Text); 11] = [
    (
        Cause::DnsNotFound,
        t(
            "POP3서버 이름을 찾을 수 없습니다(DNS 조회 실패).",
            "--server의 철자(예: pop.gmail.com, pop.naver.com, outlook.office365.com)와 이 \
             컴퓨터의 DNS 서버 설정을 확인하십시오.",
        ),
    ),
    (
        Cause::ConnectRefused,
        t(
            "서버가 이 포트로의 연결을 거부했습니다.",
            "POP3 포트를 확인하십시오: 995는 --tls implicit(SSL), 110은 --tls starttls입니다. \
             일부 메일 서비스(Gmail, 네이버)는 웹 메일 설정에서 POP3를 먼저 켜야 합니다.",
        ),
    ),
    (
        Cause::ConnectTimeout,
        t(
            "POP3서버 연결 시간이 초과되었습니다.",
            "이 컴퓨터가 서버에 접속할 수 있는지, 방화벽이 POP3 포트(995 또는 110)로 나가는 \
             연결을 허용하는지 확인하십시오. 나중에 다시 시도하고, 계속 실패하면 포트가 막힌 \
             것입니다.",
        ),
    ),
    (
        Cause::TlsModeMismatch,
        t(
            "포트번호와 암호화 방식이 맞지 않습니다(STLS 포트에 SSL로 접속했거나 그 반대입니다).",
            "995번은 SSL(--tls implicit, 처음부터 암호화), 110번은 STLS(--tls starttls, 평문으로 \
             접속한 뒤 TLS로 전환)입니다. --port와 --tls를 짝이 맞게 지정하십시오.",
        ),
    ),
    (
        Cause::TlsHandshakeFailed,
        t(
            "서버와의 TLS(SSL) 연결 협상에 실패했습니다.",
            "포트와 암호화 방식이 맞는지(995 = --tls implicit, 110 = --tls starttls), 서버가 \
             TLS 1.2 이상을 지원하는지 확인하십시오.",
        ),
    ),
    (
        Cause::TlsCertificateUntrusted,
        t(
            "서버 인증서가 이 컴퓨터에서 신뢰하는 인증기관에서 발급된 것이 아닙니다.",
            "--server에 메일 서비스의 실제 POP3 호스트 이름을 쓰십시오(IP 주소나 로컬 프록시가 \
             아니라). 사설(회사) 인증기관의 인증서라면 그 CA 인증서를 --ca-file로 지정하십시오.",
        ),
    ),
    (
        Cause::TlsHostnameMismatch,
        t(
            "서버 인증서의 이름이 설정한 POP3서버 이름과 다릅니다.",
            "--server를 메일 서비스 안내와 똑같이 지정하십시오(예: pop.gmail.com). IP 주소나 \
             별칭은 쓰지 마십시오.",
        ),
    ),
    (
        Cause::TlsStarttlsRequired,
        t(
            "서버가 로그인 전에 암호화를 요구하는데 암호화 없이 접속했습니다.",
            "995번 포트와 --tls implicit, 또는 110번 포트와 --tls starttls를 쓰십시오.",
        ),
    ),
    (
        Cause::TlsStarttlsUnavailable,
        t(
            "서버가 이 포트에서 STLS(POP3의 STARTTLS)를 지원하지 않습니다.",
            "995번 포트와 --tls implicit를 쓰십시오. --tls none은 LAN 안의 신뢰할 수 있는 \
             서버에만 쓰십시오.",
        ),
    ),
    (
        Cause::AuthMechanismUnsupported,
        t(
            "서버가 필요한 로그인 방식(--oauth의 AUTH XOAUTH2)을 지원하지 않습니다.",
            "비밀번호(--password-env 또는 --password-file)로 로그인하거나, POP3에서 OAuth2를 \
             지원하는 서버(Gmail, Microsoft 365)를 쓰십시오.",
        ),
    ),
    (
        Cause::AuthBadCredentials,
        t(
            "서버가 사용자 이름이나 비밀번호를 거부했습니다.",
            "--user(보통 전체 이메일 주소)와 비밀번호를 확인하십시오. 많은 메일 서비스가 \
             POP3에 앱 비밀번호를 요구하고, 웹 메일 설정에서 POP3를 먼저 켜야 합니다(Gmail, \
             네이버, 다음).",
        ),
    ),
];

/// The advice for a failed POP3 session: the POP3 text of `cause` when there is one, else the
/// generic advice.
pub fn pop3_advice(cause: Cause, lang: Lang) -> Advice {
    let table: &[(Cause, Text)] = match lang {
        Lang::En => &POP3_EN,
        Lang::Ko => &POP3_KO,
    };
    match table.iter().find(|(c, _)| *c == cause) {
        Some((_, text)) => Advice {
            summary: text.summary.to_owned(),
            fix: text.fix.to_owned(),
        },
        None => generic_advice(cause, lang),
    }
}
