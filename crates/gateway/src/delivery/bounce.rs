//! Queuing bounces: who gets one, and committing it to the spool so that it is delivered by
//! the same upstream and survives restarts.
//!
//! Loop rules: a bounce goes to the original envelope sender and to `admin_notify`. A message
//! with the null sender gets no bounce to its sender (never bounce a bounce), only the admin
//! notice. A bounce the gateway generated itself ([`DSN_CLIENT_ADDR`]) that fails is only
//! logged and kept as `Failed`: no notice about a notice.

use scanrelay_spool::{Entry, Envelope, MessageId, Spool, SpoolError};
use tokio::io::AsyncReadExt;

use crate::delivery::ctx::Ctx;
use crate::delivery::dsn::{
    BounceReason, DSN_CLIENT_ADDR, DsnIds, DsnInput, FailedRecipient, build_dsn,
};
use crate::delivery::rewrite::{MAX_HEADER_BLOCK, header_end};
use crate::delivery::upstream::Upstream;

/// Who is told that `envelope`'s message failed.
pub(crate) fn bounce_recipients(envelope: &Envelope, admin: Option<&str>) -> Vec<String> {
    if envelope.mail_from.is_empty() && envelope.client_addr == DSN_CLIENT_ADDR {
        return Vec::new();
    }
    let mut to = Vec::new();
    if !envelope.mail_from.is_empty() {
        to.push(envelope.mail_from.clone());
    }
    if let Some(admin) = admin.filter(|a| !a.is_empty())
        && !to.iter().any(|t| t.eq_ignore_ascii_case(admin))
    {
        to.push(admin.to_string());
    }
    to
}

/// Builds the bounce for `failed` recipients of `entry` and queues it. The caller marks the
/// original failed only after this returned `Ok`, so the notice is never lost: when it cannot be
/// queued, the error is returned and the original message is tried again later.
pub(crate) async fn send_bounce(
    ctx: &Ctx,
    entry: &Entry,
    upstream: &dyn Upstream,
    failed: &[FailedRecipient],
    reason: BounceReason,
) -> Result<(), SpoolError> {
    let id = &entry.id;
    let to = bounce_recipients(&entry.envelope, ctx.settings.admin_notify.as_deref());
    if to.is_empty() {
        tracing::warn!(
            %id,
            "not sending a bounce: the failed message is itself a bounce, or has no sender and no admin_notify is set"
        );
        return Ok(());
    }
    let headers = original_headers(&ctx.spool, id).await;
    let now = ctx.clock.unix_now();
    let remote = upstream.remote_host();
    let input = DsnInput {
        reporting_mta: &ctx.hostname,
        to: &to,
        queue_id: id.as_str(),
        original_sender: &entry.envelope.mail_from,
        arrival_date: entry.envelope.received_at,
        remote_mta: Some(remote),
        reason,
        failures: failed,
        original_headers: &headers,
        provider: upstream.provider(),
    };
    let bytes = build_dsn(&input, &DsnIds::generate(&ctx.hostname, now));
    let route = entry.envelope.route.clone();
    let envelope = bounce_envelope(ctx, to, now, bytes.len() as u64, route);
    match commit(&ctx.spool, envelope, &bytes).await {
        Ok(bounce_id) => {
            tracing::info!(%id, bounce = %bounce_id, "bounce queued");
            ctx.wake.notify_one();
            Ok(())
        }
        Err(e) => {
            tracing::error!(%id, error = %e, "cannot queue the bounce; the message is tried again later");
            Err(e)
        }
    }
}

/// The envelope of a bounce sent `now` to `to`, through the upstream the original was routed
/// to (`route`).
fn bounce_envelope(
    ctx: &Ctx,
    to: Vec<String>,
    now: u64,
    size: u64,
    route: Option<String>,
) -> Envelope {
    Envelope {
        mail_from: String::new(),
        rcpt_to: to,
        received_at: now,
        client_addr: crate::delivery::dsn::DSN_CLIENT_ADDR.to_string(),
        helo: ctx.hostname.clone(),
        auth_user: None,
        size,
        route,
        tls: None,
    }
}

async fn commit(spool: &Spool, envelope: Envelope, bytes: &[u8]) -> Result<MessageId, SpoolError> {
    let mut incoming = spool.begin().await?;
    incoming.write(bytes).await?;
    incoming.commit(envelope).await
}

/// The original header block (at most [`MAX_HEADER_BLOCK`] bytes, cut at a line end), or
/// nothing when the body cannot be read.
async fn original_headers(spool: &Spool, id: &MessageId) -> Vec<u8> {
    let Ok(file) = spool.open_body(id).await else {
        return Vec::new();
    };
    let mut buf = Vec::new();
    if file
        .take(MAX_HEADER_BLOCK as u64)
        .read_to_end(&mut buf)
        .await
        .is_err()
    {
        return Vec::new();
    }
    match header_end(&buf) {
        Some(end) => buf.truncate(end),
        None => {
            let keep = buf.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
            buf.truncate(keep);
        }
    }
    buf
}

#[cfg(test)]
mod tests {
    use super::*;

    fn envelope(from: &str, client: &str) -> Envelope {
        Envelope {
            mail_from: from.to_string(),
            rcpt_to: vec!["boss@example.com".to_string()],
            received_at: 0,
            client_addr: client.to_string(),
            helo: "mfp".to_string(),
            auth_user: None,
            size: 0,
            route: None,
            tls: None,
        }
    }

    #[test]
    fn who_gets_a_bounce() {
        let device = envelope("scan@office.lan", "192.0.2.7:1234");
        assert_eq!(bounce_recipients(&device, None), ["scan@office.lan"]);
        assert_eq!(
            bounce_recipients(&device, Some("admin@office.lan")),
            ["scan@office.lan", "admin@office.lan"]
        );
        assert_eq!(
            bounce_recipients(&device, Some("SCAN@office.lan")),
            ["scan@office.lan"]
        );
        let null_sender = envelope("", "192.0.2.7:1234");
        assert!(bounce_recipients(&null_sender, None).is_empty());
        assert_eq!(
            bounce_recipients(&null_sender, Some("admin@office.lan")),
            ["admin@office.lan"]
        );
        let own_bounce = envelope("", DSN_CLIENT_ADDR);
        assert!(bounce_recipients(&own_bounce, Some("admin@office.lan")).is_empty());
    }
}
