//! Integration tests of the gateway: one binary (`cargo test -p scanrelay-gateway --test
//! gateway`), servers on 127.0.0.1 port 0, real device-like clients as child processes.

mod listener;
mod listener_support;
mod listener_limits;
mod listener_quirks;
mod config;
mod config_errors;
