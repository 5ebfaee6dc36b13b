//! Client commands. Their `Display` is the wire form, CRLF included; nowhere else in the tree
//! writes SMTP command text.

use std::fmt;

use crate::sasl::Mechanism;

/// A command a client sends.
#[derive(Clone, PartialEq, Eq)]
pub enum Command {
    /// `EHLO domain`.
    Ehlo(String),
    /// `HELO domain`.
    Helo(String),
    /// `STARTTLS`.
    StartTls,
    /// `AUTH mechanism [initial-response]`; the response is already base64 (`=` for empty).
    Auth {
        /// The SASL mechanism.
        mechanism: Mechanism,
        /// The base64 initial response, if sent with the command.
        initial: Option<String>,
    },
    /// A base64 line answering a `334` challenge (may be empty, or `*` to cancel).
    AuthResponse(String),
    /// `MAIL FROM:<addr> params`.
    Mail {
        /// The reverse path, without brackets (empty for the null sender).
        from: String,
        /// ESMTP parameters such as `SIZE=1234`, `BODY=8BITMIME`.
        params: Vec<String>,
    },
    /// `RCPT TO:<addr> params`.
    Rcpt {
        /// The forward path, without brackets.
        to: String,
        /// ESMTP parameters.
        params: Vec<String>,
    },
    /// `DATA`.
    Data,
    /// `RSET`.
    Rset,
    /// `NOOP`.
    Noop,
    /// `QUIT`.
    Quit,
}

impl Command {
    /// The form shown in transcripts and logs: identical to the wire form without CRLF, except
    /// that SASL payloads (which carry passwords and tokens) are replaced by `<redacted>`.
    pub fn redacted(&self) -> String {
        match self {
            Command::Auth {
                mechanism,
                initial: Some(_),
            } => format!("AUTH {mechanism} <redacted>"),
            Command::AuthResponse(line) if line.is_empty() || line == "*" => line.clone(),
            Command::AuthResponse(_) => "<redacted>".to_string(),
            other => other.to_string().trim_end_matches("\r\n").to_string(),
        }
    }

    /// Whether the command's wire form carries secret material.
    pub fn is_secret(&self) -> bool {
        matches!(
            self,
            Command::Auth {
                initial: Some(_),
                ..
            } | Command::AuthResponse(_)
        )
    }
}

fn write_params(f: &mut fmt::Formatter<'_>, params: &[String]) -> fmt::Result {
    for p in params {
        write!(f, " {p}")?;
    }
    Ok(())
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Command::Ehlo(domain) => write!(f, "EHLO {domain}")?,
            Command::Helo(domain) => write!(f, "HELO {domain}")?,
            Command::StartTls => f.write_str("STARTTLS")?,
            Command::Auth {
                mechanism,
                initial: None,
            } => write!(f, "AUTH {mechanism}")?,
            Command::Auth {
                mechanism,
                initial: Some(ir),
            } => write!(f, "AUTH {mechanism} {ir}")?,
            Command::AuthResponse(line) => f.write_str(line)?,
            Command::Mail { from, params } => {
                write!(f, "MAIL FROM:<{from}>")?;
                write_params(f, params)?;
            }
            Command::Rcpt { to, params } => {
                write!(f, "RCPT TO:<{to}>")?;
                write_params(f, params)?;
            }
            Command::Data => f.write_str("DATA")?,
            Command::Rset => f.write_str("RSET")?,
            Command::Noop => f.write_str("NOOP")?,
            Command::Quit => f.write_str("QUIT")?,
        }
        f.write_str("\r\n")
    }
}

/// Debug never prints secrets either.
impl fmt::Debug for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Command({:?})", self.redacted())
    }
}
