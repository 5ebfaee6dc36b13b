//! SASL for POP3 `AUTH` (RFC 5034): the client side of PLAIN (RFC 4616) and XOAUTH2 (Google's
//! and Microsoft's OAuth2 bearer mechanism), and the server side of PLAIN.
//!
//! Two rules of RFC 5034 §4 shape the client: an initial response that would make the `AUTH`
//! line longer than 255 octets (a long OAuth2 token) is not sent with the command but after the
//! server's empty `+ ` challenge; and a `+ ` challenge after an XOAUTH2 initial response is the
//! server's error JSON, which the client must answer (with an empty line) before the server
//! sends its final `-ERR`.

use std::fmt;

use base64::Engine as _;
use base64::alphabet;
use base64::engine::general_purpose::STANDARD as B64;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

use crate::command::{Command, MAX_COMMAND_LINE};

/// Standard base64 that accepts missing padding (some devices leave it off).
const LENIENT_B64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// A SASL mechanism name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Mechanism {
    /// RFC 4616.
    Plain,
    /// Google's and Microsoft's OAuth2 bearer mechanism.
    XOAuth2,
    /// Any other syntactically valid name (upper case), e.g. `CRAM-MD5`, `OAUTHBEARER`: this
    /// crate can name it but not speak it.
    Other(String),
}

impl Mechanism {
    /// A mechanism from its name (RFC 4422 §3.1: 1 to 20 of `A-Z 0-9 - _`; case-insensitive
    /// here), or `None` if the name is not valid.
    pub fn parse(name: &str) -> Option<Mechanism> {
        let valid = (1..=20).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !valid {
            return None;
        }
        let upper = name.to_ascii_uppercase();
        Some(match upper.as_str() {
            "PLAIN" => Mechanism::Plain,
            "XOAUTH2" => Mechanism::XOAuth2,
            _ => Mechanism::Other(upper),
        })
    }

    /// The name, upper case.
    pub fn as_str(&self) -> &str {
        match self {
            Mechanism::Plain => "PLAIN",
            Mechanism::XOAuth2 => "XOAUTH2",
            Mechanism::Other(name) => name,
        }
    }
}

impl fmt::Display for Mechanism {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why the client cannot go on with a SASL exchange.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SaslError {
    /// A challenge was not valid base64.
    #[error("the server's `+` challenge is not base64")]
    BadChallenge,
    /// More challenges than the mechanism has steps.
    #[error("unexpected extra `+` challenge for {0}")]
    UnexpectedChallenge(Mechanism),
}

/// Client side of one SASL exchange. `Debug` never shows the secret.
pub struct SaslClient {
    mechanism: Mechanism,
    user: String,
    secret: String,
    /// Whether the initial response has been sent (with `AUTH` or after an empty challenge).
    sent_response: bool,
    oauth_error: Option<String>,
}

impl fmt::Debug for SaslClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SaslClient")
            .field("mechanism", &self.mechanism)
            .field("user", &self.user)
            .field("sent_response", &self.sent_response)
            .finish_non_exhaustive()
    }
}

impl SaslClient {
    /// AUTH PLAIN with a user name and password (empty authorization identity).
    pub fn plain(user: impl Into<String>, password: impl Into<String>) -> SaslClient {
        SaslClient::new(Mechanism::Plain, user.into(), password.into())
    }

    /// AUTH XOAUTH2 with a mailbox address and an OAuth2 access token.
    pub fn xoauth2(user: impl Into<String>, token: impl Into<String>) -> SaslClient {
        SaslClient::new(Mechanism::XOAuth2, user.into(), token.into())
    }

    fn new(mechanism: Mechanism, user: String, secret: String) -> SaslClient {
        SaslClient {
            mechanism,
            user,
            secret,
            sent_response: false,
            oauth_error: None,
        }
    }

    /// The mechanism.
    pub fn mechanism(&self) -> &Mechanism {
        &self.mechanism
    }

    /// The `AUTH` command to send first: with the initial response when the line fits in 255
    /// octets, else without (the response then follows the server's empty `+ `).
    pub fn start(&mut self) -> Command {
        let ir = encode(&self.initial_response());
        // "AUTH " + name + " " + ir + CRLF
        let fits = 5 + self.mechanism.as_str().len() + 1 + ir.len() + 2 <= MAX_COMMAND_LINE;
        self.sent_response = fits;
        Command::Auth {
            mechanism: self.mechanism.clone(),
            initial: fits.then_some(ir),
        }
    }

