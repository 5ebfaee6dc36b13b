//! The space reserve: a full disk drains itself.
//!
//! Every delivery first rewrites its message's envelope (a new file, renamed over the old one),
//! and so does every outcome. At 0 bytes free those writes fail, so nothing is delivered and
//! nothing removed: the disk stays full for good. The reserve prevents that:
//!
//! - [`Spool::keep_reserve`] sets aside a file `reserve` of the given size in the spool
//!   directory (real, incompressible data, fsync'd, so its blocks are allocated);
//! - a state write ([`Spool::apply`], [`Spool::fail_damaged`]) or a removal that fails because
//!   the disk is full deletes the reserve and is tried once more, now with that room;
//! - while the reserve is out, new messages ([`Spool::begin`], and [`crate::Incoming`] writes
//!   already under way) are refused as disk-full, so the listener answers `452 4.3.1` and the
//!   room stays for deliveries;
//! - after each removal, and before each new message, the reserve is written again, but only
//!   where there is room for it *twice* (twice its size is written, then cut to size): once
//!   that succeeds, at least the reserve's size is free besides it, and new messages are
//!   accepted again.
//!
//! So acceptance stops once the disk is full, stays stopped until twice the reserve is free
//! (no flapping between one accepted message and the next refusal), and delivery and removal
//! keep working meanwhile. Bounces are new messages too: a failure notice waits (its message is
//! tried again later, see the gateway) until deliveries have made room.
//!
//! Writing and releasing the reserve are serialised, and a write that fails for lack of space
//! is taken back before anyone else retries, so a refill that does not fit cannot take the room
//! a state write needs. Without [`Spool::keep_reserve`] (operator commands, tests) nothing here
//! happens.

use std::fs::{self, File};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};

use crate::error::{SpoolError, ctx};
use crate::fsio::{blocking, private_options, remove_if_exists};
use crate::spool::Spool;

/// The reserve file's name in the spool directory.
pub(crate) const RESERVE_FILE: &str = "reserve";

/// The reserve of one open spool.
#[derive(Debug, Default)]
pub(crate) struct Reserve {
    state: Mutex<State>,
    /// A reserve is kept and it is out: mirrors `state` for readers on the async runtime,
    /// which must not wait for the lock while a refill is being written.
    out: AtomicBool,
}

#[derive(Debug, Default)]
struct State {
    /// Where the reserve lives; `None` until [`Spool::keep_reserve`].
    path: Option<PathBuf>,
    /// Its size.
    size: u64,
    /// Whether the file is in place with its full size.
    held: bool,
}

impl Reserve {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records whether the reserve is held (under the lock).
    fn set_held(&self, state: &mut State, held: bool) {
        state.held = held;
        self.out
            .store(state.path.is_some() && !held, Ordering::SeqCst);
    }

    /// Whether new messages must be refused: a reserve is kept and it is out (in use, or it
    /// could not be written back yet). Does not block.
    pub fn is_out(&self) -> bool {
        self.out.load(Ordering::SeqCst)
    }

    /// Before a new message (to be written at `tmp`): writes the reserve back if it is out.
    /// A disk-full error when it does not fit: the message must be refused. Blocking.
    pub fn admit(&self, tmp: &Path) -> Result<(), SpoolError> {
        let mut state = self.lock();
        let Some(path) = state.path.clone() else {
            return Ok(());
        };
        if !state.held {
            let held = refill(&path, state.size)?;
            self.set_held(&mut state, held);
        }
        if state.held {
            Ok(())
        } else {
            Err(reserve_out_error(tmp))
        }
    }

    /// After a removal freed space: writes the reserve back if it is out (best effort). Blocking.
    pub fn after_removal(&self) {
        let mut state = self.lock();
        if let (Some(path), false) = (state.path.clone(), state.held) {
            let held = refill(&path, state.size).unwrap_or(false);
            self.set_held(&mut state, held);
        }
    }

    /// Runs a write `op`; if it fails because the disk is full and the reserve is held, releases
    /// the reserve and runs `op` once more. Blocking.
    pub fn with_room<T>(
        &self,
        mut op: impl FnMut() -> Result<T, SpoolError>,
    ) -> Result<T, SpoolError> {
        match op() {
            Err(e) if e.is_disk_full() && self.release() => op(),
            result => result,
        }
    }

    /// Deletes the reserve if it is held; returns whether there is reason to try again (the
    /// reserve was held, or a refill was in progress and has been taken back).
    fn release(&self) -> bool {
        let mut state = self.lock();
        let Some(path) = state.path.clone() else {
            return false;
        };
        if state.held {
            if let Err(e) = remove_if_exists(&path) {
                tracing::error!(error = %e, "cannot release the spool's space reserve");
                return false;
            }
            self.set_held(&mut state, false);
            tracing::warn!(
                reserve = state.size,
                "disk full: released the spool's space reserve so that deliveries can record \
                 their state; new mail is refused (452) until there is room again"
            );
        }
        true
    }
}

