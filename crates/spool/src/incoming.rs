//! A message being received: buffered writes to `tmp/ID.eml`, then the commit protocol.
//!
//! The temporary file is created by the first write that reaches the disk, so a message that
//! fits the buffer (a typical scan) is created, written, fsync'd and renamed by one blocking
//! job at commit: one hand-off to the blocking pool per message instead of three (issue 10).

use std::fs::File;
use std::io::{self, Seek};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

use crate::committer::Dir;
use crate::error::{SpoolError, ctx};
use crate::fsio::{blocking, create_new, remove_quietly, rename, write_all, write_envelope};
use crate::header::HEADER_LEN;
use crate::id::MessageId;
use crate::lifecycle::Event;
use crate::model::{Delivery, ENV_FORMAT, Entry, EnvFile, Envelope};
use crate::reserve::reserve_out_error;
use crate::spool::{ScanItem, Spool, Stamp, stamp};

/// Bytes buffered in memory before they are written to the temporary file.
/// 128 KiB: a typical scan (about 100 KB) is written by the commit itself, in one hand-off
/// to the blocking pool instead of two (issue 10).
const BUFFER: usize = 128 * 1024;

/// A message being received. Create with [`Spool::begin`], feed with [`Incoming::write`], finish
/// with [`Incoming::commit`] (or [`Incoming::abort`]; dropping it aborts too, best effort).
///
/// Memory use is one 128 KiB buffer whatever the message size. After a failed write the
/// temporary file is removed at once (freeing space when the disk is full) and every further call
/// fails with an error of the same kind, so [`SpoolError::is_disk_full`] still holds at commit.
#[derive(Debug)]
pub struct Incoming {
    spool: Spool,
    id: MessageId,
    tmp_path: PathBuf,
    file: TmpFile,
    buf: Vec<u8>,
    len: u64,
    failed: Option<io::ErrorKind>,
    /// Whether dropping must remove the temporary file.
    armed: bool,
}

/// The temporary file of an [`Incoming`].
#[derive(Debug)]
enum TmpFile {
    /// Not created yet: nothing reached the disk.
    NotYet,
    Open(File),
    /// A write is in flight on the blocking pool, or one failed.
    Gone,
}

/// A committed message as the scheduler needs it: its stored entry and stamp, so it can be
/// scheduled without reading the spool again (see [`Incoming::commit_entry`]).
#[derive(Debug, Clone)]
pub struct Committed {
    /// The message as stored: envelope, initial state, body length.
    pub entry: Entry,
    /// Its id and change stamp, as [`Spool::scan`] would report them now.
    pub item: ScanItem,
}

impl Incoming {
    pub(crate) fn new(spool: Spool, id: MessageId, tmp_path: PathBuf) -> Incoming {
        Incoming {
            spool,
            id,
            tmp_path,
            file: TmpFile::NotYet,
            buf: Vec::with_capacity(BUFFER),
            len: 0,
            failed: None,
            armed: true,
        }
    }

    /// The id this message will have once committed.
    pub fn id(&self) -> &MessageId {
        &self.id
    }

    /// Bytes written so far.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether nothing has been written yet.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Append a chunk of the message. Buffered: the data reaches the file in 128 KiB writes.
    pub async fn write(&mut self, mut chunk: &[u8]) -> Result<(), SpoolError> {
        self.check()?;
        while !chunk.is_empty() {
            let take = chunk.len().min(BUFFER - self.buf.len());
            self.buf.extend_from_slice(&chunk[..take]);
            self.len += take as u64;
            chunk = &chunk[take..];
            if self.buf.len() == BUFFER {
                self.flush().await?;
            }
        }
        Ok(())
    }

    /// The error to return if an earlier write failed or was cancelled.
    fn check(&self) -> Result<(), SpoolError> {
        let kind = match (self.failed, &self.file) {
            (Some(kind), _) => kind,
            (None, TmpFile::Gone) => io::ErrorKind::Interrupted,
            (None, TmpFile::Open(_) | TmpFile::NotYet) => return Ok(()),
        };
        let source = io::Error::new(kind, "an earlier write to this message failed");
        Err(SpoolError::io("write", &self.tmp_path, source))
    }

