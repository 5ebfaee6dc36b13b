//! [`GatewayHandle::reload`]: new settings for a running gateway, without dropping a
//! connection. `serve` calls it on SIGHUP with the config file read again; the console calls
//! it after writing the file.
//!
//! Applied at once: for new connections, everything the listener decides per connection
//! (allow list, device accounts, size and recipient limits, timeouts, host name, routes);
//! for delivery, the upstreams (rebuilt only when they or their OAuth2 accounts changed, so an
//! unrelated change keeps the pooled upstream sessions) and the retry settings. Open sessions
//! finish with the settings they started with; attempts in flight finish on their upstream.
//! `pop_before_smtp` and the device mailboxes apply at once too (a window already opened keeps
//! the length it was opened with).
//! Not applied, and reported as needing a restart: the listening addresses (`pop3` and
//! `pop3s` included; the console's too, and whether it uses TLS), the certificate files and
//! `tls_min_version` (each listener's TLS acceptor is built at start), the connection cap, the
//! AUTH lockout rule and the directories (the running values stay in
//! [`GatewayHandle::settings`]).

use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;

use serde::Serialize;

use super::GatewayHandle;
use super::events::EventKind;
use crate::settings::Settings;

/// What a reload changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReloadReport {
    /// The settings applied, by config key or section.
    pub applied: Vec<String>,
    /// Changed settings that take effect only after a restart.
    pub needs_restart: Vec<String>,
}

impl ReloadReport {
    /// Whether anything changed at all.
    pub fn is_empty(&self) -> bool {
        self.applied.is_empty() && self.needs_restart.is_empty()
    }
}

