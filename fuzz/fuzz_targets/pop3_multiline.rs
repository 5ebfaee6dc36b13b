//! Encodes and decodes POP3 multi-line bodies (RETR, TOP) in random chunks.
//!
//! The first two bytes seed the chunk sizes and pick the TOP line count; the rest is the
//! message. `scanrelay_pop3::fuzz::fuzz_multiline` holds the checks.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    scanrelay_pop3::fuzz::fuzz_multiline(data);
});
