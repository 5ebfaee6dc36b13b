//! Blocking filesystem primitives, each error tagged with its path. Called from
//! `spawn_blocking` only.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::error::{SpoolError, ctx};
use crate::id::{MessageId, unique_suffix};
use crate::model::{ENV_FORMAT, EnvFile};

/// Incoming data being written.
pub(crate) const TMP_DIR: &str = "tmp";
/// Message bodies, `ID.eml`.
pub(crate) const MSG_DIR: &str = "msg";
/// Envelopes and delivery state, `ID.json`.
pub(crate) const ENV_DIR: &str = "env";
/// The spool lock file (advisory `flock`-style lock, see the crate docs).
pub(crate) const LOCK_FILE: &str = "lock";

/// Where everything lives under the spool directory.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    pub root: PathBuf,
    pub tmp: PathBuf,
    pub msg: PathBuf,
    pub env: PathBuf,
}

impl Layout {
    pub fn new(root: PathBuf) -> Layout {
        Layout {
            tmp: root.join(TMP_DIR),
            msg: root.join(MSG_DIR),
            env: root.join(ENV_DIR),
            root,
        }
    }

    pub fn tmp_body(&self, id: &MessageId) -> PathBuf {
        self.tmp.join(format!("{id}.eml"))
    }

    pub fn body(&self, id: &MessageId) -> PathBuf {
        self.msg.join(format!("{id}.eml"))
    }

    pub fn envelope(&self, id: &MessageId) -> PathBuf {
        self.env.join(format!("{id}.json"))
    }

    /// A fresh temporary name next to the envelope, unique across processes. Starts with a dot
    /// and ends in `.tmp`, so it never parses as an envelope.
    pub fn envelope_tmp(&self, id: &MessageId) -> PathBuf {
        self.env.join(format!(".{id}.{}.tmp", unique_suffix()))
    }
}

/// The id in a file name `ID.EXT`, if it is one.
pub(crate) fn id_from_name(name: &std::ffi::OsStr, ext: &str) -> Option<MessageId> {
    name.to_str()?
        .strip_suffix(ext)?
        .strip_suffix('.')?
        .parse()
        .ok()
}

/// The names in a directory.
pub(crate) fn list_names(dir: &Path) -> Result<Vec<std::ffi::OsString>, SpoolError> {
    let mut names = Vec::new();
    for entry in fs::read_dir(dir).map_err(ctx("read directory", dir))? {
        names.push(entry.map_err(ctx("read directory", dir))?.file_name());
    }
    Ok(names)
}

/// A test hook run by a commit between publishing the envelope and fsyncing `env/`; given the
/// body path, it may make the commit fail there.
pub(crate) type PublishHook = Arc<dyn Fn(&Path) -> Option<io::ErrorKind> + Send + Sync>;

/// A test hook asked before every envelope write; it may make the write fail.
pub(crate) type WriteHook = Arc<dyn Fn() -> Option<io::ErrorKind> + Send + Sync>;

/// Injected write failures (test seam). `None` means no injection.
#[derive(Default)]
pub(crate) struct Faults {
    body: Mutex<Option<io::ErrorKind>>,
    envelope: Mutex<Option<io::ErrorKind>>,
    envelope_hook: Mutex<Option<WriteHook>>,
    publish: Mutex<Option<PublishHook>>,
}

impl std::fmt::Debug for Faults {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Faults")
            .field("body", &self.body())
            .field("envelope", &self.envelope())
            .finish_non_exhaustive()
    }
}

impl Faults {
    pub fn set_publish_hook(&self, hook: Option<PublishHook>) {
        *self.publish.lock().unwrap_or_else(|e| e.into_inner()) = hook;
    }

    /// Runs the publish hook, if any: `Err` when it asks the commit to fail.
    pub fn published(&self, body: &Path) -> Result<(), SpoolError> {
        let hook = self
            .publish
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        match hook.and_then(|hook| hook(body)) {
            Some(kind) => Err(SpoolError::io(
                "fsync directory",
                body,
                io::Error::from(kind),
            )),
            None => Ok(()),
        }
    }

    pub fn set_body(&self, kind: Option<io::ErrorKind>) {
        *self.body.lock().unwrap_or_else(|e| e.into_inner()) = kind;
    }

    pub fn set_envelope(&self, kind: Option<io::ErrorKind>) {
        *self.envelope.lock().unwrap_or_else(|e| e.into_inner()) = kind;
    }

