//! Steps for Naver, Daum and Kakao Mail.
//!
//! Facts: providers.md A.4 (Naver: 'IMAP/SMTP 사용' under 환경설정 > POP3/IMAP 설정; 2-step
//! verification and an 애플리케이션 비밀번호 for mail programs, whose length sources disagree;
//! the user name is the Naver ID; only the account's own address as sender, `554 5.7.1 The
//! sender address is unauthorized`) and A.5 (Daum: 'IMAP / SMTP 사용' under 환경설정 >
//! IMAP/POP3, the password from the 2-step verification page, the full address as user name;
//! Kakao: an app password from the two-step settings at accounts.kakao.com). Those sources are
//! guides and client configurations, not the providers' own pages.

use crate::steps::{Step, step};

const NAVER_SMTP_ON: Step = step(
    "Turn on SMTP in Naver Mail",
    "네이버 메일에서 SMTP 사용 켜기",
    "In Naver Mail open 환경설정 > POP3/IMAP 설정 and set 'IMAP/SMTP 사용' (or 'POP3/SMTP 사용') \
     to 사용함. Without it Naver refuses the login.",
    "네이버 메일 > 환경설정 > POP3/IMAP 설정에서 'IMAP/SMTP 사용'(또는 'POP3/SMTP 사용')을 \
     사용함으로 설정합니다. 이 설정이 없으면 네이버가 로그인을 거부합니다.",
);

const NAVER_APP_PASSWORD: Step = step(
    "Create an application password",
    "애플리케이션 비밀번호 만들기",
    "Turn on 2-step verification (2단계 인증) for the Naver account and create an application \
     password (애플리케이션 비밀번호) for this gateway; Naver asks for one from mail programs. \
     Paste it as Naver shows it. A wrong password, a missing application password and SMTP \
     switched off all get the same reply from Naver (535 5.7.1 Username and Password not \
     accepted), so check all three.",
    "네이버 계정에 2단계 인증을 켜고 이 게이트웨이용 애플리케이션 비밀번호를 만듭니다. 메일 \
     프로그램에는 네이버가 이 비밀번호를 요구합니다. 네이버에 표시된 그대로 붙여 넣으십시오. \
     비밀번호 오류, 애플리케이션 비밀번호 미사용, SMTP 사용 꺼짐은 네이버의 응답이 모두 같으므로 \
     (535 5.7.1 Username and Password not accepted) 세 가지를 모두 확인하십시오.",
);

const NAVER_LOGIN: Step = step(
    "User name and sender",
    "사용자 이름과 보낸 사람",
    "The user name is the Naver ID, the part before @naver.com. Naver accepts only the \
     account's own @naver.com address as the sender (554 5.7.1 The sender address is \
     unauthorized): give the devices that address as their e-mail address.",
    "사용자 이름은 네이버 아이디(@naver.com 앞부분)입니다. 네이버는 계정 자신의 @naver.com \
     주소만 보낸 사람으로 허용하므로(554 5.7.1 The sender address is unauthorized), 복합기의 \
     이메일 주소도 그 주소로 설정하십시오.",
);

/// Naver with an application password.
pub(crate) fn naver() -> Vec<Step> {
    vec![NAVER_SMTP_ON, NAVER_APP_PASSWORD, NAVER_LOGIN]
}

const DAUM: Step = step(
    "Daum and Hanmail addresses",
    "다음, 한메일 주소",
    "In Daum Mail open 환경설정 > IMAP/POP3 and set 'IMAP / SMTP 사용' to 사용함. The user name \
     is the full @daum.net or @hanmail.net address. If the account uses 2-step verification, \
     use the password issued on the 2-step verification page instead of the normal password.",
    "다음 메일 > 환경설정 > IMAP/POP3에서 'IMAP / SMTP 사용'을 사용함으로 설정합니다. 사용자 \
     이름은 @daum.net 또는 @hanmail.net 전체 주소입니다. 2단계 인증을 쓰는 계정은 일반 비밀번호 \
     대신 2단계 인증 화면에서 발급한 비밀번호를 사용하십시오.",
);

const KAKAO: Step = step(
    "Kakao Mail addresses",
    "카카오메일 주소",
    "Create an app password in the Kakao account's two-step verification settings \
     (accounts.kakao.com) and use it as the password. The user name is the full @kakao.com \
     address.",
    "카카오 계정(accounts.kakao.com)의 2단계 인증 설정에서 앱 비밀번호를 만들어 비밀번호로 \
     사용합니다. 사용자 이름은 @kakao.com 전체 주소입니다.",
);

const USE_OWN_ADDRESS: Step = step(
    "Sender",
    "보낸 사람",
    "Use the account's own address as the sender. The gateway puts the account in the sender \
     itself (the user name is an address) and keeps the device's address as Reply-To.",
    "보낸 사람은 계정 자신의 주소를 사용하십시오. 사용자 이름이 주소이므로 scanrelay가 그 \
     계정을 보낸 사람으로 넣고, 복합기의 주소는 회신 주소(Reply-To)로 둡니다.",
);

/// Daum or Kakao Mail.
pub(crate) fn daum_kakao() -> Vec<Step> {
    vec![DAUM, KAKAO, USE_OWN_ADDRESS]
}
