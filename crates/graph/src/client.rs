//! The Graph HTTP client: settings, the request helper (bearer token, one retry after a
//! 401, Graph error bodies) and `send`, which picks `sendMail` or the draft path.

use std::collections::HashSet;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use reqwest::header::{CONTENT_TYPE, RETRY_AFTER};
use reqwest::{Method, Response, StatusCode, Url};
use tokio::io::AsyncReadExt;

use crate::bearer::BearerSource;
use crate::error::{GraphError, Stage, parse_retry_after};
use crate::mime::address::normalize;
use crate::mime::{Scanner, Structure, base64_len};
use crate::source::MessageSource;
use crate::wire::ErrorBody;
use crate::{MAX_REQUEST_BODY, UPLOAD_CHUNK, UPLOAD_SESSION_MIN};

/// HTTP settings for the Graph client.
#[derive(Clone, Debug)]
pub struct HttpSettings {
    /// How long to wait for a connection (TCP and TLS).
    pub connect_timeout: Duration,
    /// How long one request may take, body included.
    pub request_timeout: Duration,
    /// The `User-Agent` header.
    pub user_agent: String,
    /// Extra trusted CA certificates (DER), beside the system's.
    pub extra_roots_der: Vec<Vec<u8>>,
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings {
            connect_timeout: Duration::from_secs(15),
            request_timeout: Duration::from_secs(120),
            user_agent: concat!("scanrelay/", env!("CARGO_PKG_VERSION")).to_string(),
            extra_roots_der: Vec::new(),
        }
    }
}

/// Size limits (Graph's by default; tests lower them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The largest request body sent.
    pub max_request_body: u64,
    /// The largest base64 MIME body for `sendMail` or a draft (room left for the request's
    /// own overhead).
    pub mime_body: u64,
    /// Bytes per upload `PUT`.
    pub upload_chunk: u64,
    /// Attachments at least this large use an upload session.
    pub upload_session_min: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_request_body: MAX_REQUEST_BODY,
            mime_body: MAX_REQUEST_BODY - 64 * 1024,
            upload_chunk: UPLOAD_CHUNK,
            upload_session_min: UPLOAD_SESSION_MIN,
        }
    }
}

/// How a message went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SendPath {
    /// One `sendMail` request.
    SendMail,
    /// Draft, recipients, attachments, send.
    Draft {
        /// Attachments sent through upload sessions.
        uploaded: usize,
        /// Attachments sent in one `POST .../attachments`.
        posted: usize,
    },
}

/// What a successful send did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SendReport {
    /// The path taken.
    pub path: SendPath,
    /// HTTP requests made (retries included).
    pub requests: u32,
    /// The largest request body sent.
    pub largest_body: u64,
}

/// A Microsoft Graph mail client for one Graph endpoint and one token source.
pub struct GraphClient {
    pub(crate) http: reqwest::Client,
    base: Url,
    bearer: Arc<dyn BearerSource>,
    pub(crate) limits: Limits,
}

impl std::fmt::Debug for GraphClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GraphClient")
            .field("base", &self.base.as_str())
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

/// Counts requests and their sizes during one send.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    pub requests: u32,
    pub largest_body: u64,
}

impl GraphClient {
    /// A client for `base_url` (`https://graph.microsoft.com`, or a loopback `http://` URL in
    /// tests) taking tokens from `bearer`.
    ///
    /// # Errors
    /// [`GraphError::Config`] for an unusable URL or TLS setting.
    pub fn new(
        base_url: &str,
        settings: &HttpSettings,
        bearer: Arc<dyn BearerSource>,
    ) -> Result<GraphClient, GraphError> {
        let base = checked_url(base_url).map_err(GraphError::Config)?;
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(settings.connect_timeout)
            .timeout(settings.request_timeout)
            .user_agent(settings.user_agent.clone());
        for der in &settings.extra_roots_der {
            let cert = reqwest::Certificate::from_der(der)
                .map_err(|e| GraphError::Config(format!("extra CA certificate: {e}")))?;
            builder = builder.add_root_certificate(cert);
        }
        let http = builder
            .build()
            .map_err(|e| GraphError::Config(format!("HTTP client: {e}")))?;
        Ok(GraphClient {
            http,
            base,
            bearer,
            limits: Limits::default(),
        })
    }

    /// The same client with other size limits.
    ///
    /// # Panics
    /// When the limits contradict each other (a chunk or MIME body over the request limit).
    pub fn with_limits(mut self, limits: Limits) -> GraphClient {
        assert!(limits.upload_chunk <= limits.max_request_body && limits.upload_chunk > 0);
        assert!(limits.mime_body <= limits.max_request_body);
        self.limits = limits;
        self
    }

