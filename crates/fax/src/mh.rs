//! The T.4 one-dimensional coding (Modified Huffman): each line is an EOL, then alternating
//! white and black run lengths (starting with white, a zero-length white run when the line
//! starts black), each run as make-up codes of 64, 128, ... plus one terminating code 0..63.

use crate::bitmap::Bitmap;
use crate::tables::{BLACK_MAKEUP, BLACK_TERMINATING, WHITE_MAKEUP, WHITE_TERMINATING};

/// The end-of-line code: eleven zeros and a one.
pub const EOL: &str = "000000000001";

/// Bits appended most significant first into bytes (FillOrder 1).
#[derive(Debug, Default)]
pub struct BitWriter {
    bytes: Vec<u8>,
    used: u8,
}

impl BitWriter {
    /// Appends the bits of a code written as a string of `0` and `1`.
    pub fn push_code(&mut self, code: &str) {
        for bit in code.bytes() {
            self.push_bit(bit == b'1');
        }
    }

    fn push_bit(&mut self, one: bool) {
        if self.used == 0 {
            self.bytes.push(0);
        }
        if let (true, Some(last)) = (one, self.bytes.last_mut()) {
            *last |= 0x80 >> self.used;
        }
        self.used = (self.used + 1) % 8;
    }

    /// The bytes written, the last one padded with zero bits.
    pub fn finish(self) -> Vec<u8> {
        self.bytes
    }
}

/// The codes of one run of `len` pixels of one colour (`len` at most 1728 + 63).
pub fn run_codes(len: usize, black: bool) -> Vec<&'static str> {
    let (terminating, makeup) = if black {
        (&BLACK_TERMINATING, &BLACK_MAKEUP)
    } else {
        (&WHITE_TERMINATING, &WHITE_MAKEUP)
    };
    let mut codes = Vec::with_capacity(2);
    let mut rest = len;
    while rest >= 64 {
        let chunk = (rest / 64).min(makeup.len());
        codes.push(makeup[chunk - 1]);
        rest -= chunk * 64;
    }
    codes.push(terminating[rest]);
    codes
}

/// The run lengths of one line, alternating white, black, white... from a white run.
pub fn runs(line: impl Iterator<Item = bool>) -> Vec<usize> {
    let mut runs = vec![0];
    let mut black = false;
    for pixel in line {
        if pixel != black {
            black = pixel;
            runs.push(0);
        }
        if let Some(last) = runs.last_mut() {
            *last += 1;
        }
    }
    runs
}

/// Encodes one page: every line preceded by an EOL, no RTC (TIFF-F leaves it out).
pub fn encode_page(page: &Bitmap) -> Vec<u8> {
    let mut out = BitWriter::default();
    for y in 0..page.height() {
        out.push_code(EOL);
        for (i, len) in runs(page.row_pixels(y)).into_iter().enumerate() {
            for code in run_codes(len, i % 2 == 1) {
                out.push_code(code);
            }
        }
    }
    out.finish()
}
