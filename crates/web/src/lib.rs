//! The scanrelay admin console: a web UI served by `scanrelay serve` on `[listen] web`
//! (default `127.0.0.1:8025`) over the running gateway's control plane (dashboard, queue with
//! retry and delete, devices seen, recent events), and `GET /metrics` for Prometheus.
//!
//! Pages are rendered on the server from askama templates (checked at compile time) in
//! English or Korean ([`i18n`]); the only script is a small static file that refreshes the
//! events page. The router is built in one place ([`app::router`]); each page is a module
//! under [`pages`] using the shared [`layout`], [`auth`] extractors and [`views`].
//!
//! What it must not do: reach into the gateway beyond [`backend::ConsoleBackend`], or show a
//! secret. Passwords and tokens from the config are never rendered into a page, a form value
//! or a URL, and never logged.
//!
//! # Security model
//! * **One admin**, one password, stored only as an Argon2id hash (PHC string) in
//!   `<data-dir>/admin.password` (0600), set with `scanrelay admin set-password` or once through
//!   the setup link `serve` logs on a start without a password (a random 256-bit token from the
//!   OS, compared in constant time, dead once a password is set or the process restarts). The
//!   config refuses a non-loopback `web` address until a password is set.
//! * **Sessions** live in memory: a random 256-bit id in a cookie with `HttpOnly`,
//!   `SameSite=Strict`, `Path=/`, and `Secure` over TLS. They end after 30 minutes without a
//!   request and 12 hours after login, at logout and at restart. Logging in issues a new id.
//! * **CSRF**: every form carries its session's random token; a `POST` whose token is missing
//!   or wrong is refused with 403 (login and setup included: their visitors get an anonymous
//!   session for it). `SameSite=Strict` is a second line.
//! * **Wrong passwords** are answered after 1 s; five from one client address within 15
//!   minutes lock it out for 15 minutes (`429` with `Retry-After`).
//! * **Headers** on every response: a Content-Security-Policy allowing only this origin's
//!   files (no inline script, `frame-ancestors 'none'`), `X-Content-Type-Options: nosniff`,
//!   `Referrer-Policy: no-referrer`, and `Cache-Control: no-store` on pages.
//! * **`/metrics`** is open without login only to `[listen] metrics_allow` (default loopback).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod app;
pub mod auth;
pub mod backend;
pub mod i18n;
pub mod layout;
pub mod pages;
pub mod security;
mod server;
pub mod tls;
pub mod views;

pub use app::{AppState, router};
pub use backend::{ConsoleBackend, SharedBackend};
pub use server::{Console, WebError, serve, serve_backend, serve_with};
