//! Handler tests of the console (`cargo test -p scanrelay-web --test web`): requests go through
//! the whole router with `tower::ServiceExt::oneshot`, no sockets, over a fake backend whose
//! queue is a real spool in a temporary directory; the `gateway` module runs the same pages
//! over a real started gateway.

mod auth;
mod editable;
mod gateway;
mod i18n;
mod metrics;
mod pages;
mod queue;
mod secrets;
mod security;
mod settings;
mod signin;
mod support;
mod wizard;