    /// Write the buffer out on the blocking pool; on failure remove the temporary file.
    async fn flush(&mut self) -> Result<(), SpoolError> {
        self.check_reserve().await?;
        let (file, mut buf) = match std::mem::replace(&mut self.file, TmpFile::Gone) {
            TmpFile::Open(file) => (Some(file), std::mem::take(&mut self.buf)),
            TmpFile::NotYet => (None, std::mem::take(&mut self.buf)),
            TmpFile::Gone => return self.check(),
        };
        let path = self.tmp_path.clone();
        let fault = self.spool.inner().faults.body();
        let result = blocking("write", move || {
            let mut file = open_or_create(file, &path)?;
            write_all(&mut file, &path, &buf, fault)?;
            buf.clear();
            Ok((file, buf))
        })
        .await;
        match result {
            Ok((file, buf)) => {
                self.file = TmpFile::Open(file);
                self.buf = buf;
                Ok(())
            }
            Err(e) => {
                self.fail(&e).await;
                Err(e)
            }
        }
    }

    /// Fails (disk full) once the spool's space reserve is out: the room is kept for
    /// deliveries, so a message still arriving is refused and its partial file removed.
    async fn check_reserve(&mut self) -> Result<(), SpoolError> {
        if self.failed.is_some() || !self.spool.inner().reserve.is_out() {
            return Ok(());
        }
        let e = reserve_out_error(&self.tmp_path);
        self.fail(&e).await;
        Err(e)
    }

    /// Remember the failure and remove the temporary file now.
    async fn fail(&mut self, e: &SpoolError) {
        self.failed = Some(match e {
            SpoolError::Io { source, .. } => source.kind(),
            _ => io::ErrorKind::Other,
        });
        let created = !matches!(self.file, TmpFile::NotYet);
        self.file = TmpFile::Gone;
        self.buf = Vec::new();
        self.armed = false;
        if !created {
            return;
        }
        let path = self.tmp_path.clone();
        let _ = blocking("remove", move || {
            remove_quietly(&path);
            Ok(())
        })
        .await;
    }

    /// Make the message durable and queue it. Returns only once the body and the envelope are
    /// on disk and fsync'd — files and directories — so the caller may answer `250`.
    ///
    /// Steps: write out the buffer, `sync_all` the body, rename `tmp/ID.eml` to `msg/ID.eml`,
    /// fsync `msg/` (grouped), write `env/ID.json` atomically, fsync `env/` (grouped). On error
    /// everything written for this message is removed and nothing was queued.
    pub async fn commit(self, envelope: Envelope) -> Result<MessageId, SpoolError> {
        Ok(self.commit_entry(envelope, None).await?.entry.id)
    }

    /// [`Incoming::commit`], returning the message as stored (for the scheduler). A `first`
    /// event is applied to the initial state before it is written, so a message that cannot
    /// go anywhere yet (no upstream) is stored held at once instead of being rewritten.
    pub async fn commit_entry(
        mut self,
        envelope: Envelope,
        first: Option<Event>,
    ) -> Result<Committed, SpoolError> {
        self.check_reserve().await?;
        self.check()?;
        let mut delivery = Delivery::new(envelope.received_at);
        if let Some(event) = first {
            delivery.apply(event)?;
        }
        self.armed = false;
        let job = CommitJob {
            spool: self.spool.clone(),
            id: self.id.clone(),
            tmp_path: self.tmp_path.clone(),
            file: match std::mem::replace(&mut self.file, TmpFile::Gone) {
                TmpFile::Open(file) => Some(file),
                _ => None,
            },
            buf: std::mem::take(&mut self.buf),
            env: EnvFile {
                version: ENV_FORMAT,
                body_len: self.len,
                delivery,
                envelope,
            },
        };
        // A blocking task runs to completion even if this future is dropped, so a caller that
        // stops waiting cannot leave a commit half done.
        blocking("commit", move || job.run()).await
    }

    /// Discard the message and remove its temporary file.
    pub async fn abort(mut self) {
        self.armed = false;
        if matches!(
            std::mem::replace(&mut self.file, TmpFile::Gone),
            TmpFile::NotYet
        ) {
            return;
        }
        let path = self.tmp_path.clone();
        let _ = blocking("remove", move || {
            remove_quietly(&path);
            Ok(())
        })
        .await;
    }
}

impl Drop for Incoming {
    fn drop(&mut self) {
        if !self.armed || matches!(self.file, TmpFile::NotYet) {
            return;
        }
        self.file = TmpFile::Gone;
        let path = std::mem::take(&mut self.tmp_path);
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => drop(handle.spawn_blocking(move || remove_quietly(&path))),
            Err(_) => remove_quietly(&path),
        }
    }
}

