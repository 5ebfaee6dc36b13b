//! Streaming header fix-up for received messages: a `Received:` trace header on top, and the
//! `From:`, `Date:` and `Message-ID:` fields that scanners often leave out, added at the end of
//! the header block.
//!
//! Only the header block is buffered, and at most [`HEADER_CAP`] bytes of it; past that no
//! field is added and the header lines stream through as they complete. Header lines longer
//! than 998 octets are folded on the way (see [`super::fold`]); one that cannot be folded
//! marks the message [`HeaderFixer::refused`]. The body is never looked at or held. Input is
//! the content as the session hands it over: unstuffed, CRLF line endings. Bcc recipients exist
//! only in the envelope; nothing here adds them to the header.

use super::fold::{MAX_LINE, fold_into, fold_point};
use crate::dates::rfc5322_date;
use crate::header::{field_name, find_crlf};

/// The most header bytes held while looking for missing fields.
pub(crate) const HEADER_CAP: usize = 64 * 1024;

/// Facts for the added header fields.
#[derive(Debug, Clone)]
pub(crate) struct Trace {
    /// The complete `Received:` field, CRLF-terminated.
    pub received: String,
    /// The envelope sender (empty for `<>`).
    pub mail_from: String,
    /// The gateway's host name.
    pub hostname: String,
    /// Seconds since the Unix epoch, for `Date:`.
    pub now: u64,
    /// A unique left-hand side for `Message-ID:`.
    pub unique: String,
}

/// What the fixer is doing.
#[derive(Debug)]
enum State {
    /// Holding the header block; `scanned` bytes of it are complete, checked lines.
    Scanning { buf: Vec<u8>, scanned: usize },
    /// Past [`HEADER_CAP`] and still in the header block: each line is written out as soon as
    /// it is complete (or folded); `line` holds the rest, at most [`MAX_LINE`] + a chunk.
    Streaming { line: Vec<u8> },
    /// Headers done: everything passes through.
    Passing,
}

/// The streaming header fixer; see the module doc.
#[derive(Debug)]
pub(crate) struct HeaderFixer {
    trace: Trace,
    state: State,
    seen: Seen,
    /// A header line was too long and could not be folded: the message must be refused.
    refused: bool,
}

#[derive(Debug, Default, Clone, Copy)]
struct Seen {
    from: bool,
    date: bool,
    message_id: bool,
}

/// How a header-block line ends the scan, if it does.
enum LineKind {
    Field,
    Continuation,
    Blank,
    NotHeader,
}

impl HeaderFixer {
    pub fn new(trace: Trace) -> HeaderFixer {
        HeaderFixer {
            trace,
            state: State::Scanning {
                buf: Vec::new(),
                scanned: 0,
            },
            seen: Seen::default(),
            refused: false,
        }
    }

    /// Whether a header line longer than 998 octets could not be folded: the message must be
    /// refused with [`super::fold::long_header_reply`]; what was written out is incomplete.
    pub fn refused(&self) -> bool {
        self.refused
    }

    /// Takes the next content chunk; appends to `out` what can be written now.
    pub fn push(&mut self, chunk: &[u8], out: &mut Vec<u8>) {
        match &mut self.state {
            State::Scanning { buf, .. } => {
                buf.extend_from_slice(chunk);
                self.scan(out);
            }
            State::Streaming { line } => {
                line.extend_from_slice(chunk);
                self.stream(out);
            }
            State::Passing => out.extend_from_slice(chunk),
        }
    }