    /// Answers a `+ ` challenge (its base64 text).
    pub fn respond(&mut self, challenge: &str) -> Result<Command, SaslError> {
        let challenge = challenge.trim();
        let decoded = LENIENT_B64
            .decode(challenge.as_bytes())
            .map_err(|_| SaslError::BadChallenge)?;
        if !self.sent_response {
            self.sent_response = true;
            return Ok(Command::AuthResponse(encode(&self.initial_response())));
        }
        match self.mechanism {
            Mechanism::XOAuth2 if self.oauth_error.is_none() => {
                self.oauth_error = Some(String::from_utf8_lossy(&decoded).into_owned());
                Ok(Command::AuthResponse(String::new()))
            }
            _ => Err(SaslError::UnexpectedChallenge(self.mechanism.clone())),
        }
    }

    /// The JSON error the server sent during an XOAUTH2 exchange, if it sent one.
    pub fn oauth_error(&self) -> Option<&str> {
        self.oauth_error.as_deref()
    }

    fn initial_response(&self) -> Vec<u8> {
        let (user, secret) = (&self.user, &self.secret);
        match self.mechanism {
            Mechanism::XOAuth2 => format!("user={user}\x01auth=Bearer {secret}\x01\x01"),
            _ => format!("\0{user}\0{secret}"),
        }
        .into_bytes()
    }
}

/// base64 as SASL wants it: `=` for an empty response (RFC 5034 §4).
fn encode(raw: &[u8]) -> String {
    if raw.is_empty() {
        "=".to_string()
    } else {
        B64.encode(raw)
    }
}

/// How the client presented its credentials to the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    /// `USER` then `PASS` (RFC 1939 §7).
    UserPass,
    /// `AUTH PLAIN` (RFC 5034, RFC 4616).
    Plain,
}

/// Credentials a client presented to the server, for the driver to check. `Debug` never shows
/// the password.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    method: AuthMethod,
    authzid: Option<String>,
    user: String,
    password: String,
}

impl Credentials {
    /// Credentials from `USER` and `PASS`.
    pub fn user_pass(user: impl Into<String>, password: impl Into<String>) -> Credentials {
        Credentials {
            method: AuthMethod::UserPass,
            authzid: None,
            user: user.into(),
            password: password.into(),
        }
    }

    /// How they were presented.
    pub fn method(&self) -> AuthMethod {
        self.method
    }

    /// The user name (authentication identity).
    pub fn user(&self) -> &str {
        &self.user
    }

    /// The PLAIN authorization identity, when the client sent a non-empty one. A driver without
    /// proxy authorization should refuse it unless it equals [`Credentials::user`].
    pub fn authzid(&self) -> Option<&str> {
        self.authzid.as_deref()
    }

    /// The password, for a driver that checks it against a hash. Prefer
    /// [`Credentials::verify_password`] for a stored plain password.
    pub fn password(&self) -> &str {
        &self.password
    }

    /// Whether the password equals `password`, in time independent of where they differ.
    pub fn verify_password(&self, password: &str) -> bool {
        let (a, b) = (self.password.as_bytes(), password.as_bytes());
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Credentials {{ method: {:?}, user: {:?}, password: <redacted> }}",
            self.method, self.user
        )
    }
}

/// Why a PLAIN response from a client is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PlainError {
    /// `*`: the client cancelled the exchange.
    Cancelled,
    /// Not base64, or not `authzid NUL user NUL password` in UTF-8 with a non-empty user.
    Malformed,
}

/// Decodes the client's PLAIN response (base64 text, `=` for empty, `*` to cancel).
pub(crate) fn decode_plain(text: &str) -> Result<Credentials, PlainError> {
    let text = text.trim_matches([' ', '\t']);
    if text == "*" {
        return Err(PlainError::Cancelled);
    }
    let raw = if text == "=" {
        Vec::new()
    } else {
        LENIENT_B64
            .decode(text.as_bytes())
            .map_err(|_| PlainError::Malformed)?
    };
    let mut parts = raw.split(|&b| b == 0);
    let (Some(authzid), Some(user), Some(password), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(PlainError::Malformed);
    };
    let utf8 = |b: &[u8]| String::from_utf8(b.to_vec()).map_err(|_| PlainError::Malformed);
    let (authzid, user, password) = (utf8(authzid)?, utf8(user)?, utf8(password)?);
    if user.is_empty() {
        return Err(PlainError::Malformed);
    }
    Ok(Credentials {
        method: AuthMethod::Plain,
        authzid: (!authzid.is_empty()).then_some(authzid),
        user,
        password,
    })
}