/// Everything `commit` needs, owned, so it can run on the blocking pool.
struct CommitJob {
    spool: Spool,
    id: MessageId,
    tmp_path: PathBuf,
    /// `None`: not created yet.
    file: Option<File>,
    buf: Vec<u8>,
    env: EnvFile,
}

/// The temporary file, created (with room for the header block) if it does not exist yet.
fn open_or_create(file: Option<File>, path: &Path) -> Result<File, SpoolError> {
    if let Some(file) = file {
        return Ok(file);
    }
    let mut file = create_new(path)?;
    // The header block is written at commit, when the envelope is complete.
    file.seek(io::SeekFrom::Start(HEADER_LEN))
        .map_err(ctx("seek", path))?;
    Ok(file)
}

impl CommitJob {
    /// The whole commit protocol (blocking). On error nothing of the message remains.
    ///
    /// The message's lock (on the body file, see [`crate::Spool::apply`]) is held from before
    /// the envelope appears until the commit is decided. The envelope is visible to
    /// [`crate::Spool::scan`] as soon as it is renamed into place, but the scheduler marks a
    /// message `Sending` (which takes the lock and re-reads the envelope) before delivering it,
    /// so a message whose commit then fails and is cleaned up is never delivered: the client
    /// was told to resend it, and would otherwise get it delivered twice.
    fn run(mut self) -> Result<Committed, SpoolError> {
        let body = self.spool.inner().layout.body(&self.id);
        let (header, inline) = crate::header::encode(&self.env);
        let (file, body_stamp) = self.write_and_rename(&header, inline, &body)?;
        let result = self.publish(inline, &body, body_stamp);
        // The message lock, held until the commit is decided.
        drop(file);
        let stamp = result?;
        let inner = self.spool.inner();
        inner.counters.commits.fetch_add(1, Ordering::Relaxed);
        Ok(Committed {
            item: ScanItem {
                id: self.id.clone(),
                stamp,
            },
            entry: self.env.into_entry(self.id),
        })
    }

    /// Steps 1-4: the body and then the header written, the file fsync'd, locked and renamed
    /// into `msg/`; returns it (still locked) with its stamp. On error the temporary file is
    /// removed.
    fn write_and_rename(
        &mut self,
        header: &[u8],
        inline: bool,
        body: &Path,
    ) -> Result<(File, Stamp), SpoolError> {
        let inner = self.spool.inner();
        let (tmp, file) = (&self.tmp_path, self.file.take());
        let result = (|| {
            let mut file = open_or_create(file, tmp)?;
            write_all(&mut file, tmp, &self.buf, inner.faults.body())?;
            if inline && let Some(kind) = inner.faults.envelope() {
                return Err(SpoolError::io("write", tmp, io::Error::from(kind)));
            }
            file.write_all_at(header, 0).map_err(ctx("write", tmp))?;
            file.sync_all().map_err(ctx("sync", tmp))?;
            // The inode is the message's for life: this is the message lock after the rename.
            file.lock().map_err(ctx("lock", tmp))?;
            // Renaming changes none of what a stamp holds (length, mtime, inode).
            let meta = file.metadata().map_err(ctx("stat", tmp))?;
            rename(tmp, body)?;
            Ok((file, stamp(&meta)))
        })();
        if result.is_err() {
            remove_quietly(tmp);
        }
        result
    }

    /// Step 5: the name made durable (for an envelope too big for the header, the envelope file
    /// written after it); returns the message's stamp. On error nothing of it remains.
    fn publish(&self, inline: bool, body: &Path, body_stamp: Stamp) -> Result<Stamp, SpoolError> {
        let inner = self.spool.inner();
        let (layout, id) = (&inner.layout, &self.id);
        let result = if inline {
            // Envelope and body are one fsync'd file: only its name must become durable.
            inner
                .faults
                .published(body)
                .and_then(|()| inner.committer.sync(Dir::Msg))
                .map(|()| body_stamp)
        } else {
            (|| {
                // The body's name must be durable before an envelope points at it.
                inner.committer.sync(Dir::Msg)?;
                write_envelope(layout, id, &self.env, inner.faults.envelope())?;
                inner.faults.published(body)?;
                inner.committer.sync(Dir::Env)?;
                // Where an envelope file exists its stamp is the message's.
                let path = layout.envelope(id);
                let meta = std::fs::symlink_metadata(&path).map_err(ctx("stat", &path))?;
                Ok(stamp(&meta))
            })()
        };
        if result.is_err() {
            remove_quietly(&layout.envelope(id));
            remove_quietly(body);
        }
        result
    }
}
