//! [`SmtpUpstream`]: delivery through the provider's SMTP submission server, over the one
//! SMTP client (`scanrelay-client`).
//!
//! - At most `max_connections` sessions at once (a semaphore; Microsoft 365 allows 3 per
//!   mailbox).
//! - Authenticated sessions are kept for reuse (one TLS handshake and AUTH per burst of scans,
//!   as Gmail prefers). Before reuse a session must answer `RSET`; a session that failed, sat
//!   idle too long or carried many messages is dropped.
//! - `MAIL FROM` carries `SIZE=` when the server announces SIZE, and `BODY=8BITMIME` when it
//!   offers 8BITMIME. A message larger than the announced SIZE is refused before `MAIL FROM`.
//! - Each recipient is tried; refused ones are reported, the message goes to the others.

use std::fmt;
use std::sync::Mutex;
use std::time::Duration;

use scanrelay_client::{ClientConfig, ClientError, Connection, Credentials, Failure, establish};
use scanrelay_diagnose::{Cause, Provider, Stage};
use scanrelay_proto::EhloInfo;
use tokio::sync::Semaphore;
use tokio::time::Instant;

use crate::delivery::upstream::{
    DeliveryError, DeliveryFuture, DeliveryReport, OutgoingMessage, RecipientFailure, Upstream,
};
use crate::settings::{FromPolicy, UpstreamSettings};
use scanrelay_diagnose::{cause_of, failure_stage, reply_cause};

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
    /// An upstream from validated settings.
    pub fn new(settings: &UpstreamSettings) -> Result<SmtpUpstream, UpstreamSetupError> {
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
        config.credentials = match (&settings.username, &settings.password) {
            (Some(user), Some(password)) => Some(Credentials::Password {
                user: user.clone(),
                password: password.clone(),
            }),
            _ => None,
        };
        let max_connections = settings.max_connections.max(1);
        Ok(SmtpUpstream {
            name: format!("{}:{}", settings.server, settings.port),
            provider: settings
                .provider
                .as_deref()
                .and_then(scanrelay_diagnose::provider),
            rewrite,
            max_connections,
            permits: Semaphore::new(max_connections),
            idle: Mutex::new(Vec::new()),
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
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
        match establish(&self.config).await {
            Ok(conn) => {
                tracing::debug!(upstream = %self.name, "session established");
                Ok(Pooled { conn, uses: 0 })
            }
            Err(failure) => Err(self.session_error(*failure)),
        }
    }

    fn checkin(&self, pooled: Pooled) {
        self.lock_idle().push(Idle {
            conn: pooled.conn,
            since: Instant::now(),
            uses: pooled.uses + 1,
        });
    }

    fn session_error(&self, failure: Failure) -> DeliveryError {
        let Failure { error, facts } = failure;
        let cause = cause_of(&error, Some(&facts), false, self.provider);
        DeliveryError::Session {
            stage: failure_stage(&error),
            detail: error.to_string(),
            reply: error.reply().cloned(),
            cause,
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
                reply: None,
            });
        }
        let reply = conn
            .data(msg.body)
            .await
            .map_err(|e| self.tx_error(Stage::Data, e))?;
        Ok(DeliveryReport {
            accepted,
            refused,
            reply: Some(reply),
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
                    reply: Some(reply),
                }),
                Err(ClientError::InvalidAddress(_)) => refused.push(RecipientFailure {
                    rcpt: rcpt.clone(),
                    cause: Cause::SyntaxError,
                    reply: None,
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
                    reply,
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

    fn close_idle(&self) -> std::pin::Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(self.quit_idle())
    }
}
