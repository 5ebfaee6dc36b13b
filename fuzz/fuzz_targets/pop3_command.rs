//! Parses one POP3 command line as the server does.
//!
//! The first byte picks the mode: even means the rest is raw bytes; odd means every byte is
//! mapped onto POP3 tokens (keywords, numbers, blanks, base64, control bytes), which reaches
//! argument handling far more often. `scanrelay_pop3::fuzz::fuzz_command` holds the checks.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    scanrelay_pop3::fuzz::fuzz_command(data);
});
