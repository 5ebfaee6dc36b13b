//! What the spool stores about a message: its envelope and its delivery state.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::id::MessageId;

/// The SMTP envelope and session facts of an accepted message. Never changes after commit.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Envelope {
    /// The reverse path (`MAIL FROM`), without angle brackets; empty for the null sender.
    pub mail_from: String,
    /// The forward paths (`RCPT TO`), in the order given.
    pub rcpt_to: Vec<String>,
    /// When the message was accepted, in seconds since the Unix epoch.
    pub received_at: u64,
    /// The device's address, e.g. `192.0.2.7:51234`.
    pub client_addr: String,
    /// The `HELO`/`EHLO` argument.
    pub helo: String,
    /// The authenticated user, if the device authenticated.
    #[serde(default)]
    pub auth_user: Option<String>,
    /// The message size in bytes as received.
    pub size: u64,
    /// The upstream chosen for it at acceptance (by device, network or sender); `None` for
    /// the default upstream.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route: Option<String>,
    /// The TLS the device's session used; `None` for plain SMTP, for the gateway's own
    /// notices, and for messages accepted before envelope format 3.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<SessionTls>,
}

/// The TLS a device's session negotiated, as recorded with its messages.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct SessionTls {
    /// The protocol version: `TLSv1.0`, `TLSv1.1`, `TLSv1.2` or `TLSv1.3`.
    pub version: String,
    /// The cipher suite by its IANA name, e.g. `TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA`
    /// (rustls writes TLS 1.3 suites as `TLS13_AES_256_GCM_SHA384`).
    pub cipher: String,
}

impl fmt::Display for SessionTls {
    /// `TLSv1.0 TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.version, self.cipher)
    }
}

/// Where a message is in its delivery life cycle.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// Ready to be sent at `next_attempt`.
    Queued,
    /// Held: no upstream can take it now (none is configured, or its login needs a person);
    /// `last_error` says why. Released when that is fixed.
    Waiting,
    /// A temporary failure happened; retried at `next_attempt`.
    Deferred,
    /// Waiting for its upstream's pacing limit (messages a minute or a day); goes at
    /// `next_attempt`.
    Paced,
    /// A delivery attempt is in progress (or was, when the server stopped).
    Sending,
    /// Delivered to every recipient; about to be removed from the spool.
    Delivered,
    /// Given up on (permanent failure, expired, or damaged in the spool).
    Failed,
}

impl State {
    /// Every state, in life-cycle order.
    pub const ALL: [State; 7] = [
        State::Queued,
        State::Waiting,
        State::Deferred,
        State::Paced,
        State::Sending,
        State::Delivered,
        State::Failed,
    ];

    /// Whether no further delivery attempt will be made (`Delivered` or `Failed`).
    pub fn is_final(self) -> bool {
        matches!(self, State::Delivered | State::Failed)
    }

    /// The lowercase name used in the envelope file and by the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Queued => "queued",
            State::Waiting => "waiting",
            State::Deferred => "deferred",
            State::Paced => "paced",
            State::Sending => "sending",
            State::Delivered => "delivered",
            State::Failed => "failed",
        }
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A string that names no [`State`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown message state `{0}`")]
pub struct UnknownState(pub String);

impl FromStr for State {
    type Err = UnknownState;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        State::ALL
            .into_iter()
            .find(|state| state.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownState(s.to_owned()))
    }
}

/// What must change before a held (`waiting`) message can go.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum HoldReason {
    /// No upstream is configured for it: released when one is.
    NoUpstream,
    /// Its upstream's OAuth2 grant is dead: released when a person logs in again.
    Login,
    /// Its upstream cannot carry it as set up (e.g. too large for a Graph app without drafts):
    /// released by an operator's retry after the setup changed.
    Setup,
}

impl HoldReason {
    /// The snake-case name, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            HoldReason::NoUpstream => "no_upstream",
            HoldReason::Login => "login",
            HoldReason::Setup => "setup",
        }
    }
}

