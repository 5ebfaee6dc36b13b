//! A contract-enforcing fake Microsoft Graph for the mail-sending paths: `sendMail` with a
//! base64 MIME body, drafts from MIME, recipient `PATCH`es, small attachments, upload sessions
//! with pre-authorised upload URLs, `send` and `DELETE`. It enforces what real Graph enforces
//! and a client can get wrong: a bearer token with the right permission on API calls (401
//! without, 403 `ErrorAccessDenied` for drafts without `Mail.ReadWrite`), no request body
//! over 4 MiB (413 with a Graph error body), no `Authorization` header on upload `PUT`s,
//! contiguous `Content-Range` chunks of the declared total (416 otherwise), upload sessions
//! only for files of at least 2 MiB, and a draft sent only once every upload finished.
//! Faults are injected per stage (429 with `Retry-After`, 503, any Graph error body), and
//! mailboxes can be "not enabled for REST". Tests inspect what was sent and every request.

mod handlers;
mod mime;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

pub use mime::StoredAttachment;

use crate::thread::{ServerThread, bind_loopback};

/// Graph's request body limit.
pub const GRAPH_MAX_BODY: usize = 4 * 1024 * 1024;
/// The smallest file an upload session accepts (`ErrorAttachmentSizeShouldNotBeLessThanMinimumSize`
/// below it; 2 MiB is the figure observed against Graph, the documentation says "3 MB").
pub const GRAPH_UPLOAD_SESSION_MIN: u64 = 2 * 1024 * 1024;

/// Maps a bearer token to the permissions it carries (`Mail.Send`, `Mail.ReadWrite`), or
/// `None` when the token is not valid.
pub type TokenCheck = Arc<dyn Fn(&str) -> Option<Vec<String>> + Send + Sync>;

/// The step a fault applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultStage {
    /// `POST .../sendMail`.
    SendMail,
    /// `POST .../messages`.
    Draft,
    /// `PATCH .../messages/{id}`.
    Recipients,
    /// `POST .../attachments` (small file).
    AddAttachment,
    /// `POST .../attachments/createUploadSession`.
    CreateUploadSession,
    /// An upload `PUT`.
    Upload,
    /// `POST .../messages/{id}/send`.
    Send,
    /// Any request.
    Any,
}

/// What a faulty request gets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FaultReply {
    /// 429 `ApplicationThrottled` with this `Retry-After` value (seconds or an HTTP date).
    Throttle(String),
    /// 503 `ServiceUnavailable` without `Retry-After`.
    Unavailable,
    /// Any status with a Graph error body.
    Error {
        /// HTTP status.
        status: u16,
        /// `error.code`.
        code: String,
        /// `error.message`.
        message: String,
    },
}

/// A fault: the next `times` requests of `stage` get `reply`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fault {
    /// Which requests.
    pub stage: FaultStage,
    /// How many of them.
    pub times: usize,
    /// What they get.
    pub reply: FaultReply,
}

/// How a message was sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SentVia {
    /// One `sendMail`.
    SendMail,
    /// A draft, then `send`.
    Draft,
}

/// A message the fake Graph "sent".
#[derive(Clone, Debug)]
pub struct SentMessage {
    /// The sending mailbox (lowercased).
    pub mailbox: String,
    /// How it was sent.
    pub via: SentVia,
    /// Its subject, decoded.
    pub subject: Option<String>,
    /// The `From` address.
    pub from: Option<String>,
    /// `To` recipients Graph would deliver to.
    pub to: Vec<String>,
    /// `Cc` recipients.
    pub cc: Vec<String>,
    /// `Bcc` recipients.
    pub bcc: Vec<String>,
    /// Its attachments, in the order Graph holds them.
    pub attachments: Vec<StoredAttachment>,
}

impl SentMessage {
    /// Every recipient (To, Cc, Bcc), lowercased and sorted.
    pub fn recipients(&self) -> Vec<String> {
        let mut all: Vec<String> = self
            .to
            .iter()
            .chain(&self.cc)
            .chain(&self.bcc)
            .map(|a| a.to_ascii_lowercase())
            .collect();
        all.sort();
        all.dedup();
        all
    }
}