/// Writes the reserve file; `Ok(false)` when the disk has no room for it (nothing of it is
/// left behind then), `Err` for other failures.
fn refill(path: &Path, size: u64) -> Result<bool, SpoolError> {
    match write_reserve(path, size) {
        Ok(()) => {
            tracing::info!(
                reserve = size,
                "spool space reserve in place; accepting mail"
            );
            Ok(true)
        }
        Err(e) => {
            let _ = remove_if_exists(path);
            if e.is_disk_full() { Ok(false) } else { Err(e) }
        }
    }
}

/// `size` bytes of pseudo-random data (so a compressing file system cannot store it in less),
/// written and fsync'd; `2 * size` are written first and the file then cut to `size`, so that
/// it succeeds only where at least `size` stays free besides it.
fn write_reserve(path: &Path, size: u64) -> Result<(), SpoolError> {
    let mut file: File = private_options()
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)
        .map_err(ctx("create", path))?;
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut chunk = vec![0u8; 64 * 1024];
    let mut left = size.saturating_mul(2);
    while left > 0 {
        for word in chunk.chunks_exact_mut(8) {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            word.copy_from_slice(&seed.to_le_bytes());
        }
        let n = usize::try_from(left.min(chunk.len() as u64)).unwrap_or(chunk.len());
        file.write_all(&chunk[..n]).map_err(ctx("write", path))?;
        left -= n as u64;
    }
    file.sync_all().map_err(ctx("sync", path))?;
    file.set_len(size).map_err(ctx("truncate", path))?;
    file.sync_all().map_err(ctx("sync", path))
}

/// The disk-full error for a new message while the reserve is out.
pub(crate) fn reserve_out_error(path: &Path) -> SpoolError {
    let source = io::Error::new(
        io::ErrorKind::StorageFull,
        "the disk is full: the spool's space reserve is in use for deliveries",
    );
    SpoolError::io("write", path, source)
}

impl Spool {
    /// Keeps `bytes` of disk space set aside in the spool directory (the file `reserve`) for
    /// delivery state and removals when the disk fills up; see the module doc of `reserve`.
    /// The gateway calls this after opening the spool; operator commands do not.
    ///
    /// Returns whether the reserve is in place. `Ok(false)` means the disk has no room for it
    /// now: new messages are refused (disk full) until it has.
    pub async fn keep_reserve(&self, bytes: u64) -> Result<bool, SpoolError> {
        let spool = self.clone();
        blocking("set aside space", move || {
            let reserve = &spool.inner().reserve;
            let mut state = reserve.lock();
            let path = spool.dir().join(RESERVE_FILE);
            let in_place = fs::metadata(&path).is_ok_and(|m| m.is_file() && m.len() == bytes);
            let held = in_place || refill(&path, bytes)?;
            state.size = bytes;
            state.path = Some(path);
            reserve.set_held(&mut state, held);
            if !state.held {
                tracing::warn!(
                    reserve = bytes,
                    "disk full: no room for the spool's space reserve; new mail is refused \
                     (452) until there is"
                );
            }
            Ok(state.held)
        })
        .await
    }

    /// Whether the space reserve is out (in use by deliveries, or not written back yet), so
    /// that new messages are refused.
    pub fn reserve_is_out(&self) -> bool {
        self.inner().reserve.is_out()
    }

    /// Test seam: `hook` is asked before every envelope write (commits and state updates) and
    /// may make it fail with the error kind it returns, e.g. disk-full while the reserve file
    /// exists, to play a disk whose only free space is the reserve. `None` removes it.
    #[doc(hidden)]
    #[allow(clippy::type_complexity)]
    pub fn fail_envelope_writes_when(
        &self,
        hook: Option<std::sync::Arc<dyn Fn() -> Option<io::ErrorKind> + Send + Sync>>,
    ) {
        self.inner().faults.set_envelope_hook(hook);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reserve_has_the_size_asked_for_and_does_not_repeat() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(RESERVE_FILE);
        for size in [0, 1, 8, 100_000, 200_000] {
            write_reserve(&path, size).unwrap();
            let data = fs::read(&path).unwrap();
            assert_eq!(data.len() as u64, size);
            if size >= 128 * 1024 {
                assert_ne!(data[..64 * 1024], data[64 * 1024..128 * 1024]);
            }
        }
    }
}
