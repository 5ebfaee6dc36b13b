//! [`GraphUpstream`]: delivery through Microsoft Graph (`[upstream] kind = "graph"`), over the
//! `scanrelay-graph` client, for tenants where SMTP AUTH is off or a scan is too large for a
//! single request (Graph takes at most 4 MiB per request; larger scans go through a draft and
//! upload sessions).
//!
//! What Graph answers is mapped to the gateway's transport-neutral errors:
//! - a dead OAuth2 grant (the token source cannot get a token without a person) holds the
//!   mail ([`DeliveryError::Credentials`] with `needs_login`);
//! - an app with `Mail.Send` only, and a message too large for `sendMail`, holds the message
//!   for its setup ([`DeliveryError::Held`]): granting `Mail.ReadWrite` and retrying sends it;
//! - 401/403/404 (permissions, mailbox not enabled, send-as denied) are setup problems, retried
//!   like an SMTP login failure until `max_age`, never bounced at once;
//! - 429/5xx carry Graph's `Retry-After` to the scheduler, which pauses this upstream's lane;
//! - anything else Graph refuses (a size error, bad recipients) fails the message.

use std::io;
use std::sync::Arc;

use scanrelay_diagnose::{Cause, Stage, graph_draft_error_cause, graph_error_cause};
use scanrelay_graph::{
    BearerSource, GraphClient, GraphError, HttpSettings, MessageSource as GraphSource,
};
use tokio::sync::watch;

use crate::delivery::credentials::CredentialError;
use crate::delivery::upstream::{
    BoxFuture, DeliveryError, DeliveryFuture, DeliveryReport, MessageBody, MessageSource,
    OutgoingMessage, RecipientFailure, Response, Upstream,
};

/// Where Graph tokens come from, with what the gateway needs beyond the Graph client's
/// [`BearerSource`]: why the last token could not be had (with its diagnosis), and a signal
/// when a new grant arrives.
pub trait GraphCredentials: BearerSource {
    /// The diagnosis of the last failure to get a token, if any.
    fn last_error(&self) -> Option<CredentialError> {
        None
    }

    /// Wakes when a dead grant was renewed. `None`: never.
    fn changed(&self) -> Option<watch::Receiver<u64>> {
        None
    }

    /// The `[[oauth]]` account, if any.
    fn account(&self) -> Option<&str> {
        None
    }
}

impl GraphCredentials for scanrelay_graph::StaticBearer {}

/// What a Graph upstream is configured with.
#[derive(Debug, Clone)]
pub struct GraphSettings {
    /// The upstream's name.
    pub name: String,
    /// The mailbox that sends (`/users/{mailbox}/sendMail`).
    pub mailbox: String,
    /// `https://graph.microsoft.com` (or a national cloud's, or a test server's).
    pub graph_url: String,
    /// Most sends at once.
    pub max_connections: usize,
    /// Whether the device's From is replaced by the mailbox (Graph refuses other senders
    /// without Send As).
    pub rewrite_from: bool,
    /// HTTP timeouts and extra trust roots.
    pub http: HttpSettings,
}

/// Delivery through Microsoft Graph.
pub struct GraphUpstream {
    settings: GraphSettings,
    host: String,
    client: GraphClient,
    credentials: Arc<dyn GraphCredentials>,
}

impl std::fmt::Debug for GraphUpstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GraphUpstream")
            .field("name", &self.settings.name)
            .field("mailbox", &self.settings.mailbox)
            .field("graph_url", &self.settings.graph_url)
            .finish_non_exhaustive()
    }
}

impl GraphUpstream {
    /// A Graph upstream; fails when the URL is unusable (plain `http://` other than loopback).
    pub fn new(
        settings: GraphSettings,
        credentials: Arc<dyn GraphCredentials>,
    ) -> Result<GraphUpstream, GraphError> {
        let bearer: Arc<dyn BearerSource> = credentials.clone();
        let client = GraphClient::new(&settings.graph_url, &settings.http, bearer)?;
        let host = host_of(&settings.graph_url);
        Ok(GraphUpstream {
            settings,
            host,
            client,
            credentials,
        })
    }

    async fn send(&self, msg: OutgoingMessage) -> Result<DeliveryReport, DeliveryError> {
        let (usable, refused) = split_recipients(msg.rcpt_to);
        if usable.is_empty() {
            return Ok(DeliveryReport {
                accepted: Vec::new(),
                refused,
                response: None,
            });
        }
        let source = Source {
            inner: msg.body,
            len: msg.size,
        };
        match self
            .client
            .send(&self.settings.mailbox, &usable, &source)
            .await
        {
            Ok(report) => {
                tracing::debug!(id = %msg.id, upstream = %self.settings.name,
                    path = ?report.path, requests = report.requests, "sent through Graph");
                Ok(DeliveryReport {
                    accepted: usable,
                    refused,
                    response: Some(Response::Http {
                        status: 202,
                        code: None,
                        message: Some("Accepted".to_string()),
                    }),
                })
            }
            Err(e) => Err(self.delivery_error(e)),
        }
    }

