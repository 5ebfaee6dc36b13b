//! Multi-line bodies (RFC 1939 §3), streaming both ways: [`BodyDecoder`] removes the
//! byte-stuffing and finds the terminating `.` line (client side: `RETR`, `TOP`, and the
//! listings), [`BodyEncoder`] adds them (server side), and for `TOP` stops after the header and
//! the requested number of body lines.
//!
//! Both keep a few bytes of state between chunks and never hold a line, so memory does not
//! depend on the message or its line lengths: a 1 GB message goes through in read-sized pieces.
//!
//! # Decoder rules
//!
//! A line starts at the beginning of the body or after an LF (so after CRLF, and after a bare
//! LF from a server that sends those). A `.` at the start of a line is removed (RFC 1939:
//! "the first octet is stripped away"; `..x` becomes `.x`, a stray `.x` becomes `x`). If what
//! remains of that line is empty (the `.` is followed by CRLF or a bare LF), it is the end of
//! the body and its bytes are not content. Everything else, line endings included, is passed
//! through as received: content is not normalised. Bytes after the terminating line are not
//! consumed (the next response).

/// What one [`BodyDecoder::feed`] call did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Input bytes used; fewer than given only when the end was found.
    pub consumed: usize,
    /// Whether the terminating line was found (within the consumed bytes).
    pub ended: bool,
}

/// Where the decoder stands between two bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// At the start of a line.
    LineStart,
    /// Inside a line.
    Mid,
    /// A `.` was removed at the start of a line.
    Dot,
    /// `.` then CR at the start of a line (the CR is held).
    DotCr,
    /// The terminating line has been read.
    Done,
}

/// Streaming decoder for one multi-line body (after its `+OK` line).
#[derive(Debug, Clone)]
pub struct BodyDecoder {
    state: State,
}

impl Default for BodyDecoder {
    fn default() -> Self {
        BodyDecoder::new()
    }
}

impl BodyDecoder {
    /// A decoder at the start of a body.
    pub fn new() -> BodyDecoder {
        BodyDecoder {
            state: State::LineStart,
        }
    }

    /// Whether the terminating line has been read.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Appends the content found in `input` to `out` and stops right after the terminating
    /// line if it is in `input`.
    pub fn feed(&mut self, input: &[u8], out: &mut Vec<u8>) -> Progress {
        if self.is_done() {
            return Progress {
                consumed: 0,
                ended: true,
            };
        }
        let mut i = 0;
        while i < input.len() {
            if self.state == State::Mid {
                // The fast path: copy up to and including the next LF.
                let rest = &input[i..];
                let Some(nl) = rest.iter().position(|&b| b == b'\n') else {
                    out.extend_from_slice(rest);
                    break;
                };
                out.extend_from_slice(&rest[..=nl]);
                i += nl + 1;
                self.state = State::LineStart;
                continue;
            }
            let b = input[i];
            i += 1;
            if self.step(b, out) {
                self.state = State::Done;
                return Progress {
                    consumed: i,
                    ended: true,
                };
            }
        }
        Progress {
            consumed: input.len(),
            ended: false,
        }
    }

    /// Takes one byte outside the fast path; `true` when it completes the terminating line.
    fn step(&mut self, b: u8, out: &mut Vec<u8>) -> bool {
        match self.state {
            State::LineStart if b == b'.' => self.state = State::Dot,
            State::LineStart | State::Mid => self.content(b, out),
            State::Dot => match b {
                b'\n' => return true,
                b'\r' => self.state = State::DotCr,
                _ => self.content(b, out),
            },
            State::DotCr => {
                if b == b'\n' {
                    return true;
                }
                // `.` CR x: the dot was stuffing, the CR is content.
                out.push(b'\r');
                self.state = State::Mid;
                return self.step(b, out);
            }
            State::Done => return true,
        }
        false
    }

    fn content(&mut self, b: u8, out: &mut Vec<u8>) {
        out.push(b);
        self.state = if b == b'\n' {
            State::LineStart
        } else {
            State::Mid
        };
    }
}

