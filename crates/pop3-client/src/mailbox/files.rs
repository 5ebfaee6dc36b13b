//! The output directory and durable writes: everything is written to a temporary file in the
//! same file system, fsync'd, then renamed (or hard-linked, so nothing is overwritten) into
//! place, and the directory is fsync'd, so a crash at any moment leaves either the old state
//! or the new one, never half a file.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::FetchError;
use crate::mime::names::numbered;

/// The working directory inside `--out`: state, lock and temporary files.
pub const WORK_DIR: &str = ".scanrelay-fetch";
/// Where whole messages go inside `--out`.
pub const MESSAGES_DIR: &str = "messages";

/// The output directory, locked for one fetch at a time.
#[derive(Debug)]
pub struct OutDir {
    root: PathBuf,
    /// Held for the life of the value: a second `fetch` into the same directory is refused.
    _lock: File,
}

fn disk(path: &Path) -> impl FnOnce(io::Error) -> FetchError + '_ {
    move |source| FetchError::Disk {
        path: path.to_path_buf(),
        source,
    }
}

impl OutDir {
    /// Creates `root` and its working directories, takes the lock, and removes temporary
    /// files an interrupted run left behind.
    pub fn prepare(root: &Path) -> Result<OutDir, FetchError> {
        let work = root.join(WORK_DIR);
        for dir in [
            root.to_path_buf(),
            work.join("tmp"),
            root.join(MESSAGES_DIR),
        ] {
            fs::create_dir_all(&dir).map_err(disk(&dir))?;
        }
        let lock_path = work.join("lock");
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(disk(&lock_path))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                return Err(FetchError::Locked { path: lock_path });
            }
            Err(fs::TryLockError::Error(e)) => return Err(disk(&lock_path)(e)),
        }
        let tmp = work.join("tmp");
        for entry in fs::read_dir(&tmp).map_err(disk(&tmp))? {
            let path = entry.map_err(disk(&tmp))?.path();
            fs::remove_file(&path).map_err(disk(&path))?;
        }
        Ok(OutDir {
            root: root.to_path_buf(),
            _lock: lock,
        })
    }

    /// The directory given as `--out`.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The state file.
    pub fn state_path(&self) -> PathBuf {
        self.root.join(WORK_DIR).join("state.json")
    }

    /// Where the message with file stem `stem` goes.
    pub fn message_path(&self, stem: &str) -> PathBuf {
        self.root.join(MESSAGES_DIR).join(format!("{stem}.eml"))
    }

    /// The directory of temporary files (nobody else writes there: the directory is locked).
    pub fn temp_dir(&self) -> PathBuf {
        self.root.join(WORK_DIR).join("tmp")
    }

    /// A fresh temporary path.
    pub fn temp_path(&self, label: &str) -> PathBuf {
        temp_in(&self.temp_dir(), label)
    }
}

/// A fresh temporary path in `dir`.
pub fn temp_in(dir: &Path, label: &str) -> PathBuf {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    dir.join(format!("{}-{n}.{label}", std::process::id()))
}

/// fsyncs a directory, so a rename or link in it survives a crash.
pub fn sync_dir(dir: &Path) -> Result<(), FetchError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(disk(dir))
}

/// Writes `bytes` to `tmp`, fsyncs it and renames it over `dest` (replacing it), then fsyncs
/// `dest`'s directory.
pub fn replace_file(tmp: &Path, dest: &Path, bytes: &[u8]) -> Result<(), FetchError> {
    write_synced(tmp, bytes)?;
    fs::rename(tmp, dest).map_err(disk(dest))?;
    sync_dir(parent(dest))
}

/// Writes `bytes` under `dir` as `name`, or `name (2)`, `name (3)`... when taken: never
/// overwrites. Returns the name used.
pub fn create_unique(
    dir: &Path,
    tmp: &Path,
    name: &str,
    bytes: &[u8],
) -> Result<String, FetchError> {
    write_synced(tmp, bytes)?;
    let mut n = 1;
    let chosen = loop {
        let candidate = if n == 1 {
            name.to_string()
        } else {
            numbered(name, n)
        };
        let dest = dir.join(&candidate);
        match fs::hard_link(tmp, &dest) {
            Ok(()) => break candidate,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && n < 10_000 => n += 1,
            Err(e) => {
                let _ = fs::remove_file(tmp);
                return Err(disk(&dest)(e));
            }
        }
    };
    fs::remove_file(tmp).map_err(disk(tmp))?;
    sync_dir(dir)?;
    Ok(chosen)
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), FetchError> {
    let mut file = File::create(path).map_err(disk(path))?;
    file.write_all(bytes).map_err(disk(path))?;
    file.sync_all().map_err(disk(path))
}

fn parent(path: &Path) -> &Path {
    path.parent().unwrap_or(Path::new("."))
}
