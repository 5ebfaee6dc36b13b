//! Pass 1: a line-oriented scanner that finds every part's byte ranges, headers and decoded
//! size while keeping at most one header field ([`FIELD_CAP`]) and one delimiter candidate
//! ([`PROBE_CAP`]) in memory. Body lines are never buffered: a line that does not start with
//! `-` cannot be a delimiter and streams straight into the part's counting decoder, so a
//! 30 MB base64 body written as one line costs no more memory than a short one.
//!
//! The line break before a delimiter belongs to the delimiter (RFC 2046 §5.1.1), so each body
//! line's break is held back until the next line is known not to be a delimiter.

use super::address::addresses;
use super::decode::{BodyDecoder, Counter, TransferEncoding};
use super::params::HeaderValue;
use super::{Part, SplitError, Structure};

/// The longest line examined as a possible multipart delimiter (boundaries are at most 70
/// characters; the rest is room for transport padding).
pub const PROBE_CAP: usize = 1024;
/// The longest header field the splitter reads (`Content-Type`, `Content-Disposition`, ...,
/// and the message's `To`/`Cc`/`Bcc`); other fields may be any length.
pub const FIELD_CAP: usize = 64 * 1024;
/// The most parts a message may have.
pub const MAX_PARTS: usize = 10_000;
/// The deepest multipart nesting followed.
pub const MAX_DEPTH: usize = 32;

const MAX_BOUNDARY: usize = 200;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Headers(usize),
    /// In a body: a leaf's (with its index) or a multipart's preamble/between parts.
    Body(Option<usize>),
    /// After the outermost multipart closed: nothing more matters.
    Epilogue,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Header,
    Probe,
    Stream,
}

#[derive(Debug)]
struct Line {
    start: u64,
    len: u64,
    buf: Vec<u8>,
    overflow: bool,
    mode: Mode,
    tail: [u8; 2],
}

#[derive(Debug)]
struct Field {
    name: String,
    start: u64,
    end: u64,
    value: Vec<u8>,
}

#[derive(Debug, Default)]
struct Collected {
    content_type: Option<Vec<u8>>,
    encoding: Option<Vec<u8>>,
    disposition: Option<Vec<u8>>,
    content_id: Option<Vec<u8>>,
}

/// The pass-1 scanner: [`feed`](Scanner::feed) the message in any chunking, then
/// [`finish`](Scanner::finish).
#[derive(Debug)]
pub struct Scanner {
    pos: u64,
    line: Line,
    prev_eol: u64,
    state: State,
    parts: Vec<Part>,
    stack: Vec<(Vec<u8>, usize)>,
    field: Option<Field>,
    collected: Collected,
    decoder: Option<(BodyDecoder, Counter)>,
    pending_eol: u64,
    held_cr: bool,
    structure: Structure,
    error: Option<SplitError>,
}

impl Default for Scanner {
    fn default() -> Self {
        Scanner::new()
    }
}

impl Scanner {
    /// A scanner at the start of a message.
    pub fn new() -> Scanner {
        Scanner {
            pos: 0,
            line: Line {
                start: 0,
                len: 0,
                buf: Vec::new(),
                overflow: false,
                mode: Mode::Header,
                tail: [0; 2],
            },
            prev_eol: 0,
            state: State::Headers(0),
            parts: vec![new_part(None, 0, 0)],
            stack: Vec::new(),
            field: None,
            collected: Collected::default(),
            decoder: None,
            pending_eol: 0,
            held_cr: false,
            structure: Structure::default(),
            error: None,
        }
    }

    /// Scans the next bytes of the message.
    ///
    /// # Errors
    /// A [`SplitError`] when a limit is exceeded; the scanner then refuses further input.
    pub fn feed(&mut self, data: &[u8]) -> Result<(), SplitError> {
        if let Some(error) = &self.error {
            return Err(error.clone());
        }
        let mut i = 0;
        while i < data.len() {
            if self.line.len == 0 {
                self.begin_line(data[i]);
            }
            let newline = data[i..].iter().position(|b| *b == b'\n');
            let end = newline.map_or(data.len(), |n| i + n + 1);
            self.take_segment(&data[i..end]);
            i = end;
            if newline.is_some()
                && let Err(error) = self.end_line()
            {
                self.error = Some(error.clone());
                return Err(error);
            }
        }
        Ok(())
    }

