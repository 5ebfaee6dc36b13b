//! Reads arbitrary bytes as a received fax TIFF, as `scanrelay fetch` does with a TIFF
//! attachment before wrapping it in a PDF. First byte even: the bytes as they are; odd: the
//! rest becomes a fax page (its bits, repeated to fill 1728 pixels by a few lines) written as
//! TIFF-F and read back. Checks: no panic, no page data larger than the file, sane sizes, a
//! PDF that starts and ends as one; a written page reads back as written.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scanrelay_fax::{
    Bitmap, Coding, FAX_WIDTH, Resolution, fax_pdf, mh, read_fax_tiff, write_tiff_f,
};

fuzz_target!(|data: &[u8]| {
    match data.split_first() {
        Some((mode, rest)) if mode % 2 == 1 => written_page(rest),
        _ => received(data),
    }
});

fn received(data: &[u8]) {
    let Ok(pages) = read_fax_tiff(data) else {
        return;
    };
    for page in &pages {
        assert!(page.data.len() <= data.len());
        assert!(page.width >= 1 && page.rows >= 1);
        assert!(page.dpi.0 >= 1.0 && page.dpi.1 >= 1.0);
    }
    let pdf = fax_pdf(&pages);
    assert!(pdf.starts_with(b"%PDF-1.4\n") && pdf.ends_with(b"%%EOF\n"));
}

fn written_page(bits: &[u8]) {
    let rows = (bits.len() as u32 / 64).clamp(1, 4);
    let mut page = Bitmap::new(FAX_WIDTH, rows);
    for y in 0..rows {
        for x in 0..FAX_WIDTH {
            let i = (y * FAX_WIDTH + x) as usize;
            let bit = bits
                .get((i / 8) % bits.len().max(1))
                .is_some_and(|b| b & (0x80 >> (i % 8)) != 0);
            page.set(x, y, bit);
        }
    }
    let tiff = write_tiff_f(std::slice::from_ref(&page), Resolution::Standard);
    let read = read_fax_tiff(&tiff).expect("a written TIFF-F reads back");
    assert_eq!(read.len(), 1);
    assert_eq!(
        (read[0].width, read[0].rows, read[0].coding),
        (FAX_WIDTH, rows, Coding::G3OneD)
    );
    assert_eq!(read[0].data, mh::encode_page(&page));
}
