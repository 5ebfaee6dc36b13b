//! The DATA receiver: finds the end of data, removes dot-stuffing and normalises line endings,
//! streaming, over chunks of any size. It keeps at most two bytes of state (a held `.` and/or
//! `CR`) and never limits the length of a data line: memory use does not depend on the input.
//!
//! # Exact rules
//!
//! A *line ending* is `CRLF`. For a **bare-LF client** (one that sent its `DATA` command with a
//! bare LF; some old devices send the whole session that way) a bare `LF` is a line ending too.
//!
//! * **End of data** is a line consisting of exactly `.`, followed by a line ending, at the
//!   start of the data or after a line ending. For a CRLF client that is only
//!   `CRLF . CRLF`: `LF.LF`, `LF.CRLF` and `CRLF.LF` do *not* end the data (the "SMTP smuggling"
//!   defence: a client that mixes line endings cannot hide a second message from this server
//!   that a downstream server would split off). For a bare-LF client, `.` followed by `LF` or
//!   `CRLF` after either line ending ends the data.
//! * **Dot-unstuffing** (RFC 5321 §4.5.2): when a line starts with `.` and is not the end of
//!   data, that first `.` is removed (`..x` -> `.x`, `.x` -> `x`). For a CRLF client a bare LF
//!   does not start a line, so `LF..` stays `..` (normalised to `CRLF..`), and a `.` line that
//!   "ends" in a bare LF (`CRLF.LF`) loses its dot like any other line starting with `.`.
//! * **Output**: every bare `LF` and every bare `CR` becomes `CRLF`; `CRLF` stays. So the
//!   output has no bare `CR` or `LF` at all, and every later stage (the spool, the gateway's
//!   header fix-up and `From` rewrite, the dot-stuffer on the way out) sees the same lines: a
//!   bare `CR` cannot hide a header line from one stage that another stage would split off.
//!   A bare `CR` is not a line ending for framing: like a bare `LF` from a CRLF client, it
//!   neither ends the data nor starts a line for dot-unstuffing (`CR.CRLF` is content, and
//!   `CR..` stays `..`, normalised to `CRLF..`). The `CRLF` that precedes the terminating `.`
//!   belongs to the message, so the output of a non-empty message ends with `CRLF`.
//! * Bytes after the terminating line are not consumed (pipelined commands).

/// Where the receiver stands between two bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// At the start of a line (or of the data).
    LineStart,
    /// Inside a line.
    Mid,
    /// Holding a `CR` that may start a `CRLF`.
    Cr,
    /// Holding a `.` at the start of a line.
    Dot,
    /// Holding `.` `CR` at the start of a line.
    DotCr,
    /// The end of data has been seen.
    Done,
}

/// Streaming receiver for the content of one DATA command.
#[derive(Debug, Clone)]
pub struct DataReceiver {
    state: State,
    bare_lf_client: bool,
}

/// What one [`DataReceiver::feed`] call did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataProgress {
    /// How many input bytes were used; less than the input only when the end was found.
    pub consumed: usize,
    /// Whether the end of data was found (within the consumed bytes).
    pub ended: bool,
}

impl DataReceiver {
    /// A receiver positioned right after the `DATA` command line. `bare_lf_client`: the client
    /// ended its `DATA` command with a bare LF, so a bare LF also ends lines (see the module doc).
    pub fn new(bare_lf_client: bool) -> DataReceiver {
        DataReceiver {
            state: State::LineStart,
            bare_lf_client,
        }
    }

    /// Whether a bare LF counts as a line ending for this message.
    pub fn bare_lf_client(&self) -> bool {
        self.bare_lf_client
    }

    /// Whether the end of data has been seen.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Appends the message content found in `input` to `out` (unstuffed, CRLF line endings)
    /// and stops right after the end-of-data line if it is in `input`.
    pub fn feed(&mut self, input: &[u8], out: &mut Vec<u8>) -> DataProgress {
        if self.is_done() {
            return DataProgress {
                consumed: 0,
                ended: true,
            };
        }
        out.reserve(input.len() + 2);
        let mut i = 0;
        while i < input.len() {
            if self.state == State::Mid {
                // Inside a line every byte but CR and LF is copied as it is: copy the run at
                // once (`step` would do the same byte by byte; this is most of the message).
                let run = memchr::memchr2(b'\r', b'\n', &input[i..]).unwrap_or(input.len() - i);
                out.extend_from_slice(&input[i..i + run]);
                i += run;
                if i == input.len() {
                    break;
                }
            }
            if self.step(input[i], out) {
                self.state = State::Done;
                return DataProgress {
                    consumed: i + 1,
                    ended: true,
                };
            }
            i += 1;
        }
        DataProgress {
            consumed: input.len(),
            ended: false,
        }
    }

    /// Takes one byte; returns `true` when it completes the end-of-data line.
    fn step(&mut self, b: u8, out: &mut Vec<u8>) -> bool {
        match self.state {
            State::LineStart if b == b'.' => self.state = State::Dot,
            State::LineStart | State::Mid => self.content(b, out),
            State::Cr => match b {
                b'\n' => {
                    out.extend_from_slice(b"\r\n");
                    self.state = State::LineStart;
                }
                // A bare CR: written as CRLF, and the new CR is held in turn.
                b'\r' => out.extend_from_slice(b"\r\n"),
                _ => {
                    out.extend_from_slice(b"\r\n");
                    self.content(b, out);
                }
            },
            State::Dot => match b {
                b'\r' => self.state = State::DotCr,
                b'\n' if self.bare_lf_client => return true,
                // The line is more than "." (for a CRLF client a bare LF does not end it): the
                // leading dot is dropped.
                _ => self.content(b, out),
            },
            State::DotCr => {
                if b == b'\n' {
                    return true;
                }
                // ".\r" then something else: the dot is dropped, the CR is held as usual.
                self.state = State::Cr;
                return self.step(b, out);
            }
            State::Done => return true,
        }
        false
    }

    /// A byte inside a line (or the first byte of a line that is not a dot).
    fn content(&mut self, b: u8, out: &mut Vec<u8>) {
        match b {
            b'\r' => self.state = State::Cr,
            b'\n' => {
                out.extend_from_slice(b"\r\n");
                self.state = if self.bare_lf_client {
                    State::LineStart
                } else {
                    State::Mid
                };
            }
            _ => {
                out.push(b);
                self.state = State::Mid;
            }
        }
    }
}