    /// Ends the message and returns its structure.
    ///
    /// # Errors
    /// A [`SplitError`] when a limit was exceeded.
    pub fn finish(mut self) -> Result<Structure, SplitError> {
        if let Some(error) = self.error.take() {
            return Err(error);
        }
        if self.line.len > 0 {
            self.end_line()?;
        }
        let end = self.pos;
        match self.state {
            State::Headers(p) => self.end_headers(p, end, end)?,
            State::Body(_) | State::Epilogue => {}
        }
        if let State::Body(Some(p)) = self.state {
            self.flush_pending();
            if self.held_cr {
                self.feed_body(b"\r");
            }
            self.end_body(p, end);
        }
        for (boundary, part) in std::mem::take(&mut self.stack) {
            self.parts[part].body.end = end;
            self.structure.unclosed.push(boundary);
        }
        self.parts[0].body.end = self.parts[0].body.end.max(self.parts[0].body.start);
        self.structure.len = end;
        self.structure.parts = self.parts;
        Ok(self.structure)
    }

    fn begin_line(&mut self, first: u8) {
        self.line.start = self.pos;
        self.line.buf.clear();
        self.line.overflow = false;
        self.line.tail = [0; 2];
        self.line.mode = match self.state {
            State::Headers(_) => Mode::Header,
            State::Body(_) | State::Epilogue if first == b'-' && !self.stack.is_empty() => {
                Mode::Probe
            }
            State::Body(_) | State::Epilogue => Mode::Stream,
        };
        if self.line.mode == Mode::Stream {
            self.flush_pending();
        }
    }

    fn take_segment(&mut self, seg: &[u8]) {
        self.pos += seg.len() as u64;
        self.line.len += seg.len() as u64;
        match seg.len() {
            0 => {}
            1 => self.line.tail = [self.line.tail[1], seg[0]],
            n => self.line.tail = [seg[n - 2], seg[n - 1]],
        }
        match self.line.mode {
            Mode::Stream => self.stream(seg),
            Mode::Header | Mode::Probe => {
                let cap = if self.line.mode == Mode::Header {
                    FIELD_CAP + 2
                } else {
                    PROBE_CAP
                };
                let room = cap.saturating_sub(self.line.buf.len());
                if seg.len() <= room {
                    self.line.buf.extend_from_slice(seg);
                } else if self.line.mode == Mode::Header {
                    self.line.buf.extend_from_slice(&seg[..room]);
                    self.line.overflow = true;
                } else {
                    // Too long for a delimiter: it is body content after all.
                    self.line.mode = Mode::Stream;
                    self.flush_pending();
                    let kept = std::mem::take(&mut self.line.buf);
                    self.stream(&kept);
                    self.stream(seg);
                }
            }
        }
    }

    /// Feeds a streamed body segment, holding back the line break (and a `\r` that may be its
    /// first half).
    fn stream(&mut self, seg: &[u8]) {
        if !matches!(self.state, State::Body(Some(_))) || seg.is_empty() {
            return;
        }
        let mut content = seg;
        if self.held_cr {
            self.held_cr = false;
            if content[0] != b'\n' {
                self.feed_body(b"\r");
            }
        }
        if let Some(rest) = content.strip_suffix(b"\n") {
            content = rest.strip_suffix(b"\r").unwrap_or(rest);
        } else if let Some(rest) = content.strip_suffix(b"\r") {
            self.held_cr = true;
            content = rest;
        }
        self.feed_body(content);
    }

    fn feed_body(&mut self, bytes: &[u8]) {
        if let Some((decoder, counter)) = &mut self.decoder {
            decoder.feed(bytes, counter);
        }
    }

    fn flush_pending(&mut self) {
        let eol: &[u8] = match self.pending_eol {
            2 => b"\r\n",
            1 => b"\n",
            _ => b"",
        };
        self.pending_eol = 0;
        self.feed_body(eol);
    }

    fn end_line(&mut self) -> Result<(), SplitError> {
        let eol = match self.line.tail {
            [b'\r', b'\n'] if self.line.len >= 2 => 2,
            [_, b'\n'] => 1,
            _ => 0,
        };
        let result = match self.state {
            State::Headers(p) => self.header_line(p, eol),
            State::Body(leaf) => self.body_line(leaf, eol),
            State::Epilogue => Ok(()),
        };
        self.prev_eol = eol;
        self.line.len = 0;
        result
    }

