//! Korean for the texts the SMTP client writes in English: step notes (`connected to ...`),
//! its error messages (`the server refused auth: ...`) and rustls' certificate verdicts.
//! One table of English templates with their Korean forms; server replies, addresses,
//! certificate names and other values pass through unchanged. The unit tests render every
//! client error and fail when the client's wording no longer matches a template.

use scanrelay_client::StepName;
use scanrelay_diagnose::Lang;

use super::labels::step_label;

/// An English template (`{}` a value kept as it is, `{e}` a nested message translated in
/// turn, `{step}` a step name, `{mode}` a TLS mode) and its Korean form (`{0}`, `{1}`, ...
/// name the English placeholders in order).
struct Template {
    en: &'static str,
    ko: &'static str,
}

const fn t(en: &'static str, ko: &'static str) -> Template {
    Template { en, ko }
}

/// Client notes and error messages (scanrelay-client), then rustls' words.
const TEMPLATES: &[Template] = &[
    t("connected to {}", "연결됨: {0}"),
    t("cannot resolve `{}`: {}", "`{0}` 이름을 찾을 수 없음: {1}"),
    t("connection to {} refused", "{0}: 연결 거부됨"),
    t(
        "no answer from the server within {} s during {step}",
        "{1} 단계에서 {0}초 안에 서버 응답이 없음",
    ),
    t(
        "network error during {step}: {}",
        "{0} 단계에서 네트워크 오류: {1}",
    ),
    t(
        "the server closed the connection during {step}",
        "{0} 단계에서 서버가 연결을 끊음",
    ),
    t(
        "the server's answer during {step} is not SMTP: {e}",
        "{0} 단계의 서버 응답이 SMTP가 아님: {1}",
    ),
    t("not an SMTP reply: {}", "SMTP 응답이 아님: {0}"),
    t(
        "reply lines disagree on the code: {} then {}",
        "응답 줄마다 코드가 다름: {0} 다음 {1}",
    ),
    t(
        "reply line longer than {} bytes",
        "응답 줄이 {0}바이트보다 김",
    ),
    t("reply with more than {} lines", "응답이 {0}줄을 넘음"),
    t(
        "the server refused {step}: {}",
        "서버가 {0} 요청을 거부함: {1}",
    ),
    t(
        "TLS mode `{mode}` does not match the server: {e}",
        "암호화 방식 {0}이(가) 서버와 맞지 않음: {1}",
    ),
    t(
        "the port sent a plaintext SMTP greeting instead of TLS: {}",
        "포트가 TLS 대신 암호화되지 않은 인사말을 보냄: {0}",
    ),
    t(
        "the server's first bytes are not a TLS record",
        "서버가 처음 보낸 데이터가 TLS 레코드가 아님",
    ),
    t(
        "no SMTP greeting after {} s, but the port completed a TLS handshake ({}): it expects \
         implicit TLS (SSL) from the first byte",
        "{0}초 동안 SMTP 인사말이 없었지만 포트가 TLS 협상을 완료함({1}): 처음부터 암호화하는 \
         SSL 방식 포트임",
    ),
    t(
        "no SMTP greeting after {} s, but the port answered a TLS hello with a TLS message ({e}): \
         it expects implicit TLS (SSL), possibly with an old TLS version",
        "{0}초 동안 SMTP 인사말이 없었지만 포트가 TLS 메시지로 응답함({1}): SSL 방식 포트이며 \
         오래된 TLS 버전일 수 있음",
    ),
    t("TLS handshake failed: {e}", "TLS 협상 실패: {0}"),
    t(
        "the server does not offer STARTTLS",
        "서버가 STARTTLS를 제공하지 않음",
    ),
    t(
        "the server offers no SMTP AUTH",
        "서버가 SMTP인증(AUTH)을 제공하지 않음",
    ),
    t(
        "no usable AUTH mechanism: wanted {}, server offers {}",
        "사용할 수 있는 인증 방식이 없음: 요청 {0}, 서버 제공 {1}",
    ),
    t(
        "AUTH {} failed on the client side: {e}",
        "AUTH {0}: 클라이언트 쪽에서 실패함: {1}",
    ),
    t("{} needs a password", "{0}에는 비밀번호가 필요함"),
    t(
        "{} needs an OAuth2 access token",
        "{0}에는 OAuth2 액세스 토큰이 필요함",
    ),
    t(
        "the server's 334 challenge is not base64",
        "서버의 334 응답(challenge)이 base64가 아님",
    ),
    t(
        "unexpected extra 334 challenge for {}",
        "{0}: 예상하지 못한 추가 334 응답(challenge)",
    ),
    t(
        "invalid envelope address {}: it contains a line break or angle bracket",
        "잘못된 봉투 주소 {0}: 줄바꿈이나 꺾쇠괄호가 들어 있음",
    ),
    t(
        "cannot read the message body: {}",
        "메일 본문을 읽을 수 없음: {0}",
    ),
    t(
        "discarded bytes the server sent after its 220 before TLS",
        "서버가 220 응답 뒤 TLS 전에 보낸 데이터를 버림",
    ),
    t("server's OAuth2 error: {}", "서버의 OAuth2 오류: {0}"),
    t(
        "invalid peer certificate: {e}",
        "서버 인증서가 유효하지 않음: {0}",
    ),
    t(
        "certificate not valid for name {}; certificate is only valid for {}",
        "인증서가 {0} 이름에 유효하지 않음. 인증서의 이름: {1}",
    ),
    t(
        "certificate not valid for name {}; certificate is not valid for any names (according \
         to its subjectAltName extension)",
        "인증서가 {0} 이름에 유효하지 않음. 인증서에 이름(subjectAltName)이 없음",
    ),
    t(
        "certificate expired: verification time {} (UNIX), but certificate is not valid after \
         {} ({} seconds ago)",
        "인증서 만료: 확인 시각 {0}(UNIX), 인증서 유효 기간 끝 {1}({2}초 전)",
    ),
    t(
        "certificate not valid yet: verification time {} (UNIX), but certificate is not valid \
         before {} ({} seconds in future)",
        "인증서 유효 기간 시작 전: 확인 시각 {0}(UNIX), 유효 기간 시작 {1}({2}초 후)",
    ),
    t("received fatal alert: {}", "서버가 TLS 경고를 보냄: {0}"),
    t(
        "received corrupt message of type {}",
        "잘못된 TLS 메시지를 받음: {0}",
    ),
    t(
        "peer is incompatible: {}",
        "서버와 TLS 설정이 호환되지 않음: {0}",
    ),
    t("peer sent no certificates", "서버가 인증서를 보내지 않음"),
];

