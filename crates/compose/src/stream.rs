//! Streaming a message: header bytes from memory, each file opened when its turn comes, read
//! a chunk at a time and base64-encoded in 76-character lines. Memory stays at a few chunks
//! whatever the files' sizes.

use std::collections::VecDeque;
use std::future::Future;
use std::io;
use std::path::PathBuf;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use tokio::fs::File;
use tokio::io::{AsyncRead, ReadBuf};

/// Input bytes per base64 line (57 bytes make 76 characters).
const LINE_INPUT: usize = 57;
/// Input bytes read from a file at a time (a whole number of lines).
const CHUNK: usize = LINE_INPUT * 1024;

/// The length of `n` bytes as base64 in 76-character lines separated by CRLF (no CRLF after
/// the last line).
pub fn base64_len(n: u64) -> u64 {
    if n == 0 {
        return 0;
    }
    let chars = n.div_ceil(3) * 4;
    let lines = chars.div_ceil(76);
    chars + 2 * (lines - 1)
}

/// Base64 of an inner reader, in lines of 76 characters separated by CRLF.
pub struct Base64Lines<R> {
    inner: R,
    raw: Box<[u8]>,
    raw_len: usize,
    out: Vec<u8>,
    out_pos: usize,
    lines: u64,
    done: bool,
}

impl<R: AsyncRead + Unpin> Base64Lines<R> {
    /// Encodes what `inner` yields.
    pub fn new(inner: R) -> Self {
        Base64Lines {
            inner,
            raw: vec![0u8; CHUNK].into_boxed_slice(),
            raw_len: 0,
            out: Vec::with_capacity(CHUNK / LINE_INPUT * 78),
            out_pos: 0,
            lines: 0,
            done: false,
        }
    }

    /// Encodes `raw[..len]` as lines into `out`.
    fn encode(&mut self, len: usize) {
        self.out.clear();
        self.out_pos = 0;
        for line in self.raw[..len].chunks(LINE_INPUT) {
            if self.lines > 0 {
                self.out.extend_from_slice(b"\r\n");
            }
            let start = self.out.len();
            self.out.resize(start + line.len().div_ceil(3) * 4, 0);
            // The buffer was sized for exactly this line.
            let _ = STANDARD.encode_slice(line, &mut self.out[start..]);
            self.lines += 1;
        }
    }

    /// Reads until a whole chunk is in `raw` or the input ends, then encodes what it has.
    fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.raw_len < CHUNK {
            let mut buf = ReadBuf::new(&mut self.raw[self.raw_len..]);
            ready!(Pin::new(&mut self.inner).poll_read(cx, &mut buf))?;
            let n = buf.filled().len();
            if n == 0 {
                self.done = true;
                break;
            }
            self.raw_len += n;
        }
        let len = self.raw_len;
        self.encode(len);
        self.raw_len = 0;
        Poll::Ready(Ok(()))
    }
}

impl<R: AsyncRead + Unpin> AsyncRead for Base64Lines<R> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            if this.out_pos < this.out.len() {
                let n = (this.out.len() - this.out_pos).min(buf.remaining());
                buf.put_slice(&this.out[this.out_pos..this.out_pos + n]);
                this.out_pos += n;
                return Poll::Ready(Ok(()));
            }
            if this.done {
                return Poll::Ready(Ok(()));
            }
            ready!(this.poll_fill(cx))?;
        }
    }
}

type Opening = Pin<Box<dyn Future<Output = io::Result<File>> + Send>>;

/// A file opened on its first read, which must yield exactly the size it was measured at.
pub(crate) struct SizedFile {
    path: PathBuf,
    expected: u64,
    seen: u64,
    opening: Option<Opening>,
    file: Option<File>,
}

impl SizedFile {
    pub fn new(path: PathBuf, expected: u64) -> Self {
        SizedFile {
            path,
            expected,
            seen: 0,
            opening: None,
            file: None,
        }
    }

    fn changed(&self) -> io::Error {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "`{}` changed while it was being sent (it was {} bytes when measured)",
                self.path.display(),
                self.expected
            ),
        )
    }

    fn poll_open(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let path = self.path.clone();
        let opening = self
            .opening
            .get_or_insert_with(|| Box::pin(File::open(path)));
        let file = ready!(opening.as_mut().poll(cx)).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("cannot open `{}`: {e}", self.path.display()),
            )
        })?;
        self.file = Some(file);
        self.opening = None;
        Poll::Ready(Ok(()))
    }
}

impl AsyncRead for SizedFile {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.file.is_none() {
            ready!(this.poll_open(cx))?;
        }
        let Some(file) = this.file.as_mut() else {
            return Poll::Ready(Ok(()));
        };
        let before = buf.filled().len();
        ready!(Pin::new(file).poll_read(cx, buf)).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("cannot read `{}`: {e}", this.path.display()),
            )
        })?;
        let n = (buf.filled().len() - before) as u64;
        this.seen += n;
        if this.seen > this.expected || (n == 0 && this.seen != this.expected) {
            return Poll::Ready(Err(this.changed()));
        }
        Poll::Ready(Ok(()))
    }
}

/// One piece of a message.
pub(crate) type Piece = Box<dyn AsyncRead + Send + Unpin>;

/// A whole message as one reader: its pieces one after the other.
pub struct MessageReader {
    pieces: VecDeque<Piece>,
}

impl MessageReader {
    pub(crate) fn new(pieces: Vec<Piece>) -> Self {
        MessageReader {
            pieces: pieces.into(),
        }
    }
}

impl AsyncRead for MessageReader {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        while let Some(piece) = this.pieces.front_mut() {
            let before = buf.filled().len();
            ready!(Pin::new(piece).poll_read(cx, buf))?;
            if buf.filled().len() > before || buf.remaining() == 0 {
                return Poll::Ready(Ok(()));
            }
            this.pieces.pop_front();
        }
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    #[tokio::test]
    async fn base64_lines_match_the_length_formula_and_decode() {
        for n in [
            0usize,
            1,
            2,
            3,
            56,
            57,
            58,
            114,
            CHUNK - 1,
            CHUNK,
            CHUNK + 1,
            3 * CHUNK + 7,
        ] {
            let data: Vec<u8> = (0..n).map(|i| (i * 7 % 251) as u8).collect();
            let mut enc = Vec::new();
            Base64Lines::new(&data[..])
                .read_to_end(&mut enc)
                .await
                .unwrap();
            assert_eq!(enc.len() as u64, base64_len(n as u64), "n={n}");
            assert!(enc.split(|&b| b == b'\n').all(|l| l.len() <= 77), "n={n}");
            let joined: Vec<u8> = enc
                .iter()
                .copied()
                .filter(|b| !b"\r\n".contains(b))
                .collect();
            assert_eq!(STANDARD.decode(joined).unwrap(), data, "n={n}");
        }
    }
}
