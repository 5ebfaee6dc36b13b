//! Editing the config file the way the console's settings page does: typed [`Change`]s
//! applied to the file's text with toml_edit, **keeping its comments, key order and layout**
//! (see `layout` for the rules), checked by parsing the result with the same code as
//! `scanrelay serve` ([`super::parse_str`]), and written atomically.
//!
//! * An invalid change is refused with [`FieldError`]s keyed by section and field
//!   (`listen.allow_networks`, `upstream[1].port`) in the config's own words, and nothing is
//!   written. Several bad fields are reported together: the change behind each error is left
//!   out and the rest checked again.
//! * Nothing here can make the gateway an open relay: every result passes the config's rules
//!   (a listener reachable from other hosts with an allow list covering every address is
//!   refused), and the editor adds two of its own for changes made through it (`guard`):
//!   an allow list with a public network wider than a /16 (IPv6: /48) on a reachable listener
//!   is refused, and device passwords need at least 8 characters.
//! * Secrets are write-only: a [`SecretInput::Keep`] (an empty password field) keeps the
//!   stored password, and the [`View`] a form is filled from says `password_set`, never the
//!   value. Errors and `Debug` output never contain a password.
//! * [`ConfigFile::save`] takes the [`Version`] (a hash of the text) the form was made from and
//!   refuses with [`SaveError::Conflict`] when the file changed since, so two editors do not
//!   overwrite each other. The write is a temp file in the same directory, fsync, rename,
//!   fsync of the directory, keeping the file's mode (and owner where allowed), under an
//!   exclusive lock on the file.
//!
//! Everything here is blocking file IO: call it from `spawn_blocking` in async code.

mod apply;
mod fields;
mod guard;
mod layout;
mod view;
mod write;

use std::fmt;
use std::path::{Path, PathBuf};

use super::{ParseOptions, Problem};
use crate::settings::Settings;

pub use fields::{DeliveryField, ListenField, OAuthField, UpstreamField};
pub use view::{DeviceView, EntryView, FieldView, View};

/// A password typed into a form. `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub enum SecretInput {
    /// Keep the stored one (the form's password field was left empty).
    Keep,
    /// Store this one.
    Set(String),
    /// Remove the stored one (`password` and `password_file`).
    Clear,
}

impl SecretInput {
    /// An empty field keeps the stored password; anything else replaces it.
    pub fn from_form(text: &str) -> SecretInput {
        if text.is_empty() {
            SecretInput::Keep
        } else {
            SecretInput::Set(text.to_string())
        }
    }
}

impl fmt::Debug for SecretInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SecretInput::Keep => "Keep",
            SecretInput::Set(_) => "Set(<redacted>)",
            SecretInput::Clear => "Clear",
        })
    }
}

/// One change to the config. Text values are what a form holds: an empty text removes the key,
/// so the gateway's default applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A `[listen]` key.
    Listen(ListenField, String),
    /// A `[delivery]` key.
    Delivery(DeliveryField, String),
    /// A new `[[device]]` account; `upstream` may be empty.
    AddDevice {
        /// User name the device sends.
        username: String,
        /// Its password (must be [`SecretInput::Set`]).
        password: SecretInput,
        /// The upstream its mail leaves through; empty for the default.
        upstream: String,
    },
    /// Removes the device account with this user name.
    RemoveDevice {
        /// The account.
        username: String,
    },
    /// A device account's password.
    DevicePassword {
        /// The account.
        username: String,
        /// The new password ([`SecretInput::Keep`] changes nothing).
        password: SecretInput,
    },
    /// A device account's upstream (empty: the default).
    DeviceUpstream {
        /// The account.
        username: String,
        /// The upstream's name.
        upstream: String,
    },
    /// A new upstream. The first becomes `[upstream]`; adding a second turns the file's
    /// `[upstream]` into `[[upstream]]` entries (the first keeps its name, `default`).
    AddUpstream {
        /// Its name.
        name: String,
        /// Its other keys.
        fields: Vec<(UpstreamField, String)>,
        /// Its password.
        password: SecretInput,
    },
    /// One key of the upstream named `name` (a single unnamed `[upstream]` is `default`).
    /// Renaming it also renames the references of device accounts and routes.
    Upstream {
        /// The upstream.
        name: String,
        /// The key.
        field: UpstreamField,
        /// The new text.
        value: String,
    },
    /// The upstream's password (stored without the spaces of a Google app password).
    UpstreamPassword {
        /// The upstream.
        name: String,
        /// The password.
        password: SecretInput,
    },
    /// Removes an upstream.
    RemoveUpstream {
        /// The upstream.
        name: String,
    },
    /// A new `[[oauth]]` account (logged in afterwards with `scanrelay oauth login NAME`).
    AddOAuth {
        /// Its name.
        name: String,
        /// Its other keys.
        fields: Vec<(OAuthField, String)>,
    },
    /// Removes an `[[oauth]]` account.
    RemoveOAuth {
        /// The account.
        name: String,
    },
}

/// Which form a field belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Form {
    /// `[listen]`.
    Listen,
    /// `[delivery]`.
    Delivery,
    /// The device account with this user name.
    Device(String),
    /// The upstream with this name.
    Upstream(String),
    /// The `[[oauth]]` account with this name.
    OAuth(String),
    /// The file as a whole, or a part the console does not edit (`[[route]]`, `[spool]`).
    File,
}