    fn content(&self, eol: u64) -> &[u8] {
        if self.line.overflow {
            return &self.line.buf;
        }
        &self.line.buf[..self.line.buf.len() - eol as usize]
    }

    fn body_line(&mut self, leaf: Option<usize>, eol: u64) -> Result<(), SplitError> {
        if self.line.mode == Mode::Probe {
            if let Some((index, close)) = self.match_delimiter(self.content(eol)) {
                return self.delimiter(index, close);
            }
            if leaf.is_some() {
                self.flush_pending();
                let content = self.content(eol).to_vec();
                self.feed_body(&content);
            }
        }
        if leaf.is_some() {
            self.pending_eol = eol;
        }
        Ok(())
    }

    fn header_line(&mut self, p: usize, eol: u64) -> Result<(), SplitError> {
        let line_end = self.line.start + self.line.len;
        let overflow = self.line.overflow;
        let content = self.content(eol).to_vec();
        if content.is_empty() && !overflow {
            return self.end_headers(p, self.line.start, line_end);
        }
        if p != 0
            && content.starts_with(b"--")
            && let Some((index, close)) = self.match_delimiter(&content)
        {
            // A part whose header never ended: its body is empty.
            self.end_headers(p, self.line.start, self.line.start)?;
            return self.delimiter(index, close);
        }
        if matches!(content.first(), Some(b' ' | b'\t')) {
            if let Some(field) = &mut self.field {
                field.value.extend_from_slice(&content);
                field.end = line_end;
                check_field(field, overflow)?;
            }
            return Ok(());
        }
        self.finish_field(p);
        let Some(colon) = content.iter().position(|b| *b == b':') else {
            return Ok(()); // not a header field: skipped, as mail readers do
        };
        let name = String::from_utf8_lossy(&content[..colon])
            .trim()
            .to_ascii_lowercase();
        if is_interesting(&name, p) {
            let field = Field {
                name,
                start: self.line.start,
                end: line_end,
                value: content[colon + 1..].to_vec(),
            };
            check_field(&field, overflow)?;
            self.field = Some(field);
        }
        Ok(())
    }

    fn finish_field(&mut self, p: usize) {
        let Some(field) = self.field.take() else {
            return;
        };
        let slot = match field.name.as_str() {
            "content-type" => &mut self.collected.content_type,
            "content-transfer-encoding" => &mut self.collected.encoding,
            "content-disposition" => &mut self.collected.disposition,
            "content-id" => &mut self.collected.content_id,
            "to" => return self.structure.to.extend(addresses(&field.value)),
            "cc" => return self.structure.cc.extend(addresses(&field.value)),
            "bcc" => return self.structure.bcc.extend(addresses(&field.value)),
            _ => return,
        };
        if p == 0 {
            self.structure
                .root_content_fields
                .push(field.start..field.end);
        }
        if slot.is_none() {
            *slot = Some(field.value);
        }
    }

    fn end_headers(
        &mut self,
        p: usize,
        header_end: u64,
        body_start: u64,
    ) -> Result<(), SplitError> {
        self.finish_field(p);
        let collected = std::mem::take(&mut self.collected);
        let part = &mut self.parts[p];
        part.header_end = header_end;
        part.body = body_start..body_start;
        let content_type = collected
            .content_type
            .as_deref()
            .map(HeaderValue::parse)
            .unwrap_or_default();
        let disposition = collected.disposition.as_deref().map(HeaderValue::parse);
        part.content_type = if content_type.value.contains('/') {
            content_type.value.clone()
        } else {
            "text/plain".to_string()
        };
        part.encoding = collected
            .encoding
            .as_deref()
            .map_or(TransferEncoding::Identity, |v| {
                TransferEncoding::from_header(&String::from_utf8_lossy(v))
            });
        part.filename = disposition
            .as_ref()
            .and_then(|d| d.decoded_param("filename"))
            .or_else(|| content_type.decoded_param("name"));
        part.disposition = disposition.map(|d| d.value).filter(|v| !v.is_empty());
        part.content_id = collected.content_id.map(|id| {
            let id = String::from_utf8_lossy(&id).trim().to_string();
            id.trim_start_matches('<').trim_end_matches('>').to_string()
        });
        let boundary = content_type
            .param("boundary")
            .filter(|b| !b.is_empty() && b.len() <= MAX_BOUNDARY)
            .map(<[u8]>::to_vec);
        match boundary {
            Some(boundary) if part.content_type.starts_with("multipart/") => {
                if self.stack.len() >= MAX_DEPTH {
                    return Err(SplitError::TooDeep { limit: MAX_DEPTH });
                }
                part.boundary = Some(boundary.clone());
                self.stack.push((boundary, p));
                self.state = State::Body(None);
            }
            _ => {
                self.decoder = Some((BodyDecoder::new(part.encoding), Counter::default()));
                self.pending_eol = 0;
                self.held_cr = false;
                self.state = State::Body(Some(p));
            }
        }
        Ok(())
    }

