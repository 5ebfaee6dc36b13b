//! A message being received: buffered writes to `tmp/ID.eml`, then the commit protocol.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::sync::atomic::Ordering;

use crate::committer::Dir;
use crate::error::{SpoolError, ctx};
use crate::fsio::{blocking, remove_quietly, rename, write_all, write_envelope};
use crate::id::MessageId;
use crate::model::{Delivery, ENV_FORMAT, EnvFile, Envelope};
use crate::reserve::reserve_out_error;
use crate::spool::Spool;

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
    /// `None` while a write is in flight on the blocking pool, or after a failure.
    file: Option<File>,
    buf: Vec<u8>,
    len: u64,
    failed: Option<io::ErrorKind>,
    /// Whether dropping must remove the temporary file.
    armed: bool,
}

impl Incoming {
    pub(crate) fn new(spool: Spool, id: MessageId, tmp_path: PathBuf, file: File) -> Incoming {
        Incoming {
            spool,
            id,
            tmp_path,
            file: Some(file),
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
            (None, None) => io::ErrorKind::Interrupted,
            (None, Some(_)) => return Ok(()),
        };
        let source = io::Error::new(kind, "an earlier write to this message failed");
        Err(SpoolError::io("write", &self.tmp_path, source))
    }

    /// Write the buffer out on the blocking pool; on failure remove the temporary file.
    async fn flush(&mut self) -> Result<(), SpoolError> {
        self.check_reserve().await?;
        let (mut file, mut buf) = match self.file.take() {
            Some(file) => (file, std::mem::take(&mut self.buf)),
            None => return self.check(),
        };
        let path = self.tmp_path.clone();
        let fault = self.spool.inner().faults.body();
        let result = blocking("write", move || {
            write_all(&mut file, &path, &buf, fault)?;
            buf.clear();
            Ok((file, buf))
        })
        .await;
        match result {
            Ok((file, buf)) => {
                self.file = Some(file);
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
        self.file = None;
        self.buf = Vec::new();
        self.armed = false;
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
    pub async fn commit(mut self, envelope: Envelope) -> Result<MessageId, SpoolError> {
        self.check_reserve().await?;
        self.check()?;
        self.armed = false;
        let job = CommitJob {
            spool: self.spool.clone(),
            id: self.id.clone(),
            tmp_path: self.tmp_path.clone(),
            file: self.file.take().expect("checked above"),
            buf: std::mem::take(&mut self.buf),
            env: EnvFile {
                version: ENV_FORMAT,
                body_len: self.len,
                delivery: Delivery::new(envelope.received_at),
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
        self.file = None;
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
        if !self.armed {
            return;
        }
        self.file = None;
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
    file: File,
    buf: Vec<u8>,
    env: EnvFile,
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
    fn run(self) -> Result<MessageId, SpoolError> {
        let inner = self.spool.inner();
        let (layout, id) = (&inner.layout, &self.id);
        let (tmp, body) = (&self.tmp_path, layout.body(id));
        let (mut file, buf) = (self.file, self.buf);
        let (header, inline) = crate::header::encode(&self.env);
        let result = (|| {
            write_all(&mut file, tmp, &buf, inner.faults.body())?;
            if inline && let Some(kind) = inner.faults.envelope() {
                return Err(SpoolError::io("write", tmp, io::Error::from(kind)));
            }
            file.write_all_at(&header, 0).map_err(ctx("write", tmp))?;
            file.sync_all().map_err(ctx("sync", tmp))?;
            // The inode is the message's for life: this is the message lock after the rename.
            file.lock().map_err(ctx("lock", tmp))?;
            rename(tmp, &body)
        })();
        if result.is_err() {
            remove_quietly(tmp);
        }
        result?;
        let result = if inline {
            // Envelope and body are one fsync'd file: only its name must become durable.
            inner
                .faults
                .published(&body)
                .and_then(|()| inner.committer.sync(Dir::Msg))
        } else {
            (|| {
                // The body's name must be durable before an envelope points at it.
                inner.committer.sync(Dir::Msg)?;
                write_envelope(layout, id, &self.env, inner.faults.envelope())?;
                inner.faults.published(&body)?;
                inner.committer.sync(Dir::Env)
            })()
        };
        if result.is_err() {
            remove_quietly(&layout.envelope(id));
            remove_quietly(&body);
        }
        drop(file);
        result?;
        inner.counters.commits.fetch_add(1, Ordering::Relaxed);
        Ok(self.id)
    }
}
