//! The gateway's Prometheus metrics, in a registry of its own (not a process-wide recorder:
//! tests run many gateways in one process, and each must count only its own mail), fed by the
//! [`super::events::EventHub`] and, for the queue gauges, refreshed from the spool when
//! scraped. Encoded in the OpenMetrics text format by prometheus-client.
//!
//! | metric | labels |
//! |---|---|
//! | `scanrelay_messages_accepted_total` | `device` (account, else HELO name and address) |
//! | `scanrelay_deliveries_total` | `upstream`, `result` (`delivered`, `deferred`, `failed`, `held`) |
//! | `scanrelay_queue_messages` | `state` |
//! | `scanrelay_queue_oldest_seconds` | |
//! | `scanrelay_upstream_latency_seconds` (histogram) | `upstream` |
//! | `scanrelay_auth_failures_total` | `listener` |
//! | `scanrelay_oauth_token_expiry_seconds` | `account` |
//! | `scanrelay_reloads_total` | `result` (`applied`, `refused`) |

use std::sync::Mutex;
use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use scanrelay_spool::State;

use super::events::EventKind;

type Labels = Vec<(&'static str, String)>;

/// One gateway's metrics.
pub struct Metrics {
    registry: Registry,
    accepted: Family<Labels, Counter>,
    deliveries: Family<Labels, Counter>,
    queue: Family<Labels, Gauge>,
    oldest: Gauge<f64, AtomicU64>,
    latency: Family<Labels, Histogram>,
    auth_failures: Family<Labels, Counter>,
    token_expiry: Family<Labels, Gauge<f64, AtomicU64>>,
    reloads: Family<Labels, Counter>,
    /// Serialises a refresh of the gauges with the encoding that follows it.
    scrape: Mutex<()>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

fn latency_histogram() -> Histogram {
    // 50 ms .. about 100 s.
    Histogram::new(exponential_buckets(0.05, 2.0, 12))
}

impl Metrics {
    /// The metrics, registered.
    pub fn new() -> Metrics {
        let mut m = Metrics {
            registry: Registry::default(),
            accepted: Family::default(),
            deliveries: Family::default(),
            queue: Family::default(),
            oldest: Gauge::default(),
            latency: Family::new_with_constructor(latency_histogram),
            auth_failures: Family::default(),
            token_expiry: Family::default(),
            reloads: Family::default(),
            scrape: Mutex::new(()),
        };
        let r = &mut m.registry;
        r.register(
            "scanrelay_messages_accepted",
            "Messages accepted from devices",
            m.accepted.clone(),
        );
        r.register(
            "scanrelay_deliveries",
            "Delivery attempts by upstream and result",
            m.deliveries.clone(),
        );
        r.register(
            "scanrelay_queue_messages",
            "Messages in the spool by state",
            m.queue.clone(),
        );
        r.register(
            "scanrelay_queue_oldest_seconds",
            "Age of the oldest message in the spool",
            m.oldest.clone(),
        );
        r.register(
            "scanrelay_upstream_latency_seconds",
            "Time the upstream took to take a message",
            m.latency.clone(),
        );
        r.register(
            "scanrelay_auth_failures",
            "Failed device AUTH attempts by listener",
            m.auth_failures.clone(),
        );
        r.register(
            "scanrelay_oauth_token_expiry_seconds",
            "Seconds until the OAuth2 access token expires (negative: expired)",
            m.token_expiry.clone(),
        );
        r.register(
            "scanrelay_reloads",
            "Config reloads by result",
            m.reloads.clone(),
        );
        for state in State::ALL.map(State::as_str) {
            drop(m.queue.get_or_create(&vec![("state", state.to_string())]));
        }
        m
    }

    /// Creates the series known in advance at 0 (the listeners' AUTH failures, each upstream's
    /// results and latency, each device account's messages, the reload results), so that a
    /// dashboard or an alert sees 0 rather than no data before the first event.
    pub(crate) fn prepare(&self, listeners: &[&str], upstreams: &[String], devices: &[String]) {
        for listener in listeners {
            drop(
                self.auth_failures
                    .get_or_create(&vec![("listener", (*listener).to_string())]),
            );
        }
        for upstream in upstreams {
            for result in ["delivered", "deferred", "failed", "held"] {
                let labels = vec![
                    ("upstream", upstream.clone()),
                    ("result", result.to_string()),
                ];
                drop(self.deliveries.get_or_create(&labels));
            }
            drop(
                self.latency
                    .get_or_create(&vec![("upstream", upstream.clone())]),
            );
        }
        for device in devices {
            drop(
                self.accepted
                    .get_or_create(&vec![("device", device.clone())]),
            );
        }
        for result in ["applied", "refused"] {
            drop(
                self.reloads
                    .get_or_create(&vec![("result", result.to_string())]),
            );
        }
    }

    /// Counts an event.
    pub(crate) fn record(&self, kind: &EventKind) {
        match kind {
            EventKind::Accepted {
                client,
                helo,
                auth_user,
                ..
            } => {
                let device = auth_user
                    .clone()
                    .unwrap_or_else(|| format!("{helo} [{client}]"));
                self.accepted.get_or_create(&vec![("device", device)]).inc();
            }
            EventKind::Delivered {
                upstream,
                latency_ms,
                ..
            } => {
                self.delivery(upstream, "delivered");
                let labels = vec![("upstream", upstream.clone())];
                #[allow(clippy::cast_precision_loss)]
                let secs = *latency_ms as f64 / 1000.0;
                self.latency.get_or_create(&labels).observe(secs);
            }
            EventKind::Deferred { upstream, .. } => self.delivery(upstream, "deferred"),
            EventKind::Failed { upstream, .. } => self.delivery(upstream, "failed"),
            EventKind::Held { upstream, .. } => self.delivery(upstream, "held"),
            EventKind::AuthFailed { listener, .. } => {
                let labels = vec![("listener", listener.clone())];
                self.auth_failures.get_or_create(&labels).inc();
            }
            EventKind::Reloaded { .. } => self.reload("applied"),
            EventKind::ReloadFailed { .. } => self.reload("refused"),
        }
    }

    fn delivery(&self, upstream: &str, result: &str) {
        let labels = vec![
            ("upstream", upstream.to_string()),
            ("result", result.to_string()),
        ];
        self.deliveries.get_or_create(&labels).inc();
    }

    fn reload(&self, result: &str) {
        let labels = vec![("result", result.to_string())];
        self.reloads.get_or_create(&labels).inc();
    }

    /// Sets the queue gauges and the token expiries, then encodes everything.
    pub(crate) fn render(&self, snapshot: &Snapshot) -> String {
        let _serial = self.scrape.lock().unwrap_or_else(|e| e.into_inner());
        for state in State::ALL.map(State::as_str) {
            let n = snapshot
                .by_state
                .iter()
                .find(|(s, _)| s == state)
                .map_or(0, |(_, n)| *n);
            self.queue
                .get_or_create(&vec![("state", state.to_string())])
                .set(i64::try_from(n).unwrap_or(i64::MAX));
        }
        #[allow(clippy::cast_precision_loss)]
        self.oldest.set(snapshot.oldest_age.unwrap_or(0) as f64);
        self.token_expiry.clear();
        for (account, secs) in &snapshot.token_expiry {
            #[allow(clippy::cast_precision_loss)]
            self.token_expiry
                .get_or_create(&vec![("account", account.clone())])
                .set(*secs as f64);
        }
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = encode(&mut out, &self.registry);
        out
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

/// What the scrape-time gauges show.
#[derive(Debug, Clone, Default)]
pub(crate) struct Snapshot {
    /// Messages per state name.
    pub by_state: Vec<(String, u64)>,
    /// Age of the oldest message, seconds.
    pub oldest_age: Option<u64>,
    /// Seconds until each account's access token expires.
    pub token_expiry: Vec<(String, i64)>,
}