/// `text` in `lang`: Korean where a template matches, else unchanged.
pub fn translate(text: &str, lang: Lang) -> String {
    match lang {
        Lang::En => text.to_string(),
        Lang::Ko => korean(text).unwrap_or_else(|| text.to_string()),
    }
}

fn korean(text: &str) -> Option<String> {
    TEMPLATES.iter().find_map(|t| apply(t, text))
}

/// A part of an English template.
enum Piece<'a> {
    Text(&'a str),
    Hole(&'a str),
}

fn pieces(template: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let close = open + rest[open..].find('}').unwrap_or(rest.len() - open);
        if open > 0 {
            out.push(Piece::Text(&rest[..open]));
        }
        out.push(Piece::Hole(&rest[open + 1..close.min(rest.len())]));
        rest = rest.get(close + 1..).unwrap_or("");
    }
    if !rest.is_empty() {
        out.push(Piece::Text(rest));
    }
    out
}

/// The values `text` puts into the holes of `template`, or `None` when it does not fit.
fn capture<'t>(template: &str, text: &'t str) -> Option<Vec<(String, &'t str)>> {
    let pieces = pieces(template);
    let mut rest = text;
    let mut values = Vec::new();
    for (i, piece) in pieces.iter().enumerate() {
        match piece {
            Piece::Text(literal) => rest = rest.strip_prefix(literal)?,
            Piece::Hole(kind) => {
                let end = match pieces.get(i + 1) {
                    Some(Piece::Text(next)) => rest.find(next)?,
                    _ => rest.len(),
                };
                values.push((kind.to_string(), &rest[..end]));
                rest = &rest[end..];
            }
        }
    }
    rest.is_empty().then_some(values)
}

fn apply(template: &Template, text: &str) -> Option<String> {
    let values: Vec<String> = capture(template.en, text)?
        .into_iter()
        .map(|(kind, value)| render(&kind, value))
        .collect();
    let mut out = String::new();
    for piece in pieces(template.ko) {
        match piece {
            Piece::Text(literal) => out.push_str(literal),
            Piece::Hole(index) => {
                let value = index.parse::<usize>().ok().and_then(|i| values.get(i));
                out.push_str(value.map_or("", String::as_str));
            }
        }
    }
    Some(out)
}

fn render(kind: &str, value: &str) -> String {
    match kind {
        "e" => korean(value).unwrap_or_else(|| value.to_string()),
        "step" => step_named(value).map_or_else(
            || value.to_string(),
            |s| step_label(s, Lang::Ko).to_string(),
        ),
        "mode" => match value {
            "starttls" => "STARTTLS".to_string(),
            "implicit" => "SSL".to_string(),
            "none" => "암호화 없음".to_string(),
            other => other.to_string(),
        },
        _ => value.to_string(),
    }
}

