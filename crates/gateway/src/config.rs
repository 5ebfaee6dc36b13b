//! The gateway's TOML config file: parsing, validation into [`Settings`], the embedded default
//! and where the data directory lives.
//!
//! The text is injected ([`parse_str`]) so tests pass strings; [`load`] and [`load_or_init`]
//! read the file. Validation does no I/O of its own: the files a config names and the host
//! name come through [`ConfigFiles`] ([`parse_with`]). Every error names the file, the line and the key path, e.g.
//! `scanrelay.toml: line 7: upstream.tls: unknown TLS mode `ssl3`: expected starttls, implicit
//! or none`; a value of the wrong type says what is expected in words and with an example
//! (`upstream.port: expected a port number 1-65535, e.g. 587; found "587" ...`). A file that
//! cannot be read says so once: `cannot read cfg/missing.toml: No such file or directory`.
//! Unknown keys are errors. Semantic rules (never an open relay, one password source,
//! no port 0) are checked here, before anything listens. Passwords never appear in errors,
//! warnings or the [`summary`].

pub mod edit;
mod expect;
mod files;
mod locate;
mod oauth;
mod raw;
mod summary;
mod units;
mod upstream;
mod validate;

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use crate::settings::Settings;

pub use files::{ConfigFiles, MemoryFiles, SystemFiles};
pub use summary::summary;
pub use units::parse_size;

/// The default config written to `<data-dir>/scanrelay.toml` on first start: commented, with
/// no upstream active (mail is held until one is configured).
pub const DEFAULT_CONFIG: &str = include_str!("default-config.toml");

/// The config file's name inside the data directory.
pub const CONFIG_FILE_NAME: &str = "scanrelay.toml";

/// The admin console's password inside the data directory: one line, an Argon2 hash in PHC
/// form (`$argon2id$v=19$...`), mode 0600. Written by `scanrelay admin set-password` or the
/// console's one-time setup page.
pub const ADMIN_PASSWORD_FILE: &str = "admin.password";

/// Whether `<data_dir>/admin.password` holds an Argon2 hash (a console on a LAN address
/// needs one).
pub fn admin_password_is_set(data_dir: &Path) -> bool {
    std::fs::read_to_string(data_dir.join(ADMIN_PASSWORD_FILE))
        .is_ok_and(|text| text.trim_start().starts_with("$argon2"))
}

/// One thing wrong with a config file (or worth a warning), located by line and key path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file, as shown to the user.
    pub file: String,
    /// The 1-based line, when known.
    pub line: Option<usize>,
    /// The key path, e.g. `upstream.tls` or `device[0].password`.
    pub key: Option<String>,
    /// What is wrong, never containing a secret.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.file)?;
        if let Some(line) = self.line {
            write!(f, "line {line}: ")?;
        }
        if let Some(key) = &self.key {
            write!(f, "{key}: ")?;
        }
        f.write_str(&self.message)
    }
}

/// Why a config could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The text is not valid TOML, has an unknown key or a bad value, or breaks a rule.
    #[error("{0}")]
    Invalid(Problem),
    /// The file could not be read. The message is whole (`cannot read cfg/missing.toml: No
    /// such file or directory`); the I/O error is not also given as its source, so a printer
    /// of error chains does not repeat it.
    #[error("cannot read {}: {}", path.display(), io_reason(error))]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        error: io::Error,
    },
    /// The default config (or the data directory) could not be written.
    #[error("cannot write {}: {}", path.display(), io_reason(error))]
    Write {
        /// The file or directory.
        path: PathBuf,
        /// Why.
        error: io::Error,
    },
}

impl ConfigError {
    /// The located problem, for an invalid config.
    pub fn problem(&self) -> Option<&Problem> {
        match self {
            ConfigError::Invalid(p) => Some(p),
            _ => None,
        }
    }
}

/// A validated config and the warnings it produced (e.g. a device password longer than
/// devices accept).
#[derive(Debug, Clone)]
pub struct Loaded {
    /// What the gateway runs with.
    pub settings: Settings,
    /// Non-fatal problems, each naming its key and line.
    pub warnings: Vec<Problem>,
}

/// Knobs for parsing that production never changes.
#[derive(Debug, Clone, Default)]
pub struct ParseOptions {
    /// Accept port 0 (an ephemeral port): for tests that read the bound address back.
    pub allow_port_zero: bool,
}

