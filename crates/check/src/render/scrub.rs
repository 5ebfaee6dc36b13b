//! The last line of defence: no secret leaves the process even if a server echoed one back,
//! in clear, JSON-escaped, or base64-encoded (a PLAIN or XOAUTH2 payload).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::Value;

/// Everything that stands for a secret in output: the secret itself and its base64 form.
/// Secrets shorter than 4 bytes are not scrubbed (they would mangle ordinary text).
fn forms(secrets: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for s in secrets.iter().filter(|s| s.len() >= 4) {
        out.push(s.clone());
        out.push(B64.encode(s.as_bytes()));
    }
    out.sort_by_key(|s| std::cmp::Reverse(s.len()));
    out
}

/// Replaces every form of every secret in `text` with `<redacted>`.
pub(crate) fn scrub(mut text: String, secrets: &[String]) -> String {
    for s in forms(secrets) {
        text = text.replace(s.as_str(), "<redacted>");
    }
    text
}

/// Scrubs every string inside a JSON value before it is serialised (so escaping cannot hide
/// a secret from the scrubber).
pub(crate) fn scrub_json(value: &mut Value, secrets: &[String]) {
    match value {
        Value::String(s) => *s = scrub(std::mem::take(s), secrets),
        Value::Array(items) => items.iter_mut().for_each(|v| scrub_json(v, secrets)),
        Value::Object(map) => map.values_mut().for_each(|v| scrub_json(v, secrets)),
        _ => {}
    }
}