fn step_named(name: &str) -> Option<StepName> {
    const ALL: [StepName; 13] = [
        StepName::Dns,
        StepName::Connect,
        StepName::Tls,
        StepName::Banner,
        StepName::Ehlo,
        StepName::Starttls,
        StepName::EhloAgain,
        StepName::Auth,
        StepName::Mail,
        StepName::Rcpt,
        StepName::Data,
        StepName::Rset,
        StepName::Quit,
    ];
    ALL.into_iter().find(|s| s.as_str() == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use scanrelay_client::{ClientError, TlsFailure, TlsMode};
    use scanrelay_proto::ReplyError;
    use scanrelay_proto::sasl::{Mechanism, SaslError};

    fn has_hangul(s: &str) -> bool {
        s.chars().any(|c| ('\u{AC00}'..='\u{D7A3}').contains(&c))
    }

    fn io() -> std::io::Error {
        std::io::Error::other("os error 104")
    }

    /// Every error the client can report, rendered by its own `Display`.
    fn every_client_error() -> Vec<ClientError> {
        let reply = scanrelay_proto::Reply::new(535, "5.7.8 Error: authentication failed");
        vec![
            ClientError::Dns {
                host: "smtp.example.com".into(),
                detail: "failed to lookup address information".into(),
            },
            ClientError::ConnectRefused {
                addr: "127.0.0.1:25".into(),
            },
            ClientError::Timeout {
                step: StepName::Banner,
                secs: 15,
            },
            ClientError::Io {
                step: StepName::Quit,
                source: io(),
            },
            ClientError::Closed {
                step: StepName::EhloAgain,
            },
            ClientError::Protocol {
                step: StepName::Banner,
                source: ReplyError::Syntax {
                    line: "+OK POP3 ready".into(),
                },
            },
            ClientError::Protocol {
                step: StepName::Ehlo,
                source: ReplyError::CodeMismatch {
                    first: 250,
                    then: 220,
                },
            },
            ClientError::Protocol {
                step: StepName::Ehlo,
                source: ReplyError::LineTooLong,
            },
            ClientError::Protocol {
                step: StepName::Ehlo,
                source: ReplyError::TooManyLines,
            },
            ClientError::Rejected {
                step: StepName::Auth,
                reply,
            },
            ClientError::TlsModeMismatch {
                configured: TlsMode::Implicit,
                evidence: "the server's first bytes are not a TLS record".into(),
            },
            ClientError::Tls {
                kind: TlsFailure::Untrusted,
                detail: "invalid peer certificate: UnknownIssuer".into(),
            },
            ClientError::StartTlsUnavailable,
            ClientError::AuthNotOffered,
            ClientError::MechanismUnsupported {
                wanted: "CRAM-MD5".into(),
                offered: "PLAIN LOGIN".into(),
            },
            ClientError::Sasl {
                mechanism: Mechanism::XOAuth2,
                source: SaslError::BadChallenge,
            },
            ClientError::Sasl {
                mechanism: Mechanism::Plain,
                source: SaslError::UnexpectedChallenge(Mechanism::Plain),
            },
            ClientError::Sasl {
                mechanism: Mechanism::Plain,
                source: SaslError::WrongCredentials {
                    mechanism: Mechanism::Plain,
                    needs: "a password",
                },
            },
            ClientError::InvalidAddress("a\r\nb@c".into()),
            ClientError::Body(io()),
        ]
    }

    #[test]
    fn every_client_error_has_a_korean_form() {
        for error in every_client_error() {
            let en = error.to_string();
            let ko = translate(&en, Lang::Ko);
            assert!(has_hangul(&ko), "no template for {en:?}");
            assert_eq!(translate(&en, Lang::En), en);
        }
    }

    /// (English note or message, a phrase its Korean form must contain)
    const NOTES: &[(&str, &str)] = &[
        ("connected to 127.0.0.1:35087", "연결됨: 127.0.0.1:35087"),
        (
            "the server refused auth: 535 5.7.8 Error: authentication failed",
            "서버가 로그인(AUTH) 요청을 거부함: 535 5.7.8 Error: authentication failed",
        ),
        (
            "the server's answer during banner is not SMTP: not an SMTP reply: \"+OK\"",
            "서버 인사말 단계의 서버 응답이 SMTP가 아님: SMTP 응답이 아님: \"+OK\"",
        ),
        (
            "TLS mode `implicit` does not match the server: the port sent a plaintext SMTP \
             greeting instead of TLS: 220 mx ESMTP",
            "암호화 방식 SSL이(가) 서버와 맞지 않음: 포트가 TLS 대신 암호화되지 않은 인사말을 \
             보냄: 220 mx ESMTP",
        ),
        (
            "TLS handshake failed: invalid peer certificate: UnknownIssuer",
            "TLS 협상 실패: 서버 인증서가 유효하지 않음: UnknownIssuer",
        ),
        (
            "no answer from the server within 3 s during banner",
            "서버 인사말 단계에서 3초 안에 서버 응답이 없음",
        ),
        (
            "server's OAuth2 error: {\"status\":\"401\"}",
            "서버의 OAuth2 오류",
        ),
        (
            "discarded bytes the server sent after its 220 before TLS",
            "버림",
        ),
        (
            "no SMTP greeting after 1.0 s, but the port completed a TLS handshake (TLSv1.3): it \
             expects implicit TLS (SSL) from the first byte",
            "SSL 방식 포트임",
        ),
    ];

    #[test]
    fn client_notes_are_translated_with_their_values_kept() {
        for &(en, ko) in NOTES {
            let got = translate(en, Lang::Ko);
            assert!(got.contains(ko), "{en:?} gave {got:?}");
        }
        assert_eq!(
            translate("smtp.example.com -> 192.0.2.1", Lang::Ko),
            "smtp.example.com -> 192.0.2.1"
        );
    }
}
