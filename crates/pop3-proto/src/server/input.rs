//! The server session's input buffer and line splitter.
//!
//! Lines end in LF with an optional CR before it. A line longer than the limit is dropped as it
//! arrives (the buffer never holds more than the limit plus one driver read) and reported once,
//! when its LF finally comes, so the next line is read in step: an over-long line never
//! desynchronises the session.

/// A line taken from the buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Line {
    /// A line within the limit, without its line ending.
    Complete(Vec<u8>),
    /// A line over the limit; its bytes are gone.
    TooLong,
}

/// Bytes received and not yet used.
#[derive(Debug, Default)]
pub(super) struct Input {
    buf: Vec<u8>,
    pos: usize,
    /// Dropping an over-long line up to its LF.
    discarding: bool,
}

impl Input {
    /// Appends bytes. While an over-long line is being dropped, bytes before its LF are not kept.
    pub(super) fn push(&mut self, bytes: &[u8]) {
        if self.pos > 0 {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        let bytes = if self.discarding && self.buf.is_empty() {
            match bytes.iter().position(|&b| b == b'\n') {
                Some(nl) => &bytes[nl..],
                None => return,
            }
        } else {
            bytes
        };
        self.buf.extend_from_slice(bytes);
    }

    /// Forgets everything buffered (STLS, QUIT, close).
    pub(super) fn clear(&mut self) {
        self.buf.clear();
        self.pos = 0;
        self.discarding = false;
    }

    /// How many bytes are buffered.
    pub(super) fn len(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// Takes the next line if a whole one is buffered. `max` is the longest line accepted,
    /// without its line ending.
    pub(super) fn next_line(&mut self, max: usize) -> Option<Line> {
        let rest = &self.buf[self.pos..];
        let Some(nl) = rest.iter().position(|&b| b == b'\n') else {
            // `max + 1`: a line of exactly `max` may be waiting for the LF after its CR.
            if self.discarding || rest.len() > max.saturating_add(1) {
                self.discarding = true;
                self.buf.clear();
                self.pos = 0;
            }
            return None;
        };
        let raw = &rest[..nl];
        let text = raw.strip_suffix(b"\r").unwrap_or(raw);
        let line = if self.discarding || text.len() > max {
            Line::TooLong
        } else {
            Line::Complete(text.to_vec())
        };
        self.discarding = false;
        self.pos += nl + 1;
        if self.pos == self.buf.len() {
            self.buf.clear();
            self.pos = 0;
        }
        Some(line)
    }
}
