//! The spool handle: open and recover, begin, list, scan, load, update, remove.

use std::fmt;
use std::fs::{self, File, TryLockError};
use std::io::{self, Seek};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, SystemTime};

use crate::committer::{Committer, Counters, Dir};
use crate::error::{SpoolError, ctx};
use crate::fsio::{
    Faults, LOCK_FILE, Layout, blocking, create_private_dir, id_from_name, list_names,
    lock_envelope, lock_message, make_private, private_options, read_record, remove_if_exists,
    sync_dir, write_envelope, write_envelope_with,
};
use crate::header;
use crate::id::MessageId;
use crate::incoming::Incoming;
use crate::lifecycle::{Applied, Event};
use crate::model::{Delivery, Entry};
use crate::recover::{Recovery, mark_body_missing, recover};
use crate::reserve::Reserve;

/// How a [`Spool`] commits. The defaults are right for the gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Share directory fsyncs between concurrent commits (default `true`).
    pub group_commit: bool,
    /// With `group_commit`, how long the first waiting commit lingers for company before the
    /// shared fsync starts (default zero: batch only what queued up during the previous fsync).
    /// Every commit pays up to twice this in latency, even a lone one.
    pub group_window: Duration,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            group_commit: true,
            group_window: Duration::ZERO,
        }
    }
}

/// Counters since [`Spool::open`], for metrics and the commit benchmark.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SpoolStats {
    /// Messages committed by this handle (and its clones).
    pub commits: u64,
    /// Directory fsyncs asked for (one per commit, two for an envelope too large for the header
    /// block; one per update involving a failure or of a format-1 message, else none; one or
    /// two per remove).
    pub dir_sync_requests: u64,
    /// Directory fsyncs actually performed; below `dir_sync_requests` when grouping works.
    pub dir_fsyncs: u64,
}

/// A cheap change marker for an envelope file, from [`Spool::scan`]. Every atomic rewrite
/// replaces the file, so a rewritten envelope gets a different stamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    len: u64,
    modified: Option<SystemTime>,
    inode: u64,
}

/// One queued message as seen by [`Spool::scan`]: its id and the stamp of its envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanItem {
    /// The message id.
    pub id: MessageId,
    /// Changes whenever the envelope (delivery state) is rewritten.
    pub stamp: Stamp,
}

/// The durable message queue. Cheap to clone (an `Arc` inside); all clones share one lock on
/// the spool directory, released when the last clone (and [`Incoming`]) is dropped.
#[derive(Clone)]
pub struct Spool {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub layout: Layout,
    pub committer: Committer,
    pub counters: Arc<Counters>,
    pub faults: Faults,
    /// Disk space set aside for deliveries ([`Spool::keep_reserve`]).
    pub reserve: Reserve,
    recovery: Recovery,
    /// Held shared for the life of the handle; recovery needs it exclusively.
    _lock: File,
}

impl fmt::Debug for Spool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Spool")
            .field("dir", &self.inner.layout.root)
            .finish_non_exhaustive()
    }
}

impl Spool {
    /// Open (creating if needed) the spool in `dir` with default [`Options`], and recover from
    /// any crash unless another process has the spool open (see [`Spool::recovery`]).
    pub async fn open(dir: impl Into<PathBuf>) -> Result<Spool, SpoolError> {
        Spool::open_with(dir, Options::default()).await
    }

    /// Opens a spool that already exists, for operator commands (`scanrelay queue`): never
    /// creates a directory or file and never runs recovery (deleting partial files is the
    /// server's job at its start). Fails with [`SpoolError::Missing`] when `dir`, one of its
    /// subdirectories or its lock file is not there, so a mistyped data directory is an error
    /// instead of a new, empty queue. Listing, loading, updating and removing work as with
    /// [`Spool::open`]; the handle holds the same shared lock.
    pub async fn open_existing(dir: impl Into<PathBuf>) -> Result<Spool, SpoolError> {
        let layout = Layout::new(dir.into());
        let checked = layout.clone();
        let lock = blocking("open spool", move || open_layout(&checked)).await?;
        Ok(Spool::from_parts(
            layout,
            Options::default(),
            Recovery::default(),
            lock,
        ))
    }

