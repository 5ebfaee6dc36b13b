//! The scanrelay gateway: office devices submit SMTP to it; it spools every message durably
//! and forwards it upstream with retries and bounces. It is never an open relay.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod accounts;
pub mod config;
pub mod control;
mod dates;
pub mod delivery;
mod header;
pub mod listener;
mod mailbox;
pub mod queue;
pub mod routing;
pub mod server;
pub mod settings;
mod supervise;
mod time;
pub mod upstreams;

pub use control::GatewayHandle;
pub use server::{Gateway, GatewayError, RunningGateway, StartOptions};
pub use supervise::Health;