/// The outcome for one recipient, as far as known.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[serde(rename_all = "lowercase")]
pub enum RcptState {
    /// Not tried yet.
    Pending,
    /// Accepted by the upstream relay.
    Delivered,
    /// Temporarily refused; retried with the message.
    Deferred,
    /// Permanently refused.
    Failed,
}

impl RcptState {
    /// The lowercase name used in the envelope file and by the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            RcptState::Pending => "pending",
            RcptState::Delivered => "delivered",
            RcptState::Deferred => "deferred",
            RcptState::Failed => "failed",
        }
    }
}

impl fmt::Display for RcptState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Per-recipient delivery outcome.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct RcptStatus {
    /// The recipient address, as in [`Envelope::rcpt_to`].
    pub rcpt: String,
    /// Its outcome.
    pub state: RcptState,
    /// The upstream's last reply for this recipient.
    #[serde(default)]
    pub reply: Option<String>,
}

/// The mutable delivery state of a message, rewritten atomically by [`crate::Spool::apply`].
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    /// The life-cycle state.
    pub state: State,
    /// Delivery attempts made so far.
    pub attempts: u32,
    /// Earliest time of the next attempt, in seconds since the Unix epoch.
    pub next_attempt: u64,
    /// Time of the last attempt, in seconds since the Unix epoch.
    #[serde(default)]
    pub last_attempt: Option<u64>,
    /// The upstream's last reply, e.g. `451 4.3.0 try later`.
    #[serde(default)]
    pub last_reply: Option<String>,
    /// A short machine-readable cause of the last failure, e.g. `"tls"`, `"auth"`.
    #[serde(default)]
    pub last_cause: Option<String>,
    /// A human-readable description of the last failure.
    #[serde(default)]
    pub last_error: Option<String>,
    /// Per-recipient outcomes (may be empty).
    #[serde(default)]
    pub per_rcpt: Vec<RcptStatus>,
    /// When the message was last queued again (an operator's `scanrelay queue retry`, or its
    /// release after a hold), in seconds since the Unix epoch. The gateway's give-up age
    /// (`max_age`) counts from here when it is later than the arrival, so a retried or released
    /// old message is not given up on (and bounced) at its first temporary failure.
    #[serde(default)]
    pub retried_at: Option<u64>,
    /// Why a `waiting` message is held (absent in files written before holds had reasons:
    /// those were held for lack of an upstream).
    #[serde(default)]
    pub hold: Option<HoldReason>,
}

impl Delivery {
    /// The state of a freshly accepted message: queued, due at `now`.
    pub fn new(now: u64) -> Delivery {
        Delivery {
            state: State::Queued,
            attempts: 0,
            next_attempt: now,
            last_attempt: None,
            last_reply: None,
            last_cause: None,
            last_error: None,
            per_rcpt: Vec::new(),
            retried_at: None,
            hold: None,
        }
    }
}

/// A queued message as stored: id, envelope, delivery state and body length.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The message id.
    pub id: MessageId,
    /// The envelope (fixed at acceptance).
    pub envelope: Envelope,
    /// The delivery state.
    pub delivery: Delivery,
    /// Length of the body file in bytes.
    pub body_len: u64,
}

/// Version of the envelope file format written by this crate. 2 added the envelope's
/// `route`, the `paced` state and the delivery's `hold` reason; version 1 files are read as
/// routed to the default upstream, and rewritten as version 2. 3 added the envelope's `tls`
/// (the device session's TLS version and cipher); older files are read without it. A
/// scanrelay that reads only up to 2 leaves a version 3 file alone rather than rewriting it
/// without `tls`.
pub(crate) const ENV_FORMAT: u32 = 3;

/// The content of `env/ID.json`.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub(crate) struct EnvFile {
    pub version: u32,
    pub body_len: u64,
    pub envelope: Envelope,
    pub delivery: Delivery,
}

impl EnvFile {
    pub fn into_entry(self, id: MessageId) -> Entry {
        Entry {
            id,
            envelope: self.envelope,
            delivery: self.delivery,
            body_len: self.body_len,
        }
    }
}
