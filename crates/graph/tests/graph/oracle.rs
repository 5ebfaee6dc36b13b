//! Python's `email` package as an independent reading of a message: the attachments' decoded
//! names, types, sizes and SHA-256.

use std::io::Write as _;
use std::process::Command;

use sha2::{Digest, Sha256};

/// One attachment as Python reads it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Seen {
    pub name: String,
    pub content_type: String,
    pub size: u64,
    pub sha256: String,
}

const SCRIPT: &str = r#"
import email, email.header, hashlib, json, sys
# compat32 (the default): the modern policy decodes RFC 2231 sections one by one and breaks
# a character split across sections; compat32 joins them first. It leaves RFC 2047
# encoded-words in a file name alone, so those are decoded here.
with open(sys.argv[1], 'rb') as f:
    msg = email.message_from_binary_file(f)
out = []
for part in msg.walk():
    if part.is_multipart():
        continue
    name = part.get_filename()
    if name is None:
        continue
    if '=?' in name:
        name = str(email.header.make_header(email.header.decode_header(name)))
    data = part.get_payload(decode=True) or b''
    out.append({'name': str(name), 'content_type': part.get_content_type(),
                'size': len(data), 'sha256': hashlib.sha256(data).hexdigest()})
print(json.dumps(out))
"#;

/// Python's view of the named attachments in `message`, sorted.
///
/// # Panics
/// When python3 is missing or fails (the test environment has it; a missing oracle is a
/// failure, not a skip).
pub fn python_attachments(message: &[u8]) -> Vec<Seen> {
    let mut file = tempfile::NamedTempFile::new().expect("temp file");
    file.write_all(message).expect("write message");
    let output = Command::new("python3")
        .args(["-c", SCRIPT])
        .arg(file.path())
        .output()
        .expect("run python3 (the test oracle)");
    assert!(
        output.status.success(),
        "python3 failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let list: Vec<serde_json::Value> = serde_json::from_slice(&output.stdout).expect("oracle JSON");
    let mut seen: Vec<Seen> = list
        .iter()
        .map(|v| Seen {
            name: v["name"].as_str().unwrap_or_default().to_string(),
            content_type: v["content_type"].as_str().unwrap_or_default().to_string(),
            size: v["size"].as_u64().unwrap_or(0),
            sha256: v["sha256"].as_str().unwrap_or_default().to_string(),
        })
        .collect();
    seen.sort();
    seen
}

/// Hex SHA-256.
pub fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
