//! Dot-stuffing for DATA (RFC 5321 §4.5.2), streaming.
//!
//! [`DotStuffer`] takes message bytes in chunks of any size and writes the wire form: a `.` is
//! doubled at the start of every line, and every line ending becomes CRLF. Bare LF and bare CR
//! are normalised to CRLF so that the upstream server never sees a lone `\n.\n` (the "SMTP
//! smuggling" pattern) in what this client sends. [`DotStuffer::finish`] ends the body with
//! `CRLF.CRLF`.

/// Streaming dot-stuffer; keeps only two bytes of state between chunks.
#[derive(Debug, Clone)]
pub struct DotStuffer {
    at_line_start: bool,
    pending_cr: bool,
    wrote_any: bool,
}

impl Default for DotStuffer {
    fn default() -> Self {
        DotStuffer::new()
    }
}

impl DotStuffer {
    /// A stuffer at the start of a message.
    pub fn new() -> DotStuffer {
        DotStuffer {
            at_line_start: true,
            pending_cr: false,
            wrote_any: false,
        }
    }

    /// Appends the wire form of `input` to `out`.
    pub fn stuff(&mut self, input: &[u8], out: &mut Vec<u8>) {
        out.reserve(input.len() + input.len() / 32 + 4);
        for &b in input {
            if self.pending_cr {
                self.pending_cr = false;
                out.extend_from_slice(b"\r\n");
                self.at_line_start = true;
                if b == b'\n' {
                    continue;
                }
            }
            match b {
                b'\r' => self.pending_cr = true,
                b'\n' => {
                    out.extend_from_slice(b"\r\n");
                    self.at_line_start = true;
                }
                _ => {
                    if self.at_line_start && b == b'.' {
                        out.push(b'.');
                    }
                    out.push(b);
                    self.at_line_start = false;
                }
            }
            self.wrote_any = true;
        }
    }

    /// Appends the end of the body: a line break if the last line has none, then `.CRLF`.
    pub fn finish(mut self, out: &mut Vec<u8>) {
        if self.pending_cr {
            self.pending_cr = false;
            out.extend_from_slice(b"\r\n");
            self.at_line_start = true;
        }
        if self.wrote_any && !self.at_line_start {
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b".\r\n");
    }
}

/// Stuffs a whole message at once (for tests and small messages).
pub fn stuff_all(message: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len() + 8);
    let mut s = DotStuffer::new();
    s.stuff(message, &mut out);
    s.finish(&mut out);
    out
}