    /// [`Spool::open`] with explicit options.
    pub async fn open_with(dir: impl Into<PathBuf>, options: Options) -> Result<Spool, SpoolError> {
        let layout = Layout::new(dir.into());
        let prepared = layout.clone();
        let (lock, recovery) = blocking("open spool", move || prepare(&prepared)).await?;
        log_recovery(&layout.root, &recovery);
        Ok(Spool::from_parts(layout, options, recovery, lock))
    }

    fn from_parts(layout: Layout, options: Options, recovery: Recovery, lock: File) -> Spool {
        let counters = Arc::new(Counters::default());
        let committer = Committer::new(
            layout.msg.clone(),
            layout.env.clone(),
            counters.clone(),
            options.group_commit,
            options.group_window,
        );
        let inner = Inner {
            layout,
            committer,
            counters,
            faults: Faults::default(),
            reserve: Reserve::default(),
            recovery,
            _lock: lock,
        };
        Spool {
            inner: Arc::new(inner),
        }
    }

    pub(crate) fn inner(&self) -> &Inner {
        &self.inner
    }

    /// The spool directory.
    pub fn dir(&self) -> &Path {
        &self.inner.layout.root
    }

    /// What recovery did when this spool was opened.
    pub fn recovery(&self) -> &Recovery {
        &self.inner.recovery
    }

    /// Counters since open.
    pub fn stats(&self) -> SpoolStats {
        let c = &self.inner.counters;
        SpoolStats {
            commits: c.commits.load(Ordering::Relaxed),
            dir_sync_requests: c.dir_sync_requests.load(Ordering::Relaxed),
            dir_fsyncs: c.dir_fsyncs.load(Ordering::Relaxed),
        }
    }

    /// Start receiving a message into a new temporary file. Refused as disk-full while the
    /// space reserve is out and cannot be written back ([`Spool::keep_reserve`]).
    pub async fn begin(&self) -> Result<Incoming, SpoolError> {
        let id = MessageId::generate();
        let path = self.inner.layout.tmp_body(&id);
        if self.inner.reserve.is_out() {
            // Only then does admitting a message touch the disk (to refill the reserve).
            let (tmp, spool) = (path.clone(), self.clone());
            blocking("admit", move || spool.inner().reserve.admit(&tmp)).await?;
        }
        // The file itself is created by the first write that reaches the disk.
        Ok(Incoming::new(self.clone(), id, path))
    }

    /// Every queued message with its state, sorted by id (acceptance order). Messages removed
    /// while listing are left out; an unreadable envelope is logged and left out.
    pub async fn list(&self) -> Result<Vec<Entry>, SpoolError> {
        let layout = self.inner.layout.clone();
        blocking("list", move || {
            let mut entries = Vec::new();
            for id in message_ids(&layout)? {
                match read_record(&layout, &id) {
                    Ok(Some(env)) => entries.push(env.into_entry(id)),
                    Ok(None) => {}
                    Err(e) => tracing::warn!(error = %e, "skipping unreadable envelope"),
                }
            }
            entries.sort_by(|a, b| a.id.cmp(&b.id));
            Ok(entries)
        })
        .await
    }

    /// The ids of all queued messages with a change stamp, sorted by id: one directory read and
    /// one `stat` per message, no file contents. The scheduler rescans every few seconds and
    /// [`Spool::load`]s the messages that are new or whose stamp changed (e.g. an operator's
    /// `queue retry` from another process).
    pub async fn scan(&self) -> Result<Vec<ScanItem>, SpoolError> {
        let layout = self.inner.layout.clone();
        blocking("scan", move || {
            let mut items = Vec::new();
            for id in message_ids(&layout)? {
                if let Some(stamp) = record_stamp(&layout, &id)? {
                    items.push(ScanItem { id, stamp });
                }
            }
            items.sort_by(|a, b| a.id.cmp(&b.id));
            Ok(items)
        })
        .await
    }

    /// One message's envelope and state, read fresh from disk.
    pub async fn load(&self, id: &MessageId) -> Result<Entry, SpoolError> {
        let (layout, id) = (self.inner.layout.clone(), id.clone());
        blocking("load", move || match read_record(&layout, &id)? {
            Some(env) => Ok(env.into_entry(id)),
            None => Err(SpoolError::NotFound(id)),
        })
        .await
    }

