//! [`Status`]: the gateway at a glance, for the console's dashboard and the metrics.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use scanrelay_spool::{Entry, SpoolError, State};
use serde::Serialize;

use super::GatewayHandle;
use super::events::{DayCounts, GatewayEvent};
use super::metrics::Snapshot;
use crate::settings::{UpstreamKind, UpstreamSettings};

/// The gateway at a glance.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    /// Unix time the gateway started.
    pub started_at: u64,
    /// Whether delivery runs (it stops for good only after repeated crashes; see
    /// [`crate::Health`]).
    pub delivery_running: bool,
    /// Messages refused because delivery had stopped.
    pub refused_delivery_stopped: u64,
    /// The listening sockets: (`smtp`, `smtps`, `pop3` or `pop3s`, address).
    pub listeners: Vec<(String, SocketAddr)>,
    /// The spool.
    pub queue: QueueCounts,
    /// Since local midnight.
    pub today: DayCounts,
    /// Each upstream, the default first.
    pub upstreams: Vec<UpstreamStatus>,
    /// The last delivery failures, oldest first.
    pub last_failures: Vec<GatewayEvent>,
}

/// Messages in the spool.
#[derive(Debug, Clone, Default, Serialize)]
pub struct QueueCounts {
    /// By state name (every state, 0 when none).
    pub by_state: BTreeMap<String, u64>,
    /// Unix time the oldest message arrived.
    pub oldest_unix: Option<u64>,
}

impl QueueCounts {
    fn of(entries: &[Entry]) -> QueueCounts {
        let mut by_state: BTreeMap<String, u64> = State::ALL
            .iter()
            .map(|s| (s.as_str().to_string(), 0))
            .collect();
        for e in entries {
            *by_state
                .entry(e.delivery.state.as_str().to_string())
                .or_default() += 1;
        }
        QueueCounts {
            by_state,
            oldest_unix: entries.iter().map(|e| e.envelope.received_at).min(),
        }
    }

    /// Messages in the spool.
    pub fn total(&self) -> u64 {
        self.by_state.values().sum()
    }
}

/// One upstream.
#[derive(Debug, Clone, Serialize)]
pub struct UpstreamStatus {
    /// Its name.
    pub name: String,
    /// Where it is, e.g. `smtp.gmail.com:587 (starttls)` or `Microsoft Graph as scan@...`.
    pub summary: String,
    /// Its OAuth2 login needs a person (its mail is held).
    pub needs_login: bool,
    /// It asked to be left alone until this Unix time.
    pub paused_until: Option<u64>,
    /// Attempts running.
    pub in_flight: usize,
    /// Its OAuth2 account, when it logs in with one.
    pub oauth: Option<OAuthStatus>,
}

/// An OAuth2 account's token state (never a token).
#[derive(Debug, Clone, Serialize)]
pub struct OAuthStatus {
    /// The account name.
    pub account: String,
    /// `ok`, `needs_login` or `error`, as `scanrelay oauth status` says.
    pub state: String,
    /// Why it is not `ok`.
    pub reason: Option<String>,
    /// Unix time the stored access token expires.
    pub access_expires_unix: Option<u64>,
}

/// `smtp.gmail.com:587 (starttls)`, or `Microsoft Graph <url> as <mailbox>`.
pub fn upstream_summary(up: &UpstreamSettings) -> String {
    match &up.kind {
        UpstreamKind::Smtp => format!("{}:{} ({})", up.server, up.port, up.tls),
        UpstreamKind::Graph { mailbox, graph_url } => {
            format!("Microsoft Graph {graph_url} as {mailbox}")
        }
    }
}

fn unix(t: std::time::SystemTime) -> Option<u64> {
    t.duration_since(std::time::UNIX_EPOCH)
        .ok()
        .map(|d| d.as_secs())
}

impl GatewayHandle {
    /// The gateway at a glance (reads every envelope in the spool).
    pub async fn status(&self) -> Result<Status, SpoolError> {
        let entries = self.inner.spool.list().await?;
        let hub = &self.inner.shared.hub;
        Ok(Status {
            started_at: self.inner.started_at,
            delivery_running: !self.inner.health.delivery_stopped(),
            refused_delivery_stopped: self.inner.health.refusals(),
            listeners: self.inner.listeners.clone(),
            queue: QueueCounts::of(&entries),
            today: hub.today(),
            upstreams: self.upstream_status().await,
            last_failures: hub.recent_failures(),
        })
    }

    async fn upstream_status(&self) -> Vec<UpstreamStatus> {
        let settings = self.settings();
        let lanes = self
            .inner
            .lanes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let oauth = self.oauth_status().await;
        settings
            .upstreams
            .iter()
            .map(|up| {
                let lane = lanes.iter().find(|l| l.name == up.name);
                UpstreamStatus {
                    name: up.name.clone(),
                    summary: upstream_summary(up),
                    needs_login: lane.is_some_and(|l| l.needs_login),
                    paused_until: lane.and_then(|l| l.paused_until),
                    in_flight: lane.map_or(0, |l| l.in_flight),
                    oauth: up
                        .oauth
                        .as_ref()
                        .and_then(|name| oauth.iter().find(|o| o.account == *name).cloned()),
                }
            })
            .collect()
    }

    /// Every OAuth2 account the upstreams use.
    async fn oauth_status(&self) -> Vec<OAuthStatus> {
        let built = self
            .inner
            .built
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let mut out = Vec::new();
        for manager in built.managers() {
            let s = manager.status().await;
            out.push(OAuthStatus {
                account: s.name,
                state: s.state.as_str().to_string(),
                reason: s.reason,
                access_expires_unix: s.access_expires.and_then(unix),
            });
        }
        out
    }

    /// The metrics in the OpenMetrics text format (Prometheus scrapes it), with the queue
    /// gauges and token expiries read now.
    pub async fn metrics_text(&self) -> String {
        let entries = self.inner.spool.list().await.unwrap_or_default();
        let counts = QueueCounts::of(&entries);
        let now = crate::time::unix_now();
        let token_expiry = self
            .oauth_status()
            .await
            .into_iter()
            .filter_map(|o| {
                let at = i64::try_from(o.access_expires_unix?).ok()?;
                Some((o.account, at - i64::try_from(now).unwrap_or(i64::MAX)))
            })
            .collect();
        let snapshot = Snapshot {
            by_state: counts.by_state.into_iter().collect(),
            oldest_age: counts.oldest_unix.map(|t| now.saturating_sub(t)),
            token_expiry,
        };
        self.inner.shared.hub.metrics().render(&snapshot)
    }
}
