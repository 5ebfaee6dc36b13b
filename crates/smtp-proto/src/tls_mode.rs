//! How a connection is secured.

use std::fmt;
use std::str::FromStr;

/// How an SMTP connection is secured: the "SSL" / "STARTTLS" choice on a device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TlsMode {
    /// Plain TCP first, then `STARTTLS` (RFC 3207); usually port 587 or 25.
    StartTls,
    /// TLS from the first byte ("SSL", RFC 8314); usually port 465.
    Implicit,
    /// No TLS at all.
    None,
}

impl TlsMode {
    /// The name used in flags and config files.
    pub fn as_str(self) -> &'static str {
        match self {
            TlsMode::StartTls => "starttls",
            TlsMode::Implicit => "implicit",
            TlsMode::None => "none",
        }
    }
}

impl fmt::Display for TlsMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TlsMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "starttls" => Ok(TlsMode::StartTls),
            "implicit" | "ssl" | "tls" | "smtps" => Ok(TlsMode::Implicit),
            "none" | "plain" => Ok(TlsMode::None),
            other => Err(format!(
                "unknown TLS mode `{other}`: expected starttls, implicit or none"
            )),
        }
    }
}
