//! The client side of SASL for SMTP AUTH (RFC 4954): PLAIN, LOGIN, CRAM-MD5, XOAUTH2 and
//! OAUTHBEARER (RFC 7628).
//!
//! [`SaslClient`] is a small state machine: it says what to put on the `AUTH` line, then turns
//! each `334` challenge into the next response line. It handles two rules that trip real clients:
//!
//! * RFC 4954 §4: an initial response that would make the `AUTH` line longer than 512 octets is
//!   not sent with the command; the client waits for an empty `334` and sends it alone (long
//!   OAuth tokens, Gmail's `555-5.5.2 Syntax error, command line too long`).
//! * XOAUTH2 / OAUTHBEARER failures: the server answers with a `334` carrying base64 JSON
//!   (`{"status":"401",...}`); the client must answer (empty line for XOAUTH2, `AQ==` for
//!   OAUTHBEARER) before the server sends the final `5xx`.

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, Mac};
use md5::Md5;

use crate::command::Command;

/// The longest command line RFC 5321 §4.5.3.1.4 allows, CRLF included.
pub const MAX_COMMAND_LINE: usize = 512;

/// A SASL mechanism this crate can speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mechanism {
    /// RFC 4616.
    Plain,
    /// The de-facto `LOGIN` mechanism (user name and password as two 334 answers).
    Login,
    /// RFC 2195.
    CramMd5,
    /// Google's and Microsoft's OAuth2 bearer mechanism.
    XOAuth2,
    /// RFC 7628.
    OAuthBearer,
}

impl Mechanism {
    /// The IANA name.
    pub fn as_str(self) -> &'static str {
        match self {
            Mechanism::Plain => "PLAIN",
            Mechanism::Login => "LOGIN",
            Mechanism::CramMd5 => "CRAM-MD5",
            Mechanism::XOAuth2 => "XOAUTH2",
            Mechanism::OAuthBearer => "OAUTHBEARER",
        }
    }

    /// Whether the mechanism takes an OAuth2 access token rather than a password.
    pub fn uses_token(self) -> bool {
        matches!(self, Mechanism::XOAuth2 | Mechanism::OAuthBearer)
    }
}

impl fmt::Display for Mechanism {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Mechanism {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_uppercase().as_str() {
            "PLAIN" => Ok(Mechanism::Plain),
            "LOGIN" => Ok(Mechanism::Login),
            "CRAM-MD5" => Ok(Mechanism::CramMd5),
            "XOAUTH2" => Ok(Mechanism::XOAuth2),
            "OAUTHBEARER" => Ok(Mechanism::OAuthBearer),
            other => Err(format!("unsupported SASL mechanism `{other}`")),
        }
    }
}

/// What the client authenticates with. `Debug` never shows the secret.
#[derive(Clone)]
pub enum Credentials {
    /// A user name and password (PLAIN, LOGIN, CRAM-MD5).
    Password {
        /// The user name.
        user: String,
        /// The password.
        password: String,
    },
    /// A user name and OAuth2 access token (XOAUTH2, OAUTHBEARER).
    Token {
        /// The mailbox address.
        user: String,
        /// The bearer token.
        token: String,
    },
}

impl Credentials {
    /// The user name.
    pub fn user(&self) -> &str {
        match self {
            Credentials::Password { user, .. } | Credentials::Token { user, .. } => user,
        }
    }

    /// The secret (password or token), for redaction checks.
    pub fn secret(&self) -> &str {
        match self {
            Credentials::Password { password, .. } => password,
            Credentials::Token { token, .. } => token,
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Credentials {{ user: {:?}, secret: <redacted> }}",
            self.user()
        )
    }
}

/// Why SASL cannot go on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SaslError {
    /// The mechanism needs a password and got a token, or the reverse.
    #[error("{mechanism} needs {needs}")]
    WrongCredentials {
        /// The mechanism.
        mechanism: Mechanism,
        /// "a password" or "an OAuth2 access token".
        needs: &'static str,
    },
    /// A challenge was not valid base64.
    #[error("the server's 334 challenge is not base64")]
    BadChallenge,
    /// More challenges than the mechanism has steps.
    #[error("unexpected extra 334 challenge for {0}")]
    UnexpectedChallenge(Mechanism),
}

/// The JSON error a server sent in a 334 challenge during XOAUTH2 / OAUTHBEARER.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthErrorChallenge {
    /// The decoded challenge (JSON text).
    pub json: String,
}

/// Client-side state of one SASL exchange.
#[derive(Debug)]
pub struct SaslClient {
    mechanism: Mechanism,
    credentials: Credentials,
    step: u8,
    oauth_error: Option<OAuthErrorChallenge>,
    host: Option<(String, u16)>,
}

impl SaslClient {
    /// Starts an exchange; fails if the credentials do not fit the mechanism.
    pub fn new(mechanism: Mechanism, credentials: Credentials) -> Result<SaslClient, SaslError> {
        match (&credentials, mechanism.uses_token()) {
            (Credentials::Password { .. }, true) => Err(SaslError::WrongCredentials {
                mechanism,
                needs: "an OAuth2 access token",
            }),
            (Credentials::Token { .. }, false) => Err(SaslError::WrongCredentials {
                mechanism,
                needs: "a password",
            }),
            _ => Ok(SaslClient {
                mechanism,
                credentials,
                step: 0,
                oauth_error: None,
                host: None,
            }),
        }
    }

