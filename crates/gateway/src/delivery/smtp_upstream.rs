//! [`SmtpUpstream`]: delivery through the provider's SMTP submission server, over the one
//! SMTP client (`scanrelay-client`).
//!
//! - Credentials come from a [`CredentialSource`] asked at every new session (a password, or
//!   an OAuth2 access token refreshed ahead of expiry). When the server refuses them, the
//!   source is told; if it has fresher ones (a refreshed token), the login is tried once more
//!   before the attempt counts as failed. A source that needs a person's login makes the
//!   attempt [`DeliveryError::Credentials`], so the mail is held, not bounced.
//! - The trust roots (system store and `ca_file`) are read once, when the upstream is built,
//!   and the TLS-mode probe of `check` is never run: a delivering client must not open a second
//!   connection that sends a ClientHello before the greeting (a pregreet violation for a
//!   postscreen-protected relay).
//! - At most `max_connections` sessions at once (a semaphore; Microsoft 365 allows 3 per
//!   mailbox).
//! - Authenticated sessions are kept for reuse (one TLS handshake and AUTH per burst of scans,
//!   as Gmail prefers). Before reuse a session must answer `RSET`; a session that failed, sat
//!   idle too long or carried many messages is dropped.
//! - `MAIL FROM` carries `SIZE=` when the server announces SIZE, and `BODY=8BITMIME` when it
//!   offers 8BITMIME. A message larger than the announced SIZE is refused before `MAIL FROM`.
//! - Each recipient is tried; refused ones are reported, the message goes to the others.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use scanrelay_client::{ClientConfig, ClientError, Connection, Failure, TrustRoots, establish};
use scanrelay_client::{cause_of, failure_stage};
use scanrelay_diagnose::reply_cause;
use scanrelay_diagnose::{Cause, Provider, Stage};
use scanrelay_proto::EhloInfo;
use tokio::sync::Semaphore;
use tokio::time::Instant;

use crate::delivery::credentials::{CredentialSource, StaticPassword};
use crate::delivery::upstream::{
    BoxFuture, DeliveryError, DeliveryFuture, DeliveryReport, OutgoingMessage, RecipientFailure,
    Response, Upstream,
};
use crate::settings::{FromPolicy, UpstreamSettings};

/// How long an idle session is kept for reuse by default.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// Messages sent over one session before it is replaced.
const MAX_MESSAGES_PER_SESSION: u32 = 100;

/// Why an [`SmtpUpstream`] cannot be built from the settings.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UpstreamSetupError {
    /// `from_policy = rewrite` without a username to send from.
    #[error(
        "upstream.from_policy = \"rewrite\" sends mail from upstream.username, but no username is set"
    )]
    RewriteWithoutUsername,
    /// `from_policy = rewrite` with a username that is not an address (e.g. a bare Naver id).
    #[error(
        "upstream.from_policy = \"rewrite\" sends mail from upstream.username, but `{0}` is not an e-mail address: set username to the full address (for example {0}@naver.com)"
    )]
    UsernameNotAnAddress(String),
    /// The trust roots (`ca_file`) cannot be loaded.
    #[error("upstream.ca_file: {0}")]
    Trust(String),
}

/// An idle session kept for reuse.
struct Idle {
    conn: Connection,
    since: Instant,
    uses: u32,
}

/// A session checked out for one delivery.
struct Pooled {
    conn: Connection,
    uses: u32,
}

/// A failed transaction, and whether its session can still be used.
struct TxFailure {
    error: DeliveryError,
    reusable: bool,
}

/// Delivery through an SMTP submission server.
pub struct SmtpUpstream {
    config: ClientConfig,
    credentials: Option<Arc<dyn CredentialSource>>,
    name: String,
    provider: Option<&'static Provider>,
    rewrite: Option<String>,
    max_connections: usize,
    permits: Semaphore,
    idle: Mutex<Vec<Idle>>,
    idle_timeout: Duration,
}

