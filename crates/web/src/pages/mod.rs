//! The console's pages, one module each; each has `routes()` merged by [`crate::app::router`].

pub mod assets;
pub mod dashboard;
pub mod delivered;
pub mod devices;
pub mod events;
pub mod lang;
pub mod login;
pub mod metrics;
pub mod queue;
pub mod settings;
pub mod setup;
pub mod wizard;
pub mod wizard_check;
pub mod wizard_signin;
