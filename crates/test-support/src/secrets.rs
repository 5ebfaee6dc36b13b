//! [`assert_no_secrets`]: a leak check for transcripts, logs, reports and web pages.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE_NO_PAD};

/// The shortest base64 run worth searching for; shorter ones would match by chance.
const MIN_B64_CORE: usize = 6;

/// Panics if any secret appears in `haystack`, literally or base64-encoded.
///
/// Besides `base64(secret)` itself, the base64 check finds a secret of 5 bytes or more inside
/// any base64 blob at any alignment (standard and URL-safe alphabets), so it catches `AUTH PLAIN` payloads (`\0user\0secret`), `AUTH LOGIN`
/// answers and XOAUTH2 strings, not only `base64(secret)` on its own. The panic names the
/// secret by its index in `secrets` and never prints the secret or the haystack.
///
/// # Panics
/// When a secret leaks, or when a secret is empty (a test bug: it would match everywhere).
pub fn assert_no_secrets(haystack: &str, secrets: &[&str]) {
    for (index, secret) in secrets.iter().enumerate() {
        assert!(
            !secret.is_empty(),
            "assert_no_secrets: secret #{index} is empty"
        );
        if let Some(at) = haystack.find(secret) {
            panic!("secret #{index} appears literally in the haystack at byte {at}");
        }
        if let Some(at) = haystack.find(&STANDARD.encode(secret)) {
            panic!("secret #{index} appears base64-encoded in the haystack at byte {at}");
        }
        for (offset, core) in base64_cores(secret.as_bytes()) {
            if let Some(at) = haystack.find(&core) {
                panic!(
                    "secret #{index} appears base64-encoded in the haystack at byte {at} \
                     (secret starting at byte offset {offset} mod 3 of the encoded data)"
                );
            }
        }
    }
}

/// For each alignment (0, 1 or 2 bytes before the secret in the encoded data), the base64
/// characters that depend on the secret's bytes only, in both alphabets.
fn base64_cores(secret: &[u8]) -> Vec<(usize, String)> {
    let mut cores = Vec::new();
    for offset in 0..3 {
        let mut data = vec![0u8; offset];
        data.extend_from_slice(secret);
        let bits = 8 * data.len();
        // Character i covers bits 6i..6i+6: skip those touching the padding bytes in front and
        // the one that would also hold bits of whatever follows the secret.
        let first = (8 * offset).div_ceil(6);
        let end = bits / 6;
        if end < first + MIN_B64_CORE {
            continue;
        }
        for engine in [&STANDARD_NO_PAD, &URL_SAFE_NO_PAD] {
            let encoded = engine.encode(&data);
            let core = encoded[first..end].to_string();
            if !cores.iter().any(|(_, c)| *c == core) {
                cores.push((offset, core));
            }
        }
    }
    cores
}