impl fmt::Debug for SmtpUpstream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Not derived: the client configuration holds the password.
        f.debug_struct("SmtpUpstream")
            .field("name", &self.name)
            .field("max_connections", &self.max_connections)
            .field("rewrite", &self.rewrite)
            .finish_non_exhaustive()
    }
}

impl SmtpUpstream {
    /// An upstream from validated settings, logging in with the password they hold (if any).
    pub fn new(settings: &UpstreamSettings) -> Result<SmtpUpstream, UpstreamSetupError> {
        let credentials: Option<Arc<dyn CredentialSource>> =
            match (&settings.username, &settings.password) {
                (Some(user), Some(password)) => Some(Arc::new(StaticPassword::new(
                    user.clone(),
                    password.clone(),
                ))),
                _ => None,
            };
        SmtpUpstream::with_credentials(settings, credentials)
    }

    /// An upstream from validated settings, logging in with what `credentials` gives at each
    /// new session (`None`: no AUTH).
    pub fn with_credentials(
        settings: &UpstreamSettings,
        credentials: Option<Arc<dyn CredentialSource>>,
    ) -> Result<SmtpUpstream, UpstreamSetupError> {
        let rewrite = match (settings.from_policy, &settings.username) {
            (FromPolicy::Keep, _) => None,
            (FromPolicy::Rewrite, None) => return Err(UpstreamSetupError::RewriteWithoutUsername),
            (FromPolicy::Rewrite, Some(user)) if !user.contains('@') => {
                return Err(UpstreamSetupError::UsernameNotAnAddress(user.clone()));
            }
            (FromPolicy::Rewrite, Some(user)) => Some(user.clone()),
        };
        let mut config = ClientConfig::new(&settings.server, settings.port, settings.tls);
        config.ca_file.clone_from(&settings.ca_file);
        config.helo.clone_from(&settings.helo);
        config.timeout = settings.timeout;
        if settings.tls != scanrelay_proto::TlsMode::None {
            let roots = TrustRoots::load(settings.ca_file.as_deref())
                .map_err(|e| UpstreamSetupError::Trust(e.to_string()))?;
            config.trust = Some(roots);
        }
        let max_connections = settings.max_connections.max(1);
        Ok(SmtpUpstream {
            name: settings.name.clone(),
            provider: settings
                .provider
                .as_deref()
                .and_then(scanrelay_diagnose::provider),
            rewrite,
            max_connections,
            permits: Semaphore::new(max_connections),
            idle: Mutex::new(Vec::new()),
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            credentials,
            config,
        })
    }

    /// Keeps idle sessions for `timeout` instead of [`DEFAULT_IDLE_TIMEOUT`].
    pub fn with_idle_timeout(mut self, timeout: Duration) -> SmtpUpstream {
        self.idle_timeout = timeout;
        self
    }

    /// Sessions currently idle in the pool.
    pub fn idle_sessions(&self) -> usize {
        self.lock_idle().len()
    }

