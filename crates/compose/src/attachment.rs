//! A file to attach: its name as shown to the recipient, its size and its content type.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::error::ComposeError;

/// How many leading bytes the content type is guessed from.
const SNIFF_LEN: usize = 8192;

/// A file to attach, measured when it was added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// Where the file is read from when the message is sent.
    pub path: PathBuf,
    /// The name the recipient sees (the path's last component, control characters removed).
    pub file_name: String,
    /// The MIME type, from the file's first bytes.
    pub content_type: String,
    /// The size in bytes; the file must still have this size when it is sent.
    pub size: u64,
}

impl Attachment {
    /// Measures `path` and reads its first bytes for the content type.
    pub fn from_path(path: &Path) -> Result<Attachment, ComposeError> {
        let io = |source| ComposeError::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut file = std::fs::File::open(path).map_err(io)?;
        let meta = file.metadata().map_err(io)?;
        if !meta.is_file() {
            return Err(io(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "not a regular file",
            )));
        }
        let mut head = Vec::with_capacity(SNIFF_LEN);
        (&mut file)
            .take(SNIFF_LEN as u64)
            .read_to_end(&mut head)
            .map_err(io)?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "attachment".to_string());
        Ok(Attachment {
            path: path.to_path_buf(),
            file_name: clean_file_name(&name),
            content_type: sniff_content_type(&head).to_string(),
            size: meta.len(),
        })
    }
}

/// The MIME type of content starting with `head`, from its magic numbers;
/// `application/octet-stream` when nothing is recognised.
pub fn sniff_content_type(head: &[u8]) -> &'static str {
    infer::get(head)
        .map(|t| t.mime_type())
        .unwrap_or("application/octet-stream")
}

/// A file name fit for a header: no control characters, not empty.
fn clean_file_name(name: &str) -> String {
    let cleaned: String = name.chars().filter(|c| !c.is_control()).collect();
    if cleaned.trim().is_empty() {
        "attachment".to_string()
    } else {
        cleaned
    }
}
