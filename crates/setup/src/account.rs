//! A new device account: a short user name (`scan-3f`) and a random password that a person can
//! type on an MFP's touch panel without misreading it.
//!
//! Devices often cut user names and passwords at about 20 characters, and their keypads make
//! symbols tedious, so the password is 12 characters of letters and digits without the ones
//! that look alike (0/O/o, 1/l/I): 56 symbols, about 69 bits.

use std::fmt;

use rand::Rng;

/// The characters of a generated password.
pub const PASSWORD_ALPHABET: &str = "23456789abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ";

/// Length of a generated password.
const PASSWORD_LENGTH: usize = 12;
/// Characters for the random part of a user name (lower case, no look-alikes).
const NAME_ALPHABET: &str = "23456789abcdefghjkmnpqrstuvwxyz";
/// Longest label kept in a user name.
const LABEL_MAX: usize = 10;

/// A generated device account. `Debug` hides the password.
#[derive(Clone, PartialEq, Eq)]
pub struct NewDevice {
    /// `scan-` and the label (or two random characters).
    pub username: String,
    /// Twelve characters from [`PASSWORD_ALPHABET`].
    pub password: String,
}

impl fmt::Debug for NewDevice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewDevice")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

fn pick(rng: &mut impl Rng, alphabet: &str) -> char {
    let chars: Vec<char> = alphabet.chars().collect();
    chars[rng.random_range(0..chars.len())]
}

/// A new account. `label` (e.g. "3F", "sales") becomes part of the user name, lower-cased
/// with anything but letters, digits and `-` dropped; without one two random characters are
/// used. A name in `taken` gets random characters added until it is free.
pub fn new_device(rng: &mut impl Rng, label: Option<&str>, taken: &[&str]) -> NewDevice {
    let label: String = label
        .unwrap_or("")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .map(|c| c.to_ascii_lowercase())
        .take(LABEL_MAX)
        .collect();
    let label = label.trim_matches('-');
    let mut username = if label.is_empty() {
        let random: String = (0..2).map(|_| pick(rng, NAME_ALPHABET)).collect();
        format!("scan-{random}")
    } else {
        format!("scan-{label}")
    };
    while taken.contains(&username.as_str()) {
        username.push(pick(rng, NAME_ALPHABET));
    }
    let password = (0..PASSWORD_LENGTH)
        .map(|_| pick(rng, PASSWORD_ALPHABET))
        .collect();
    NewDevice { username, password }
}
