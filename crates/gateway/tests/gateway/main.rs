//! Integration tests of the gateway: one binary (`cargo test -p scanrelay-gateway --test
//! gateway`), servers on 127.0.0.1 port 0, real device-like clients as child processes.

mod config;
mod config_edit;
mod config_edit_safety;
mod config_errors;
mod config_files;
mod config_hardening;
mod config_oauth;
mod config_upstreams;
mod config_web;
mod control;
mod delivery;
mod delivery_disk_full;
mod delivery_dsn;
mod delivery_graph;
mod delivery_hardening;
mod delivery_lanes;
mod delivery_logs;
mod delivery_retry;
mod delivery_rewrite;
mod delivery_smtp;
mod delivery_support;
mod listener;
mod listener_abuse;
mod listener_attacks;
mod listener_hardening;
mod listener_limits;
mod listener_old_tls;
mod listener_pop3;
mod listener_quirks;
mod listener_support;
mod log_capture;
