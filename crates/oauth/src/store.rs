//! The token store: one JSON file per account, `<data_dir>/oauth/<name>.json`, mode 0600 in a
//! 0700 directory, written atomically and durably (temp file, fsync, rename, directory fsync)
//! so that a crash never leaves a half-written grant and a rotated refresh token is on disk
//! before it is used. A lock file per account makes refreshes single-flight across processes
//! (the gateway and `scanrelay oauth` / `check --oauth` running beside it).

use std::fs::{self, File, OpenOptions};
use std::io::Write as _;
use std::os::unix::fs::{DirBuilderExt as _, MetadataExt as _, OpenOptionsExt as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::error::TokenError;
use crate::{OAuthError, Secret};

/// The file format's version.
const VERSION: u32 = 1;

/// Why an account needs a new login, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadGrant {
    /// In words.
    pub reason: String,
    /// The authority's answer, when it refused the refresh token.
    pub cause: Option<TokenError>,
    /// When it was found out.
    pub since: SystemTime,
}

/// The last failure of a token request that did not kill the grant (network, 5xx).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastError {
    /// In words (never a token).
    pub message: String,
    /// The authority's answer, if there was one.
    pub cause: Option<TokenError>,
    /// When.
    pub at: SystemTime,
}

/// What is stored for one account.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Grant {
    /// The refresh token (none for client credentials).
    pub refresh_token: Option<Secret>,
    /// The latest access token.
    pub access_token: Option<Secret>,
    /// When the access token expires.
    pub access_expires: Option<SystemTime>,
    /// Scopes granted (or asked for, when the authority did not say).
    pub scopes: Vec<String>,
    /// When the grant was obtained (login or import).
    pub login_at: Option<SystemTime>,
    /// When the refresh token was last used successfully.
    pub last_refresh: Option<SystemTime>,
    /// Set when the grant is dead: no token request is made until a new login.
    pub needs_login: Option<DeadGrant>,
    /// The last transient failure, cleared by a success.
    pub last_error: Option<LastError>,
}

/// How a token file looked when last seen: a change means another process wrote it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fingerprint {
    ino: u64,
    len: u64,
    mtime_ns: i128,
}

/// The token files of one data directory.
#[derive(Debug, Clone)]
pub struct TokenStore {
    dir: PathBuf,
}

impl TokenStore {
    /// The store under `<data_dir>/oauth`.
    pub fn new(data_dir: &Path) -> TokenStore {
        TokenStore {
            dir: data_dir.join("oauth"),
        }
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The token file of `account`.
    pub fn path(&self, account: &str) -> PathBuf {
        self.dir.join(format!("{account}.json"))
    }

    /// Reads the grant of `account`; `None` when there is no file.
    pub fn load(&self, account: &str) -> Result<Option<Grant>, OAuthError> {
        let path = self.path(account);
        let text = match fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(OAuthError::Store {
                    action: "cannot read",
                    path,
                    source,
                });
            }
        };
        let file: FileGrant = serde_json::from_str(&text).map_err(|e| OAuthError::Corrupt {
            path: path.clone(),
            // serde's message names the line and column, never the value.
            message: format!(
                "line {} column {}: {}",
                e.line(),
                e.column(),
                format!("{:?} error", e.classify()).to_lowercase()
            ),
        })?;
        if file.version != VERSION {
            return Err(OAuthError::Corrupt {
                path,
                message: format!(
                    "format version {} (this scanrelay reads {VERSION})",
                    file.version
                ),
            });
        }
        Ok(Some(file.into_grant()))
    }

    /// The current fingerprint of `account`'s file; `None` when there is none.
    pub fn fingerprint(&self, account: &str) -> Option<Fingerprint> {
        let m = fs::metadata(self.path(account)).ok()?;
        Some(Fingerprint {
            ino: m.ino(),
            len: m.len(),
            mtime_ns: i128::from(m.mtime()) * 1_000_000_000 + i128::from(m.mtime_nsec()),
        })
    }

    /// Writes the grant of `account`: temp file (0600), fsync, rename over the old file,
    /// fsync of the directory. When this returns, the grant survives a crash.
    pub fn save(&self, account: &str, grant: &Grant) -> Result<(), OAuthError> {
        self.ensure_dir()?;
        let path = self.path(account);
        let tmp = self
            .dir
            .join(format!(".{account}.json.tmp-{}", std::process::id()));
        let werr = |p: &Path| {
            let p = p.to_path_buf();
            move |source| OAuthError::Store {
                action: "cannot write",
                path: p,
                source,
            }
        };
        let mut text = serde_json::to_string_pretty(&FileGrant::from_grant(grant))
            .expect("a grant serializes");
        text.push('\n');
        let mut file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(werr(&tmp))?;
        let written = file
            .write_all(text.as_bytes())
            .and_then(|()| file.sync_all());
        drop(file);
        if let Err(e) = written {
            let _ = fs::remove_file(&tmp);
            return Err(werr(&tmp)(e));
        }
        if let Err(e) = fs::rename(&tmp, &path) {
            let _ = fs::remove_file(&tmp);
            return Err(werr(&path)(e));
        }
        self.sync_dir()
    }

    /// Removes `account`'s grant (logout); returns whether there was one.
    pub fn remove(&self, account: &str) -> Result<bool, OAuthError> {
        let path = self.path(account);
        match fs::remove_file(&path) {
            Ok(()) => self.sync_dir().map(|()| true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(source) => Err(OAuthError::Store {
                action: "cannot remove",
                path,
                source,
            }),
        }
    }

    /// Takes `account`'s refresh lock, shared with every other process using this store;
    /// waits (on tokio's clock) while another holds it. Released when the guard drops.
    pub async fn lock(&self, account: &str) -> Result<StoreLock, OAuthError> {
        self.ensure_dir()?;
        let path = self.dir.join(format!(".{account}.lock"));
        let file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(&path)
            .map_err(|source| OAuthError::Store {
                action: "cannot open",
                path: path.clone(),
                source,
            })?;
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(StoreLock { _file: file }),
                Err(fs::TryLockError::WouldBlock) => {
                    tokio::time::sleep(Duration::from_millis(25)).await;
                }
                Err(fs::TryLockError::Error(source)) => {
                    return Err(OAuthError::Store {
                        action: "cannot lock",
                        path,
                        source,
                    });
                }
            }
        }
    }

    fn ensure_dir(&self) -> Result<(), OAuthError> {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&self.dir)
            .map_err(|source| OAuthError::Store {
                action: "cannot create",
                path: self.dir.clone(),
                source,
            })
    }

    fn sync_dir(&self) -> Result<(), OAuthError> {
        File::open(&self.dir)
            .and_then(|d| d.sync_all())
            .map_err(|source| OAuthError::Store {
                action: "cannot sync",
                path: self.dir.clone(),
                source,
            })
    }
}

