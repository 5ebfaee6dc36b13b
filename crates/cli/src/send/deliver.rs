//! One SMTP session for the whole job: connect and log in, learn the server's SIZE, compose
//! the messages under the limit, then MAIL / RCPT / DATA for each, the body streamed from the
//! files through the progress bar.

use indicatif::ProgressBar;
use scanrelay_check::Plan;
use scanrelay_client::{ClientError, Connection, Facts, establish};
use scanrelay_compose::{ComposeError, Draft, Limit, Message, Stamp, compose};

/// What `send` was asked to do, validated.
pub struct Job {
    /// Where to connect and how to log in.
    pub plan: Plan,
    /// The message(s) to build.
    pub draft: Draft,
    /// MAIL FROM.
    pub envelope_from: String,
    /// RCPT TO: To, Cc and Bcc.
    pub recipients: Vec<String>,
    /// `--max-size`, when given.
    pub max_size: Option<u64>,
    /// `--split`.
    pub split: bool,
    /// With `--ifax`, the TIFF-F file sent (removed when the job is dropped).
    pub _fax: Option<super::ifax::FaxFile>,
}

/// Where the size limit came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitFrom {
    /// `--max-size`.
    Flag,
    /// The server's EHLO SIZE.
    Server,
}

/// How the job ended.
pub enum Ending {
    /// Every message was accepted.
    Sent {
        /// The messages, in order.
        sent: Vec<Message>,
        /// The limit they were built under.
        limit: Option<(u64, LimitFrom)>,
    },
    /// The files do not fit under the limit; nothing was sent.
    TooLarge {
        /// Why.
        error: ComposeError,
        /// Where the limit came from.
        from: LimitFrom,
    },
    /// The connection or the server failed.
    Failed {
        /// Messages accepted before the failure.
        sent: Vec<Message>,
        /// The error.
        error: ClientError,
        /// What the session saw.
        facts: Box<Facts>,
    },
}

/// Runs the job, reporting bytes sent to `progress`.
pub async fn run(job: &Job, progress: &ProgressBar) -> Ending {
    let domain = job
        .envelope_from
        .rsplit_once('@')
        .map_or("localhost", |(_, d)| d)
        .to_string();
    let mut stamp = || Stamp::fresh(&domain);
    let early = match job.max_size {
        Some(max) => match compose(&job.draft, limit(max, job.split), &mut stamp) {
            Ok(messages) => Some(messages),
            Err(error) => return too_large(error, LimitFrom::Flag),
        },
        None => None,
    };
    let mut session = match establish(&job.plan.client).await {
        Ok(session) => session,
        Err(failure) => return failed(Vec::new(), failure.error, failure.facts),
    };
    let server_size = session
        .ehlo_info()
        .and_then(|info| info.size_limit())
        .filter(|&n| n > 0);
    let (messages, limit) = match (early, job.max_size, server_size) {
        (Some(messages), Some(max), _) => (messages, Some((max, LimitFrom::Flag))),
        (_, _, Some(max)) => match compose(&job.draft, limit(max, job.split), &mut stamp) {
            Ok(messages) => (messages, Some((max, LimitFrom::Server))),
            Err(error) => {
                session.quit().await;
                return too_large(error, LimitFrom::Server);
            }
        },
        _ => match compose(&job.draft, Limit::default(), &mut stamp) {
            Ok(messages) => (messages, None),
            Err(error) => {
                session.quit().await;
                return too_large(error, LimitFrom::Server);
            }
        },
    };
    progress.set_length(messages.iter().map(Message::size).sum());
    let mut sent = Vec::with_capacity(messages.len());
    for message in messages {
        if let Err(error) =
            transaction(&mut session, job, &message, server_size.is_some(), progress).await
        {
            let facts = end_after_failure(session, &error).await;
            return failed(sent, error, facts);
        }
        sent.push(message);
    }
    session.quit().await;
    Ending::Sent { sent, limit }
}

fn limit(max: u64, split: bool) -> Limit {
    Limit {
        max_size: Some(max),
        split,
    }
}

fn too_large(error: ComposeError, from: LimitFrom) -> Ending {
    Ending::TooLarge { error, from }
}

fn failed(sent: Vec<Message>, error: ClientError, facts: Facts) -> Ending {
    Ending::Failed {
        sent,
        error,
        facts: Box::new(facts),
    }
}

/// MAIL (with SIZE when the server takes it), RCPT for every recipient, DATA.
async fn transaction(
    session: &mut Connection,
    job: &Job,
    message: &Message,
    size_param: bool,
    progress: &ProgressBar,
) -> Result<(), ClientError> {
    let params = if size_param {
        vec![format!("SIZE={}", message.size())]
    } else {
        Vec::new()
    };
    session.mail(&job.envelope_from, &params).await?;
    for rcpt in &job.recipients {
        session.rcpt(rcpt).await?;
    }
    session
        .data(progress.wrap_async_read(message.reader()))
        .await?;
    Ok(())
}

/// Ends the session after a failure: QUIT when the server is waiting for a command; when the
/// failure came in the middle of the body (a file could not be read, the connection broke),
/// the connection is dropped without the final dot, so the server discards the partial
/// message rather than delivering it.
async fn end_after_failure(session: Connection, error: &ClientError) -> Facts {
    match error {
        ClientError::Rejected { .. } => session.quit().await,
        _ => session.into_facts(),
    }
}
