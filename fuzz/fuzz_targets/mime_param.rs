//! Decodes attachment file names from arbitrary bytes: a part's header block (RFC 2231
//! continuations, raw 8-bit values, quoted strings, folding) and a whole message through
//! mail-parser. `scanrelay_pop3_client::mime::fuzz::fuzz_names` holds the checks: no panic,
//! and every name one safe path component.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    scanrelay_pop3_client::mime::fuzz::fuzz_names(data);
});
