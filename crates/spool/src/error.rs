//! The spool's error type.

use std::io;
use std::path::PathBuf;

use crate::id::{InvalidMessageId, MessageId};

/// Everything that can go wrong in the spool.
///
/// Filesystem failures always name the path and the operation, so an operator reading a log line
/// knows which file to look at. [`SpoolError::is_disk_full`] tells the listener to answer
/// `452 4.3.1` instead of a generic temporary failure.
#[derive(Debug, thiserror::Error)]
pub enum SpoolError {
    /// A filesystem operation failed.
    #[error("failed to {op} `{path}`: {source}")]
    Io {
        /// The file or directory the operation was applied to.
        path: PathBuf,
        /// What was being done, e.g. `"write"`, `"fsync directory"`.
        op: &'static str,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// [`crate::Spool::open_existing`] found no spool: `path` (the directory, one of its
    /// subdirectories or its lock file) does not exist. Nothing was created.
    #[error("no spool at `{path}` (`{missing}` is missing)")]
    Missing {
        /// The spool directory asked for.
        path: PathBuf,
        /// The first part of the spool layout that is missing.
        missing: PathBuf,
    },
    /// No message with this id is queued (never was, or was delivered or deleted meanwhile).
    #[error("message {0} not found in the spool")]
    NotFound(MessageId),
    /// The envelope exists but the message body is gone: the spool was damaged from outside.
    #[error("message {0} has lost its body file; the spool is damaged")]
    BodyMissing(MessageId),
    /// An envelope file could not be parsed or serialized.
    #[error("invalid envelope file `{path}`: {source}")]
    Json {
        /// The envelope file.
        path: PathBuf,
        /// The parser's error.
        #[source]
        source: serde_json::Error,
    },
    /// A life-cycle event that does not fit the message's state (e.g. a retry of a message
    /// already delivered). Nothing was written.
    #[error(transparent)]
    Transition(#[from] crate::lifecycle::InvalidTransition),
    /// An operator gave a malformed message id.
    #[error(transparent)]
    InvalidId(#[from] InvalidMessageId),
    /// A background (blocking) task panicked or was cancelled by a runtime shutdown.
    #[error("background task to {op} did not finish: {source}")]
    Task {
        /// What the task was doing.
        op: &'static str,
        /// Why it did not finish.
        #[source]
        source: tokio::task::JoinError,
    },
}

impl SpoolError {
    /// Whether this is the filesystem being out of space (or quota): the listener answers
    /// `452 4.3.1` and the sender retries later. Nothing already queued is affected.
    pub fn is_disk_full(&self) -> bool {
        match self {
            SpoolError::Io { source, .. } => matches!(
                source.kind(),
                io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded
            ),
            _ => false,
        }
    }

    /// Whether the message does not exist (any more). The scheduler skips such messages: an
    /// operator may delete a message at any moment from another process.
    pub fn is_not_found(&self) -> bool {
        matches!(self, SpoolError::NotFound(_))
    }

    /// Whether [`crate::Spool::open_existing`] found no spool there.
    pub fn is_missing(&self) -> bool {
        matches!(self, SpoolError::Missing { .. })
    }

    pub(crate) fn io(op: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        SpoolError::Io {
            path: path.into(),
            op,
            source,
        }
    }
}

/// `map_err` helper: `.map_err(ctx("write", &path))`.
pub(crate) fn ctx(
    op: &'static str,
    path: &std::path::Path,
) -> impl FnOnce(io::Error) -> SpoolError {
    let path = path.to_path_buf();
    move |source| SpoolError::io(op, path, source)
}
