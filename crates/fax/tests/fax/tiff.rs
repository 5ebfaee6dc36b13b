//! TIFF-F writing and reading, hostile files, and the PDF wrapper.

use scanrelay_fax::{
    Bitmap, Coding, FAX_WIDTH, Resolution, fax_pdf, read_fax_tiff, tiff_to_pdf, write_tiff_f,
};

fn page(rows: u32, seed: u32) -> Bitmap {
    let mut page = Bitmap::new(FAX_WIDTH, rows);
    for y in 0..rows {
        for x in (seed..FAX_WIDTH).step_by(17) {
            page.set(x, y, (x + y) % 3 == 0);
        }
    }
    page
}

#[test]
fn written_pages_read_back_with_profile_s_fields() {
    for resolution in [Resolution::Standard, Resolution::Fine] {
        let pages = [page(40, 1), page(25, 5)];
        let tiff = write_tiff_f(&pages, resolution);
        assert_eq!(&tiff[..4], b"II*\0");
        let read = read_fax_tiff(&tiff).expect("reads back");
        assert_eq!(read.len(), 2);
        for (got, sent) in read.iter().zip(&pages) {
            assert_eq!(got.width, 1728);
            assert_eq!(got.rows, sent.height());
            assert_eq!(got.dpi, (204.0, f64::from(resolution.y_dpi())));
            assert_eq!(got.coding, Coding::G3OneD);
            assert!(got.white_is_zero);
            assert_eq!(got.strips, 1);
            assert_eq!(got.data, scanrelay_fax::mh::encode_page(sent));
        }
    }
}

#[test]
fn ifd_offsets_are_even() {
    // Odd-length strip data must be padded so the IFD starts on a word boundary.
    let tiff = write_tiff_f(&[page(1, 0), page(3, 2)], Resolution::Fine);
    let first = u32::from_le_bytes([tiff[4], tiff[5], tiff[6], tiff[7]]);
    assert_eq!(first % 2, 0);
}

/// A valid file, then bytes patched at an offset: each must be refused, never panic.
#[test]
fn hostile_tiffs_are_refused() {
    let good = write_tiff_f(&[page(10, 0)], Resolution::Standard);
    let ifd = u32::from_le_bytes([good[4], good[5], good[6], good[7]]) as usize;
    let patched = |at: usize, bytes: &[u8]| {
        let mut t = good.clone();
        t[at..at + bytes.len()].copy_from_slice(bytes);
        t
    };
    let entry = |n: usize| ifd + 2 + 12 * n;
    let next_link = ifd + 2 + 12 * 16;
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        ("not tiff", b"%PDF-1.4".to_vec()),
        ("truncated", good[..good.len() - 7].to_vec()),
        ("ifd past end", patched(4, &u32::MAX.to_le_bytes())),
        (
            "ifd loops to itself",
            patched(next_link, &(ifd as u32).to_le_bytes()),
        ),
        (
            "strip past end",
            patched(entry(7) + 8, &0xffff_fff0u32.to_le_bytes()),
        ),
        (
            "huge strip count",
            patched(entry(10) + 8, &u32::MAX.to_le_bytes()),
        ),
        (
            "jpeg compression",
            patched(entry(4) + 8, &7u16.to_le_bytes()),
        ),
        ("zero width", patched(entry(1) + 8, &0u32.to_le_bytes())),
        (
            "many values",
            patched(entry(7) + 4, &0x0fff_ffffu32.to_le_bytes()),
        ),
    ];
    for (name, bytes) in cases {
        assert!(read_fax_tiff(&bytes).is_err(), "{name} was accepted");
    }
}

#[test]
fn pdf_wraps_each_page_as_ccitt_image() {
    let tiff = write_tiff_f(&[page(30, 0), page(20, 3)], Resolution::Standard);
    let pages = read_fax_tiff(&tiff).unwrap();
    let pdf = tiff_to_pdf(&tiff).unwrap();
    assert_eq!(pdf, fax_pdf(&pages));
    let text = String::from_utf8_lossy(&pdf);
    assert!(text.starts_with("%PDF-1.4\n"));
    assert!(text.contains("/Count 2"));
    assert_eq!(text.matches("/Filter /CCITTFaxDecode").count(), 2);
    assert!(text.contains("/K 0 /Columns 1728 /Rows 30 /BlackIs1 false"));
    // 1728 px at 204 dpi is 609.88 pt; 30 lines at 98 dpi are 22.04 pt.
    assert!(text.contains("/MediaBox [0 0 609.88 22.04]"), "{text:.400}");
    // The coded data is in the file byte for byte.
    let data = &pages[0].data;
    assert!(pdf.windows(data.len()).any(|w| w == &data[..]));
    assert!(text.ends_with("%%EOF\n"));
}

/// libtiff decodes every strip of a standard-resolution file without a warning (run where
/// `tiffinfo` is installed: `scripts/test` installs it; elsewhere this test says so and passes).
#[test]
fn libtiff_decodes_a_standard_resolution_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("standard.tif");
    std::fs::write(
        &path,
        write_tiff_f(&[page(50, 2), page(9, 4)], Resolution::Standard),
    )
    .unwrap();
    let out = match std::process::Command::new("tiffinfo")
        .arg("-D")
        .arg(&path)
        .output()
    {
        Ok(out) => out,
        Err(e) if std::env::var("SCANRELAY_REQUIRE_PEERS").as_deref() != Ok("1") => {
            eprintln!("tiffinfo not run: {e}");
            return;
        }
        Err(e) => panic!("tiffinfo: {e} (scripts/peers install installs libtiff-tools)"),
    };
    let (info, err) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success() && err.trim().is_empty(), "{err}");
    assert_eq!(
        info.matches("Resolution: 204, 98 pixels/inch").count(),
        2,
        "{info}"
    );
    assert_eq!(
        info.matches("Compression Scheme: CCITT Group 3").count(),
        2,
        "{info}"
    );
    assert!(info.contains("Group 3 Options: (0 = 0x0)"), "{info}");
}