/// Parses and validates config `text`. `path` names the file in messages and is the base for
/// relative paths in it (`password_file`, `tls_cert`, `spool.dir`); `data_dir` is where the
/// spool and generated files go by default. Files named in the config are looked at on this
/// machine ([`SystemFiles`]).
pub fn parse_str(
    text: &str,
    path: &Path,
    data_dir: &Path,
    opts: &ParseOptions,
) -> Result<Loaded, ConfigError> {
    parse_with(text, path, data_dir, opts, &SystemFiles)
}

/// [`parse_str`] with the files the config names (and the host name) taken from `files`: the
/// validation does no I/O of its own.
pub fn parse_with(
    text: &str,
    path: &Path,
    data_dir: &Path,
    opts: &ParseOptions,
    files: &dyn ConfigFiles,
) -> Result<Loaded, ConfigError> {
    let file = display_name(path);
    let loc = locate::Locator::new(text);
    let raw = deserialize(text, &file, &loc)?;
    let base_dir = path.parent().unwrap_or(Path::new("."));
    let validator = validate::Validator {
        loc: &loc,
        file: &file,
        base_dir,
        data_dir,
        opts,
        files,
        warnings: Vec::new(),
    };
    validator.settings(raw)
}

/// Reads and validates the config file at `path`.
pub fn load(path: &Path, data_dir: &Path) -> Result<Loaded, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|error| ConfigError::Read {
        path: path.to_path_buf(),
        error,
    })?;
    parse_str(&text, path, data_dir, &ParseOptions::default())
}

/// Only the spool directory of the config file at `path`: its `[spool] dir` (relative to the
/// file), else `<data_dir>/spool`. Nothing else in the file is validated, so `scanrelay queue`
/// still finds the spool during an incident caused by a broken `[upstream]`. Fails only when
/// the file cannot be read or is not TOML at all.
pub fn spool_dir_only(path: &Path, data_dir: &Path) -> Result<PathBuf, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|error| ConfigError::Read {
        path: path.to_path_buf(),
        error,
    })?;
    let file = display_name(path);
    let table: toml::Table = toml::from_str(&text).map_err(|e| {
        let loc = locate::Locator::new(&text);
        ConfigError::Invalid(Problem {
            file: file.clone(),
            line: e.span().map(|s| loc.line_at(s.start)),
            key: None,
            message: e.message().trim().to_string(),
        })
    })?;
    let dir = table
        .get("spool")
        .and_then(|s| s.get("dir"))
        .and_then(|d| d.as_str());
    let base_dir = path.parent().unwrap_or(Path::new("."));
    Ok(dir.map_or_else(|| data_dir.join("spool"), |d| base_dir.join(d)))
}

/// The config `scanrelay serve` runs with. With `config_path`, that file (which must exist).
/// Without, `<data_dir>/scanrelay.toml`; when that does not exist the embedded
/// [`DEFAULT_CONFIG`] is written there first, and its path is returned as the second value.
/// Warnings are logged (`tracing::warn!`) with their key and line.
pub fn load_or_init(
    data_dir: &Path,
    config_path: Option<&Path>,
) -> Result<(Settings, Option<PathBuf>), ConfigError> {
    let (path, written) = match config_path {
        Some(path) => (path.to_path_buf(), None),
        None => {
            let path = data_dir.join(CONFIG_FILE_NAME);
            let written = write_default_if_missing(&path)?;
            (path.clone(), written.then_some(path))
        }
    };
    let loaded = load(&path, data_dir)?;
    for warning in &loaded.warnings {
        tracing::warn!("{warning}");
    }
    Ok((loaded.settings, written))
}