    /// Sends the message in `source` from `mailbox` to exactly `recipients` (the envelope).
    ///
    /// # Errors
    /// A [`GraphError`]; after a draft was created, the draft is deleted first (best effort).
    pub async fn send(
        &self,
        mailbox: &str,
        recipients: &[String],
        source: &dyn MessageSource,
    ) -> Result<SendReport, GraphError> {
        let recipients = checked_recipients(recipients)?;
        let structure = scan(source).await?;
        let routing = Routing::new(&structure, &recipients);
        let bcc = routing.bcc_header();
        let mut tally = Tally::default();
        let whole = base64_len(source.len() + bcc.len() as u64);
        if routing.headers_match && whole <= self.limits.mime_body {
            self.send_mail(mailbox, source, &bcc, &mut tally).await?;
            return Ok(SendReport {
                path: SendPath::SendMail,
                requests: tally.requests,
                largest_body: tally.largest_body,
            });
        }
        let path =
            crate::draft::send(self, mailbox, &routing, &structure, source, &mut tally).await?;
        Ok(SendReport {
            path,
            requests: tally.requests,
            largest_body: tally.largest_body,
        })
    }

    async fn send_mail(
        &self,
        mailbox: &str,
        source: &dyn MessageSource,
        bcc: &[u8],
        tally: &mut Tally,
    ) -> Result<(), GraphError> {
        let mut mime = Vec::with_capacity(bcc.len() + usize::try_from(source.len()).unwrap_or(0));
        mime.extend_from_slice(bcc);
        let mut reader = source.open().await.map_err(GraphError::Source)?;
        reader
            .read_to_end(&mut mime)
            .await
            .map_err(GraphError::Source)?;
        if mime.len() as u64 != source.len() + bcc.len() as u64 {
            return Err(changed(source.len(), (mime.len() - bcc.len()) as u64));
        }
        let body = base64::engine::general_purpose::STANDARD.encode(&mime);
        drop(mime);
        let url = self.api_url(mailbox, &["sendMail"]);
        let body = Some((Bytes::from(body), "text/plain"));
        self.api(Stage::SendMail, Method::POST, url, body, tally)
            .await?;
        Ok(())
    }

    /// `{base}/v1.0/users/{mailbox}/{rest...}`, each segment percent-encoded.
    pub(crate) fn api_url(&self, mailbox: &str, rest: &[&str]) -> Url {
        let mut url = self.base.clone();
        url.set_query(None);
        if let Ok(mut segments) = url.path_segments_mut() {
            segments
                .pop_if_empty()
                .extend(["v1.0", "users", mailbox])
                .extend(rest);
        }
        url
    }

    /// A Graph API request with the bearer token; a 401 drops the token and the request is
    /// made once more with a new one.
    pub(crate) async fn api(
        &self,
        stage: Stage,
        method: Method,
        url: Url,
        body: Option<(Bytes, &'static str)>,
        tally: &mut Tally,
    ) -> Result<Response, GraphError> {
        let token = self.bearer.bearer().await?;
        let response = self
            .request(stage, &method, &url, body.clone(), Some(&token), tally)
            .await?;
        if response.status() != StatusCode::UNAUTHORIZED {
            return check(stage, response).await;
        }
        tracing::debug!(%stage, "Graph refused the access token; fetching a new one");
        self.bearer.rejected(&token).await;
        let token = self.bearer.bearer().await?;
        let response = self
            .request(stage, &method, &url, body, Some(&token), tally)
            .await?;
        if response.status() == StatusCode::UNAUTHORIZED {
            // Refused again: tell the source, but do not loop.
            self.bearer.rejected(&token).await;
        }
        check(stage, response).await
    }

    /// One request; `token` None for the pre-authorised upload URL.
    pub(crate) async fn request(
        &self,
        stage: Stage,
        method: &Method,
        url: &Url,
        body: Option<(Bytes, &'static str)>,
        token: Option<&str>,
        tally: &mut Tally,
    ) -> Result<Response, GraphError> {
        let mut request = self.http.request(method.clone(), url.clone());
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let (bytes, content_type) = body.unwrap_or((Bytes::new(), ""));
        if bytes.len() as u64 > self.limits.max_request_body {
            return Err(GraphError::Protocol {
                stage,
                detail: format!("refusing to send a {} byte request body", bytes.len()),
            });
        }
        if !content_type.is_empty() {
            request = request.header(CONTENT_TYPE, content_type);
        }
        tally.requests += 1;
        tally.largest_body = tally.largest_body.max(bytes.len() as u64);
        tracing::debug!(%stage, %method, path = url.path(), bytes = bytes.len(), "Graph request");
        request
            .body(bytes)
            .send()
            .await
            .map_err(|e| network(stage, e))
    }
}

/// Passes a 2xx response; turns anything else into [`GraphError::Http`].
pub(crate) async fn check(stage: Stage, response: Response) -> Result<Response, GraphError> {
    if response.status().is_success() {
        return Ok(response);
    }
    Err(http_error(stage, response).await)
}

async fn http_error(stage: Stage, mut response: Response) -> GraphError {
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(parse_retry_after);
    let body = read_limited(&mut response, 64 * 1024).await;
    let parsed = serde_json::from_slice::<ErrorBody>(&body).ok();
    let (code, message, request_id) = match parsed {
        Some(b) => (
            b.error.code,
            b.error.message,
            b.error.inner_error.and_then(|i| i.request_id),
        ),
        None => (None, None, None),
    };
    GraphError::Http {
        stage,
        status,
        code,
        message,
        request_id,
        retry_after,
    }
}

/// Reads at most `limit` bytes of a response body (errors end it quietly).
pub(crate) async fn read_limited(response: &mut Response, limit: usize) -> Vec<u8> {
    let mut body = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        let room = limit.saturating_sub(body.len());
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() >= limit {
            break;
        }
    }
    body
}

/// A transport failure, described without the URL (an upload URL's query is a credential).
pub(crate) fn network(stage: Stage, error: reqwest::Error) -> GraphError {
    let error = error.without_url();
    let mut detail = if error.is_timeout() {
        "timed out".to_string()
    } else {
        error.to_string()
    };
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        detail.push_str(": ");
        detail.push_str(&cause.to_string());
        source = cause.source();
    }
    GraphError::Network { stage, detail }
}

