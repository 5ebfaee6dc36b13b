//! Drives the POP3 client session with arbitrary server bytes.
//!
//! The first byte picks a command script (login with USER/PASS, STLS + AUTH PLAIN, a reversed
//! TRANSACTION, a short session) and whether TLS is active; the rest is what the server sends.
//! `scanrelay_pop3::fuzz::fuzz_client` holds the harness and its checks.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    scanrelay_pop3::fuzz::fuzz_client(data);
});