    fn end_body(&mut self, p: usize, end: u64) {
        let part = &mut self.parts[p];
        part.body.end = end.max(part.body.start);
        if let Some((mut decoder, mut counter)) = self.decoder.take() {
            decoder.finish(&mut counter);
            part.decoded_size = counter.0;
        }
        self.pending_eol = 0;
        self.held_cr = false;
    }

    fn match_delimiter(&self, content: &[u8]) -> Option<(usize, bool)> {
        let rest = content.strip_prefix(b"--")?;
        (0..self.stack.len()).rev().find_map(|index| {
            let after = rest.strip_prefix(self.stack[index].0.as_slice())?;
            let (close, pad) = match after.strip_prefix(b"--") {
                Some(pad) => (true, pad),
                None => (false, after),
            };
            pad.iter()
                .all(|b| *b == b' ' || *b == b'\t')
                .then_some((index, close))
        })
    }

    fn delimiter(&mut self, index: usize, close: bool) -> Result<(), SplitError> {
        let delim_pos = self.line.start.saturating_sub(self.prev_eol);
        let multipart = self.stack[index].1;
        // Where the next part's cut may start: never inside a part that just ended (a body
        // that starts right after its blank line ends where that line ended, not before).
        let mut floor = self.parts[multipart].body.start;
        if let State::Body(Some(p)) = self.state {
            self.end_body(p, delim_pos);
            floor = floor.max(self.parts[p].body.end);
        }
        for (_, inner) in self.stack.drain(index + 1..) {
            let part = &mut self.parts[inner];
            part.body.end = delim_pos.max(part.body.start);
            floor = floor.max(part.body.end);
        }
        if close {
            self.stack.pop();
            let part = &mut self.parts[multipart];
            part.body.end = delim_pos.max(part.body.start);
            self.state = if self.stack.is_empty() {
                State::Epilogue
            } else {
                State::Body(None)
            };
            return Ok(());
        }
        if self.parts.len() >= MAX_PARTS {
            return Err(SplitError::TooManyParts { limit: MAX_PARTS });
        }
        let start = delim_pos.max(floor);
        let header_start = self.line.start + self.line.len;
        self.parts
            .push(new_part(Some(multipart), start, header_start));
        self.state = State::Headers(self.parts.len() - 1);
        Ok(())
    }
}

fn new_part(parent: Option<usize>, delim_start: u64, header_start: u64) -> Part {
    Part {
        parent,
        delim_start,
        header_start,
        header_end: header_start,
        body: header_start..header_start,
        content_type: "text/plain".to_string(),
        encoding: TransferEncoding::Identity,
        disposition: None,
        filename: None,
        content_id: None,
        boundary: None,
        decoded_size: 0,
    }
}

fn is_interesting(name: &str, part: usize) -> bool {
    matches!(
        name,
        "content-type" | "content-transfer-encoding" | "content-disposition" | "content-id"
    ) || (part == 0 && matches!(name, "to" | "cc" | "bcc"))
}

fn check_field(field: &Field, overflow: bool) -> Result<(), SplitError> {
    if overflow || field.value.len() > FIELD_CAP {
        return Err(SplitError::HeaderTooLong {
            name: field.name.clone(),
            limit: FIELD_CAP,
        });
    }
    Ok(())
}