pub(crate) fn changed(expected: u64, actual: u64) -> GraphError {
    GraphError::Source(std::io::Error::other(format!(
        "the message changed while it was being sent ({expected} bytes expected, {actual} read)"
    )))
}

/// Parses a URL and refuses plain `http://` for anything but loopback.
pub(crate) fn checked_url(text: &str) -> Result<Url, String> {
    let url = Url::parse(text).map_err(|e| format!("not a URL: {e}"))?;
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        "http" => Err(format!(
            "plain http:// is allowed only for loopback hosts, not {}",
            url.host_str().unwrap_or("")
        )),
        other => Err(format!("unsupported URL scheme {other}")),
    }
}

fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn checked_recipients(recipients: &[String]) -> Result<Vec<String>, GraphError> {
    if recipients.is_empty() {
        return Err(GraphError::BadRecipient(String::new()));
    }
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for r in recipients {
        let r = r.trim();
        let bad = r
            .chars()
            .any(|c| c.is_control() || c == ',' || c == '<' || c == '>' || c == ' ');
        if bad || !r.contains('@') {
            return Err(GraphError::BadRecipient(r.to_string()));
        }
        if seen.insert(normalize(r)) {
            out.push(r.to_string());
        }
    }
    Ok(out)
}

/// Pass 1 over the message.
async fn scan(source: &dyn MessageSource) -> Result<Structure, GraphError> {
    let mut reader = source.open().await.map_err(GraphError::Source)?;
    let mut scanner = Scanner::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut total = 0u64;
    loop {
        let n = reader.read(&mut buf).await.map_err(GraphError::Source)?;
        if n == 0 {
            break;
        }
        total += n as u64;
        scanner.feed(&buf[..n])?;
    }
    if total != source.len() {
        return Err(changed(source.len(), total));
    }
    Ok(scanner.finish()?)
}

/// The envelope recipients against the message's `To`/`Cc`/`Bcc`.
#[derive(Debug)]
pub(crate) struct Routing {
    /// Every address in the headers is an envelope recipient.
    pub headers_match: bool,
    /// Envelope recipients in no header field (they get a `Bcc:` on the sendMail path).
    pub missing: Vec<String>,
    /// The envelope split by the header field that names it (`bcc` for the rest).
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub bcc: Vec<String>,
}

impl Routing {
    pub(crate) fn new(structure: &Structure, envelope: &[String]) -> Routing {
        let set = |list: &[String]| list.iter().map(|a| normalize(a)).collect::<HashSet<_>>();
        let (to, cc, bcc) = (set(&structure.to), set(&structure.cc), set(&structure.bcc));
        let wanted = set(envelope);
        let headers_match = to.iter().chain(&cc).chain(&bcc).all(|a| wanted.contains(a));
        let mut routing = Routing {
            headers_match,
            missing: Vec::new(),
            to: Vec::new(),
            cc: Vec::new(),
            bcc: Vec::new(),
        };
        for addr in envelope {
            let key = normalize(addr);
            if to.contains(&key) {
                routing.to.push(addr.clone());
            } else if cc.contains(&key) {
                routing.cc.push(addr.clone());
            } else {
                if !bcc.contains(&key) {
                    routing.missing.push(addr.clone());
                }
                routing.bcc.push(addr.clone());
            }
        }
        routing
    }

    /// `Bcc: a, b\r\n` for the envelope recipients no header names (empty when none).
    pub(crate) fn bcc_header(&self) -> Vec<u8> {
        if self.missing.is_empty() {
            return Vec::new();
        }
        format!("Bcc: {}\r\n", self.missing.join(",\r\n ")).into_bytes()
    }
}
