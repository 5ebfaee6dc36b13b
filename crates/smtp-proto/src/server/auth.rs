//! The server side of SMTP AUTH (RFC 4954) for PLAIN (RFC 4616), LOGIN and CRAM-MD5 (RFC 2195).
//!
//! The machine only collects credentials; checking them is the driver's job (it has the user
//! table). [`ServerCredentials::verify_password`] does the comparison for a known password,
//! in constant time.

use std::fmt;

use base64::Engine as _;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use hmac::{Hmac, Mac};
use md5::Md5;

use crate::reply::Reply;
use crate::sasl::Mechanism;

use super::replies;

/// Standard base64 that accepts missing padding (some devices leave it off).
const LENIENT_B64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// What the client authenticated with, for the driver to check. `Debug` never shows secrets.
#[derive(Clone, PartialEq, Eq)]
pub enum ServerCredentials {
    /// AUTH PLAIN (RFC 4616).
    Plain {
        /// The authorization identity, if the client sent a non-empty one. A driver without
        /// proxy authorization should refuse it unless it equals `user`.
        authzid: Option<String>,
        /// The authentication identity.
        user: String,
        /// The password.
        password: String,
    },
    /// AUTH LOGIN.
    Login {
        /// The user name.
        user: String,
        /// The password.
        password: String,
    },
    /// AUTH CRAM-MD5 (RFC 2195).
    CramMd5 {
        /// The user name.
        user: String,
        /// The challenge the server sent, decoded (`<seed.n@hostname>`).
        challenge: String,
        /// The client's HMAC-MD5 digest, 32 lower-case hex digits.
        response_hex: String,
    },
}

impl ServerCredentials {
    /// The mechanism the credentials came from.
    pub fn mechanism(&self) -> Mechanism {
        match self {
            ServerCredentials::Plain { .. } => Mechanism::Plain,
            ServerCredentials::Login { .. } => Mechanism::Login,
            ServerCredentials::CramMd5 { .. } => Mechanism::CramMd5,
        }
    }

    /// The user name (authentication identity).
    pub fn user(&self) -> &str {
        match self {
            ServerCredentials::Plain { user, .. }
            | ServerCredentials::Login { user, .. }
            | ServerCredentials::CramMd5 { user, .. } => user,
        }
    }

    /// Whether the credentials prove knowledge of `password`: equality for PLAIN and LOGIN,
    /// the HMAC-MD5 of the challenge for CRAM-MD5. Constant time in the secret's content.
    /// Does not look at the PLAIN `authzid`.
    pub fn verify_password(&self, password: &str) -> bool {
        match self {
            ServerCredentials::Plain { password: sent, .. }
            | ServerCredentials::Login { password: sent, .. } => {
                constant_time_eq(sent.as_bytes(), password.as_bytes())
            }
            ServerCredentials::CramMd5 {
                challenge,
                response_hex,
                ..
            } => {
                let Some(digest) = decode_hex(response_hex) else {
                    return false;
                };
                let Ok(mut mac) = Hmac::<Md5>::new_from_slice(password.as_bytes()) else {
                    return false;
                };
                mac.update(challenge.as_bytes());
                mac.verify_slice(&digest).is_ok()
            }
        }
    }
}

impl fmt::Debug for ServerCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ServerCredentials {{ mechanism: {}, user: {:?}, secret: <redacted> }}",
            self.mechanism(),
            self.user()
        )
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect()
}

/// The challenge for one CRAM-MD5 exchange: `<seed.n@hostname>` (RFC 2195 §2 wants a
/// msg-id-like string that is unique; the driver supplies the random/timestamp seed).
pub(super) fn cram_challenge(seed: &str, n: u64, hostname: &str) -> String {
    format!("<{seed}.{n}@{hostname}>")
}

/// Where an AUTH exchange stands while the server waits for a response line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum AuthStep {
    /// PLAIN: waiting for the response after an empty 334.
    Plain,
    /// LOGIN: waiting for the user name.
    LoginUser,
    /// LOGIN: waiting for the password.
    LoginPassword {
        /// The user name already received.
        user: String,
    },
    /// CRAM-MD5: waiting for `user digest`.
    CramMd5 {
        /// The challenge sent.
        challenge: String,
    },
}

