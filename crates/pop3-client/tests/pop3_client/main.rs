//! Tests of scanrelay-pop3-client: the hand-written MIME parameter decoding and file names
//! (table tests and properties), the state file, and the driver over an in-process stream
//! for edge cases no real server produces. Real-server tests are the `fetch` and `check --pop`
//! tests of the `scanrelay` binary (crates/cli/tests/cli/fetch_peers.rs, check_pop.rs).

mod names;
mod rfc2231;
mod session;
