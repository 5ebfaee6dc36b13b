//! The administrator's notice when an upstream's OAuth2 login dies: one message to
//! `admin_notify` saying which upstream and account, why (the authority's answer and its
//! diagnosis), what to run (`scanrelay oauth login NAME`), and that the held mail goes out by
//! itself after the login, in English and Korean.
//!
//! One notice per dead login, also across restarts: a marker file per upstream
//! (`<spool>/notices/NAME.login`) is written when the notice is queued and removed when a new
//! login releases the upstream's mail. The notice is a gateway message like a bounce (null
//! sender, never bounced itself), sent through another upstream when there is one whose login
//! works, else queued behind the login like the rest.

use std::fmt::Write as _;
use std::path::PathBuf;

use mail_builder::MessageBuilder;
use mail_builder::headers::date::Date;
use mail_builder::headers::raw::Raw;
use scanrelay_diagnose::{Cause, Lang, advise};
use scanrelay_spool::{Envelope, MessageId, Spool, SpoolError};

use crate::delivery::dsn::{DSN_CLIENT_ADDR, DsnIds};

/// What the notice says.
#[derive(Debug, Clone)]
pub(crate) struct LoginNotice<'a> {
    /// The upstream whose login died.
    pub upstream: &'a str,
    /// Its `[[oauth]]` account, when known.
    pub account: Option<&'a str>,
    /// The failure, as recorded on the held messages.
    pub detail: &'a str,
    /// The diagnosis.
    pub cause: Cause,
    /// This gateway's host name.
    pub hostname: &'a str,
    /// The administrator.
    pub to: &'a str,
}

fn marker(spool: &Spool, upstream: &str) -> PathBuf {
    spool
        .dir()
        .join("notices")
        .join(format!("{upstream}.login"))
}

/// Queues the notice unless one was already sent for this dead login; `route` is the
/// upstream to send it through. Returns the notice's id when one was queued.
pub(crate) async fn send_login_notice(
    spool: &Spool,
    notice: &LoginNotice<'_>,
    route: Option<String>,
    now: u64,
) -> Result<Option<MessageId>, SpoolError> {
    let path = marker(spool, notice.upstream);
    if path.exists() {
        return Ok(None);
    }
    let bytes = build(notice, &DsnIds::generate(notice.hostname, now));
    let envelope = Envelope {
        mail_from: String::new(),
        rcpt_to: vec![notice.to.to_string()],
        received_at: now,
        client_addr: DSN_CLIENT_ADDR.to_string(),
        helo: notice.hostname.to_string(),
        auth_user: None,
        size: bytes.len() as u64,
        route,
        tls: None,
    };
    let mut incoming = spool.begin().await?;
    incoming.write(&bytes).await?;
    let id = incoming.commit(envelope).await?;
    let dir = path.parent().unwrap_or(spool.dir());
    let written =
        std::fs::create_dir_all(dir).and_then(|()| std::fs::write(&path, format!("{now}\n")));
    if let Err(e) = written {
        tracing::warn!(path = %path.display(), error = %e,
            "cannot record that the login notice was sent; it may be sent again after a restart");
    }
    Ok(Some(id))
}

/// Forgets the notice of `upstream` (its login works again): the next dead login gets one.
pub(crate) fn login_renewed(spool: &Spool, upstream: &str) {
    let path = marker(spool, upstream);
    if let Err(e) = std::fs::remove_file(&path)
        && e.kind() != std::io::ErrorKind::NotFound
    {
        tracing::warn!(path = %path.display(), error = %e, "cannot remove the login notice marker");
    }
}

/// The notice message (CRLF line ends).
pub(crate) fn build(n: &LoginNotice<'_>, ids: &DsnIds) -> Vec<u8> {
    MessageBuilder::new()
        .from((
            "scanrelay gateway",
            format!("MAILER-DAEMON@{}", n.hostname).as_str(),
        ))
        .to(n.to)
        .subject(format!(
            "scanrelay: upstream {} needs a new login (업스트림 로그인 필요)",
            n.upstream
        ))
        .date(Date::new(i64::try_from(ids.date).unwrap_or(i64::MAX)))
        .message_id(ids.message_id.as_str())
        .header("Auto-Submitted", Raw::new("auto-generated"))
        .text_body(text(n))
        .write_to_vec()
        .unwrap_or_default()
}

fn text(n: &LoginNotice<'_>) -> String {
    let mut out = String::new();
    for lang in [Lang::En, Lang::Ko] {
        let mut advice = advise(n.cause, None, lang);
        if let Some(account) = n.account {
            advice = advice.with_account(account);
        }
        let command = n.account.map_or_else(
            || "scanrelay oauth login NAME".to_string(),
            |a| format!("scanrelay oauth login {a}"),
        );
        let _ = match lang {
            Lang::En => write!(
                out,
                "The scanrelay gateway at {host} can no longer log in to upstream \"{up}\".\r\n\
                 \r\n    {detail}\r\n\r\n\
                 Diagnosis: {cause} - {summary}\r\nWhat to do: {fix}\r\n\r\n\
                 Mail for this upstream is kept in the queue, not returned. Once `{command}` \
                 has been run, it goes out by itself within a minute.\r\n",
                host = n.hostname,
                up = n.upstream,
                detail = n.detail,
                cause = n.cause,
                summary = advice.summary,
                fix = advice.fix,
            ),
            Lang::Ko => write!(
                out,
                "\r\n----- 한국어 -----\r\n\r\n\
                 {host} 의 scanrelay 게이트웨이가 업스트림 \"{up}\" 에 더 이상 로그인하지 못합니다.\r\n\
                 \r\n    {detail}\r\n\r\n\
                 진단: {cause} - {summary}\r\n해결 방법: {fix}\r\n\r\n\
                 이 업스트림으로 보낼 메일은 반송되지 않고 대기열에 보관됩니다. `{command}` 를 \
                 실행하면 1분 안에 자동으로 전송됩니다.\r\n",
                host = n.hostname,
                up = n.upstream,
                detail = n.detail,
                cause = n.cause,
                summary = advice.summary,
                fix = advice.fix,
            ),
        };
    }
    out
}
