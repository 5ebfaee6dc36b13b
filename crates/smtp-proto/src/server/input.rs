//! The session's input buffer and line splitter.
//!
//! Lines end in LF with an optional CR before it. A line longer than the limit is dropped as it
//! arrives (the buffer never holds more than the limit plus one driver read) and reported once,
//! when its LF finally comes.

/// A line taken from the buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Line {
    /// A line within the limit, without its line ending.
    Complete {
        /// The text.
        text: Vec<u8>,
        /// Whether it ended in CRLF (`false`: bare LF).
        crlf: bool,
    },
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

    /// Forgets everything buffered (STARTTLS, QUIT).
    pub(super) fn clear(&mut self) {
        self.buf.clear();
        self.pos = 0;
        self.discarding = false;
    }

    /// The unused bytes.
    pub(super) fn remaining(&self) -> &[u8] {
        &self.buf[self.pos..]
    }

    /// Marks `n` bytes of [`Input::remaining`] as used.
    pub(super) fn consume(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.buf.len());
        if self.pos == self.buf.len() {
            self.buf.clear();
            self.pos = 0;
        }
    }

    /// Takes the next line if a whole one is buffered. `max` is the longest line accepted,
    /// without its line ending.
    pub(super) fn next_line(&mut self, max: usize) -> Option<Line> {
        let rest = self.remaining();
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
        let (text, crlf) = match raw.strip_suffix(b"\r") {
            Some(text) => (text, true),
            None => (raw, false),
        };
        let line = if self.discarding || text.len() > max {
            Line::TooLong
        } else {
            Line::Complete {
                text: text.to_vec(),
                crlf,
            }
        };
        self.discarding = false;
        self.consume(nl + 1);
        Some(line)
    }
}