    pub fn body(&self) -> Option<io::ErrorKind> {
        *self.body.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn set_envelope_hook(&self, hook: Option<WriteHook>) {
        *self.envelope_hook.lock().unwrap_or_else(|e| e.into_inner()) = hook;
    }

    /// The failure for the next envelope write: the fixed one, else what the hook says.
    pub fn envelope(&self) -> Option<io::ErrorKind> {
        let fixed = *self.envelope.lock().unwrap_or_else(|e| e.into_inner());
        let hook = || {
            let hook = self
                .envelope_hook
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone();
            hook.and_then(|hook| hook())
        };
        fixed.or_else(hook)
    }
}

/// `write_all`, or the injected failure.
pub(crate) fn write_all(
    file: &mut File,
    path: &Path,
    data: &[u8],
    fault: Option<io::ErrorKind>,
) -> Result<(), SpoolError> {
    if let Some(kind) = fault {
        return Err(SpoolError::io("write", path, io::Error::from(kind)));
    }
    file.write_all(data).map_err(ctx("write", path))
}

/// Mode of every file the spool creates: the scans are the office's documents, readable by
/// the gateway's user only, whatever the umask and wherever `[spool] dir` points.
pub(crate) const FILE_MODE: u32 = 0o600;
/// Mode of every directory the spool creates.
pub(crate) const DIR_MODE: u32 = 0o700;

/// Options that create files with [`FILE_MODE`].
pub(crate) fn private_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, FILE_MODE);
    options
}

pub(crate) fn create_new(path: &Path) -> Result<File, SpoolError> {
    private_options()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(ctx("create", path))
}

/// `mkdir -p` creating directories with [`DIR_MODE`]; a directory that already exists keeps
/// its mode (see [`make_private`] for the spool's own subdirectories).
pub(crate) fn create_private_dir(dir: &Path) -> Result<(), SpoolError> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, DIR_MODE);
    builder.create(dir).map_err(ctx("create directory", dir))
}

/// Takes group and other permissions away from one of the spool's own directories (made by
/// an older version, or with a umask that let them through).
pub(crate) fn make_private(dir: &Path) -> Result<(), SpoolError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = fs::metadata(dir).map_err(ctx("stat", dir))?;
        if meta.permissions().mode() & 0o077 != 0 {
            fs::set_permissions(dir, fs::Permissions::from_mode(DIR_MODE))
                .map_err(ctx("restrict permissions of", dir))?;
        }
    }
    Ok(())
}

pub(crate) fn rename(from: &Path, to: &Path) -> Result<(), SpoolError> {
    fs::rename(from, to).map_err(ctx("rename into place", from))
}

/// Remove a file; a missing file is fine. Returns whether it existed.
pub(crate) fn remove_if_exists(path: &Path) -> Result<bool, SpoolError> {
    match fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(SpoolError::io("remove", path, e)),
    }
}

/// Remove a file during cleanup after another error: failures are logged, not returned.
pub(crate) fn remove_quietly(path: &Path) {
    if let Err(e) = remove_if_exists(path) {
        tracing::warn!(error = %e, "spool cleanup failed");
    }
}

/// fsync a directory, making the creations, renames and removals in it durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), SpoolError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(ctx("fsync directory", dir))
}

/// Read and parse an envelope file. `Ok(None)` if it does not exist.
pub(crate) fn read_envelope(path: &Path) -> Result<Option<EnvFile>, SpoolError> {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(SpoolError::io("read", path, e)),
    };
    parse_envelope(path, &bytes).map(Some)
}

/// Parse an envelope file's bytes (`path` names it in errors).
fn parse_envelope(path: &Path, bytes: &[u8]) -> Result<EnvFile, SpoolError> {
    let json_err = |source| SpoolError::Json {
        path: path.to_path_buf(),
        source,
    };
    let env: EnvFile = serde_json::from_slice(bytes).map_err(json_err)?;
    if env.version > ENV_FORMAT {
        // Written by a newer scanrelay: left alone (like an unreadable file), never rewritten
        // in an older format that would drop what this version does not know.
        return Err(json_err(<serde_json::Error as serde::de::Error>::custom(
            format_args!(
                "envelope format {} is newer than this scanrelay reads (up to {ENV_FORMAT})",
                env.version
            ),
        )));
    }
    Ok(env)
}