    /// Sets the `host` and `port` that OAUTHBEARER includes (RFC 7628 §3.1); optional.
    pub fn with_host(mut self, host: impl Into<String>, port: u16) -> SaslClient {
        self.host = Some((host.into(), port));
        self
    }

    /// The mechanism.
    pub fn mechanism(&self) -> Mechanism {
        self.mechanism
    }

    /// The `AUTH` command to send first. The initial response rides on it only when the
    /// mechanism has one and the whole line fits in 512 octets; otherwise it is sent after the
    /// server's empty `334` (see [`SaslClient::respond`]).
    pub fn start(&mut self) -> Command {
        let initial = self.initial_response().map(|raw| encode(&raw));
        let initial = initial.filter(|ir| {
            // "AUTH " + name + " " + ir + CRLF
            5 + self.mechanism.as_str().len() + 1 + ir.len() + 2 <= MAX_COMMAND_LINE
        });
        if initial.is_some() {
            self.step = 1;
        }
        Command::Auth {
            mechanism: self.mechanism,
            initial,
        }
    }

    /// Answers a `334` challenge (its text, still base64).
    pub fn respond(&mut self, challenge: &str) -> Result<Command, SaslError> {
        let challenge = challenge.trim();
        let decoded = B64
            .decode(challenge.as_bytes())
            .map_err(|_| SaslError::BadChallenge)?;
        let step = self.step;
        self.step = self.step.saturating_add(1);
        if step == 0
            && let Some(ir) = self.initial_response()
        {
            return Ok(Command::AuthResponse(encode(&ir)));
        }
        match self.mechanism {
            Mechanism::Login => self.login_step(step),
            Mechanism::CramMd5 if step == 0 => Ok(Command::AuthResponse(self.cram_md5(&decoded))),
            Mechanism::XOAuth2 | Mechanism::OAuthBearer => Ok(self.oauth_error_answer(decoded)),
            m => Err(SaslError::UnexpectedChallenge(m)),
        }
    }

    /// The JSON error the server sent during an OAuth2 exchange, if it sent one.
    pub fn oauth_error(&self) -> Option<&OAuthErrorChallenge> {
        self.oauth_error.as_ref()
    }

    fn initial_response(&self) -> Option<Vec<u8>> {
        let user = self.credentials.user();
        let secret = self.credentials.secret();
        match self.mechanism {
            Mechanism::Plain => Some(format!("\0{user}\0{secret}").into_bytes()),
            Mechanism::Login | Mechanism::CramMd5 => None,
            Mechanism::XOAuth2 => {
                Some(format!("user={user}\x01auth=Bearer {secret}\x01\x01").into_bytes())
            }
            Mechanism::OAuthBearer => {
                let user = user.replace('=', "=3D").replace(',', "=2C");
                let host = match &self.host {
                    Some((h, p)) => format!("host={h}\x01port={p}\x01"),
                    None => String::new(),
                };
                Some(format!("n,a={user},\x01{host}auth=Bearer {secret}\x01\x01").into_bytes())
            }
        }
    }

    fn login_step(&self, step: u8) -> Result<Command, SaslError> {
        let value = match step {
            0 => self.credentials.user(),
            1 => self.credentials.secret(),
            _ => return Err(SaslError::UnexpectedChallenge(Mechanism::Login)),
        };
        Ok(Command::AuthResponse(encode(value.as_bytes())))
    }

    fn cram_md5(&self, challenge: &[u8]) -> String {
        let mut mac = Hmac::<Md5>::new_from_slice(self.credentials.secret().as_bytes())
            .expect("HMAC accepts any key length");
        mac.update(challenge);
        let digest = mac.finalize().into_bytes();
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        encode(format!("{} {hex}", self.credentials.user()).as_bytes())
    }

    /// A challenge after the initial response is the server's error JSON: record it and send
    /// the answer the mechanism prescribes, so the server can send its final reply.
    fn oauth_error_answer(&mut self, decoded: Vec<u8>) -> Command {
        self.oauth_error = Some(OAuthErrorChallenge {
            json: String::from_utf8_lossy(&decoded).into_owned(),
        });
        match self.mechanism {
            Mechanism::OAuthBearer => Command::AuthResponse(encode(b"\x01")),
            _ => Command::AuthResponse(String::new()),
        }
    }
}

/// base64 as SASL wants it: `=` for an empty response (RFC 4954 §4).
fn encode(raw: &[u8]) -> String {
    if raw.is_empty() {
        "=".to_string()
    } else {
        B64.encode(raw)
    }
}

/// Picks the mechanism to use from what the server offers: OAuth2 mechanisms when a token is
/// given (XOAUTH2 first, as Microsoft offers only that), else PLAIN, then LOGIN, then CRAM-MD5.
pub fn choose_mechanism(offered: &[Mechanism], have_token: bool) -> Option<Mechanism> {
    let order: &[Mechanism] = if have_token {
        &[Mechanism::XOAuth2, Mechanism::OAuthBearer]
    } else {
        &[Mechanism::Plain, Mechanism::Login, Mechanism::CramMd5]
    };
    order.iter().copied().find(|m| offered.contains(m))
}
