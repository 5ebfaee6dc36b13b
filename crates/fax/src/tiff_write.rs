//! Writing TIFF-F as RFC 3949 profile S has it: little-endian, one IFD per page, each page
//! one strip of T.4 one-dimensional (Modified Huffman) data, each line starting with an EOL.

use crate::bitmap::{Bitmap, FAX_WIDTH, Resolution};
use crate::mh::encode_page;

/// TIFF field types.
const SHORT: u16 = 3;
const LONG: u16 = 4;
const RATIONAL: u16 = 5;

/// One IFD entry: tag, type, count, and the value (or offset) field.
struct Entry(u16, u16, u32, u32);

/// The TIFF-F file of `pages`, all at `resolution`.
pub fn write_tiff_f(pages: &[Bitmap], resolution: Resolution) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 * 1024 * pages.len().max(1));
    out.extend_from_slice(b"II*\0");
    // The first IFD's offset, patched below once it is known.
    let mut link_at = out.len();
    out.extend_from_slice(&[0; 4]);
    let total = u32::try_from(pages.len()).unwrap_or(u32::MAX);
    for (index, page) in pages.iter().enumerate() {
        let data = encode_page(page);
        let strip_at = offset(&out);
        out.extend_from_slice(&data);
        pad_to_word(&mut out);
        // The two rationals (X then Y resolution), then the IFD.
        let rationals_at = offset(&out);
        for value in [Resolution::X_DPI, 1, resolution.y_dpi(), 1] {
            out.extend_from_slice(&value.to_le_bytes());
        }
        let ifd_at = offset(&out);
        out[link_at..link_at + 4].copy_from_slice(&ifd_at.to_le_bytes());
        let page_number = (index as u32 & 0xffff) | (total.min(0xffff) << 16);
        let entries = entries(page, &data, strip_at, rationals_at, page_number);
        out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        for Entry(tag, kind, count, value) in entries {
            out.extend_from_slice(&tag.to_le_bytes());
            out.extend_from_slice(&kind.to_le_bytes());
            out.extend_from_slice(&count.to_le_bytes());
            out.extend_from_slice(&value.to_le_bytes());
        }
        link_at = out.len();
        out.extend_from_slice(&[0; 4]);
    }
    out
}

/// The fields of one page, in ascending tag order as TIFF requires.
fn entries(
    page: &Bitmap,
    data: &[u8],
    strip_at: u32,
    rationals_at: u32,
    page_number: u32,
) -> Vec<Entry> {
    let rows = page.height();
    vec![
        Entry(254, LONG, 1, 2),                 // NewSubfileType: a page of a document
        Entry(256, LONG, 1, FAX_WIDTH),         // ImageWidth
        Entry(257, LONG, 1, rows),              // ImageLength
        Entry(258, SHORT, 1, 1),                // BitsPerSample
        Entry(259, SHORT, 1, 3),                // Compression: T.4 (CCITT Group 3)
        Entry(262, SHORT, 1, 0),                // PhotometricInterpretation: WhiteIsZero
        Entry(266, SHORT, 1, 1),                // FillOrder: most significant bit first
        Entry(273, LONG, 1, strip_at),          // StripOffsets
        Entry(277, SHORT, 1, 1),                // SamplesPerPixel
        Entry(278, LONG, 1, rows),              // RowsPerStrip: one strip per page
        Entry(279, LONG, 1, data.len() as u32), // StripByteCounts
        Entry(282, RATIONAL, 1, rationals_at),  // XResolution
        Entry(283, RATIONAL, 1, rationals_at + 8), // YResolution
        Entry(292, LONG, 1, 0),                 // T4Options: 1-D coding, no fill bits
        Entry(296, SHORT, 1, 2),                // ResolutionUnit: inch
        Entry(297, SHORT, 2, page_number),      // PageNumber: this page, of how many
    ]
}

fn offset(out: &[u8]) -> u32 {
    u32::try_from(out.len()).unwrap_or(u32::MAX)
}

/// TIFF offsets must be even.
fn pad_to_word(out: &mut Vec<u8>) {
    if out.len() % 2 == 1 {
        out.push(0);
    }
}
