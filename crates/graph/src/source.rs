//! The message to send, as something that can be read from the start more than once (the
//! splitter reads it up to three times instead of holding it in memory).

use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;

use bytes::Bytes;
use futures_util::future::BoxFuture;
use tokio::io::AsyncRead;

/// A reader over the message.
pub type MessageReader = Pin<Box<dyn AsyncRead + Send>>;

/// A message that can be opened and read from its start any number of times.
pub trait MessageSource: Send + Sync {
    /// Opens a reader at the first byte.
    fn open(&self) -> BoxFuture<'_, io::Result<MessageReader>>;
    /// The message's length in bytes (as of when the source was made).
    fn len(&self) -> u64;
    /// Whether the message is empty.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A message in a file (the spool's body file).
#[derive(Clone, Debug)]
pub struct FileSource {
    path: PathBuf,
    len: u64,
}

impl FileSource {
    /// A source for the file at `path`, whose length is read now.
    ///
    /// # Errors
    /// When the file cannot be examined; the error names the path.
    pub async fn new(path: impl AsRef<Path>) -> io::Result<FileSource> {
        let path = path.as_ref().to_path_buf();
        let meta = tokio::fs::metadata(&path)
            .await
            .map_err(|e| with_path(e, "examine", &path))?;
        Ok(FileSource {
            len: meta.len(),
            path,
        })
    }
}

fn with_path(e: io::Error, what: &str, path: &Path) -> io::Error {
    io::Error::new(
        e.kind(),
        format!("failed to {what} `{}`: {e}", path.display()),
    )
}

impl MessageSource for FileSource {
    fn open(&self) -> BoxFuture<'_, io::Result<MessageReader>> {
        Box::pin(async move {
            let file = tokio::fs::File::open(&self.path)
                .await
                .map_err(|e| with_path(e, "open", &self.path))?;
            Ok(Box::pin(file) as MessageReader)
        })
    }

    fn len(&self) -> u64 {
        self.len
    }
}

/// A message held in memory (tests, small messages).
#[derive(Clone, Debug)]
pub struct BytesSource(Bytes);

impl BytesSource {
    /// Wraps the message bytes.
    pub fn new(bytes: impl Into<Bytes>) -> BytesSource {
        BytesSource(bytes.into())
    }
}

impl MessageSource for BytesSource {
    fn open(&self) -> BoxFuture<'_, io::Result<MessageReader>> {
        let cursor = io::Cursor::new(self.0.clone());
        Box::pin(async move { Ok(Box::pin(cursor) as MessageReader) })
    }

    fn len(&self) -> u64 {
        self.0.len() as u64
    }
}
