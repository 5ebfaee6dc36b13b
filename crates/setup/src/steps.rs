//! Each provider's own steps, in the order a person does them, naming the screens as the
//! provider names them. Host names, ports and limits are not restated here: the pre-filled
//! form shows them from the presets.
//!
//! Sources: `providers.md` (tags there) and the source document summarised in
//! `seed-summary.md`; the OAuth2 steps describe what `scanrelay oauth login` does
//! (crates/cli/src/oauth.rs).

use crate::catalogue::{Choice, Method};
use crate::{Text, steps_google, steps_korean, steps_microsoft};

/// One step of a provider's setup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// A short title ("Turn on 2-Step Verification").
    pub title: Text,
    /// What to do, where, and why.
    pub body: Text,
}

/// A fixed step.
pub(crate) const fn step(
    title_en: &'static str,
    title_ko: &'static str,
    body_en: &'static str,
    body_ko: &'static str,
) -> Step {
    Step {
        title: Text::fixed(title_en, title_ko),
        body: Text::fixed(body_en, body_ko),
    }
}

/// The steps for `choice` logging in with `method` (empty when the choice does not offer
/// the method).
pub fn steps(choice: Choice, method: Method) -> Vec<Step> {
    match (choice, method) {
        (Choice::Gmail | Choice::Workspace, Method::AppPassword) => {
            steps_google::app_password(choice == Choice::Workspace)
        }
        (Choice::Gmail | Choice::Workspace, Method::OAuth2) => {
            steps_google::oauth2(choice == Choice::Workspace)
        }
        (Choice::WorkspaceRelay, Method::NoLogin | Method::Password) => {
            steps_google::relay(method == Method::Password)
        }
        (Choice::Naver, Method::AppPassword) => steps_korean::naver(),
        (Choice::DaumKakao, Method::AppPassword) => steps_korean::daum_kakao(),
        (Choice::Microsoft365, Method::OAuth2) => steps_microsoft::m365_oauth2(),
        (Choice::Microsoft365, Method::Password) => steps_microsoft::m365_password(),
        (Choice::OutlookCom, Method::OAuth2) => steps_microsoft::outlook_oauth2(),
        (Choice::Other, Method::Password) => other(false),
        (Choice::Other, Method::NoLogin) => other(true),
        _ => Vec::new(),
    }
}

fn other(no_login: bool) -> Vec<Step> {
    let mut out = vec![step(
        "Ask for the server's settings",
        "서버 설정 확인",
        "Ask the mail provider or the administrator of the server for: the SMTP server's host \
         name, its port, and how it is secured: SSL/TLS from the start (usually port 465) or \
         STARTTLS (usually port 587). Never choose SSL/TLS from the start on port 587.",
        "메일 서비스 업체나 서버 관리자에게 SMTP 서버의 호스트 이름, 포트번호, 보안 방식을 \
         확인하십시오. 처음부터 SSL/TLS로 연결하는 방식(보통 465번 포트)인지, STARTTLS(보통 \
         587번 포트)인지 확인합니다. 587번 포트에 처음부터 SSL/TLS로 연결하는 설정은 쓰지 \
         마십시오.",
    )];
    out.push(if no_login {
        step(
            "Let the server accept this gateway",
            "서버에서 이 게이트웨이 허용",
            "Without a login the server must accept mail from this gateway's IP address (a \
             relay of your own, or a Microsoft 365 connector on port 25 that accepts your \
             public IP address). Leave the user name empty.",
            "로그인 없이 보내려면 서버가 이 게이트웨이의 IP 주소에서 오는 메일을 받아 주어야 \
             합니다(자체 릴레이 서버, 또는 공인 IP 주소를 허용하는 Microsoft 365 커넥터의 25번 \
             포트 등). 사용자 이름은 비워 두십시오.",
        )
    } else {
        step(
            "Get the login",
            "로그인 정보 준비",
            "The user name is usually the full mail address. Many providers refuse the normal \
             password of an account with two-step verification and want a password made for \
             one app instead: create one in the account's security settings if so.",
            "사용자 이름은 보통 전체 메일 주소입니다. 2단계 인증을 쓰는 계정은 일반 비밀번호를 \
             거부하고 앱 전용 비밀번호를 요구하는 업체가 많으니, 그렇다면 계정의 보안 설정에서 \
             하나 만드십시오.",
        )
    });
    out
}
