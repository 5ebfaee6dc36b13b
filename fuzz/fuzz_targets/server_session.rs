//! Drives the server session state machine with arbitrary client bytes.
//!
//! `scanrelay_proto::server::fuzz_session` owns the harness (feeding the bytes in pieces,
//! checking the replies it produces), so that it can reach the session's private state.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    scanrelay_proto::server::fuzz_session(data);
});
