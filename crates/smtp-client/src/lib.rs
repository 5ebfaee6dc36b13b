//! The one SMTP client of scanrelay, used by `check`, `send` and the gateway's upstream delivery.
//!
//! Async (tokio + tokio-rustls with the aws-lc-rs provider) over the sans-IO core in
//! `scanrelay-proto`: this crate only moves bytes, applies timeouts and records what happened.
//! A [`Session`] is generic over its stream, so STARTTLS is a type swap
//! ([`Session::starttls`]) and tests can drive a session over in-memory pipes.
//!
//! Why hand-written and not lettre: a connection check needs the exact banner, every EHLO
//! keyword (known or not), the TLS version, cipher and peer chain even when verification fails,
//! and a step-by-step transcript with timings. lettre drops the banner and unknown keywords,
//! exposes no TLS facts and takes the whole message in memory; here a 30 MB scan streams from
//! any `AsyncRead` through the dot-stuffer.
//!
//! Every step is recorded in [`Facts`]: what was sent (SASL payloads as `<redacted>`), what
//! was received, and how long it took. Secrets never enter the transcript, logs or errors.
//! A [`StepObserver`] in [`ClientConfig::observer`] is told of each step as it finishes (a
//! live view of a check).
//! Time goes through tokio's clock, so timeout tests run with paused time.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod config;
mod connect;
pub mod diagnosis;
mod error;
mod probe;
mod session;
mod tls;
mod transcript;

pub use config::ClientConfig;
pub use connect::{Connection, connect, establish};
pub use diagnosis::{cause_of, failure_stage, stage_of};
pub use error::{ClientError, Failure, TlsFailure};
pub use session::{AsyncStream, Session};
pub use tls::{CertInfo, ConnTls, TlsInfo, TrustRoots, client_handshake};
pub use transcript::{Facts, StepName, StepObserver, StepRecord};

pub use scanrelay_proto::TlsMode;
pub use scanrelay_proto::sasl::{Credentials, Mechanism};
