//! What the console needs from the gateway, as a trait: the pages are written against
//! [`ConsoleBackend`], which the running gateway's control handle implements, and the handler
//! tests implement with a fake. The console reaches no gateway internals beyond it.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use scanrelay_gateway::GatewayHandle;
use scanrelay_gateway::control::{DeviceSeen, GatewayEvent, ReloadReport, Status};
use scanrelay_gateway::queue::{RetryReport, RetryTarget};
use scanrelay_gateway::settings::Settings;
use scanrelay_spool::{Entry, MessageId, SpoolError};

/// A boxed future (the trait is used as `dyn`).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The gateway as the console sees it.
pub trait ConsoleBackend: Send + Sync + 'static {
    /// The settings in force (after reloads).
    fn settings(&self) -> Arc<Settings>;
    /// Every spooled message, oldest first.
    fn messages(&self) -> BoxFuture<'_, Result<Vec<Entry>, SpoolError>>;
    /// One message.
    fn message<'a>(&'a self, id: &'a MessageId) -> BoxFuture<'a, Result<Entry, SpoolError>>;
    /// Queues mail again now (and wakes delivery).
    fn retry<'a>(
        &'a self,
        target: &'a RetryTarget,
    ) -> BoxFuture<'a, Result<RetryReport, SpoolError>>;
    /// Removes a message from the spool.
    fn delete<'a>(&'a self, id: &'a MessageId) -> BoxFuture<'a, Result<(), SpoolError>>;
    /// The gateway at a glance (queue counts, today, upstreams, last failures).
    fn status(&self) -> BoxFuture<'_, Result<Status, SpoolError>>;
    /// Every client seen since start, most recent first.
    fn devices(&self) -> Vec<DeviceSeen>;
    /// The recent events, oldest first.
    fn recent_events(&self) -> Vec<GatewayEvent>;
    /// The metrics in Prometheus text format.
    fn metrics_text(&self) -> BoxFuture<'_, String>;
    /// The config file `serve` read, which the settings page edits; `None`: not editable.
    fn config_path(&self) -> Option<std::path::PathBuf> {
        None
    }
    /// Applies new settings as SIGHUP does, without dropping connections; the error says why
    /// the running settings stay.
    fn reload(&self, settings: Settings) -> BoxFuture<'_, Result<ReloadReport, String>> {
        drop(settings);
        Box::pin(async { Err("this console cannot reload the gateway".to_string()) })
    }
}

impl ConsoleBackend for GatewayHandle {
    fn settings(&self) -> Arc<Settings> {
        GatewayHandle::settings(self)
    }
    fn messages(&self) -> BoxFuture<'_, Result<Vec<Entry>, SpoolError>> {
        Box::pin(GatewayHandle::messages(self))
    }
    fn message<'a>(&'a self, id: &'a MessageId) -> BoxFuture<'a, Result<Entry, SpoolError>> {
        Box::pin(GatewayHandle::message(self, id))
    }
    fn retry<'a>(
        &'a self,
        target: &'a RetryTarget,
    ) -> BoxFuture<'a, Result<RetryReport, SpoolError>> {
        Box::pin(GatewayHandle::retry(self, target))
    }
    fn delete<'a>(&'a self, id: &'a MessageId) -> BoxFuture<'a, Result<(), SpoolError>> {
        Box::pin(GatewayHandle::delete(self, id))
    }
    fn status(&self) -> BoxFuture<'_, Result<Status, SpoolError>> {
        Box::pin(GatewayHandle::status(self))
    }
    fn devices(&self) -> Vec<DeviceSeen> {
        GatewayHandle::devices(self)
    }
    fn recent_events(&self) -> Vec<GatewayEvent> {
        GatewayHandle::recent_events(self)
    }
    fn metrics_text(&self) -> BoxFuture<'_, String> {
        Box::pin(GatewayHandle::metrics_text(self))
    }
    fn config_path(&self) -> Option<std::path::PathBuf> {
        Some(GatewayHandle::config_path(self))
    }
    fn reload(&self, settings: Settings) -> BoxFuture<'_, Result<ReloadReport, String>> {
        Box::pin(async move {
            GatewayHandle::reload(self, settings)
                .await
                .map_err(|e| e.to_string())
        })
    }
}

/// The backend shared by all handlers.
pub type SharedBackend = Arc<dyn ConsoleBackend>;
