//! Message ids: sortable, unique across processes and restarts, safe as file names.

use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::str::FromStr;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

const TIME_DIGITS: usize = 16;
const SALT_DIGITS: usize = 16;
const ID_LEN: usize = TIME_DIGITS + 1 + SALT_DIGITS;

/// A queued message's id, e.g. `00063f8a1c2b3d4e-9f3a61c0d2e4b7a1`.
///
/// The first part is the acceptance time in microseconds since the Unix epoch, strictly
/// increasing within a process, so ids sort in acceptance order; the second part is a random
/// per-process salt, so two processes (or a restarted one whose clock went back) never collide.
/// Both parts are fixed-width lowercase hex, which makes the id safe to use as a file name:
/// [`FromStr`] accepts nothing else, so an operator-supplied `../x` is rejected.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MessageId(String);

/// A string that is not a valid [`MessageId`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid message id `{input}`: expected 16 hex digits, `-`, 16 hex digits")]
pub struct InvalidMessageId {
    /// The rejected input (truncated to 64 characters).
    pub input: String,
}

impl MessageId {
    /// A fresh id, unique across processes and restarts.
    pub(crate) fn generate() -> MessageId {
        MessageId(format!(
            "{:0tw$x}-{:0sw$x}",
            next_micros(),
            process_salt(),
            tw = TIME_DIGITS,
            sw = SALT_DIGITS
        ))
    }

    /// The id as text (also its file name stem).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The acceptance time encoded in the id, in microseconds since the Unix epoch.
    pub fn timestamp_micros(&self) -> u64 {
        u64::from_str_radix(&self.0[..TIME_DIGITS], 16).unwrap_or(0)
    }
}

fn is_valid(s: &str) -> bool {
    let hex = |part: &str| part.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    s.len() == ID_LEN
        && s.as_bytes()[TIME_DIGITS] == b'-'
        && hex(&s[..TIME_DIGITS])
        && hex(&s[TIME_DIGITS + 1..])
}

impl FromStr for MessageId {
    type Err = InvalidMessageId;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.is_ascii() && is_valid(s) {
            Ok(MessageId(s.to_owned()))
        } else {
            Err(InvalidMessageId {
                input: s.chars().take(64).collect(),
            })
        }
    }
}

impl TryFrom<String> for MessageId {
    type Error = InvalidMessageId;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<MessageId> for String {
    fn from(id: MessageId) -> String {
        id.0
    }
}

impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for MessageId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// Wall-clock microseconds, bumped so that each call in this process returns a larger value.
fn next_micros() -> u64 {
    static LAST: AtomicU64 = AtomicU64::new(0);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
        .unwrap_or(0);
    let prev = LAST
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |last| {
            Some(now.max(last + 1))
        })
        .unwrap_or(0);
    now.max(prev + 1)
}

/// A random value fixed for the life of the process (std's `RandomState` is seeded by the OS).
pub(crate) fn process_salt() -> u64 {
    static SALT: OnceLock<u64> = OnceLock::new();
    *SALT.get_or_init(|| {
        let mut h = RandomState::new().build_hasher();
        h.write_u32(std::process::id());
        h.write_u128(
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0),
        );
        h.finish()
    })
}

/// A process-unique suffix for temporary file names (`salt-counter`).
pub(crate) fn unique_suffix() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{:x}-{n:x}", process_salt())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_parse_and_increase() {
        let ids: Vec<MessageId> = (0..1000).map(|_| MessageId::generate()).collect();
        for pair in ids.windows(2) {
            assert!(pair[0] < pair[1], "{} !< {}", pair[0], pair[1]);
        }
        for id in &ids {
            assert_eq!(id.as_str().parse::<MessageId>().as_ref(), Ok(id));
        }
    }

    #[test]
    fn rejects_traversal_and_junk() {
        for bad in [
            "",
            "../x",
            "../../etc/passwd",
            "00063f8a1c2b3d4e-9f3a61c0d2e4b7a",
            "00063f8a1c2b3d4e-9f3a61c0d2e4b7a1a",
            "00063F8A1C2B3D4E-9F3A61C0D2E4B7A1",
            "00063f8a1c2b3d4e/9f3a61c0d2e4b7a1",
            "00063f8a1c2b3d4e-9f3a61c0d2e4b7a/",
            "00063f8a1c2b3d4é-9f3a61c0d2e4b7a",
        ] {
            assert!(bad.parse::<MessageId>().is_err(), "accepted {bad:?}");
        }
        assert!(
            "00063f8a1c2b3d4e-9f3a61c0d2e4b7a1"
                .parse::<MessageId>()
                .is_ok()
        );
    }
}
