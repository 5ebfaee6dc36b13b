//! The fetch state: the unique ids already saved, per account, in `--out`'s working
//! directory. Written whole and atomically after each message, so after a crash it lists
//! exactly the messages whose files are on disk.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::FetchError;
use super::files::{OutDir, replace_file};

/// The state file's format version.
const VERSION: u32 = 1;

#[derive(Debug, Default, Serialize, Deserialize)]
struct StateFile {
    version: u32,
    /// Account key (`user@host`) → unique ids saved.
    accounts: BTreeMap<String, BTreeSet<String>>,
}

/// The saved ids of one account, and the file they live in.
#[derive(Debug)]
pub struct State {
    path: PathBuf,
    account: String,
    file: StateFile,
}

impl State {
    /// Loads the state (none yet: empty). A file that does not parse is an error, not a
    /// reason to fetch everything again.
    pub fn load(out: &OutDir, account: &str) -> Result<State, FetchError> {
        let path = out.state_path();
        let file = match std::fs::read(&path) {
            Ok(bytes) => parse(&path, &bytes)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => StateFile {
                version: VERSION,
                ..StateFile::default()
            },
            Err(source) => return Err(FetchError::Disk { path, source }),
        };
        Ok(State {
            path,
            account: account.to_string(),
            file,
        })
    }

    fn ids(&self) -> Option<&BTreeSet<String>> {
        self.file.accounts.get(&self.account)
    }

    /// Whether `uid` was saved before.
    pub fn contains(&self, uid: &str) -> bool {
        self.ids().is_some_and(|ids| ids.contains(uid))
    }

    /// How many ids are kept for the account.
    pub fn len(&self) -> usize {
        self.ids().map_or(0, BTreeSet::len)
    }

    /// Whether none are.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Forgets ids the server no longer lists (deleted there), so the file does not grow
    /// forever. Not saved until the next [`State::add`].
    pub fn keep_only<'a>(&mut self, on_server: impl IntoIterator<Item = &'a str>) {
        let listed: BTreeSet<&str> = on_server.into_iter().collect();
        if let Some(ids) = self.file.accounts.get_mut(&self.account) {
            ids.retain(|id| listed.contains(id.as_str()));
        }
    }

    /// Records `uid` as saved and writes the file atomically (temporary file, fsync, rename,
    /// directory fsync).
    pub fn add(&mut self, out: &OutDir, uid: &str) -> Result<(), FetchError> {
        self.file
            .accounts
            .entry(self.account.clone())
            .or_default()
            .insert(uid.to_string());
        let bytes = serde_json::to_vec(&self.file).map_err(|e| FetchError::State {
            path: self.path.clone(),
            detail: e.to_string(),
        })?;
        replace_file(&out.temp_path("state"), &self.path, &bytes)
    }
}

fn parse(path: &Path, bytes: &[u8]) -> Result<StateFile, FetchError> {
    let file: StateFile = serde_json::from_slice(bytes).map_err(|e| FetchError::State {
        path: path.to_path_buf(),
        detail: format!("not a fetch state file ({e}); move it away to fetch everything again"),
    })?;
    if file.version != VERSION {
        return Err(FetchError::State {
            path: path.to_path_buf(),
            detail: format!("state version {} is not {VERSION}", file.version),
        });
    }
    Ok(file)
}