/// Decodes a whole body (for tests and small bodies): the content and the bytes used, or
/// `None` if `wire` holds no terminating line.
pub fn decode_all(wire: &[u8]) -> Option<(Vec<u8>, usize)> {
    let mut out = Vec::with_capacity(wire.len());
    let progress = BodyDecoder::new().feed(wire, &mut out);
    progress.ended.then_some((out, progress.consumed))
}

/// The `TOP` budget: the header, its blank line, then this many body lines.
#[derive(Debug, Clone, Copy)]
struct Top {
    in_header: bool,
    lines_left: u32,
}

/// Streaming encoder for a message body the server sends after `+OK` (RETR, TOP).
///
/// Every line ending (CRLF, bare LF, bare CR) goes out as CRLF, a `.` at the start of a line is
/// doubled, and [`BodyEncoder::finish`] ends the last line if needed and writes `.CRLF`. So the
/// wire form never holds a bare CR or LF, and nothing in a message can end the response early.
#[derive(Debug, Clone)]
pub struct BodyEncoder {
    at_line_start: bool,
    pending_cr: bool,
    top: Option<Top>,
    done: bool,
}

impl Default for BodyEncoder {
    fn default() -> Self {
        BodyEncoder::new()
    }
}

impl BodyEncoder {
    /// An encoder for a whole message (`RETR`).
    pub fn new() -> BodyEncoder {
        BodyEncoder {
            at_line_start: true,
            pending_cr: false,
            top: None,
            done: false,
        }
    }

    /// An encoder for `TOP msg lines`: the header, the blank line after it, then at most
    /// `lines` lines of the body; the rest of the input is ignored.
    pub fn top(lines: u32) -> BodyEncoder {
        BodyEncoder {
            top: Some(Top {
                in_header: true,
                lines_left: lines,
            }),
            ..BodyEncoder::new()
        }
    }

    /// Whether everything `TOP` wants has been written: the driver may stop reading the
    /// message (further input would be ignored). Never true for `RETR`.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// Appends the wire form of `input` to `out`.
    pub fn encode(&mut self, input: &[u8], out: &mut Vec<u8>) {
        out.reserve(input.len() + input.len() / 32 + 4);
        let mut i = 0;
        while i < input.len() && !self.done {
            if !self.at_line_start && !self.pending_cr {
                // The fast path: copy up to the next CR or LF.
                let rest = &input[i..];
                let run = rest
                    .iter()
                    .position(|&b| b == b'\r' || b == b'\n')
                    .unwrap_or(rest.len());
                out.extend_from_slice(&rest[..run]);
                i += run;
                if i == input.len() {
                    break;
                }
            }
            self.byte(input[i], out);
            i += 1;
        }
    }

    fn byte(&mut self, b: u8, out: &mut Vec<u8>) {
        if self.pending_cr {
            self.pending_cr = false;
            self.end_line(out);
            if b == b'\n' || self.done {
                return;
            }
        }
        match b {
            b'\r' => self.pending_cr = true,
            b'\n' => self.end_line(out),
            _ => {
                if self.at_line_start && b == b'.' {
                    out.push(b'.');
                }
                out.push(b);
                self.at_line_start = false;
            }
        }
    }

    fn end_line(&mut self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"\r\n");
        let was_empty = self.at_line_start;
        self.at_line_start = true;
        let Some(top) = &mut self.top else {
            return;
        };
        if top.in_header {
            top.in_header = !was_empty;
        } else {
            top.lines_left = top.lines_left.saturating_sub(1);
        }
        self.done = !top.in_header && top.lines_left == 0;
    }

    /// Appends the end: a line ending if the last line has none, then `.CRLF`.
    pub fn finish(mut self, out: &mut Vec<u8>) {
        if self.pending_cr {
            self.pending_cr = false;
            self.end_line(out);
        }
        if !self.at_line_start {
            self.end_line(out);
        }
        out.extend_from_slice(b".\r\n");
    }
}

/// Encodes a whole message at once (for tests and small messages).
pub fn encode_all(message: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len() + 8);
    let mut encoder = BodyEncoder::new();
    encoder.encode(message, &mut out);
    encoder.finish(&mut out);
    out
}
