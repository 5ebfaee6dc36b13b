//! Writing the config file: under an exclusive lock on it, re-read, changed by the caller, then
//! replaced atomically and durably: a temp file in the same directory with the file's mode
//! (and owner and group, where the process may set them), `fsync`, `rename` over the file,
//! `fsync` of the directory. A symlinked config is written where the link points.
//!
//! The lock is taken on the file itself; since a save replaces the file, a waiter that gets
//! the lock on the replaced inode opens the path again. Editors that do not lock (a person
//! with vi) are caught by the version check instead.

use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::{Applied, SaveError, Saved, Version};

fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> SaveError {
    let path = path.to_path_buf();
    move |error| SaveError::Io {
        action,
        path,
        error,
    }
}

/// Runs `change` on the file's current text under the lock and writes what it returns when
/// the text changed.
pub(super) fn locked(
    path: &Path,
    change: impl FnOnce(&str) -> Result<Applied, SaveError>,
) -> Result<Saved, SaveError> {
    let target = std::fs::canonicalize(path).map_err(io("read", path))?;
    let lock = lock(&target)?;
    let text = std::fs::read_to_string(&target).map_err(io("read", &target))?;
    let applied = change(&text)?;
    if applied.changed {
        let meta = lock.metadata().map_err(io("read", &target))?;
        replace(&target, &applied.text, &meta)?;
    }
    drop(lock);
    Ok(Saved {
        version: Version::of(&applied.text),
        written: applied.changed,
        settings: applied.settings,
        warnings: applied.warnings,
    })
}

/// An exclusive lock on the file now at `path`.
fn lock(path: &Path) -> Result<File, SaveError> {
    for _ in 0..10 {
        let file = File::open(path).map_err(io("open", path))?;
        file.lock().map_err(io("lock", path))?;
        let now = std::fs::metadata(path).map_err(io("read", path))?;
        let locked = file.metadata().map_err(io("read", path))?;
        if same_file(&now, &locked) {
            return Ok(file);
        }
    }
    Err(SaveError::Io {
        action: "lock",
        path: path.to_path_buf(),
        error: std::io::Error::other("the file keeps being replaced"),
    })
}

#[cfg(unix)]
fn same_file(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt as _;
    a.dev() == b.dev() && a.ino() == b.ino()
}

#[cfg(not(unix))]
fn same_file(_: &std::fs::Metadata, _: &std::fs::Metadata) -> bool {
    true
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn temp_path(target: &Path) -> PathBuf {
    let dir = target.parent().unwrap_or(Path::new("."));
    let name = target
        .file_name()
        .map_or_else(|| "config".into(), |n| n.to_string_lossy().into_owned());
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    dir.join(format!(".{name}.{}.{n}.tmp", std::process::id()))
}

/// Replaces `target` with `text`: temp file, fsync, rename, fsync of the directory.
fn replace(target: &Path, text: &str, meta: &std::fs::Metadata) -> Result<(), SaveError> {
    let tmp = temp_path(target);
    let result = write_temp(&tmp, text, meta).and_then(|()| {
        std::fs::rename(&tmp, target).map_err(io("replace", target))?;
        let dir = target.parent().unwrap_or(Path::new("."));
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(io("sync", dir))
    });
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn write_temp(tmp: &Path, text: &str, meta: &std::fs::Metadata) -> Result<(), SaveError> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
        options.mode(meta.permissions().mode() & 0o7777);
    }
    let mut file = options.open(tmp).map_err(io("create", tmp))?;
    // The umask may have taken bits away; the old file's mode is what counts.
    file.set_permissions(meta.permissions())
        .map_err(io("set the mode of", tmp))?;
    keep_owner(&file, meta);
    file.write_all(text.as_bytes()).map_err(io("write", tmp))?;
    file.sync_all().map_err(io("sync", tmp))
}

/// The old file's owner and group, where this process may set them (root, or the owner
/// keeping a group it belongs to); otherwise the new file has the process's.
#[cfg(unix)]
fn keep_owner(file: &File, meta: &std::fs::Metadata) {
    use std::os::unix::fs::MetadataExt as _;
    let _ = std::os::unix::fs::fchown(file, Some(meta.uid()), Some(meta.gid()));
}

#[cfg(not(unix))]
fn keep_owner(_: &File, _: &std::fs::Metadata) {}