    /// Open a message's body (the bytes as received, CRLF line ends) for reading.
    pub async fn open_body(&self, id: &MessageId) -> Result<tokio::fs::File, SpoolError> {
        let (path, target) = (self.body_path(id), id.clone());
        let file = blocking("open", move || {
            let mut file = match File::open(&path) {
                Ok(file) => file,
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    return Err(SpoolError::NotFound(target));
                }
                Err(e) => return Err(SpoolError::io("open", path, e)),
            };
            let offset = header::read(&file, &path)?.body_offset();
            file.seek(io::SeekFrom::Start(offset))
                .map_err(ctx("seek", &path))?;
            Ok(file)
        })
        .await?;
        Ok(tokio::fs::File::from_std(file))
    }

    /// Where a message's file lives (`msg/ID.eml`). Since spool format 2 the file starts with
    /// a header block before the body: read the body with [`Spool::open_body`].
    pub fn body_path(&self, id: &MessageId) -> PathBuf {
        self.inner.layout.body(id)
    }

    /// Applies a life-cycle [`Event`] to a message: read its state fresh, apply the event
    /// ([`Delivery::apply`], the one place states change), atomically replace the envelope and
    /// fsync `env/`. Serialized per message across threads and processes by an advisory lock
    /// on the body file, so a concurrent change or removal is never lost or undone. An event
    /// that does not fit the message's state is [`SpoolError::Transition`] and writes nothing.
    pub async fn apply(
        &self,
        id: &MessageId,
        event: Event,
    ) -> Result<(Entry, Applied), SpoolError> {
        self.edit(id, |d| d.apply(event).map_err(SpoolError::Transition))
            .await
    }

    /// Test seam: rewrites a message's delivery state with `f`, outside the life-cycle rules,
    /// to build states no event sequence produces (hand-edited or damaged envelopes). The
    /// gateway and the CLI change states only through [`Spool::apply`].
    #[doc(hidden)]
    pub async fn rewrite_state_for_tests(
        &self,
        id: &MessageId,
        f: impl FnOnce(&mut Delivery),
    ) -> Result<Entry, SpoolError> {
        let (entry, ()) = self
            .edit(id, |d| {
                f(d);
                Ok(())
            })
            .await?;
        Ok(entry)
    }

    async fn edit<R>(
        &self,
        id: &MessageId,
        f: impl FnOnce(&mut Delivery) -> Result<R, SpoolError>,
    ) -> Result<(Entry, R), SpoolError> {
        let (layout, locked) = (self.inner.layout.clone(), id.clone());
        let (lock, mut env, inline) = blocking("update", move || {
            let Some(lock) = lock_message(&layout, &locked)? else {
                let path = layout.envelope(&locked);
                let exists = path.try_exists().map_err(ctx("stat", &path))?;
                return Err(if exists {
                    SpoolError::BodyMissing(locked)
                } else {
                    SpoolError::NotFound(locked)
                });
            };
            let inline = matches!(
                header::read(&lock, &layout.body(&locked))?,
                header::Header::Inline(_)
            );
            match read_record(&layout, &locked)? {
                Some(env) => Ok((lock, env, inline)),
                None => Err(SpoolError::NotFound(locked)),
            }
        })
        .await?;
        let before = env.delivery.clone();
        let result = f(&mut env.delivery)?;
        // Losing a state change of a format-2 message after a power cut falls back to an
        // earlier state, which only causes a retry; failures (bounces) must never be redone.
        let durable = !inline || needs_durable(&before) || needs_durable(&env.delivery);
        let (spool, target, written) = (self.clone(), id.clone(), env.clone());
        blocking("update", move || {
            let inner = spool.inner();
            inner.reserve.with_room(|| {
                let fault = inner.faults.envelope();
                write_envelope_with(&inner.layout, &target, &written, fault, durable)?;
                if durable {
                    inner.committer.sync(Dir::Env)?;
                }
                Ok(())
            })?;
            drop(lock);
            Ok(())
        })
        .await?;
        Ok((env.into_entry(id.clone()), result))
    }

    /// Marks a message whose body file has gone missing (damage from outside the gateway) as
    /// [`crate::State::Failed`] with an explaining `last_error`, as recovery does at open, so
    /// the scheduler stops trying it and `queue show` says why. Returns the entry as it is now;
    /// one whose body exists is returned unchanged. [`SpoolError::NotFound`] if it is gone.
    ///
    /// There is no body to lock, so this and [`Spool::remove`] take the envelope file's lock:
    /// a removal running at the same time (which deletes the body first) is never undone by
    /// writing the failed state back.
    pub async fn fail_damaged(&self, id: &MessageId) -> Result<Entry, SpoolError> {
        let (spool, target) = (self.clone(), id.clone());
        blocking("update", move || {
            let inner = spool.inner();
            let layout = &inner.layout;
            let lock = lock_envelope(&layout.envelope(&target))?;
            let mut env = read_record(layout, &target)?
                .ok_or_else(|| SpoolError::NotFound(target.clone()))?;
            let body = layout.body(&target);
            let missing = !body.try_exists().map_err(ctx("stat", &body))?;
            // Without an envelope file the record came from the body's header: not missing.
            if missing && lock.is_some() && mark_body_missing(&mut env.delivery)? {
                inner.reserve.with_room(|| {
                    write_envelope(layout, &target, &env, inner.faults.envelope())?;
                    inner.committer.sync(Dir::Env)
                })?;
            }
            drop(lock);
            Ok(env.into_entry(target))
        })
        .await
    }

    /// Remove a message (delivered, or deleted by an operator): remove the envelope, fsync
    /// `env/`, then remove the body and fsync `msg/`. [`SpoolError::NotFound`] if it is already
    /// gone. Works on damaged messages whose body is missing.
    pub async fn remove(&self, id: &MessageId) -> Result<(), SpoolError> {
        let (spool, target) = (self.clone(), id.clone());
        blocking("remove", move || {
            let inner = spool.inner();
            let layout = &inner.layout;
            let lock = lock_message(layout, &target)?;
            let body = layout.body(&target);
            let inline = match &lock {
                Some(file) => matches!(header::read(file, &body)?, header::Header::Inline(_)),
                None => false,
            };
            // Format 2: the message file holds the committed envelope, so it goes first (else
            // a crash could bring the message back); format 1: the envelope goes first.
            if inline && inner.reserve.with_room(|| remove_if_exists(&body))? {
                inner.committer.sync(Dir::Msg)?;
            }
            let envelope = layout.envelope(&target);
            // Waits for a concurrent `fail_damaged` (see there) before deleting the envelope.
            let envelope_lock = lock_envelope(&envelope)?;
            let had_envelope = inner.reserve.with_room(|| remove_if_exists(&envelope))?;
            drop(envelope_lock);
            if !had_envelope && !inline {
                return Err(SpoolError::NotFound(target));
            }
            if had_envelope {
                inner.committer.sync(Dir::Env)?;
            }
            if !inline && inner.reserve.with_room(|| remove_if_exists(&body))? {
                inner.committer.sync(Dir::Msg)?;
            }
            inner.reserve.after_removal();
            Ok(())
        })
        .await
    }

    /// Test seam: make every following body and envelope write fail with an error of `kind`
    /// (`None` to stop). Used to exercise the disk-full path without filling a disk.
    #[doc(hidden)]
    pub fn fail_writes_with(&self, kind: Option<io::ErrorKind>) {
        self.inner.faults.set_body(kind);
        self.inner.faults.set_envelope(kind);
    }

    /// Test seam: like [`Spool::fail_writes_with`] for envelope writes only.
    #[doc(hidden)]
    pub fn fail_envelope_writes_with(&self, kind: Option<io::ErrorKind>) {
        self.inner.faults.set_envelope(kind);
    }

    /// Test seam: like [`Spool::fail_writes_with`] for body writes only (new messages, bounces).
    #[doc(hidden)]
    pub fn fail_body_writes_with(&self, kind: Option<io::ErrorKind>) {
        self.inner.faults.set_body(kind);
    }

    /// Test seam: `hook` runs inside every commit right after the envelope was renamed into
    /// place, with the body's path; returning an error kind makes the commit fail there (as a
    /// failed fsync of `env/` would). `None` removes the hook.
    #[doc(hidden)]
    #[allow(clippy::type_complexity)]
    pub fn on_commit_published(
        &self,
        hook: Option<Arc<dyn Fn(&Path) -> Option<io::ErrorKind> + Send + Sync>>,
    ) {
        self.inner.faults.set_publish_hook(hook);
    }
}