/// A problem with a change (or a warning about the result), placed by form and field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The form.
    pub form: Form,
    /// The field in it (`port`, `allow_networks`), when the problem has one.
    pub field: Option<String>,
    /// The key path as the config names it, with `upstream.x` written `upstream[0].x` and
    /// list positions left out: `listen.allow_networks`, `upstream[1].port`.
    pub key: Option<String>,
    /// What is wrong, in words, never containing a secret.
    pub message: String,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.key {
            Some(key) => write!(f, "{key}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// The SHA-256 of a config text, in hex: what a form was made from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Version(String);

impl Version {
    /// The version of `text`.
    pub fn of(text: &str) -> Version {
        use sha2::Digest as _;
        let digest = sha2::Sha256::digest(text.as_bytes());
        Version(digest.iter().map(|b| format!("{b:02x}")).collect())
    }

    /// The hex text (for a hidden form field).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A version from a form's hidden field.
    pub fn parse(text: &str) -> Option<Version> {
        let text = text.trim();
        let ok = text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit());
        ok.then(|| Version(text.to_ascii_lowercase()))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A valid result of [`apply`]: the new text and what the gateway would run with.
#[derive(Debug, Clone)]
pub struct Applied {
    /// The new file text.
    pub text: String,
    /// The settings parsed from it (for `GatewayHandle::reload`).
    pub settings: Settings,
    /// The config's warnings about the result (e.g. a password longer than devices accept).
    pub warnings: Vec<FieldError>,
    /// Whether the text differs from the original.
    pub changed: bool,
}

/// Applies `changes` to the config `text` (of the file at `path`, whose relative paths are
/// resolved from its directory) and validates the result as `serve` would. Pure apart from
/// the files the config names (`password_file`, `tls_cert`, ...), which validation reads.
pub fn apply(
    text: &str,
    path: &Path,
    data_dir: &Path,
    opts: &ParseOptions,
    changes: &[Change],
) -> Result<Applied, Vec<FieldError>> {
    apply::apply(text, path, data_dir, opts, changes)
}

/// The config file the console edits.
#[derive(Debug, Clone)]
pub struct ConfigFile {
    /// The file (`GatewayHandle::config_path`).
    pub path: PathBuf,
    /// The data directory `serve` was given.
    pub data_dir: PathBuf,
    /// Parse options (tests allow port 0).
    pub opts: ParseOptions,
}

/// A successful save.
#[derive(Debug, Clone)]
pub struct Saved {
    /// What the gateway should now run with.
    pub settings: Settings,
    /// Warnings about the new config.
    pub warnings: Vec<FieldError>,
    /// The version now on disk.
    pub version: Version,
    /// Whether anything was written (re-saving an unchanged form writes nothing).
    pub written: bool,
}

/// Why a save did not happen. The file is unchanged in every case.
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    /// The changes are invalid.
    #[error("the changes were not saved: {}", join_errors(.0))]
    Rejected(Vec<FieldError>),
    /// The file changed since the form was loaded.
    #[error(
        "the config file changed since this page was loaded (someone else saved it, or it was \
         edited by hand): reload the page and make the change again"
    )]
    Conflict {
        /// The version on disk now.
        current: Version,
    },
    /// The file could not be read, locked or written.
    #[error("cannot {action} {}: {}", path.display(), super::io_reason(error))]
    Io {
        /// What was being done (`read`, `lock`, `write`, ...).
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// Why.
        error: std::io::Error,
    },
}

fn join_errors(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

impl ConfigFile {
    /// The file's current text and version.
    pub fn read(&self) -> Result<(String, Version), SaveError> {
        let text = std::fs::read_to_string(&self.path).map_err(|error| SaveError::Io {
            action: "read",
            path: self.path.clone(),
            error,
        })?;
        let version = Version::of(&text);
        Ok((text, version))
    }

    /// What the settings forms show: current values, `password_set` for secrets.
    pub fn view(&self) -> Result<View, SaveError> {
        let (text, _) = self.read()?;
        View::of(&text).map_err(|e| SaveError::Rejected(vec![e]))
    }

    /// Applies `changes` to the file as it is on disk, if it is still at `base`; writes the
    /// result atomically when it is valid and differs.
    pub fn save(&self, base: &Version, changes: &[Change]) -> Result<Saved, SaveError> {
        write::locked(&self.path, |text| {
            let current = Version::of(text);
            if &current != base {
                return Err(SaveError::Conflict { current });
            }
            let applied = apply(text, &self.path, &self.data_dir, &self.opts, changes)
                .map_err(SaveError::Rejected)?;
            Ok(applied)
        })
    }
}

/// A located config problem as a [`FieldError`], its indexes resolved to names through
/// `names` (`device[1]` → that account's user name).
pub(crate) fn field_error(problem: &Problem, names: &view::Names) -> FieldError {
    let Some(key) = problem.key.as_deref() else {
        return FieldError {
            form: Form::File,
            field: None,
            key: None,
            message: problem.message.clone(),
        };
    };
    let (form, field, key) = names.place(key);
    FieldError {
        form,
        field,
        key: Some(key),
        message: problem.message.clone(),
    }
}
