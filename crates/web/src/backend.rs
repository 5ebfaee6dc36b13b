//! What the console needs from the gateway, as a trait: the pages are written against
//! [`ConsoleBackend`], which the running gateway's control handle implements, and the handler
//! tests implement with a fake. The console reaches no gateway internals beyond it.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

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
    /// The metrics in Prometheus text format.
    fn metrics_text(&self) -> BoxFuture<'_, String>;
}

/// The backend shared by all handlers.
pub type SharedBackend = Arc<dyn ConsoleBackend>;
