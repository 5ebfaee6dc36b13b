//! Drives the POP3 server session state machine with arbitrary client bytes.
//!
//! `scanrelay_pop3::server::fuzz_session` owns the harness (feeding the bytes whole and in
//! pieces, answering verdicts, checking every response and body it produces).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    scanrelay_pop3::server::fuzz_session(data);
});