/// Create the directories, take the lock, recover if nobody else has the spool open.
fn prepare(layout: &Layout) -> Result<(File, Recovery), SpoolError> {
    create_private_dir(&layout.root)?;
    for dir in [&layout.tmp, &layout.msg, &layout.env] {
        create_private_dir(dir)?;
        make_private(dir)?;
    }
    sync_dir(&layout.root)?;
    let path = layout.root.join(LOCK_FILE);
    let lock = private_options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(ctx("open", &path))?;
    let recovery = match lock.try_lock() {
        Ok(()) => {
            let recovery = recover(layout);
            lock.unlock().map_err(ctx("unlock", &path))?;
            recovery?
        }
        Err(TryLockError::WouldBlock) => Recovery::default(),
        Err(TryLockError::Error(e)) => return Err(SpoolError::io("lock", path, e)),
    };
    lock.lock_shared().map_err(ctx("lock", &path))?;
    Ok((lock, recovery))
}

/// Checks that the spool layout exists (creating nothing) and takes the shared lock.
fn open_layout(layout: &Layout) -> Result<File, SpoolError> {
    let lock_path = layout.root.join(LOCK_FILE);
    let parts = [
        &layout.root,
        &layout.env,
        &layout.msg,
        &layout.tmp,
        &lock_path,
    ];
    for part in parts {
        let present = part.try_exists().map_err(ctx("stat", part))?;
        if !present {
            return Err(SpoolError::Missing {
                path: layout.root.clone(),
                missing: part.to_path_buf(),
            });
        }
    }
    let lock = File::open(&lock_path).map_err(ctx("open", &lock_path))?;
    lock.lock_shared().map_err(ctx("lock", &lock_path))?;
    Ok(lock)
}