/// Writes [`DEFAULT_CONFIG`] to `path` unless a file is there; returns whether it wrote.
/// The data directory is created private (0700); the write is atomic (temp file, rename).
fn write_default_if_missing(path: &Path) -> Result<bool, ConfigError> {
    if path.exists() {
        return Ok(false);
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    let werr = |path: &Path| {
        let path = path.to_path_buf();
        move |error| ConfigError::Write { path, error }
    };
    create_private_dir(dir).map_err(werr(dir))?;
    let tmp = dir.join(format!(".{CONFIG_FILE_NAME}.tmp"));
    std::fs::write(&tmp, DEFAULT_CONFIG).map_err(werr(&tmp))?;
    std::fs::rename(&tmp, path).map_err(werr(path))?;
    Ok(true)
}

/// `mkdir -p` with mode 0700 for directories it creates.
pub(crate) fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// The per-user data directory: `$SCANRELAY_DATA_DIR`, else `$XDG_DATA_HOME/scanrelay`, else
/// `~/.local/share/scanrelay`, else `./scanrelay-data` when `HOME` is unset.
pub fn default_data_dir() -> PathBuf {
    data_dir_from(|name| std::env::var_os(name))
}

/// [`default_data_dir`] over an injected environment.
pub fn data_dir_from(env: impl Fn(&str) -> Option<std::ffi::OsString>) -> PathBuf {
    let set = |name: &str| env(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    if let Some(dir) = set("SCANRELAY_DATA_DIR") {
        return dir;
    }
    if let Some(dir) = set("XDG_DATA_HOME") {
        return dir.join("scanrelay");
    }
    match set("HOME") {
        Some(home) => home.join(".local/share/scanrelay"),
        None => PathBuf::from("scanrelay-data"),
    }
}

fn display_name(path: &Path) -> String {
    path.display().to_string()
}

/// TOML → raw structs, with the key path from serde_path_to_error and the line from the
/// span toml reports (or from the key path when it reports none).
fn deserialize(
    text: &str,
    file: &str,
    loc: &locate::Locator<'_>,
) -> Result<raw::RawConfig, ConfigError> {
    let de = toml::Deserializer::parse(text).map_err(|e| {
        ConfigError::Invalid(Problem {
            file: file.to_string(),
            line: e.span().map(|s| loc.line_at(s.start)),
            key: None,
            message: e.message().trim().to_string(),
        })
    })?;
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let key = (path != ".").then_some(path);
        let inner = e.inner();
        let line = inner
            .span()
            .map(|s| loc.line_at(s.start))
            .or_else(|| key.as_deref().and_then(|k| loc.nearest_line(k)));
        let message = match &key {
            Some(k) if is_secret_key(k) => SECRET_TYPE_ERROR.to_string(),
            Some(k) => expect::explain(k, inner.message())
                .unwrap_or_else(|| inner.message().trim().to_string()),
            None => inner.message().trim().to_string(),
        };
        ConfigError::Invalid(Problem {
            file: file.to_string(),
            line,
            key,
            message,
        })
    })
}

/// An I/O error as a reason for people: `No such file or directory`, without the `(os error 2)`
/// that the standard library appends.
pub(crate) fn io_reason(e: &io::Error) -> String {
    let text = e.to_string();
    match e.raw_os_error() {
        Some(code) => text
            .strip_suffix(&format!(" (os error {code})"))
            .map_or_else(|| text.clone(), str::to_string),
        None => text,
    }
}

/// What a wrongly typed secret gets instead of serde's message, which quotes the value
/// (`invalid type: integer `73918264`, expected a string`).
const SECRET_TYPE_ERROR: &str =
    "must be a quoted string, e.g. password = \"...\" (the value is not shown)";

/// Whether the value at the key path `key` (`upstream.password`, `device[0].password`,
/// `upstream.password_file`) may be a secret.
fn is_secret_key(key: &str) -> bool {
    let last = key.rsplit('.').next().unwrap_or(key);
    let last = last.split('[').next().unwrap_or(last);
    matches!(last, "password" | "password_file")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsString;

    #[test]
    fn data_dir_precedence() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| OsString::from(v))
            }
        };
        static ALL: [(&str, &str); 3] = [
            ("SCANRELAY_DATA_DIR", "/d"),
            ("XDG_DATA_HOME", "/x"),
            ("HOME", "/h"),
        ];
        let all = &ALL;
        assert_eq!(data_dir_from(env(all)), PathBuf::from("/d"));
        assert_eq!(data_dir_from(env(&all[1..])), PathBuf::from("/x/scanrelay"));
        assert_eq!(
            data_dir_from(env(&all[2..])),
            PathBuf::from("/h/.local/share/scanrelay")
        );
        assert_eq!(data_dir_from(env(&[])), PathBuf::from("scanrelay-data"));
    }
}
