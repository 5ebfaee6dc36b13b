//! Bounces: RFC 3464 delivery status notifications in a RFC 6522 `multipart/report`.
//!
//! Three parts:
//! 1. `text/plain`: what failed, the upstream's exact reply, and the diagnosis (cause code,
//!    summary and fix from `scanrelay-diagnose`), in English and then Korean;
//! 2. `message/delivery-status`: `Reporting-MTA`, `Arrival-Date`, and per recipient
//!    `Final-Recipient`, `Action: failed`, `Status`, `Remote-MTA`, `Diagnostic-Code` and the
//!    extension field `X-Scanrelay-Cause`;
//! 3. `text/rfc822-headers`: the original message's header block.
//!
//! Built with mail-builder, which handles multipart/report through Content-Type attributes;
//! the two machine-readable parts are written raw as 7bit (sanitised to ASCII) because
//! mail-builder would otherwise pick quoted-printable for long lines, which RFC 2046 forbids for
//! `message/*`. Boundary, Date and Message-ID come from [`DsnIds`], so output is reproducible.

use std::fmt::Write as _;

use crate::delivery::response::Response;
use crate::header::strip_blank_line;
use mail_builder::MessageBuilder;
use mail_builder::headers::address::Address;
use mail_builder::headers::content_type::ContentType;
use mail_builder::headers::date::Date;
use mail_builder::headers::raw::Raw;
use mail_builder::mime::MimePart;
use rand::Rng;
use scanrelay_diagnose::{Cause, Lang, Provider, advise};

/// The `client_addr` recorded on bounces the gateway generates. A generated bounce that fails
/// is never bounced again (no loops).
pub const DSN_CLIENT_ADDR: &str = "scanrelay-dsn";

/// One recipient the message could not be delivered to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedRecipient {
    /// The recipient address.
    pub rcpt: String,
    /// The upstream's exact answer, if one caused the failure.
    pub response: Option<Response>,
    /// The diagnosis.
    pub cause: Cause,
    /// What went wrong, in words (used when there is no reply).
    pub error: String,
}

/// Why the message is being returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BounceReason {
    /// The upstream (or the gateway) refused it for good.
    Permanent,
    /// Retried until `max_age`: this many hours in the queue.
    Expired {
        /// Hours since the message was accepted.
        hours: u64,
    },
}

/// Everything a bounce says.
#[derive(Debug, Clone)]
pub struct DsnInput<'a> {
    /// This gateway's host name (`Reporting-MTA`, `From`, Message-ID domain).
    pub reporting_mta: &'a str,
    /// The bounce's recipients (the original sender and/or the administrator).
    pub to: &'a [String],
    /// The spool id of the original message.
    pub queue_id: &'a str,
    /// The original envelope sender.
    pub original_sender: &'a str,
    /// When the original was accepted (Unix seconds).
    pub arrival_date: u64,
    /// The upstream host, if the failure came from it.
    pub remote_mta: Option<&'a str>,
    /// Why.
    pub reason: BounceReason,
    /// The failed recipients.
    pub failures: &'a [FailedRecipient],
    /// The original header block.
    pub original_headers: &'a [u8],
    /// The provider preset, for provider-specific fixes.
    pub provider: Option<&'a Provider>,
}

/// The values that make a bounce unique; injected so tests can pin them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DsnIds {
    /// The MIME boundary.
    pub boundary: String,
    /// The `Date` (Unix seconds).
    pub date: u64,
    /// The Message-ID, without angle brackets.
    pub message_id: String,
}

impl DsnIds {
    /// Fresh random ids for a bounce sent `now` by `hostname`.
    pub fn generate(hostname: &str, now: u64) -> DsnIds {
        let mut rng = rand::rng();
        let (a, b): (u64, u64) = (rng.random(), rng.random());
        DsnIds {
            boundary: format!("scanrelay-dsn-{a:016x}"),
            date: now,
            message_id: format!("{now:x}.{b:016x}.dsn@{hostname}"),
        }
    }
}

/// The complete bounce message (CRLF line ends), ready to spool.
pub fn build_dsn(input: &DsnInput<'_>, ids: &DsnIds) -> Vec<u8> {
    let report = MimePart::new(
        ContentType::new("multipart/report")
            .attribute("report-type", "delivery-status")
            .attribute("boundary", ids.boundary.as_str()),
        vec![
            MimePart::new(
                ContentType::new("text/plain").attribute("charset", "utf-8"),
                human_text(input),
            ),
            MimePart::new(
                ContentType::new("message/delivery-status"),
                delivery_status(input).into_bytes(),
            )
            .transfer_encoding("7bit"),
            headers_part(input.original_headers),
        ],
    );
    let to: Vec<Address<'_>> = input.to.iter().map(|a| Address::from(a.as_str())).collect();
    MessageBuilder::new()
        .from((
            "Mail Delivery System",
            format!("MAILER-DAEMON@{}", input.reporting_mta).as_str(),
        ))
        .to(to)
        .subject("Undelivered Mail Returned to Sender (메일 전송 실패)")
        .date(Date::new(i64::try_from(ids.date).unwrap_or(i64::MAX)))
        .message_id(ids.message_id.as_str())
        .header("Auto-Submitted", Raw::new("auto-replied"))
        .header("MIME-Version", Raw::new("1.0"))
        .body(report)
        .write_to_vec()
        .unwrap_or_default()
}

/// `text/rfc822-headers`: raw 7bit when ASCII, else encoded by mail-builder.
fn headers_part(original: &[u8]) -> MimePart<'static> {
    let fields = strip_blank_line(original).to_vec();
    let part = MimePart::new(ContentType::new("text/rfc822-headers"), fields.clone());
    if fields.is_ascii() {
        part.transfer_encoding("7bit")
    } else {
        part
    }
}