fn log_recovery(dir: &Path, r: &Recovery) {
    if !r.performed {
        tracing::info!(dir = %dir.display(), "spool in use by another process; recovery skipped");
        return;
    }
    tracing::info!(
        dir = %dir.display(),
        messages = r.messages,
        removed_partial = r.removed_partial,
        removed_orphans = r.removed_orphans,
        corrupt = r.corrupt.len(),
        "spool opened"
    );
}

/// Ids of the queued messages: envelope files in `env/` and message files in `msg/` (a
/// format-2 message has no envelope file until its state first changes), sorted, unique.
fn message_ids(layout: &Layout) -> Result<Vec<MessageId>, SpoolError> {
    let mut ids: Vec<MessageId> = list_names(&layout.env)?
        .iter()
        .filter_map(|name| id_from_name(name, "json"))
        .chain(
            list_names(&layout.msg)?
                .iter()
                .filter_map(|name| id_from_name(name, "eml")),
        )
        .collect();
    ids.sort();
    ids.dedup();
    Ok(ids)
}

/// The change stamp of a message's state: its envelope file, else its message file (format 2
/// before the first state change). `None` if neither exists.
fn record_stamp(layout: &Layout, id: &MessageId) -> Result<Option<Stamp>, SpoolError> {
    for path in [layout.envelope(id), layout.body(id)] {
        match fs::symlink_metadata(&path) {
            Ok(meta) => return Ok(Some(stamp(&meta))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(SpoolError::io("stat", path, e)),
        }
    }
    Ok(None)
}

/// Whether a state change from or to `d` must be fsync'd: a failure that was (or will be)
/// bounced must not be lost, or it would be bounced again.
fn needs_durable(d: &Delivery) -> bool {
    d.state == crate::State::Failed
        || d.per_rcpt
            .iter()
            .any(|r| r.state == crate::RcptState::Failed)
}

pub(crate) fn stamp(meta: &fs::Metadata) -> Stamp {
    #[cfg(unix)]
    let inode = std::os::unix::fs::MetadataExt::ino(meta);
    #[cfg(not(unix))]
    let inode = 0;
    Stamp {
        len: meta.len(),
        modified: meta.modified().ok(),
        inode,
    }
}