/// The result of one AUTH step.
#[derive(Debug)]
pub(super) enum AuthOutcome {
    /// Send the 334 reply and wait for the next line.
    Challenge(Reply, AuthStep),
    /// All credentials are in: the driver must check them.
    Done(ServerCredentials),
    /// The exchange is over with this error reply (cancelled, bad base64, malformed).
    Failed(Reply),
}

/// Starts an exchange for an `AUTH` command. `cram_challenge` must be `Some` for CRAM-MD5.
pub(super) fn start(
    mechanism: Mechanism,
    initial: Option<&str>,
    cram_challenge: Option<String>,
) -> AuthOutcome {
    match (mechanism, initial, cram_challenge) {
        (Mechanism::Plain, None, _) => {
            AuthOutcome::Challenge(replies::auth_continue(), AuthStep::Plain)
        }
        (Mechanism::Plain, Some(ir), _) => respond(AuthStep::Plain, ir.as_bytes()),
        (Mechanism::Login, None, _) => {
            AuthOutcome::Challenge(replies::login_username(), AuthStep::LoginUser)
        }
        (Mechanism::Login, Some(ir), _) => respond(AuthStep::LoginUser, ir.as_bytes()),
        // RFC 2195 has no initial response.
        (Mechanism::CramMd5, Some(_), _) => AuthOutcome::Failed(replies::auth_malformed()),
        (Mechanism::CramMd5, None, Some(challenge)) => AuthOutcome::Challenge(
            replies::cram_md5_challenge(&challenge),
            AuthStep::CramMd5 { challenge },
        ),
        _ => AuthOutcome::Failed(replies::unknown_mechanism()),
    }
}

/// Takes the client's response line (without its line ending) for `step`.
pub(super) fn respond(step: AuthStep, line: &[u8]) -> AuthOutcome {
    let Ok(text) = std::str::from_utf8(line) else {
        return AuthOutcome::Failed(replies::auth_bad_base64());
    };
    let text = text.trim_matches([' ', '\t']);
    if text == "*" {
        return AuthOutcome::Failed(replies::auth_cancelled());
    }
    let Some(raw) = decode_b64(text) else {
        return AuthOutcome::Failed(replies::auth_bad_base64());
    };
    let outcome = match step {
        AuthStep::Plain => decode_plain(&raw).map(AuthOutcome::Done),
        AuthStep::LoginUser => String::from_utf8(raw).ok().map(|user| {
            AuthOutcome::Challenge(replies::login_password(), AuthStep::LoginPassword { user })
        }),
        AuthStep::LoginPassword { user } => String::from_utf8(raw)
            .ok()
            .map(|password| AuthOutcome::Done(ServerCredentials::Login { user, password })),
        AuthStep::CramMd5 { challenge } => decode_cram(&raw, challenge).map(AuthOutcome::Done),
    };
    outcome.unwrap_or_else(|| AuthOutcome::Failed(replies::auth_malformed()))
}

/// base64 as SASL sends it: `=` alone is the empty response (RFC 4954 §4).
fn decode_b64(text: &str) -> Option<Vec<u8>> {
    if text == "=" {
        return Some(Vec::new());
    }
    LENIENT_B64.decode(text.as_bytes()).ok()
}

/// `authzid NUL authcid NUL passwd` (RFC 4616 §2).
fn decode_plain(raw: &[u8]) -> Option<ServerCredentials> {
    let mut parts = raw.split(|&b| b == 0);
    let authzid = parts.next()?;
    let user = parts.next()?;
    let password = parts.next()?;
    if parts.next().is_some() || user.is_empty() {
        return None;
    }
    let authzid = String::from_utf8(authzid.to_vec()).ok()?;
    Some(ServerCredentials::Plain {
        authzid: (!authzid.is_empty()).then_some(authzid),
        user: String::from_utf8(user.to_vec()).ok()?,
        password: String::from_utf8(password.to_vec()).ok()?,
    })
}

/// `user SP 32HEXDIG` (RFC 2195 §2); the user name may itself contain spaces.
fn decode_cram(raw: &[u8], challenge: String) -> Option<ServerCredentials> {
    let text = std::str::from_utf8(raw).ok()?;
    let (user, digest) = text.rsplit_once(' ')?;
    if user.is_empty() || digest.len() != 32 || !digest.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    Some(ServerCredentials::CramMd5 {
        user: user.to_string(),
        challenge,
        response_hex: digest.to_ascii_lowercase(),
    })
}