    fn lock_idle(&self) -> std::sync::MutexGuard<'_, Vec<Idle>> {
        // A panic while holding the lock cannot leave the Vec inconsistent.
        self.idle.lock().unwrap_or_else(|e| e.into_inner())
    }

    async fn deliver_one(&self, msg: OutgoingMessage) -> Result<DeliveryReport, DeliveryError> {
        let Ok(_permit) = self.permits.acquire().await else {
            unreachable!("the connection semaphore is never closed");
        };
        let mut pooled = self.checkout().await?;
        tracing::debug!(id = %msg.id, upstream = %self.name, uses = pooled.uses, "sending");
        let result = self.transaction(&mut pooled.conn, msg).await;
        pooled.conn.clear_steps();
        match result {
            Ok(report) => {
                self.checkin(pooled);
                Ok(report)
            }
            Err(TxFailure { error, reusable }) => {
                if reusable {
                    self.checkin(pooled);
                }
                Err(error)
            }
        }
    }

    /// A live session: an idle one that answers `RSET`, or a new one.
    async fn checkout(&self) -> Result<Pooled, DeliveryError> {
        loop {
            let next = self.lock_idle().pop();
            let Some(mut idle) = next else { break };
            if idle.since.elapsed() > self.idle_timeout || idle.uses >= MAX_MESSAGES_PER_SESSION {
                tokio::spawn(async move { drop(idle.conn.quit().await) });
                continue;
            }
            match idle.conn.rset().await {
                Ok(_) => {
                    idle.conn.clear_steps();
                    return Ok(Pooled {
                        conn: idle.conn,
                        uses: idle.uses,
                    });
                }
                Err(e) => {
                    tracing::debug!(upstream = %self.name, error = %e, "idle session is dead")
                }
            }
        }
        let conn = self.open_session().await?;
        tracing::debug!(upstream = %self.name, "session established");
        Ok(Pooled { conn, uses: 0 })
    }

    /// A new session with fresh credentials; when the server refuses them and the source
    /// has fresher ones (a refreshed token), one more try.
    async fn open_session(&self) -> Result<Connection, DeliveryError> {
        let Some(source) = &self.credentials else {
            return establish(&self.config)
                .await
                .map_err(|f| self.session_error(*f, false));
        };
        let mut retried = false;
        loop {
            let credentials =
                source
                    .credentials()
                    .await
                    .map_err(|e| DeliveryError::Credentials {
                        detail: e.detail,
                        cause: e.cause,
                        needs_login: e.needs_login,
                    })?;
            let mut config = self.config.clone();
            config.credentials = Some(credentials.clone());
            let failure = match establish(&config).await {
                Ok(conn) => return Ok(conn),
                Err(failure) => *failure,
            };
            let refused = is_auth_refusal(&failure.error);
            if refused && !retried && source.refused(&credentials).await {
                tracing::info!(upstream = %self.name,
                    "the server refused the token; trying once more with a fresh one");
                retried = true;
                continue;
            }
            if refused {
                source.refused(&credentials).await;
            }
            return Err(self.session_error(failure, source.is_token()));
        }
    }

    fn checkin(&self, pooled: Pooled) {
        self.lock_idle().push(Idle {
            conn: pooled.conn,
            since: Instant::now(),
            uses: pooled.uses + 1,
        });
    }

    fn session_error(&self, failure: Failure, token: bool) -> DeliveryError {
        let Failure { error, facts } = failure;
        let cause = cause_of(&error, Some(&facts), token, self.provider);
        DeliveryError::Session {
            stage: failure_stage(&error),
            detail: error.to_string(),
            response: error.reply().cloned().map(Response::Smtp),
            cause,
            retry_after: None,
        }
    }

    async fn transaction(
        &self,
        conn: &mut Connection,
        msg: OutgoingMessage,
    ) -> Result<DeliveryReport, TxFailure> {
        let ehlo = conn.ehlo_info().cloned().unwrap_or_default();
        if let Some(limit) = ehlo.size_limit()
            && msg.size > limit
        {
            let error = DeliveryError::TooLarge {
                size: msg.size,
                limit,
            };
            return Err(TxFailure {
                error,
                reusable: true,
            });
        }
        let params = mail_params(&ehlo, msg.size);
        conn.mail(&msg.mail_from, &params)
            .await
            .map_err(|e| self.tx_error(Stage::Mail, e))?;
        let (accepted, refused) = self.recipients(conn, &msg.rcpt_to).await?;
        if accepted.is_empty() {
            return Ok(DeliveryReport {
                accepted,
                refused,
                response: None,
            });
        }
        let body = msg.body.open().await.map_err(|e| TxFailure {
            error: DeliveryError::Body(e),
            reusable: false,
        })?;
        let reply = conn
            .data(body)
            .await
            .map_err(|e| self.tx_error(Stage::Data, e))?;
        Ok(DeliveryReport {
            accepted,
            refused,
            response: Some(Response::Smtp(reply)),
        })
    }

    /// `RCPT TO` for each recipient: accepted ones, and refusals with their replies.
    async fn recipients(
        &self,
        conn: &mut Connection,
        rcpts: &[String],
    ) -> Result<(Vec<String>, Vec<RecipientFailure>), TxFailure> {
        let (mut accepted, mut refused) = (Vec::new(), Vec::new());
        for rcpt in rcpts {
            match conn.rcpt(rcpt).await {
                Ok(_) => accepted.push(rcpt.clone()),
                Err(ClientError::Rejected { reply, .. }) => refused.push(RecipientFailure {
                    rcpt: rcpt.clone(),
                    cause: reply_cause(Stage::Rcpt, &reply, self.provider),
                    response: Some(Response::Smtp(reply)),
                }),
                Err(ClientError::InvalidAddress(_)) => refused.push(RecipientFailure {
                    rcpt: rcpt.clone(),
                    cause: Cause::SyntaxError,
                    response: None,
                }),
                Err(e) => return Err(self.tx_error(Stage::Rcpt, e)),
            }
        }
        Ok((accepted, refused))
    }

    fn tx_error(&self, stage: Stage, error: ClientError) -> TxFailure {
        match error {
            ClientError::Rejected { reply, .. } => TxFailure {
                error: DeliveryError::Rejected {
                    stage,
                    cause: reply_cause(stage, &reply, self.provider),
                    response: Response::Smtp(reply),
                    retry_after: None,
                },
                reusable: true,
            },
            ClientError::InvalidAddress(address) => TxFailure {
                error: DeliveryError::InvalidSender(address),
                reusable: true,
            },
            other => TxFailure {
                error: DeliveryError::Connection {
                    stage,
                    detail: other.to_string(),
                    cause: cause_of(&other, None, false, self.provider),
                },
                reusable: false,
            },
        }
    }

    async fn quit_idle(&self) {
        let idle: Vec<Idle> = std::mem::take(&mut *self.lock_idle());
        for session in idle {
            drop(session.conn.quit().await);
        }
    }
}

