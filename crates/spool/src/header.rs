//! The header block at the start of a message file (spool format 2).
//!
//! `msg/ID.eml` starts with a [`HEADER_LEN`]-byte block: [`MAGIC`], then the message's
//! [`EnvFile`] as JSON (or `null` when it did not fit, in which case the envelope is in
//! `env/ID.json`, written with the full fsync chain at commit), padded with spaces. The body
//! follows at offset [`HEADER_LEN`]. One file, so one `fsync` makes envelope and body durable.
//! Files written before this format (format 1: body only, envelope in `env/ID.json`) do not
//! start with [`MAGIC`]: it begins with a NUL byte, which no SMTP message starts with.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::Path;

use crate::error::SpoolError;
use crate::model::EnvFile;

/// Bytes before the body in a format-2 message file.
pub(crate) const HEADER_LEN: u64 = 4096;
/// The first bytes of a format-2 message file.
const MAGIC: &[u8] = b"\0scanrelay-spool message 2\n";

/// What a message file's header says.
#[derive(Debug)]
pub(crate) enum Header {
    /// Format 1: no header, the body starts at offset 0.
    None,
    /// The envelope and the initial state, as committed.
    Inline(Box<EnvFile>),
    /// Format 2, but the envelope did not fit: it is in `env/ID.json`.
    External,
}

impl Header {
    /// Where the body starts.
    pub fn body_offset(&self) -> u64 {
        match self {
            Header::None => 0,
            _ => HEADER_LEN,
        }
    }

    /// The committed envelope, if the header holds one.
    pub fn inline(self) -> Option<EnvFile> {
        match self {
            Header::Inline(env) => Some(*env),
            _ => None,
        }
    }
}

/// The header block for `env`; a `null` block when its JSON does not fit.
pub(crate) fn encode(env: &EnvFile) -> (Vec<u8>, bool) {
    let mut block = MAGIC.to_vec();
    let json = serde_json::to_vec(env).unwrap_or_default();
    let fits = !json.is_empty() && MAGIC.len() + json.len() < HEADER_LEN as usize;
    block.extend_from_slice(if fits { &json } else { b"null" });
    block.resize(HEADER_LEN as usize, b' ');
    (block, fits)
}

/// Reads the header of an open message file (`path` only names it in errors).
pub(crate) fn read(file: &File, path: &Path) -> Result<Header, SpoolError> {
    let mut block = vec![0; HEADER_LEN as usize];
    let mut filled = 0;
    while filled < block.len() {
        match file.read_at(&mut block[filled..], filled as u64) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(SpoolError::io("read", path, e)),
        }
    }
    let Some(json) = block[..filled].strip_prefix(MAGIC) else {
        return Ok(Header::None);
    };
    let env: Option<EnvFile> = serde_json::from_slice(json).map_err(|source| SpoolError::Json {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(env.map_or(Header::External, |env| Header::Inline(Box::new(env))))
}

/// Reads the header of the message file at `path`; `Ok(None)` if it does not exist.
pub(crate) fn read_path(path: &Path) -> Result<Option<Header>, SpoolError> {
    match File::open(path) {
        Ok(file) => read(&file, path).map(Some),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(SpoolError::io("open", path, e)),
    }
}
