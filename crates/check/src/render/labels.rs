//! The words of the human `check` report in English and Korean: headings, step names, TLS
//! and certificate labels, notes. The JSON output keeps its stable English keys; only what
//! people read is translated.

use scanrelay_client::{StepName, TlsMode};
use scanrelay_diagnose::Lang;

/// Every fixed text of the report in one language.
pub struct Labels {
    pub title: &'static str,
    pub tls: &'static str,
    pub verified: &'static str,
    pub not_verified: &'static str,
    pub cert: &'static str,
    pub issuer: &'static str,
    pub names: &'static str,
    pub valid: &'static str,
    pub verify_error: &'static str,
    pub no_session: &'static str,
    pub not_completed: &'static str,
    pub not_encrypted: &'static str,
    pub not_started: &'static str,
    pub ok: &'static str,
    pub fail: &'static str,
    pub verdict_ok: &'static str,
    pub verdict_fail: &'static str,
    pub fix: &'static str,
    pub warning: &'static str,
    pub sent_test: &'static str,
    pub http_answer: &'static str,
    pub ca_file_only: &'static str,
}

const EN: Labels = Labels {
    title: "SMTP connection check",
    tls: "TLS",
    verified: "certificate verified",
    not_verified: "certificate NOT verified",
    cert: "certificate",
    issuer: "issuer:",
    names: "names: ",
    valid: "valid: ",
    verify_error: "",
    no_session: "no TLS (the handshake did not complete; no certificate was received)",
    not_completed: "handshake not completed",
    not_encrypted: "no TLS (--tls none: the connection is not encrypted)",
    not_started: "no TLS (the check ended before TLS started)",
    ok: "ok",
    fail: "FAIL",
    verdict_ok: "Result: OK",
    verdict_fail: "Result: FAILED",
    fix: "Fix",
    warning: "Warning",
    sent_test: "A test message was sent to",
    http_answer: "Port check: no SMTP greeting, but the port answered an HTTP request \
                  (HEAD / HTTP/1.0) with",
    ca_file_only: "Note: the certificate is trusted only because of --ca-file (a second \
                   connection without it did not trust it). A device without this CA \
                   certificate will not trust the server either: import the CA certificate \
                   into the device's trusted certificates before using SSL/STARTTLS.",
};

const KO: Labels = Labels {
    title: "SMTP 연결확인",
    tls: "TLS",
    verified: "인증서 검증됨",
    not_verified: "인증서 검증 실패",
    cert: "인증서",
    issuer: "발급자:",
    names: "이름:",
    valid: "유효 기간:",
    verify_error: "검증 오류: ",
    no_session: "TLS 연결 없음(협상이 완료되지 않았고 인증서를 받지 못했습니다)",
    not_completed: "협상 미완료",
    not_encrypted: "TLS 없음(--tls none: 암호화되지 않은 연결)",
    not_started: "TLS 없음(TLS를 시작하기 전에 확인이 끝났습니다)",
    ok: "성공",
    fail: "실패",
    verdict_ok: "결과: 성공",
    verdict_fail: "결과: 실패",
    fix: "해결 방법",
    warning: "주의",
    sent_test: "테스트 메일을 보냈습니다:",
    http_answer: "포트 확인: SMTP 인사말은 없었지만 이 포트가 HTTP 요청(HEAD / HTTP/1.0)에 \
                  응답했습니다(웹 서버):",
    ca_file_only: "참고: 서버 인증서는 --ca-file로 지정한 CA 인증서가 있어야만 신뢰됩니다(이 \
                   파일 없이 다시 연결하면 신뢰되지 않음). 이 CA 인증서가 없는 복합기도 서버를 \
                   신뢰하지 않으므로, SSL/STARTTLS를 사용하기 전에 복합기의 신뢰할 수 있는 \
                   인증서에 이 CA 인증서를 등록하십시오.",
};

/// The labels for `lang`.
pub fn labels(lang: Lang) -> &'static Labels {
    match lang {
        Lang::Ko => &KO,
        Lang::En => &EN,
    }
}

/// A step's name in the report: the JSON name in English, a Korean label in Korean.
pub fn step_label(step: StepName, lang: Lang) -> &'static str {
    if lang == Lang::En {
        return step.as_str();
    }
    match step {
        StepName::Dns => "DNS 조회",
        StepName::Connect => "TCP 연결",
        StepName::Tls => "TLS 협상",
        StepName::Banner => "서버 인사말",
        StepName::Ehlo => "EHLO",
        StepName::Starttls => "STARTTLS",
        StepName::EhloAgain => "EHLO(TLS 후)",
        StepName::Auth => "로그인(AUTH)",
        StepName::Mail => "MAIL FROM",
        StepName::Rcpt => "RCPT TO",
        StepName::Data => "DATA",
        StepName::Rset => "RSET",
        StepName::Quit => "QUIT",
    }
}

/// The TLS mode as the report's heading names it.
pub fn mode_label(mode: TlsMode, lang: Lang) -> &'static str {
    match (mode, lang) {
        (_, Lang::En) => mode.as_str(),
        (TlsMode::StartTls, Lang::Ko) => "STARTTLS",
        (TlsMode::Implicit, Lang::Ko) => "SSL",
        (TlsMode::None, Lang::Ko) => "암호화 없음",
    }
}

/// `text` padded with spaces to `width` terminal columns (Hangul takes two).
pub fn pad(text: &str, width: usize) -> String {
    let used: usize = text.chars().map(columns).sum();
    format!("{text}{}", " ".repeat(width.saturating_sub(used)))
}

fn columns(c: char) -> usize {
    match c {
        '\u{1100}'..='\u{115F}' | '\u{2E80}'..='\u{A4CF}' | '\u{AC00}'..='\u{D7A3}' => 2,
        '\u{F900}'..='\u{FAFF}' | '\u{FE30}'..='\u{FE4F}' | '\u{FF00}'..='\u{FF60}' => 2,
        _ => 1,
    }
}