/// Whether a session failed because the server refused the credentials (not because AUTH was
/// missing or the connection broke).
fn is_auth_refusal(error: &ClientError) -> bool {
    match error {
        ClientError::Rejected { reply, .. } => {
            failure_stage(error) == Some(Stage::Auth) && !reply.is_transient()
        }
        ClientError::Sasl { .. } => true,
        _ => false,
    }
}

/// `SIZE=` when the server announces SIZE, `BODY=8BITMIME` when it offers 8BITMIME.
fn mail_params(ehlo: &EhloInfo, size: u64) -> Vec<String> {
    let mut params = Vec::new();
    if ehlo.has("SIZE") {
        params.push(format!("SIZE={size}"));
    }
    if ehlo.eight_bit_mime() {
        params.push("BODY=8BITMIME".to_string());
    }
    params
}

impl Upstream for SmtpUpstream {
    fn deliver(&self, msg: OutgoingMessage) -> DeliveryFuture<'_> {
        Box::pin(self.deliver_one(msg))
    }

    fn max_concurrency(&self) -> usize {
        self.max_connections
    }

    fn rewrite_sender(&self) -> Option<&str> {
        self.rewrite.as_deref()
    }

    fn provider(&self) -> Option<&'static Provider> {
        self.provider
    }

    fn name(&self) -> &str {
        &self.name
    }

    fn remote_host(&self) -> &str {
        &self.config.host
    }

    fn credentials_changed(&self) -> Option<tokio::sync::watch::Receiver<u64>> {
        self.credentials.as_ref().and_then(|c| c.changed())
    }

    fn oauth_account(&self) -> Option<&str> {
        self.credentials.as_ref().and_then(|c| c.account())
    }

    fn close_idle(&self) -> BoxFuture<'_, ()> {
        Box::pin(self.quit_idle())
    }
}
