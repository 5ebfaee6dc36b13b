//! Tests of the test-support crate itself: the scripted server driven by a tiny raw client
//! (plain, STARTTLS, implicit TLS), its failure reports, the test PKI as seen by a rustls
//! client, the canned provider scenarios, fixtures, the secret check, the peer environment and
//! the fake Microsoft Graph's contract, and the benchmark's cloud process
//! (`scanrelay-test-cloud`).
//! One test binary (`cargo test --test support`), split into modules by subject.

mod client;
mod cloud;
mod data;
mod graph_server;
mod peers;
mod pki;
mod scenarios;
mod scripted;
mod strace;
