//! Group commit: concurrent commits share directory fsyncs.
//!
//! Every commit, update and removal ends with "fsync `msg/`" or "fsync `env/`". A directory
//! fsync makes *every* entry change made in that directory before it started durable, so one
//! fsync can serve all the commits waiting for it. Per directory there is one open *batch*: a
//! caller joins it, and if no fsync is running it becomes the leader: it closes the batch (new
//! callers join the next one), runs the fsync, publishes the result to the batch and wakes the
//! followers. Callers that arrive while an fsync runs wait and are served by the next one, so
//! under load the fsyncs per commit fall towards `1 / concurrency` without delaying a lone
//! writer. An optional window lets a leader linger so that more commits join.
//!
//! The rule that makes it correct: a caller joins a batch only after its rename (or removal)
//! returned, and a batch's fsync starts only after the batch was closed.
//!
//! All of this is blocking code; it runs inside `spawn_blocking` with the rest of a commit.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::Duration;

use crate::error::SpoolError;
use crate::fsio::sync_dir;

/// A spool directory whose entries must be made durable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dir {
    /// `msg/`
    Msg,
    /// `env/`
    Env,
}

/// Counters behind [`crate::SpoolStats`].
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub commits: AtomicU64,
    pub dir_sync_requests: AtomicU64,
    pub dir_fsyncs: AtomicU64,
}

/// A failed fsync, shared by every caller of its batch.
#[derive(Debug, Clone)]
struct Failure {
    path: PathBuf,
    kind: std::io::ErrorKind,
    message: String,
}

impl Failure {
    fn from_error(e: SpoolError) -> Failure {
        match e {
            SpoolError::Io { path, source, .. } => Failure {
                path,
                kind: source.kind(),
                message: source.to_string(),
            },
            other => Failure {
                path: PathBuf::new(),
                kind: std::io::ErrorKind::Other,
                message: other.to_string(),
            },
        }
    }

    fn into_error(self) -> SpoolError {
        let source = std::io::Error::new(self.kind, self.message);
        SpoolError::io("fsync directory", self.path, source)
    }
}

/// Callers waiting for the same fsync.
#[derive(Debug, Default)]
struct Batch {
    done: OnceLock<Result<(), Failure>>,
}

#[derive(Debug, Default)]
struct GroupState {
    open: Arc<Batch>,
    syncing: bool,
}

/// Group commit for one directory.
#[derive(Debug)]
struct Group {
    dir: PathBuf,
    state: Mutex<GroupState>,
    wake: Condvar,
}

impl Group {
    fn new(dir: PathBuf) -> Group {
        Group {
            dir,
            state: Mutex::default(),
            wake: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, GroupState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Join the open batch; return when an fsync that started after joining has finished.
    fn sync(&self, window: Duration, counters: &Counters) -> Result<(), SpoolError> {
        let mut state = self.lock();
        let batch = state.open.clone();
        while state.syncing {
            if let Some(result) = batch.done.get() {
                return result.clone().map_err(Failure::into_error);
            }
            state = self
                .wake
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
        if let Some(result) = batch.done.get() {
            return result.clone().map_err(Failure::into_error);
        }
        // No fsync running and ours not done: every closed batch is done, so ours is the open
        // one. Lead it.
        state.syncing = true;
        drop(state);
        if !window.is_zero() {
            std::thread::sleep(window);
        }
        let batch = std::mem::take(&mut self.lock().open); // close it; latecomers form the next
        counters.dir_fsyncs.fetch_add(1, Ordering::Relaxed);
        let result = sync_dir(&self.dir).map_err(Failure::from_error);
        let _ = batch.done.set(result.clone());
        self.lock().syncing = false;
        self.wake.notify_all();
        result.map_err(Failure::into_error)
    }
}

/// Hands out directory fsyncs, grouped or one per caller.
#[derive(Debug)]
pub(crate) struct Committer {
    msg: Group,
    env: Group,
    group: bool,
    window: Duration,
    counters: Arc<Counters>,
}

impl Committer {
    /// Without `group` every caller fsyncs on its own (the benchmark's baseline).
    pub fn new(
        msg: PathBuf,
        env: PathBuf,
        counters: Arc<Counters>,
        group: bool,
        window: Duration,
    ) -> Committer {
        Committer {
            msg: Group::new(msg),
            env: Group::new(env),
            group,
            window,
            counters,
        }
    }

    /// Return once every entry change made in `dir` before this call is durable. Blocking.
    pub fn sync(&self, dir: Dir) -> Result<(), SpoolError> {
        self.counters
            .dir_sync_requests
            .fetch_add(1, Ordering::Relaxed);
        let group = match dir {
            Dir::Msg => &self.msg,
            Dir::Env => &self.env,
        };
        if self.group {
            group.sync(self.window, &self.counters)
        } else {
            self.counters.dir_fsyncs.fetch_add(1, Ordering::Relaxed);
            sync_dir(&group.dir)
        }
    }
}