/// The RFC 3463 status for a failed recipient: the reply's own 5.x.x code, 5.4.7 (delivery
/// time expired) for an expired message, 5.3.4 for an oversize message, else 5.0.0.
pub fn status_code(failure: &FailedRecipient, reason: BounceReason) -> String {
    if let BounceReason::Expired { .. } = reason {
        return "5.4.7".to_string();
    }
    match failure.response.as_ref() {
        Some(r) if r.smtp().is_some() && r.is_permanent_code() => {
            r.enhanced().unwrap_or_else(|| "5.0.0".to_string())
        }
        _ if failure.cause == Cause::MessageTooLarge => "5.3.4".to_string(),
        _ => "5.0.0".to_string(),
    }
}

fn ascii(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii() && !c.is_ascii_control() {
                c
            } else {
                '?'
            }
        })
        .collect()
}

fn delivery_status(input: &DsnInput<'_>) -> String {
    let mut out = String::new();
    let arrival = Date::new(i64::try_from(input.arrival_date).unwrap_or(0)).to_rfc822();
    let _ = write!(
        out,
        "Reporting-MTA: dns; {}\r\n",
        ascii(input.reporting_mta)
    );
    let _ = write!(out, "X-Scanrelay-Queue-ID: {}\r\n", ascii(input.queue_id));
    let _ = write!(out, "Arrival-Date: {arrival}\r\n");
    for failure in input.failures {
        out.push_str("\r\n");
        let _ = write!(out, "Final-Recipient: rfc822; {}\r\n", ascii(&failure.rcpt));
        out.push_str("Action: failed\r\n");
        let _ = write!(out, "Status: {}\r\n", status_code(failure, input.reason));
        if let Some(host) = input.remote_mta.filter(|_| failure.response.is_some()) {
            let _ = write!(out, "Remote-MTA: dns; {}\r\n", ascii(host));
        }
        let diagnostic = match &failure.response {
            Some(response) => ascii(&response.diagnostic_code()),
            None => format!("X-Scanrelay; {}", ascii(&failure.error)),
        };
        let _ = write!(out, "Diagnostic-Code: {diagnostic}\r\n");
        let _ = write!(out, "X-Scanrelay-Cause: {}\r\n", failure.cause);
    }
    out
}

/// The human-readable part: English, then Korean.
fn human_text(input: &DsnInput<'_>) -> String {
    let mut out = String::new();
    for lang in [Lang::En, Lang::Ko] {
        if lang == Lang::Ko {
            out.push_str("\r\n----- 한국어 -----\r\n\r\n");
        }
        intro(&mut out, input, lang);
        for failure in input.failures {
            recipient_text(&mut out, input, failure, lang);
        }
    }
    out
}

fn intro(out: &mut String, input: &DsnInput<'_>, lang: Lang) {
    let arrival = Date::new(i64::try_from(input.arrival_date).unwrap_or(0)).to_rfc822();
    let (mta, id) = (input.reporting_mta, input.queue_id);
    let sender = if input.original_sender.is_empty() {
        "<>"
    } else {
        input.original_sender
    };
    let _ = match lang {
        Lang::En => write!(
            out,
            "This is the scanrelay mail gateway at {mta}.\r\n\r\n\
             A message from {sender}, accepted on {arrival} (queue id {id}),\r\n\
             could not be delivered to the recipients below.\r\n"
        ),
        Lang::Ko => write!(
            out,
            "{mta} 의 scanrelay 메일 게이트웨이입니다.\r\n\r\n\
             {sender} 님이 {arrival} 에 보낸 메일(대기열 ID {id})을\r\n\
             아래 수신자에게 전달하지 못했습니다.\r\n"
        ),
    };
    if let BounceReason::Expired { hours } = input.reason {
        let _ = match lang {
            Lang::En => write!(
                out,
                "The gateway kept retrying for {hours} hours and has given up.\r\n"
            ),
            Lang::Ko => write!(
                out,
                "게이트웨이가 {hours}시간 동안 재시도했지만 전달하지 못해 포기했습니다.\r\n"
            ),
        };
    }
}

fn recipient_text(out: &mut String, input: &DsnInput<'_>, failure: &FailedRecipient, lang: Lang) {
    let advice = advise(failure.cause, input.provider, lang);
    let _ = write!(out, "\r\n<{}>\r\n", failure.rcpt);
    match (&failure.response, lang) {
        (Some(reply), Lang::En) => {
            let host = input.remote_mta.unwrap_or("the upstream server");
            let _ = write!(out, "    {host} answered:\r\n");
            push_reply(out, reply);
        }
        (Some(reply), Lang::Ko) => {
            let host = input.remote_mta.unwrap_or("상위 메일 서버");
            let _ = write!(out, "    {host} 의 응답:\r\n");
            push_reply(out, reply);
        }
        (None, Lang::En) => {
            let _ = write!(out, "    Error: {}\r\n", failure.error);
        }
        (None, Lang::Ko) => {
            let _ = write!(out, "    오류: {}\r\n", failure.error);
        }
    }
    let (diagnosis, fix) = match lang {
        Lang::En => ("Diagnosis", "What to do"),
        Lang::Ko => ("진단", "해결 방법"),
    };
    let _ = write!(
        out,
        "    {diagnosis}: {} - {}\r\n",
        failure.cause, advice.summary
    );
    let _ = write!(out, "    {fix}: {}\r\n", advice.fix);
}

fn push_reply(out: &mut String, response: &Response) {
    for line in response.lines() {
        let _ = write!(out, "        {line}\r\n");
    }
}
