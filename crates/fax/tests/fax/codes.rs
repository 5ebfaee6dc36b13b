//! The encoder against ITU-T T.4's code tables and an independent G3 decoder.

use scanrelay_fax::mh::{BitWriter, EOL, encode_page, run_codes, runs};
use scanrelay_fax::{Bitmap, FAX_WIDTH};

/// (run length, black, codes) copied from T.4 Tables 2 and 3.
const KNOWN: &[(usize, bool, &[&str])] = &[
    (0, false, &["00110101"]),
    (1, false, &["000111"]),
    (2, false, &["0111"]),
    (63, false, &["00110100"]),
    (64, false, &["11011", "00110101"]),
    (65, false, &["11011", "000111"]),
    (1728, false, &["010011011", "00110101"]),
    (1727, false, &["011000", "00110100"]),
    (0, true, &["0000110111"]),
    (1, true, &["010"]),
    (2, true, &["11"]),
    (3, true, &["10"]),
    (63, true, &["000001100111"]),
    (64, true, &["0000001111", "0000110111"]),
    (1728, true, &["0000001100101", "0000110111"]),
];

#[test]
fn run_codes_match_t4_tables() {
    for &(len, black, expected) in KNOWN {
        assert_eq!(run_codes(len, black), expected, "run {len} black={black}");
    }
}

#[test]
fn runs_start_white_and_alternate() {
    let cases: &[(&[u8], &[usize])] = &[
        (b"", &[0]),
        (b"000", &[3]),
        (b"1", &[0, 1]),
        (b"0011100", &[2, 3, 2]),
        (b"1101", &[0, 2, 1, 1]),
    ];
    for (pixels, expected) in cases {
        let line = pixels.iter().map(|&p| p == b'1');
        assert_eq!(runs(line), *expected, "{:?}", std::str::from_utf8(pixels));
    }
}

#[test]
fn bit_writer_packs_msb_first_and_pads_with_zeros() {
    let mut w = BitWriter::default();
    w.push_code(EOL);
    w.push_code("101");
    assert_eq!(w.finish(), vec![0x00, 0x1a]);
}

/// A page with a frame, a diagonal and a solid block: runs of every length class.
fn test_page(rows: u32) -> Bitmap {
    let mut page = Bitmap::new(FAX_WIDTH, rows);
    for y in 0..rows {
        for x in 0..FAX_WIDTH {
            let frame = !(3..FAX_WIDTH - 3).contains(&x) || !(2..rows - 2).contains(&y);
            let diagonal = (x as i64 - (y as i64) * 7).abs() < 5;
            let block = (100..900).contains(&x) && (20..40).contains(&y);
            let dots = y % 5 == 0 && x % 3 == 0;
            page.set(x, y, frame || diagonal || block || dots);
        }
    }
    page
}

#[test]
fn pages_decode_with_the_fax_crate_g3_decoder() {
    let page = test_page(60);
    let mut data = encode_page(&page);
    // TIFF-F leaves out the RTC (six EOLs) that ends a fax page on the wire; the `fax` crate's
    // decoder wants it to finish the last line.
    let mut rtc = BitWriter::default();
    (0..6).for_each(|_| rtc.push_code(EOL));
    data.extend(rtc.finish());
    let mut decoded = Vec::new();
    fax::decoder::decode_g3(data.iter().copied(), |transitions| {
        let line: Vec<bool> = fax::decoder::pels(transitions, FAX_WIDTH)
            .map(|c| c == fax::Color::Black)
            .collect();
        decoded.push(line);
    });
    // The decoder reports the lines it finished; every line of the page must be among them
    // in order and identical.
    assert!(
        decoded.len() >= page.height() as usize,
        "{} lines decoded",
        decoded.len()
    );
    for y in 0..page.height() {
        let expected: Vec<bool> = page.row_pixels(y).collect();
        assert_eq!(decoded[y as usize], expected, "line {y}");
    }
}