/// A message's record: `env/ID.json` if it exists and parses, else the envelope committed in
/// the header of `msg/ID.eml` (format 2). An unreadable `env/ID.json` of a format-2 message is
/// a state update cut short by a power loss (those are not fsync'd, see the crate docs): the
/// committed state is used instead, which only causes a retry. `Ok(None)` if neither exists.
pub(crate) fn read_record(layout: &Layout, id: &MessageId) -> Result<Option<EnvFile>, SpoolError> {
    let from_header = || -> Result<Option<EnvFile>, SpoolError> {
        Ok(crate::header::read_path(&layout.body(id))?.and_then(crate::header::Header::inline))
    };
    let path = layout.envelope(id);
    let bytes = match fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return from_header(),
        Err(e) => return Err(SpoolError::io("read", path, e)),
    };
    // Not JSON at all (empty, cut short): a lost update. Valid JSON that does not fit (e.g.
    // from a newer scanrelay) is an error, as with format 1.
    if serde_json::from_slice::<serde::de::IgnoredAny>(&bytes).is_err()
        && let Some(env) = from_header()?
    {
        tracing::warn!(file = %path.display(), "unreadable state file; using the committed envelope");
        return Ok(Some(env));
    }
    parse_envelope(&path, &bytes).map(Some)
}

/// Atomically replace `env/ID.json`: write a temporary file in `env/`, `sync_all` it (only if
/// `durable`), rename it over the envelope. For a durable write the caller must then fsync `env/`
/// before relying on it. On error the temporary file is removed and the previous envelope (if
/// any) is untouched.
pub(crate) fn write_envelope(
    layout: &Layout,
    id: &MessageId,
    env: &EnvFile,
    fault: Option<io::ErrorKind>,
) -> Result<(), SpoolError> {
    write_envelope_with(layout, id, env, fault, true)
}

/// [`write_envelope`], with the file's `sync_all` only if `durable`.
pub(crate) fn write_envelope_with(
    layout: &Layout,
    id: &MessageId,
    env: &EnvFile,
    fault: Option<io::ErrorKind>,
    durable: bool,
) -> Result<(), SpoolError> {
    let path = layout.envelope(id);
    let mut env = env.clone();
    env.version = ENV_FORMAT;
    let bytes = serde_json::to_vec_pretty(&env).map_err(|source| SpoolError::Json {
        path: path.clone(),
        source,
    })?;
    let tmp = layout.envelope_tmp(id);
    let result = (|| {
        let mut file = create_new(&tmp)?;
        write_all(&mut file, &tmp, &bytes, fault)?;
        if durable {
            file.sync_all().map_err(ctx("sync", &tmp))?;
        }
        drop(file);
        rename(&tmp, &path)
    })();
    if result.is_err() {
        remove_quietly(&tmp);
    }
    result
}

/// Open a message's file (format 1: the body; format 2: header and body) and take an exclusive
/// advisory lock on it. The body file is never
/// replaced during a message's life, so its lock serializes `update` and `remove` of that message
/// across threads and processes. `Ok(None)` if the body does not exist.
pub(crate) fn lock_message(layout: &Layout, id: &MessageId) -> Result<Option<File>, SpoolError> {
    let path = layout.body(id);
    let file = match File::open(&path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(SpoolError::io("open", &path, e)),
    };
    file.lock().map_err(ctx("lock", &path))?;
    Ok(Some(file))
}

/// Locks a message's envelope file (`env/ID.json`) exclusively; `None` if there is none (or it
/// was deleted while we waited for the lock). Marking a message whose body is missing
/// ([`crate::Spool::fail_damaged`]) and removing a message take it, so a mark cannot write the
/// envelope back after a removal deleted it: there is no body file to lock then. A rewrite
/// replaces the file (a new inode), so after the lock is taken the path must still name the
/// locked file; if a rewrite came in between, the new file is locked instead.
pub(crate) fn lock_envelope(path: &Path) -> Result<Option<File>, SpoolError> {
    use std::os::unix::fs::MetadataExt as _;
    loop {
        let file = match File::open(path) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(SpoolError::io("open", path, e)),
        };
        file.lock().map_err(ctx("lock", path))?;
        let locked = file.metadata().map_err(ctx("stat", path))?.ino();
        match fs::symlink_metadata(path) {
            Ok(now) if now.ino() == locked => return Ok(Some(file)),
            Ok(_) => continue,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(SpoolError::io("stat", path, e)),
        }
    }
}

/// Run blocking filesystem work on tokio's blocking pool.
pub(crate) async fn blocking<T, F>(op: &'static str, f: F) -> Result<T, SpoolError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, SpoolError> + Send + 'static,
{
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|source| SpoolError::Task { op, source })?
}
