//! The delivery side of the gateway: from the spool to the provider.
//!
//! ```text
//! spool ──▶ Scheduler ──▶ lane per upstream ──▶ attempt ──▶ dyn Upstream ──▶ provider
//!             │ (rescan,      (cap, pacing,       │           (SmtpUpstream | Graph)
//!             │  route)        pause, login)      │ record (life-cycle events)
//!             │                                   └─▶ bounce (RFC 3464 DSN) ──▶ spool
//!             └─ Backoff, Clock                        CredentialSource ─▶ password | OAuth2
//! ```
//!
//! - [`Scheduler`] decides when each message is tried and through which upstream: one lane per
//!   upstream ([`Upstreams`]) with its own concurrency cap, pacing ([`Pacing`]), pause (an
//!   upstream's retry hint) and login state; without an upstream, mail is held as `Waiting`.
//! - [`Upstream`] is the object-safe, transport-neutral trait (answers are [`Response`]s: an
//!   SMTP reply or an HTTP status); [`SmtpUpstream`] implements it over the one SMTP client,
//!   with a small pool of authenticated sessions and credentials from a [`CredentialSource`]
//!   asked at every new session.
//! - Every state change of a message is a life-cycle event applied by the spool
//!   (`scanrelay_spool::Event`): `attempt` and `record` describe what happened; the state
//!   machine decides what it means.
//! - [`rewrite`] implements `from_policy = rewrite` as a streaming header rewrite.
//! - [`dsn`] builds bounces; they are queued in the spool like any message.
//!
//! What it must not do: lose a message (a message leaves the spool only when every recipient
//! was delivered; failures stay as `Failed` for `queue show`), bounce a bounce, bounce a
//! message because its upstream's login needs a person (it is held and goes out after the
//! login), sleep on the wall clock (scheduling is tokio time; stored timestamps come from one
//! [`Clock`]), or log a secret (`UpstreamSettings` is never logged: its `Debug` hides it).

mod attempt;
mod backoff;
mod body;
mod bounce;
mod clock;
mod credentials;
mod ctx;
pub mod dsn;
mod graph_upstream;
mod lanes;
mod notice;
mod oauth_source;
mod outcome;
mod pacing;
mod record;
mod response;
pub mod rewrite;
mod scheduler;
mod smtp_upstream;
mod upstream;

pub use backoff::{Backoff, BackoffError};
pub use clock::{Clock, SystemClock, TokioClock};
pub use credentials::{CredentialError, CredentialSource, StaticPassword};
pub use graph_upstream::{GraphCredentials, GraphSettings, GraphUpstream};
pub use lanes::Upstreams;
pub use oauth_source::{OAuthTokens, credential_error};
pub use pacing::Pacing;
pub use scheduler::{DRAIN_GRACE, DeliveryReconfigure, LaneView, Scheduler, SchedulerHandle};
pub use smtp_upstream::{DEFAULT_IDLE_TIMEOUT, SmtpUpstream, UpstreamSetupError};
pub use upstream::{
    BoxFuture, DeliveryError, DeliveryFuture, DeliveryReport, MemoryBody, MessageBody,
    MessageSource, OutgoingMessage, RecipientFailure, Response, Upstream,
};
