//! What validating a config needs from the machine, behind one trait: whether a file named in
//! it exists (`tls_cert`, `ca_file`), the text of a secret file it names (`password_file`,
//! `client_secret_file`) and this machine's host name (the default greeting name).
//!
//! Validation itself does no I/O: it asks a [`ConfigFiles`]. [`SystemFiles`] answers from the
//! real file system; [`MemoryFiles`] from a table, so the console can validate an edit and
//! tests can cover every rule without touching the disk.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

/// The machine as config validation sees it. Paths are already resolved against the config
/// file's directory.
pub trait ConfigFiles {
    /// Whether `path` is a regular file.
    fn is_file(&self, path: &Path) -> bool;
    /// The whole text of the file at `path` (a secret: never logged).
    fn read_to_string(&self, path: &Path) -> io::Result<String>;
    /// This machine's host name, or `localhost`.
    fn hostname(&self) -> String;
}

/// The real machine.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemFiles;

impl ConfigFiles for SystemFiles {
    fn is_file(&self, path: &Path) -> bool {
        path.is_file()
    }

    fn read_to_string(&self, path: &Path) -> io::Result<String> {
        std::fs::read_to_string(path)
    }

    fn hostname(&self) -> String {
        std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .or_else(|| std::env::var("HOSTNAME").ok())
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "localhost".to_string())
    }
}

/// A file system in memory: the files it holds and a host name.
#[derive(Debug, Clone)]
pub struct MemoryFiles {
    files: BTreeMap<PathBuf, String>,
    hostname: String,
}

impl MemoryFiles {
    /// No files; the host name `hostname`.
    pub fn new(hostname: impl Into<String>) -> MemoryFiles {
        MemoryFiles {
            files: BTreeMap::new(),
            hostname: hostname.into(),
        }
    }

    /// Adds (or replaces) the file at `path` with `text`.
    pub fn with_file(mut self, path: impl Into<PathBuf>, text: impl Into<String>) -> MemoryFiles {
        self.files.insert(path.into(), text.into());
        self
    }
}

impl ConfigFiles for MemoryFiles {
    fn is_file(&self, path: &Path) -> bool {
        self.files.contains_key(path)
    }

    fn read_to_string(&self, path: &Path) -> io::Result<String> {
        self.files
            .get(path)
            .cloned()
            .ok_or_else(|| io::Error::from(io::ErrorKind::NotFound))
    }

    fn hostname(&self) -> String {
        self.hostname.clone()
    }
}