    /// The end of data: appends whatever is still held.
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        let (buf, scanned) = match std::mem::replace(&mut self.state, State::Passing) {
            State::Scanning { buf, scanned } => (buf, scanned),
            State::Streaming { line } => return out.extend_from_slice(&line),
            State::Passing => return,
        };
        out.extend_from_slice(self.trace.received.as_bytes());
        if scanned == buf.len() {
            // Only header lines (or nothing): the missing fields go at the end.
            out.extend_from_slice(&buf);
            self.missing_fields(out);
            if buf.is_empty() {
                out.extend_from_slice(b"\r\n");
            }
        } else {
            // An unterminated last line: leave the message as it is.
            out.extend_from_slice(&buf);
        }
    }

    /// Checks the complete lines not yet checked (folding long ones in place); emits
    /// everything once the block ends, or what is complete once it outgrows [`HEADER_CAP`].
    fn scan(&mut self, out: &mut Vec<u8>) {
        let State::Scanning { buf, scanned } = &mut self.state else {
            return;
        };
        while let Some(len) = find_crlf(&buf[*scanned..]) {
            let line = &buf[*scanned..*scanned + len];
            let kind = classify(line, *scanned == 0);
            match kind {
                LineKind::Field | LineKind::Continuation => {
                    if matches!(kind, LineKind::Field) {
                        note_field(line, &mut self.seen);
                    }
                    if len > MAX_LINE {
                        let mut folded = Vec::with_capacity(len + len / MAX_LINE * 2 + 2);
                        if fold_into(line, &mut folded).is_err() {
                            return self.refuse();
                        }
                        let end = *scanned + len + 2;
                        buf.splice(*scanned..end, folded.iter().copied());
                        *scanned += folded.len();
                    } else {
                        *scanned += len + 2;
                    }
                }
                LineKind::Blank => return self.emit(true, out),
                LineKind::NotHeader => return self.emit(false, out),
            }
        }
        if buf.len() > HEADER_CAP {
            out.extend_from_slice(self.trace.received.as_bytes());
            out.extend_from_slice(&buf[..*scanned]);
            let line = buf.split_off(*scanned);
            self.state = State::Streaming { line };
            self.stream(out);
        }
    }

    /// Past the cap: writes out each complete header line (folded if long), and folds the
    /// line still coming once it is too long, so nothing more than a line is ever held.
    fn stream(&mut self, out: &mut Vec<u8>) {
        let State::Streaming { line } = &mut self.state else {
            return;
        };
        loop {
            if let Some(len) = find_crlf(line) {
                match classify(&line[..len], false) {
                    LineKind::Field | LineKind::Continuation => {
                        if fold_into(&line[..len], out).is_err() {
                            return self.refuse();
                        }
                        line.drain(..len + 2);
                    }
                    LineKind::Blank | LineKind::NotHeader => {
                        out.append(line);
                        self.state = State::Passing;
                        return;
                    }
                }
            } else if line.len() > MAX_LINE + 1 {
                // Too long already, and more is coming: fold what is there.
                if !matches!(
                    classify(line, false),
                    LineKind::Field | LineKind::Continuation
                ) {
                    out.append(line);
                    self.state = State::Passing;
                    return;
                }
                let Some(at) = fold_point(line) else {
                    return self.refuse();
                };
                out.extend_from_slice(&line[..at]);
                out.extend_from_slice(b"\r\n");
                line.drain(..at);
            } else {
                return;
            }
        }
    }

    /// A header line cannot be folded: the message is refused, the rest is not looked at.
    fn refuse(&mut self) {
        self.refused = true;
        self.state = State::Passing;
    }

    /// The header block ended at `scanned`: trace header, the fields seen, the missing ones, a
    /// blank line if the message had none, then the rest.
    fn emit(&mut self, had_blank: bool, out: &mut Vec<u8>) {
        let State::Scanning { buf, scanned } = std::mem::replace(&mut self.state, State::Passing)
        else {
            return;
        };
        out.extend_from_slice(self.trace.received.as_bytes());
        out.extend_from_slice(&buf[..scanned]);
        self.missing_fields(out);
        if !had_blank {
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(&buf[scanned..]);
    }

    fn missing_fields(&self, out: &mut Vec<u8>) {
        let t = &self.trace;
        if !self.seen.from {
            let from = if t.mail_from.is_empty() {
                format!("MAILER-DAEMON@{}", t.hostname)
            } else {
                t.mail_from.clone()
            };
            out.extend_from_slice(format!("From: <{from}>\r\n").as_bytes());
        }
        if !self.seen.date {
            out.extend_from_slice(format!("Date: {}\r\n", rfc5322_date(t.now)).as_bytes());
        }
        if !self.seen.message_id {
            let id = format!("Message-ID: <{}@{}>\r\n", t.unique, t.hostname);
            out.extend_from_slice(id.as_bytes());
        }
    }
}