/// An account's refresh lock (see [`TokenStore::lock`]).
#[derive(Debug)]
pub struct StoreLock {
    _file: File,
}

/// Unix seconds.
fn secs(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
    }
}

fn time(s: i64) -> SystemTime {
    if s >= 0 {
        UNIX_EPOCH + Duration::from_secs(s.unsigned_abs())
    } else {
        UNIX_EPOCH - Duration::from_secs(s.unsigned_abs())
    }
}

/// The file as written.
#[derive(Serialize, Deserialize)]
struct FileGrant {
    version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    access_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    access_expires: Option<i64>,
    #[serde(default)]
    scopes: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    login_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_refresh: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    needs_login: Option<FileProblem>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_error: Option<FileProblem>,
}

#[derive(Serialize, Deserialize)]
struct FileProblem {
    message: String,
    at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error: Option<FileTokenError>,
}

#[derive(Serialize, Deserialize)]
struct FileTokenError {
    status: u16,
    error: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(default)]
    aadsts: Vec<String>,
}

impl FileTokenError {
    fn from(e: &TokenError) -> FileTokenError {
        FileTokenError {
            status: e.status,
            error: e.error.clone(),
            description: e.description.clone(),
            aadsts: e.aadsts.clone(),
        }
    }

    fn into_error(self) -> TokenError {
        TokenError {
            status: self.status,
            error: self.error,
            description: self.description,
            aadsts: self.aadsts,
        }
    }
}

impl FileGrant {
    fn from_grant(g: &Grant) -> FileGrant {
        FileGrant {
            version: VERSION,
            refresh_token: g.refresh_token.as_ref().map(|s| s.expose().to_string()),
            access_token: g.access_token.as_ref().map(|s| s.expose().to_string()),
            access_expires: g.access_expires.map(secs),
            scopes: g.scopes.clone(),
            login_at: g.login_at.map(secs),
            last_refresh: g.last_refresh.map(secs),
            needs_login: g.needs_login.as_ref().map(|d| FileProblem {
                message: d.reason.clone(),
                at: secs(d.since),
                error: d.cause.as_ref().map(FileTokenError::from),
            }),
            last_error: g.last_error.as_ref().map(|e| FileProblem {
                message: e.message.clone(),
                at: secs(e.at),
                error: e.cause.as_ref().map(FileTokenError::from),
            }),
        }
    }

    fn into_grant(self) -> Grant {
        Grant {
            refresh_token: self.refresh_token.map(Secret::new),
            access_token: self.access_token.map(Secret::new),
            access_expires: self.access_expires.map(time),
            scopes: self.scopes,
            login_at: self.login_at.map(time),
            last_refresh: self.last_refresh.map(time),
            needs_login: self.needs_login.map(|p| DeadGrant {
                reason: p.message,
                since: time(p.at),
                cause: p.error.map(FileTokenError::into_error),
            }),
            last_error: self.last_error.map(|p| LastError {
                message: p.message,
                at: time(p.at),
                cause: p.error.map(FileTokenError::into_error),
            }),
        }
    }
}
