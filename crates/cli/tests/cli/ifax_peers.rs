//! The I-Fax round trip: `send --ifax` of a PNG and a JPEG through the Postfix submission
//! peer to the fetch mailbox, `fetch` over Dovecot POP3S into a directory; libtiff's
//! `tiffinfo` checks the TIFF-F, poppler's `pdfinfo` the PDF, and a page `pdftoppm` renders
//! from the PDF is compared with the source image put through the same scaling and threshold.

use std::path::Path;
use std::time::Duration;

use image::{GrayImage, Luma, Rgb, RgbImage};
use scanrelay_fax::{FAX_WIDTH, Resolution, THRESHOLD, fax_grey};

use crate::fetch_support::{MAILBOX, account};
use crate::gateway_support::run_tool;
use crate::send_peers::{endpoint, send};

/// A page of "document": text-like bars, a frame, a circle and a grey ramp, `w`×`h`.
fn drawing(w: u32, h: u32, ink: [u8; 3]) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| {
        let (fx, fy) = (x as f64 / w as f64, y as f64 / h as f64);
        let bar = (y / 14) % 3 == 0 && (x / 9) % 11 != 0 && (0.1..0.9).contains(&fx);
        let frame = x < 6 || y < 6 || x + 6 >= w || y + 6 >= h;
        let r = ((fx - 0.5).powi(2) + (fy - 0.75).powi(2)).sqrt();
        let circle = (0.15..0.17).contains(&r);
        if bar || frame || circle {
            Rgb(ink)
        } else if fy > 0.92 {
            let v = (fx * 255.0) as u8;
            Rgb([v, v, v])
        } else {
            Rgb([255, 255, 255])
        }
    })
}

/// `image` as the fax pipeline sees it: scaled, then black below the threshold.
fn thresholded(image: &image::DynamicImage, resolution: Resolution) -> GrayImage {
    let mut grey = fax_grey(image, resolution);
    grey.pixels_mut().for_each(|p| {
        *p = Luma([if p.0[0] < THRESHOLD { 0 } else { 255 }]);
    });
    grey
}

async fn tool(program: &str, args: &[&str]) -> String {
    let (code, out, err) = run_tool(program, args, &[]).await;
    assert_eq!(code, 0, "{program} {args:?} failed: {err}");
    out
}

/// Renders page `n` of `pdf` at the fax's resolution; the share of pixels equal to `want`.
async fn page_agreement(pdf: &Path, n: u32, want: &GrayImage, y_dpi: u32) -> f64 {
    let prefix = pdf.with_extension(format!("page{n}"));
    let (n_text, y_text) = (n.to_string(), y_dpi.to_string());
    let args = [
        "-rx",
        "204",
        "-ry",
        &y_text,
        "-f",
        &n_text,
        "-l",
        &n_text,
        "-singlefile",
        "-gray",
        "-png",
    ];
    let mut all: Vec<&str> = args.to_vec();
    let (pdf_text, prefix_text) = (pdf.to_string_lossy(), prefix.to_string_lossy());
    all.extend([pdf_text.as_ref(), prefix_text.as_ref()]);
    tool("pdftoppm", &all).await;
    let page = image::open(prefix.with_extension(format!("page{n}.png")))
        .expect("pdftoppm's png")
        .to_luma8();
    assert_eq!(page.width(), FAX_WIDTH, "rendered width");
    let rows = page.height().min(want.height());
    assert!(
        page.height().abs_diff(want.height()) <= 1,
        "{} vs {}",
        page.height(),
        want.height()
    );
    let equal = (0..rows)
        .flat_map(|y| (0..FAX_WIDTH).map(move |x| (x, y)))
        .filter(|&(x, y)| (page.get_pixel(x, y).0[0] < 128) == (want.get_pixel(x, y).0[0] < 128))
        .count();
    equal as f64 / (f64::from(rows) * f64::from(FAX_WIDTH))
}

#[tokio::test]
async fn ifax_png_and_jpeg_round_trip_through_postfix_and_dovecot() {
    let Some(acct) = account() else { return };
    let _guard = MAILBOX.lock().await;
    acct.empty();
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("팩스 page1.png");
    let jpeg = dir.path().join("page2.jpg");
    drawing(1000, 1300, [0, 0, 0]).save(&png).unwrap();
    drawing(850, 1100, [30, 30, 120]).save(&jpeg).unwrap();
    let p = &acct.peers;
    let more = [
        "--from",
        &p.user,
        "--to",
        &acct.user,
        "--subject",
        "I-Fax test",
        "--ifax",
        "--ifax-resolution",
        "fine",
        "--json",
    ];
    let sent = send(p, endpoint(p), &more, &[&png, &jpeg]).await;
    assert_eq!(sent.code, 0, "{}\n{}", sent.stdout, sent.stderr);
    for _ in 0..60 {
        if acct.count() > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let out = dir.path().join("out");
    let fetched = acct.fetch(true, &out, &[]).await;
    assert_eq!(fetched.code, 0, "{}\n{}", fetched.stdout, fetched.stderr);
    let json = fetched.json();
    assert_eq!(
        json["saved"][0]["attachments"],
        serde_json::json!(["팩스 page1.tif", "팩스 page1.pdf"])
    );
    check_tiff(&out.join("팩스 page1.tif")).await;
    let pdf = out.join("팩스 page1.pdf");
    let info = tool("pdfinfo", &[&pdf.to_string_lossy()]).await;
    assert!(
        info.lines()
            .any(|l| l.split_whitespace().eq(["Pages:", "2"])),
        "{info}"
    );
    for (n, source) in [(1, &png), (2, &jpeg)] {
        let want = thresholded(&image::open(source).unwrap(), Resolution::Fine);
        let agreement = page_agreement(&pdf, n, &want, 196).await;
        eprintln!("page {n}: {agreement:.5} of pixels agree with the source");
        assert!(
            agreement >= 0.98,
            "page {n}: {agreement:.4} of pixels agree"
        );
    }
}

/// libtiff reads two pages of 1728 pixels, CCITT Group 3, 204×196 dpi.
async fn check_tiff(tif: &Path) {
    // -D decodes every strip: a coding error is a warning on stderr.
    let (code, info, err) = run_tool("tiffinfo", &["-D", &tif.to_string_lossy()], &[]).await;
    assert_eq!(code, 0, "tiffinfo: {err}");
    assert!(err.trim().is_empty(), "tiffinfo warned: {err}");
    assert_eq!(info.matches("Image Width: 1728").count(), 2, "{info}");
    assert_eq!(
        info.matches("Compression Scheme: CCITT Group 3").count(),
        2,
        "{info}"
    );
    assert_eq!(
        info.matches("Resolution: 204, 196 pixels/inch").count(),
        2,
        "{info}"
    );
    assert!(
        info.contains("Photometric Interpretation: min-is-white"),
        "{info}"
    );
    assert!(
        info.contains("Page Number: 0-2") && info.contains("Page Number: 1-2"),
        "{info}"
    );
}