    fn delivery_error(&self, error: GraphError) -> DeliveryError {
        let detail = error.to_string();
        match error {
            GraphError::Bearer(e) => {
                let known = self.credentials.last_error();
                DeliveryError::Credentials {
                    detail: known.as_ref().map_or(e.message, |k| k.detail.clone()),
                    cause: known
                        .as_ref()
                        .map_or(Cause::OauthRequestRejected, |k| k.cause),
                    needs_login: known.map_or(!e.transient, |k| k.needs_login),
                }
            }
            GraphError::DraftsNotAllowed {
                status,
                ref code,
                ref message,
                ..
            } => DeliveryError::Held {
                cause: graph_draft_error_cause(status, Some(code), message.as_deref()),
                detail,
            },
            GraphError::Http {
                status,
                code,
                message,
                retry_after,
                ..
            } => http_error(status, code, message, retry_after, detail),
            GraphError::Network { .. } | GraphError::Protocol { .. } => DeliveryError::Connection {
                stage: Stage::Data,
                detail,
                cause: Cause::ServerTemporary,
            },
            GraphError::Source(e) => DeliveryError::Body(e),
            GraphError::Split(_) | GraphError::BadRecipient(_) => DeliveryError::Unsendable {
                detail,
                cause: Cause::MessageTooLarge,
            },
            GraphError::Config(_) => DeliveryError::Held {
                detail,
                cause: Cause::Unknown,
            },
        }
    }
}

/// An HTTP error status from Graph: a setup problem (401/403/404: soft, retried until
/// `max_age`), a temporary one (408, 429, 5xx, with Graph's `Retry-After`), or a refusal of
/// this message.
fn http_error(
    status: u16,
    code: Option<String>,
    message: Option<String>,
    retry_after: Option<std::time::Duration>,
    detail: String,
) -> DeliveryError {
    let cause = graph_error_cause(status, code.as_deref(), message.as_deref());
    let response = Response::Http {
        status,
        code,
        message,
    };
    if matches!(status, 401 | 403 | 404) || matches!(status, 408 | 429 | 500..=599) {
        DeliveryError::Session {
            stage: Some(if status == 401 {
                Stage::Auth
            } else {
                Stage::Data
            }),
            detail,
            response: Some(response),
            cause,
            retry_after,
        }
    } else {
        DeliveryError::Rejected {
            stage: Stage::Data,
            response,
            cause,
            retry_after,
        }
    }
}

/// Recipients Graph can take, and those refused up front (a line break or control character
/// cannot go into a header).
fn split_recipients(rcpts: Vec<String>) -> (Vec<String>, Vec<RecipientFailure>) {
    let (usable, bad): (Vec<String>, Vec<String>) = rcpts
        .into_iter()
        .partition(|r| !r.chars().any(|c| c.is_control() || c == '<' || c == '>'));
    let refused = bad
        .into_iter()
        .map(|rcpt| RecipientFailure {
            rcpt,
            response: None,
            cause: Cause::SyntaxError,
        })
        .collect();
    (usable, refused)
}

/// The host of a URL, for failure notices (`Remote-MTA`).
fn host_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split('/').next().unwrap_or(rest);
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(v6).to_string(),
        None => host.split(':').next().unwrap_or(host).to_string(),
    }
}

/// The outgoing body as the Graph client's reopenable source.
struct Source {
    inner: Arc<dyn MessageSource>,
    len: u64,
}

impl GraphSource for Source {
    fn open(&self) -> futures_util::future::BoxFuture<'_, io::Result<MessageBody>> {
        self.inner.open()
    }

    fn len(&self) -> u64 {
        self.len
    }
}

impl Upstream for GraphUpstream {
    fn deliver(&self, msg: OutgoingMessage) -> DeliveryFuture<'_> {
        Box::pin(self.send(msg))
    }

    fn max_concurrency(&self) -> usize {
        self.settings.max_connections.max(1)
    }

    fn rewrite_sender(&self) -> Option<&str> {
        self.settings
            .rewrite_from
            .then_some(self.settings.mailbox.as_str())
    }

    fn provider(&self) -> Option<&'static scanrelay_diagnose::Provider> {
        scanrelay_diagnose::provider("m365")
    }

    fn name(&self) -> &str {
        &self.settings.name
    }

    fn remote_host(&self) -> &str {
        &self.host
    }

    fn credentials_changed(&self) -> Option<watch::Receiver<u64>> {
        self.credentials.changed()
    }

    fn oauth_account(&self) -> Option<&str> {
        self.credentials.account()
    }

    fn close_idle(&self) -> BoxFuture<'_, ()> {
        Box::pin(async {})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_host_from_the_url() {
        for (url, host) in [
            ("https://graph.microsoft.com", "graph.microsoft.com"),
            ("https://graph.microsoft.us/", "graph.microsoft.us"),
            ("http://127.0.0.1:4567/v1", "127.0.0.1"),
            ("http://[::1]:80", "::1"),
        ] {
            assert_eq!(host_of(url), host, "{url}");
        }
    }

    #[test]
    fn graph_statuses_map_to_setup_temporary_or_refused() {
        let e =
            |status, code: &str| http_error(status, Some(code.into()), None, None, String::new());
        assert!(matches!(
            e(403, "ErrorAccessDenied"),
            DeliveryError::Session { .. }
        ));
        assert!(e(404, "MailboxNotEnabledForRESTAPI").is_transient());
        assert!(e(429, "ApplicationThrottled").is_transient());
        let big = e(413, "RequestEntityTooLarge");
        assert!(big.is_permanent(), "{big:?}");
        assert_eq!(
            e(403, "ErrorSendAsDenied").cause(),
            Cause::GraphSendAsDenied
        );
    }
}