fn classify(line: &[u8], first: bool) -> LineKind {
    match line.first() {
        None => LineKind::Blank,
        Some(b' ' | b'\t') if !first => LineKind::Continuation,
        Some(_) if field_name(line).is_some() => LineKind::Field,
        Some(_) => LineKind::NotHeader,
    }
}

fn note_field(line: &[u8], seen: &mut Seen) {
    let name = field_name(line).unwrap_or_default();
    if name.eq_ignore_ascii_case(b"from") {
        seen.from = true;
    } else if name.eq_ignore_ascii_case(b"date") {
        seen.date = true;
    } else if name.eq_ignore_ascii_case(b"message-id") {
        seen.message_id = true;
    }
}

/// The wall clock, in seconds since the Unix epoch: the one place the listener reads it.
pub(crate) fn now_unix() -> u64 {
    crate::time::unix_now()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trace() -> Trace {
        Trace {
            received: "Received: x\r\n".into(),
            mail_from: "scan@mfp.example".into(),
            hostname: "gw.example".into(),
            now: 1_704_207_845,
            unique: "u1".into(),
        }
    }

    fn fix(chunks: &[&[u8]]) -> String {
        let mut f = HeaderFixer::new(trace());
        let mut out = Vec::new();
        for c in chunks {
            f.push(c, &mut out);
        }
        f.finish(&mut out);
        String::from_utf8(out).unwrap()
    }

    const ADDED: &str = "From: <scan@mfp.example>\r\nDate: Tue, 02 Jan 2024 15:04:05 +0000\r\nMessage-ID: <u1@gw.example>\r\n";

    #[test]
    fn complete_headers_pass_unchanged() {
        let msg = "From: a@b\r\nDate: x\r\nMessage-ID: <1@b>\r\nSubject: s\r\n\r\nbody\r\n";
        assert_eq!(fix(&[msg.as_bytes()]), format!("Received: x\r\n{msg}"));
    }

    #[test]
    fn missing_fields_added_across_chunk_boundaries() {
        let out = fix(&[
            b"Subj",
            b"ect: scan\r",
            b"\n To: folded\r\n\r",
            b"\nbody\r\n",
        ]);
        let want = format!("Received: x\r\nSubject: scan\r\n To: folded\r\n{ADDED}\r\nbody\r\n");
        assert_eq!(out, want);
    }

    #[test]
    fn body_without_headers_gets_a_header_block() {
        let out = fix(&[b"hello\r\n"]);
        assert_eq!(out, format!("Received: x\r\n{ADDED}\r\nhello\r\n"));
    }

    #[test]
    fn headers_only_and_empty() {
        assert_eq!(
            fix(&[b"Subject: s\r\n"]),
            format!("Received: x\r\nSubject: s\r\n{ADDED}")
        );
        assert_eq!(fix(&[]), format!("Received: x\r\n{ADDED}\r\n"));
    }

    #[test]
    fn from_with_a_space_before_the_colon_is_a_from_field() {
        // (message, whether a From field is added)
        let cases = [
            ("From : a@b\r\nSubject: s\r\n\r\nbody\r\n", false),
            ("From\t: a@b\r\nSubject: s\r\n\r\nbody\r\n", false),
            ("FROM  :a@b\r\nSubject: s\r\n\r\nbody\r\n", false),
            ("X-From : a@b\r\nSubject: s\r\n\r\nbody\r\n", true),
        ];
        for (msg, adds_from) in cases {
            let out = fix(&[msg.as_bytes()]);
            assert_eq!(
                out.matches("From: <scan@").count(),
                usize::from(adds_from),
                "{msg:?}"
            );
            let head = &out[..out.find("\r\n\r\n").unwrap()];
            assert!(
                head.contains("Subject: s"),
                "block ended early for {msg:?}:\n{out}"
            );
            assert!(
                head.contains("Date: ") && head.contains("Message-ID: "),
                "{out}"
            );
        }
    }

    /// Feeds `msg` in chunks of `size`; returns the output and whether it was refused.
    fn fix_in(msg: &[u8], size: usize) -> (Vec<u8>, bool) {
        let mut f = HeaderFixer::new(trace());
        let mut out = Vec::new();
        for c in msg.chunks(size) {
            f.push(c, &mut out);
        }
        f.finish(&mut out);
        (out, f.refused())
    }

    fn longest_header_line(out: &[u8]) -> usize {
        let end = out
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap_or(out.len());
        out[..end]
            .split(|&b| b == b'\n')
            .map(|l| l.strip_suffix(b"\r").unwrap_or(l).len())
            .max()
            .unwrap_or(0)
    }

    fn subject_of_words(n: usize) -> Vec<u8> {
        let mut subject = b"Subject:".to_vec();
        for i in 0..n {
            subject.extend_from_slice(format!(" word{i}").as_bytes());
        }
        subject
    }

    /// Regression (issue 6, item 11): header lines over 998 octets were relayed as they were
    /// (a provider refuses them); now they are folded at whitespace, wherever they are in the
    /// header block and however the data is chunked.
    #[test]
    fn long_header_lines_are_folded_at_whitespace() {
        let subject = subject_of_words(400);
        let short = b"From: a@b\r\nDate: x\r\nMessage-ID: <1@b>\r\n".to_vec();
        let mut late = Vec::new();
        while late.len() <= HEADER_CAP {
            late.extend_from_slice(b"X-Filler: 0123456789012345678901234567890123456789\r\n");
        }
        // (header lines before the long one; whether fields are added, if that is known: past
        // the cap it depends on how the data is chunked)
        let cases = [
            (short.clone(), Some(false)),
            (Vec::new(), Some(true)),
            (late, None),
        ];
        for (before, adds) in cases {
            let msg = [&before[..], &subject, b"\r\n\r\nbody\r\n"].concat();
            for size in [1, 7, 1000, 1 << 20] {
                let (out, refused) = fix_in(&msg, size);
                assert!(!refused);
                assert!(longest_header_line(&out) <= 998, "chunks of {size}");
                let unfolded: Vec<u8> = String::from_utf8(out.clone())
                    .unwrap()
                    .replace("\r\n ", " ")
                    .into_bytes();
                let want = [&before[..], &subject, b"\r\n"].concat();
                assert!(
                    unfolded.windows(want.len()).any(|w| w == want),
                    "the unfolded header is not the original (chunks of {size})"
                );
                assert!(out.ends_with(b"\r\n\r\nbody\r\n"));
                let added = String::from_utf8_lossy(&out).contains("Message-ID: <u1@");
                assert!(adds.is_none_or(|adds| adds == added), "chunks of {size}");
            }
        }
    }

    #[test]
    fn a_header_line_that_cannot_be_folded_refuses_the_message() {
        let blob = [b"X-Blob: ".as_slice(), &[b'A'; 1500]].concat();
        let mut late = Vec::new();
        while late.len() <= HEADER_CAP {
            late.extend_from_slice(b"X-Filler: 0123456789012345678901234567890123456789\r\n");
        }
        for before in [Vec::new(), late] {
            let msg = [&before[..], &blob, b"\r\n\r\nbody\r\n"].concat();
            for size in [1, 1000, 1 << 20] {
                assert!(fix_in(&msg, size).1, "chunks of {size}");
            }
        }
        // A long line in the body is not a header line.
        let body = [b"Subject: s\r\n\r\n".as_slice(), &[b'A'; 1500], b"\r\n"].concat();
        assert!(!fix_in(&body, 100).1);
    }

    #[test]
    fn huge_header_block_passes_through() {
        let mut msg = Vec::new();
        while msg.len() <= 2 * HEADER_CAP {
            msg.extend_from_slice(b"X-Filler: 0123456789012345678901234567890123456789\r\n");
        }
        msg.extend_from_slice(b"\r\nbody\r\n");
        let chunks: Vec<&[u8]> = msg.chunks(1000).collect();
        let out = fix(&chunks);
        assert_eq!(
            out.as_bytes(),
            [b"Received: x\r\n".as_slice(), &msg].concat()
        );
    }
}
