//! Canned provider sessions for [`ScriptedSmtpServer`](crate::ScriptedSmtpServer), built from
//! the captures in `fixtures/provider-replies.jsonl` and the banner/EHLO captures collected
//! in the project's provider notes (section D). Replies are verbatim except that the client
//! address in EHLO greetings is `127.0.0.1` and, for Microsoft 365, the front-end host name is
//! the one from the 2024 banner. Lines marked "typical" are not from a capture.
//!
//! Every script expects scanrelay's client sequence (EHLO, STARTTLS and EHLO again where
//! the port uses it, AUTH with an initial response for PLAIN and XOAUTH2, ...) and ends with
//! [`Step::ExpectQuitOrClose`], so a client may send `RSET`, `QUIT` or simply hang up.

use crate::fixtures::provider_reply;
use crate::scripted::{Script, Step};

/// Gmail's greeting on port 587 (2024 capture).
pub const GMAIL_BANNER: &str =
    "220 smtp.gmail.com ESMTP br41-20020a05620a462900b0078d54363075sm3435587qkb.40 - gsmtp";

/// Gmail's EHLO reply before STARTTLS on 587 (typical: the capture list with STARTTLS and
/// without AUTH).
pub const GMAIL_EHLO_BEFORE_TLS: &str = "250-smtp.gmail.com at your service, [127.0.0.1]\n\
250-SIZE 35882577\n250-8BITMIME\n250-STARTTLS\n250-ENHANCEDSTATUSCODES\n250-PIPELINING\n\
250-CHUNKING\n250 SMTPUTF8";

/// Gmail's EHLO reply after TLS (2023/2024 captures).
pub const GMAIL_EHLO_AFTER_TLS: &str = "250-smtp.gmail.com at your service, [127.0.0.1]\n\
250-SIZE 35882577\n250-8BITMIME\n\
250-AUTH LOGIN PLAIN XOAUTH2 PLAIN-CLIENTTOKEN OAUTHBEARER XOAUTH\n\
250-ENHANCEDSTATUSCODES\n250-PIPELINING\n250-CHUNKING\n250 SMTPUTF8";

/// Gmail's answer to STARTTLS (typical).
pub const GMAIL_STARTTLS_READY: &str = "220 2.0.0 Ready to start TLS";

/// The error challenge of Google's XOAUTH2 documentation: base64 of
/// `{"status":"401","schemes":"bearer mac","scope":"https://mail.google.com/"}` plus a newline.
pub const GMAIL_XOAUTH2_ERROR_CHALLENGE: &str = "334 eyJzdGF0dXMiOiI0MDEiLCJzY2hlbWVzIjoiYmVhcmVyIG1hYyIsInNjb3BlIjoiaHR0cHM6Ly9tYWlsLmdvb2dsZS5jb20vIn0K";

/// Microsoft 365's greeting (2024 capture).
pub const M365_BANNER: &str = "220 LO4P302CA0005.outlook.office365.com Microsoft ESMTP MAIL Service ready at Thu, 10 Oct 2024 22:49:55 +0000 [08DCE8B62813AB2B]";

/// Microsoft 365's EHLO reply before STARTTLS (2020 capture).
pub const M365_EHLO_BEFORE_TLS: &str = "250-LO4P302CA0005.outlook.office365.com Hello [127.0.0.1]\n\
250-SIZE 157286400\n250-PIPELINING\n250-DSN\n250-ENHANCEDSTATUSCODES\n250-STARTTLS\n\
250-8BITMIME\n250-BINARYMIME\n250-CHUNKING\n250 SMTPUTF8";

/// Microsoft 365's answer to STARTTLS (2017 capture).
pub const M365_STARTTLS_READY: &str = "220 2.0.0 SMTP server ready";

/// Microsoft 365's EHLO reply after TLS (2017 capture with the 2021 `AUTH LOGIN XOAUTH2` line).
pub const M365_EHLO_AFTER_TLS: &str = "250-LO4P302CA0005.outlook.office365.com Hello [127.0.0.1]\n\
250-SIZE 157286400\n250-PIPELINING\n250-DSN\n250-ENHANCEDSTATUSCODES\n\
250-AUTH LOGIN XOAUTH2\n250-8BITMIME\n250-BINARYMIME\n250-CHUNKING\n250 SMTPUTF8";

/// Naver's greeting on 465 (capture).
pub const NAVER_BANNER: &str = "220 smtp.naver.com ESMTP 7XRX+EQDRnWVaYNeFW94Lg - nsmtp";

/// Naver's EHLO reply on 465 (2022 capture).
pub const NAVER_EHLO: &str = "250-smtp.naver.com Pleased to meet you\n250-SIZE 20971520\n\
250-8BITMIME\n250-PIPELINING\n250-AUTH PLAIN LOGIN\n250 ENHANCEDSTATUSCODES";

/// Gmail on 587 refusing the account password of a 2-Step-Verification account:
/// banner, EHLO, STARTTLS, EHLO, `AUTH PLAIN <initial response>` answered with the
/// two-line `534-5.7.9 Application-specific password required` (cause
/// `auth.app_password_required`), then QUIT or hang-up.
pub fn gmail_app_password_required() -> Script {
    let mut steps = gmail_starttls_prelude();
    steps.extend([
        Step::expect("AUTH PLAIN "),
        Step::Send(reply("gmail", "auth", "auth.app_password_required")),
        Step::ExpectQuitOrClose,
    ]);
    Script::new(steps)
}

