//! The SMTP connection check of scanrelay as a library: what `scanrelay check` does and what
//! the web console's "Check connection" runs, the same code for both.
//!
//! The life of a check:
//!
//! 1. A typed [`CheckRequest`] says what to check: a provider preset or a server, port, TLS
//!    mode, the account with its [`Secret`] (a password or an OAuth2 access token), the AUTH
//!    mechanism, an envelope to try, the report's language.
//! 2. [`CheckRequest::plan`] validates it into a [`Plan`] (or a [`PlanError`] that says what
//!    is wrong and which field it is about); [`CheckRequest::endpoint`] validates only where to
//!    connect, before anyone is asked for a secret.
//! 3. [`run`] makes the connection, step by step. An [`Observer`] hears of each step as it
//!    finishes ([`CheckEvent`]: the step, its status and time, the lines exchanged, AUTH
//!    payloads redacted and the secrets scrubbed), so a page can show steps as they happen.
//! 4. The [`Outcome`] holds what was seen and the diagnosis: the cause, the provider, advice in
//!    the plan's language, TLS facts, warnings, and the extra looks a check takes (what answers
//!    on a port that sent no SMTP greeting; whether a certificate is trusted only thanks to the
//!    CA file). [`Outcome::exit_status`] maps it to the documented exit status.
//! 5. [`render_human`] (English or Korean) and [`render_json`] turn it into the reports
//!    `scanrelay check` prints; every string leaving them is scrubbed of the plan's secrets.
//!
//! What this crate must not do: read environment variables (passwords, tokens and the locale
//! are the caller's business: the CLI reads `--password-env`, `--token-env`, `--oauth` and
//! `LANG` and turns them into a [`CheckRequest`]), touch the terminal, print, or exit the
//! process. The only things it reads are the files a request names (the CA file) and, when no
//! EHLO name is given, this machine's host name ([`default_helo`]). It never logs a secret;
//! [`Secret`], [`CheckRequest`] and [`Plan`] hide theirs from `Debug`.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod event;
mod outcome;
mod plan_error;
mod probe;
mod render;
mod request;
mod run;
mod status;

pub use event::{CheckEvent, Observer, Probe, StepEvent};
pub use outcome::Outcome;
pub use plan_error::{Field, PlanError};
pub use probe::HTTP_PROBE;
pub use render::labels::{mode_label, step_label};
pub use render::translate::translate;
pub use render::{render_human, render_json};
pub use request::{CheckRequest, Endpoint, Plan, Secret, default_helo};
pub use run::run;

pub use scanrelay_client::{Mechanism, StepName, TlsMode};
pub use scanrelay_diagnose::Lang;