/// Why a reload was refused (the running settings stay).
#[derive(Debug, thiserror::Error)]
pub enum ReloadError {
    /// An upstream or OAuth2 account cannot be set up.
    #[error("upstream: {0}")]
    Upstream(String),
    /// The retry delays are invalid.
    #[error("delivery: {0}")]
    Delivery(#[from] crate::delivery::BackoffError),
}

/// Compares one field by its `Debug` form (secrets are compared separately).
macro_rules! changed {
    ($out:expr, $old:expr, $new:expr, $prefix:literal, [$($field:ident),*]) => {
        $(
            if format!("{:?}", $old.$field) != format!("{:?}", $new.$field) {
                $out.push(concat!($prefix, stringify!($field)).to_string());
            }
        )*
    };
}

/// What differs between `old` and `new`.
fn compare(old: &Settings, new: &Settings) -> ReloadReport {
    let mut r = ReloadReport::default();
    let (o, n) = (&old.listen, &new.listen);
    changed!(
        r.applied,
        o,
        n,
        "listen.",
        [
            allow_networks,
            max_message_size,
            max_recipients,
            max_connections_per_ip,
            command_timeout,
            data_timeout,
            allow_plaintext_auth,
            hostname,
            unauthenticated_timeout,
            max_session_time,
            pop_before_smtp
        ]
    );
    changed!(
        r.needs_restart,
        o,
        n,
        "listen.",
        [
            smtp,
            smtps,
            pop3,
            pop3s,
            tls_cert,
            tls_key,
            tls_min_version,
            max_connections,
            max_auth_failures,
            auth_lockout
        ]
    );
    changed!(r.needs_restart, old, new, "", [data_dir, spool_dir]);
    let (ow, nw) = (&old.listen.web, &new.listen.web);
    if ow.addr != nw.addr {
        r.needs_restart.push("listen.web".to_string());
    }
    if ow.tls != nw.tls {
        r.needs_restart.push("listen.web_tls".to_string());
    }
    if ow.metrics_allow != nw.metrics_allow {
        r.applied.push("listen.metrics_allow".to_string());
    }
    if devices_fingerprint(old) != devices_fingerprint(new) {
        r.applied.push("device accounts".to_string());
    }
    if format!("{:?}", old.routing) != format!("{:?}", new.routing) {
        r.applied.push("routes".to_string());
    }
    if upstreams_fingerprint(old) != upstreams_fingerprint(new) {
        r.applied.push("upstreams".to_string());
    }
    if format!("{:?}", old.delivery) != format!("{:?}", new.delivery) {
        r.applied.push("delivery".to_string());
    }
    r
}

/// A hash of the device accounts, passwords included (held in memory only).
fn devices_fingerprint(s: &Settings) -> u64 {
    let mut h = DefaultHasher::new();
    for d in &s.devices {
        (&d.username, &d.password, &d.mailbox_address).hash(&mut h);
    }
    h.finish()
}

/// A hash of what the upstreams are built from, secrets included: equal means the running
/// upstreams can stay.
fn upstreams_fingerprint(s: &Settings) -> u64 {
    let mut h = DefaultHasher::new();
    for up in &s.upstreams {
        (format!("{up:?}"), &up.password).hash(&mut h);
    }
    for account in &s.oauth {
        let secret = account.client_secret.as_ref().map(|s| s.expose());
        (format!("{account:?}"), secret).hash(&mut h);
    }
    s.data_dir.hash(&mut h);
    h.finish()
}

/// `new` with the settings that need a restart kept as they run now.
fn keep_running_values(old: &Settings, mut new: Settings) -> Settings {
    let (o, n) = (&old.listen, &mut new.listen);
    n.smtp = o.smtp;
    n.smtps = o.smtps;
    n.pop3 = o.pop3;
    n.pop3s = o.pop3s;
    n.tls_cert.clone_from(&o.tls_cert);
    n.tls_key.clone_from(&o.tls_key);
    n.tls_min_version = o.tls_min_version;
    n.max_connections = o.max_connections;
    n.max_auth_failures = o.max_auth_failures;
    n.auth_lockout = o.auth_lockout;
    n.web.addr = o.web.addr;
    n.web.tls = o.web.tls;
    new.data_dir.clone_from(&old.data_dir);
    new.spool_dir.clone_from(&old.spool_dir);
    new
}

impl GatewayHandle {
    /// Runs with `new` from now on (see the module doc for what applies at once). On an
    /// error nothing changed. Every reload is an event (and logged).
    pub async fn reload(&self, new: Settings) -> Result<ReloadReport, ReloadError> {
        let _one_at_a_time = self.inner.reloading.lock().await;
        let old = self.settings();
        let report = compare(&old, &new);
        let new = keep_running_values(&old, new);
        if let Err(e) = self.apply(&old, &new) {
            tracing::error!(error = %e, "reload refused; the running settings stay");
            let error = e.to_string();
            self.inner
                .shared
                .hub
                .emit(EventKind::ReloadFailed { error });
            return Err(e);
        }
        self.prepare_metrics(&new);
        self.inner.settings.send_replace(Arc::new(new));
        tracing::info!(
            applied = ?report.applied,
            needs_restart = ?report.needs_restart,
            "settings reloaded"
        );
        self.inner.shared.hub.emit(EventKind::Reloaded {
            applied: report.applied.clone(),
            needs_restart: report.needs_restart.clone(),
        });
        Ok(report)
    }

    fn apply(&self, old: &Settings, new: &Settings) -> Result<(), ReloadError> {
        let rebuild = upstreams_fingerprint(old) != upstreams_fingerprint(new);
        let built = if rebuild {
            let built =
                crate::upstreams::build(new).map_err(|e| ReloadError::Upstream(e.to_string()))?;
            Arc::new(built)
        } else {
            self.inner
                .built
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone()
        };
        let delivery = format!("{:?}", old.delivery) != format!("{:?}", new.delivery);
        let hostname = old.listen.hostname != new.listen.hostname;
        if rebuild || delivery || hostname {
            self.inner.delivery.apply(
                built.upstreams.clone(),
                new.delivery.clone(),
                new.listen.hostname.clone(),
            )?;
        }
        *self.inner.built.lock().unwrap_or_else(|e| e.into_inner()) = built;
        self.inner.shared.reconfigure(new);
        Ok(())
    }
}