/// Gmail on 587 refusing an OAuth2 token: `AUTH XOAUTH2 <base64>` gets the `334` error
/// challenge (base64 JSON); the client must answer with an empty line; then the two-line
/// `535-5.7.8 Username and Password not accepted`, then QUIT or hang-up.
pub fn gmail_xoauth2_rejected() -> Script {
    let mut steps = gmail_starttls_prelude();
    steps.extend([
        Step::expect("AUTH XOAUTH2 "),
        Step::send(GMAIL_XOAUTH2_ERROR_CHALLENGE),
        Step::expect_exact(""),
        Step::Send(reply("gmail", "auth", "auth.bad_credentials")),
        Step::ExpectQuitOrClose,
    ]);
    Script::new(steps)
}

/// Microsoft 365 on 587 with SMTP AUTH disabled for the tenant: after TLS only
/// `AUTH LOGIN XOAUTH2` is offered; `AUTH LOGIN` gets the `Username:` and `Password:`
/// prompts, then `535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is
/// disabled for the Tenant` (cause `auth.smtp_auth_disabled`), then QUIT or hang-up.
pub fn m365_smtp_auth_disabled() -> Script {
    let mut steps = m365_login_prelude();
    steps.extend([
        Step::Send(reply("microsoft", "auth", "auth.smtp_auth_disabled")),
        Step::ExpectQuitOrClose,
    ]);
    Script::new(steps)
}

/// A full Microsoft 365 submission on 587: STARTTLS, `AUTH LOGIN` accepted, one
/// `MAIL FROM`, one `RCPT TO`, `DATA` with the message recorded in
/// [`ServerLog::messages`](crate::ServerLog::messages), then QUIT or hang-up. The replies after
/// AUTH are typical Exchange texts.
pub fn m365_send_ok() -> Script {
    let mut steps = m365_login_prelude();
    steps.extend([
        Step::send("235 2.7.0 Authentication successful"),
        Step::expect("MAIL FROM:"),
        Step::send("250 2.1.0 Sender OK"),
        Step::expect("RCPT TO:"),
        Step::send("250 2.1.5 Recipient OK"),
        Step::expect("DATA"),
        Step::send("354 Start mail input; end with <CRLF>.<CRLF>"),
        Step::ExpectData,
        Step::send(
            "250 2.0.0 OK <scanrelay-test@LO4P302CA0005.outlook.office365.com> \
             [Hostname=LO4P302CA0005.outlook.office365.com]",
        ),
        Step::ExpectQuitOrClose,
    ]);
    Script::new(steps)
}

/// Naver on 465 (implicit TLS) refusing the envelope sender: `AUTH PLAIN` succeeds
/// (`235 2.7.0 Accepted ... - nsmtp`), `MAIL FROM` gets `554 5.7.1 The sender address is
/// unauthorized` (cause `sender.not_allowed`), then RSET, QUIT or hang-up.
pub fn naver_sender_refused() -> Script {
    let mut steps = naver_auth_prelude();
    steps.extend([
        Step::expect("MAIL FROM:"),
        Step::Send(reply("naver", "mail", "sender.not_allowed")),
        Step::ExpectQuitOrClose,
    ]);
    Script::new(steps).with_implicit_tls()
}

/// A full Naver submission on 465 (implicit TLS) with the captured replies: `AUTH PLAIN`,
/// one `MAIL FROM`, one `RCPT TO`, `DATA`, then QUIT or hang-up.
pub fn naver_send_ok() -> Script {
    let mut steps = naver_auth_prelude();
    steps.extend([
        Step::expect("MAIL FROM:"),
        Step::send("250 2.1.0 OK  - nsmtp"),
        Step::expect("RCPT TO:"),
        Step::send("250 2.1.5 OK  - nsmtp"),
        Step::expect("DATA"),
        Step::send("354 Go ahead  - nsmtp"),
        Step::ExpectData,
        Step::send("250 2.0.0 OK  - nsmtp"),
        Step::ExpectQuitOrClose,
    ]);
    Script::new(steps).with_implicit_tls()
}

/// Banner, EHLO, STARTTLS and the EHLO after TLS of Gmail's port 587.
fn gmail_starttls_prelude() -> Vec<Step> {
    vec![
        Step::send(GMAIL_BANNER),
        Step::expect("EHLO "),
        Step::send(GMAIL_EHLO_BEFORE_TLS),
        Step::expect("STARTTLS"),
        Step::send(GMAIL_STARTTLS_READY),
        Step::StartTls,
        Step::expect("EHLO "),
        Step::send(GMAIL_EHLO_AFTER_TLS),
    ]
}

/// Microsoft 365 on 587 up to the answer to the password of `AUTH LOGIN`.
fn m365_login_prelude() -> Vec<Step> {
    vec![
        Step::send(M365_BANNER),
        Step::expect("EHLO "),
        Step::send(M365_EHLO_BEFORE_TLS),
        Step::expect("STARTTLS"),
        Step::send(M365_STARTTLS_READY),
        Step::StartTls,
        Step::expect("EHLO "),
        Step::send(M365_EHLO_AFTER_TLS),
        Step::expect_exact("AUTH LOGIN"),
        Step::send("334 VXNlcm5hbWU6"),
        Step::ExpectAny,
        Step::send("334 UGFzc3dvcmQ6"),
        Step::ExpectAny,
    ]
}

/// Naver on 465 (after the implicit handshake) up to a successful `AUTH PLAIN`.
fn naver_auth_prelude() -> Vec<Step> {
    vec![
        Step::send(NAVER_BANNER),
        Step::expect("EHLO "),
        Step::send(NAVER_EHLO),
        Step::expect("AUTH PLAIN "),
        Step::Send(reply("naver", "auth", "ok")),
    ]
}

fn reply(provider: &str, stage: &str, cause: &str) -> String {
    provider_reply(provider, stage, cause).reply
}