/// One request the fake Graph received.
#[derive(Clone, Debug)]
pub struct RequestRecord {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// Whether there was a query string.
    pub has_query: bool,
    /// The request body's size.
    pub body_len: usize,
    /// Whether an `Authorization` header was sent.
    pub authorization: bool,
    /// The `Content-Type` header.
    pub content_type: Option<String>,
    /// The `Content-Range` header.
    pub content_range: Option<String>,
    /// The status answered.
    pub status: u16,
}

/// Settings of a fake Graph.
#[derive(Clone)]
pub struct GraphServerConfig {
    /// Token validation.
    pub tokens: TokenCheck,
    /// The smallest attachment an upload session accepts.
    pub upload_session_min: u64,
}

impl GraphServerConfig {
    /// One valid token with these permissions.
    pub fn with_token(token: &str, permissions: &[&str]) -> GraphServerConfig {
        let token = token.to_string();
        let permissions: Vec<String> = permissions.iter().map(|p| p.to_string()).collect();
        GraphServerConfig {
            tokens: Arc::new(move |t: &str| (t == token).then(|| permissions.clone())),
            upload_session_min: GRAPH_UPLOAD_SESSION_MIN,
        }
    }
}

#[derive(Default)]
pub(crate) struct State {
    pub base: String,
    pub faults: Vec<Fault>,
    pub disabled: Vec<String>,
    pub sent: Vec<SentMessage>,
    pub drafts: Vec<handlers::Draft>,
    pub sessions: Vec<handlers::Session>,
    pub requests: Vec<RequestRecord>,
    pub next_id: u64,
}

pub(crate) struct Shared {
    pub config: GraphServerConfig,
    pub state: Mutex<State>,
}

impl Shared {
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A running fake Graph on `127.0.0.1`; dropping it stops it.
pub struct GraphServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    _thread: ServerThread<()>,
}

impl GraphServer {
    /// Starts a fake Graph on its own thread.
    ///
    /// # Panics
    /// When the port cannot be bound.
    pub fn start(config: GraphServerConfig) -> GraphServer {
        let listener = bind_loopback();
        let addr = listener.local_addr().expect("local address");
        let shared = Arc::new(Shared {
            config,
            state: Mutex::new(State {
                base: format!("http://{addr}"),
                ..State::default()
            }),
        });
        let app = handlers::router(shared.clone());
        let thread = ServerThread::spawn("fake-graph", move || async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
            let _ = axum::serve(listener, app).await;
        });
        GraphServer {
            addr,
            shared,
            _thread: thread,
        }
    }

    /// `http://127.0.0.1:PORT` (the Graph base URL, without `/v1.0`).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Adds a fault.
    pub fn add_fault(&self, fault: Fault) {
        self.shared.lock().faults.push(fault);
    }

    /// Makes `mailbox` answer 404 `MailboxNotEnabledForRESTAPI`.
    pub fn disable_mailbox(&self, mailbox: &str) {
        self.shared
            .lock()
            .disabled
            .push(mailbox.to_ascii_lowercase());
    }

    /// Messages sent from `mailbox`.
    pub fn sent(&self, mailbox: &str) -> Vec<SentMessage> {
        let mailbox = mailbox.to_ascii_lowercase();
        let state = self.shared.lock();
        state
            .sent
            .iter()
            .filter(|m| m.mailbox == mailbox)
            .cloned()
            .collect()
    }

    /// Removes and returns every message sent so far, from any mailbox, in order (a
    /// long-running server, like the benchmark's, keeps its memory bounded with it).
    pub fn take_sent(&self) -> Vec<SentMessage> {
        std::mem::take(&mut self.shared.lock().sent)
    }

    /// How many drafts exist (created, neither sent nor deleted).
    pub fn open_drafts(&self) -> usize {
        self.shared.lock().drafts.len()
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.shared.lock().requests.clone()
    }
}
