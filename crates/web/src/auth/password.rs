//! The admin password: an Argon2id hash (PHC string) in `<data-dir>/admin.password`, mode 0600,
//! written atomically (temporary file, fsync, rename, directory fsync). The console reads the
//! file at each login, so a password changed by `scanrelay admin set-password` takes effect
//! on a running gateway without a restart. The clear password is never stored or logged.

use std::fs::{self, OpenOptions};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
pub use scanrelay_gateway::config::ADMIN_PASSWORD_FILE;

/// The shortest password accepted.
pub const MIN_LEN: usize = 8;

/// Why a password could not be set or read.
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    /// Shorter than [`MIN_LEN`] characters.
    #[error("the password needs at least {MIN_LEN} characters")]
    TooShort,
    /// The two entries differ.
    #[error("the two passwords differ")]
    Mismatch,
    /// Hashing failed (should not happen with the default parameters).
    #[error("could not hash the password: {0}")]
    Hash(String),
    /// A file could not be read or written.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// `read` or `write`.
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
}

/// Checks a new password and its confirmation.
pub fn check_new(password: &str, confirm: &str) -> Result<(), PasswordError> {
    if password.chars().count() < MIN_LEN {
        return Err(PasswordError::TooShort);
    }
    if password != confirm {
        return Err(PasswordError::Mismatch);
    }
    Ok(())
}

/// The Argon2id hash of `password` with a random salt, as a PHC string.
pub fn hash(password: &str) -> Result<String, PasswordError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| PasswordError::Hash(e.to_string()))
}

/// Whether `password` matches the PHC string `phc` (false for a malformed one).
pub fn verify(password: &str, phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc.trim()) else {
        return false;
    };
    Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok()
}

/// The password file of `data_dir`.
pub fn path(data_dir: &Path) -> PathBuf {
    data_dir.join(ADMIN_PASSWORD_FILE)
}

/// The stored hash, or `None` when no password is set (no file, or an empty one).
pub fn load(data_dir: &Path) -> Result<Option<String>, PasswordError> {
    let file = path(data_dir);
    match fs::read_to_string(&file) {
        Ok(text) => Ok(Some(text.trim().to_string()).filter(|t| !t.is_empty())),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(PasswordError::Io {
            action: "read",
            path: file,
            source,
        }),
    }
}

/// Hashes `password` and stores it as the admin password of `data_dir` (created 0700 when
/// missing); returns the file written.
pub fn store(data_dir: &Path, password: &str) -> Result<PathBuf, PasswordError> {
    let phc = hash(password)?;
    let file = path(data_dir);
    let io_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| PasswordError::Io {
            action: "write",
            path,
            source,
        }
    };
    private_dir(data_dir).map_err(io_err(data_dir))?;
    let tmp = data_dir.join(format!(".{ADMIN_PASSWORD_FILE}.tmp"));
    write_private(&tmp, format!("{phc}\n").as_bytes()).map_err(io_err(&tmp))?;
    fs::rename(&tmp, &file).map_err(io_err(&file))?;
    fs::File::open(data_dir)
        .and_then(|d| d.sync_all())
        .map_err(io_err(data_dir))?;
    Ok(file)
}

/// Writes and fsyncs `bytes` to a new file at `path` readable by the owner only.
fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    match fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// `mkdir -p` with mode 0700 for the directories it creates.
fn private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_verifies_only_its_password() {
        let phc = hash("correct horse").unwrap();
        assert!(phc.starts_with("$argon2id$"), "{phc}");
        assert!(verify("correct horse", &phc));
        assert!(!verify("correct horsf", &phc));
        assert!(!verify("correct horse", "not a hash"));
    }

    #[test]
    fn new_password_rules() {
        assert!(matches!(
            check_new("short", "short"),
            Err(PasswordError::TooShort)
        ));
        assert!(matches!(
            check_new("long enough", "long enougH"),
            Err(PasswordError::Mismatch)
        ));
        assert!(check_new("비밀번호비밀번호", "비밀번호비밀번호").is_ok());
    }

    #[test]
    fn store_is_private_and_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        assert_eq!(load(&data).unwrap(), None);
        let file = store(&data, "first password").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = fs::metadata(&file).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        store(&data, "second password").unwrap();
        let phc = load(&data).unwrap().unwrap();
        assert!(verify("second password", &phc));
        assert!(!verify("first password", &phc));
        assert!(scanrelay_gateway::config::admin_password_is_set(&data));
        let leftovers: Vec<_> = fs::read_dir(&data).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "only admin.password remains");
    }
}
