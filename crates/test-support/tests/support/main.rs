//! Tests of the test-support crate itself: the scripted server driven by a tiny raw client
//! (plain, STARTTLS, implicit TLS), its failure reports, the test PKI as seen by a rustls
//! client, the canned provider scenarios, fixtures, the secret check and the peer environment.
//! One test binary (`cargo test --test support`), split into modules by subject.

mod client;
mod data;
mod peers;
mod pki;
mod scenarios;
mod scripted;
