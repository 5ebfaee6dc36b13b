//! Streaming decoders for part bodies (base64, quoted-printable, identity).
//!
//! The splitter runs the same decoder twice over the same bytes: once counting (pass 1, to
//! learn an attachment's exact decoded size before the upload session is created) and once
//! producing bytes (pass 3, straight into the upload chunks), so the size declared to Graph
//! and the bytes sent always agree. Decoders are lenient the way mail readers are: base64
//! skips everything outside its alphabet (line breaks, padding, stray spaces); a
//! quoted-printable `=` that starts no valid escape is kept as it is.

/// A part's `Content-Transfer-Encoding`, as far as decoding is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransferEncoding {
    /// `base64`.
    Base64,
    /// `quoted-printable`.
    QuotedPrintable,
    /// `7bit`, `8bit`, `binary`, absent or unknown: the body bytes are the content.
    Identity,
}

impl TransferEncoding {
    /// Reads a `Content-Transfer-Encoding` value (case-insensitive, surrounding space ignored).
    pub fn from_header(value: &str) -> TransferEncoding {
        let value = value.trim();
        if value.eq_ignore_ascii_case("base64") {
            TransferEncoding::Base64
        } else if value.eq_ignore_ascii_case("quoted-printable") {
            TransferEncoding::QuotedPrintable
        } else {
            TransferEncoding::Identity
        }
    }
}

/// Where decoded bytes go: a counter (pass 1) or a buffer (pass 3).
pub trait Sink {
    /// Takes decoded bytes.
    fn put(&mut self, bytes: &[u8]);
}

impl Sink for Vec<u8> {
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

/// Counts decoded bytes without keeping them.
#[derive(Debug, Default)]
pub struct Counter(pub u64);

impl Sink for Counter {
    fn put(&mut self, bytes: &[u8]) {
        self.0 += bytes.len() as u64;
    }
}

/// A streaming body decoder: feed body bytes in any chunking, then `finish`.
#[derive(Clone, Debug)]
pub struct BodyDecoder {
    encoding: TransferEncoding,
    quad: [u8; 4],
    filled: usize,
    qp: QpState,
}

#[derive(Clone, Copy, Debug)]
enum QpState {
    Normal,
    /// After `=`.
    Equals,
    /// After `=` and one hex digit (kept raw to write back if the escape is invalid).
    Hex(u8),
    /// After `=\r`: a soft line break if `\n` follows.
    EqualsCr,
}

impl BodyDecoder {
    /// A decoder for `encoding`.
    pub fn new(encoding: TransferEncoding) -> BodyDecoder {
        BodyDecoder {
            encoding,
            quad: [0; 4],
            filled: 0,
            qp: QpState::Normal,
        }
    }

    /// Decodes `input`, passing output to `out`.
    pub fn feed(&mut self, input: &[u8], out: &mut impl Sink) {
        match self.encoding {
            TransferEncoding::Identity => out.put(input),
            TransferEncoding::Base64 => self.feed_base64(input, out),
            TransferEncoding::QuotedPrintable => self.feed_qp(input, out),
        }
    }

    /// Flushes what the input's end completes (a final partial base64 quantum, a dangling `=`).
    pub fn finish(&mut self, out: &mut impl Sink) {
        match self.encoding {
            TransferEncoding::Identity => {}
            TransferEncoding::Base64 => {
                let q = self.quad;
                match self.filled {
                    2 => out.put(&[(q[0] << 2) | (q[1] >> 4)]),
                    3 => out.put(&[(q[0] << 2) | (q[1] >> 4), (q[1] << 4) | (q[2] >> 2)]),
                    _ => {}
                }
                self.filled = 0;
            }
            TransferEncoding::QuotedPrintable => {
                match self.qp {
                    QpState::Normal => {}
                    QpState::Equals => out.put(b"="),
                    QpState::Hex(h) => out.put(&[b'=', h]),
                    QpState::EqualsCr => out.put(b"=\r"),
                }
                self.qp = QpState::Normal;
            }
        }
    }

    fn feed_base64(&mut self, input: &[u8], out: &mut impl Sink) {
        let mut buf = [0u8; 768];
        let mut len = 0;
        for &byte in input {
            let value = BASE64_VALUES[byte as usize];
            if value == INVALID {
                continue;
            }
            self.quad[self.filled] = value;
            self.filled += 1;
            if self.filled == 4 {
                let q = self.quad;
                buf[len] = (q[0] << 2) | (q[1] >> 4);
                buf[len + 1] = (q[1] << 4) | (q[2] >> 2);
                buf[len + 2] = (q[2] << 6) | q[3];
                len += 3;
                self.filled = 0;
                if len == buf.len() {
                    out.put(&buf);
                    len = 0;
                }
            }
        }
        out.put(&buf[..len]);
    }

    fn feed_qp(&mut self, input: &[u8], out: &mut impl Sink) {
        let mut buf = Vec::with_capacity(input.len());
        for &byte in input {
            self.qp = match (self.qp, byte) {
                (QpState::Normal, b'=') => QpState::Equals,
                (QpState::Normal, b) => {
                    buf.push(b);
                    QpState::Normal
                }
                (QpState::Equals, b'\n') => QpState::Normal,
                (QpState::Equals, b'\r') => QpState::EqualsCr,
                (QpState::Equals, b) if b.is_ascii_hexdigit() => QpState::Hex(b),
                (QpState::Equals, b) => {
                    buf.extend_from_slice(&[b'=', b]);
                    QpState::Normal
                }
                (QpState::Hex(h), b) if b.is_ascii_hexdigit() => {
                    buf.push(hex_value(h) << 4 | hex_value(b));
                    QpState::Normal
                }
                (QpState::Hex(h), b) => {
                    buf.extend_from_slice(&[b'=', h, b]);
                    QpState::Normal
                }
                (QpState::EqualsCr, b'\n') => QpState::Normal,
                (QpState::EqualsCr, b) => {
                    buf.extend_from_slice(b"=\r");
                    if b == b'=' {
                        QpState::Equals
                    } else {
                        buf.push(b);
                        QpState::Normal
                    }
                }
            };
        }
        out.put(&buf);
    }
}

fn hex_value(digit: u8) -> u8 {
    match digit {
        b'0'..=b'9' => digit - b'0',
        b'a'..=b'f' => digit - b'a' + 10,
        _ => digit - b'A' + 10,
    }
}

const INVALID: u8 = 0xff;

const BASE64_VALUES: [u8; 256] = {
    let mut table = [INVALID; 256];
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut i = 0;
    while i < 64 {
        table[alphabet[i] as usize] = i as u8;
        i += 1;
    }
    table
};

/// Decodes a whole (small) body at once: header-sized values, tests.
pub fn decode_all(encoding: TransferEncoding, input: &[u8]) -> Vec<u8> {
    let mut decoder = BodyDecoder::new(encoding);
    let mut out = Vec::new();
    decoder.feed(input, &mut out);
    decoder.finish(&mut out);
    out
}

/// The size of the standard base64 encoding (with padding, no line breaks) of `len` bytes.
pub fn base64_len(len: u64) -> u64 {
    len.div_ceil(3) * 4
}
