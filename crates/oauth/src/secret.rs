//! [`Secret`]: a string that never shows itself in `Debug` or `Display`.

use std::fmt;

/// A client secret, refresh token or access token. `Debug` and `Display` print `<redacted>`;
/// [`Secret::expose`] is the one way to read it, so every place that sends a secret is easy
/// to find. Own type rather than `secrecy`: the crate needs only this, and `secrecy`'s
/// `SecretString` prints its type name, not the `<redacted>` the rest of scanrelay prints.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps `value`.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The value, to send it where it belongs (a form field, an AUTH command).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Secret {
        Secret(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_shows_itself() {
        let s = Secret::new("hunter2-token");
        assert_eq!(
            format!("{s} {s:?} {:?}", Some(&s)),
            "<redacted> <redacted> Some(<redacted>)"
        );
        assert_eq!(s.expose(), "hunter2-token");
    }
}
