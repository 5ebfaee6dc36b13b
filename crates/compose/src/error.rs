//! What can go wrong composing a message.

use std::path::PathBuf;

/// Why a message could not be composed. None of these is the server's doing: each is
/// permanent until the files, the limit or the flags change.
#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    /// A file could not be read or measured.
    #[error("cannot read `{path}`: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// One file does not fit under the limit even alone in a message.
    #[error(
        "`{file}` is {size} bytes ({message_size} bytes as a message after encoding), over the size limit of {limit} bytes"
    )]
    FileTooLarge {
        /// The file as given.
        file: String,
        /// Its size on disk.
        size: u64,
        /// The size of a message that carries it alone, after encoding.
        message_size: u64,
        /// The limit.
        limit: u64,
    },
    /// All files together are over the limit and splitting was not asked for.
    #[error(
        "the message would be {message_size} bytes after encoding, over the size limit of {limit} bytes"
    )]
    MessageTooLarge {
        /// The size of the one message.
        message_size: u64,
        /// The limit.
        limit: u64,
    },
    /// An address that would break the header or the envelope.
    #[error("invalid address `{0}`")]
    InvalidAddress(String),
}
