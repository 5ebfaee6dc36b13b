//! The delivery side of the gateway: from the spool to the provider.
//!
//! ```text
//! spool ──▶ Scheduler ──▶ attempt ──▶ dyn Upstream (SmtpUpstream | later Graph) ──▶ provider
//!             │ (when)      │ (rewrite From, record outcome)
//!             │             └─▶ bounce (RFC 3464 DSN) ──▶ spool
//!             └─ Backoff, Clock
//! ```
//!
//! - [`Scheduler`] decides when each message is tried (ordered set + `sleep_until`, rescans for
//!   operator changes), caps attempts in flight at the upstream's concurrency, and holds mail
//!   as `Waiting` when no upstream is configured.
//! - [`Upstream`] is the object-safe transport trait; [`SmtpUpstream`] implements it over the
//!   one SMTP client, with a small pool of authenticated sessions.
//! - [`rewrite`] implements `from_policy = rewrite` as a streaming header rewrite.
//! - [`dsn`] builds bounces; they are queued in the spool like any message.
//!
//! What it must not do: lose a message (a message leaves the spool only when every recipient
//! was delivered; failures stay as `Failed` for `queue show`), bounce a bounce, sleep on the
//! wall clock (scheduling is tokio time; stored timestamps come from one [`Clock`]), or log a
//! secret (`UpstreamSettings` is never logged: its `Debug` shows the password).

mod attempt;
mod backoff;
mod bounce;
mod clock;
pub mod dsn;
mod record;
pub mod rewrite;
mod scheduler;
mod smtp_upstream;
mod upstream;

pub use backoff::{Backoff, BackoffError};
pub use clock::{Clock, SystemClock, TokioClock};
pub use scheduler::{DRAIN_GRACE, Scheduler, SchedulerHandle};
pub use smtp_upstream::{DEFAULT_IDLE_TIMEOUT, SmtpUpstream, UpstreamSetupError};
pub use upstream::{
    DeliveryError, DeliveryFuture, DeliveryReport, MessageBody, OutgoingMessage, RecipientFailure,
    Upstream,
};
