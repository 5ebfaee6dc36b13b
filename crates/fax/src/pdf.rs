//! A PDF that shows fax pages without decoding them: each page one image XObject whose stream
//! is the page's coded data as it was received, with `/Filter /CCITTFaxDecode`, the page
//! sized from the image's resolution so it prints at its real size.
//!
//! Hand-written rather than through `pdf-writer` or `lopdf`: the file is four kinds of object
//! (catalog, page tree, page with its content stream, image), nothing is read or edited, and
//! the one delicate part, the CCITT decode parameters, would be spelled here either way.

use std::fmt::Write as _;

use crate::tiff_read::{Coding, FaxPage};

/// The PDF of `pages`.
pub fn fax_pdf(pages: &[FaxPage]) -> Vec<u8> {
    let mut pdf = PdfFile::default();
    pdf.out.extend_from_slice(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n");
    // Objects 1 and 2 are the catalog and the page tree; each page takes three more.
    let kids: String = (0..pages.len())
        .map(|i| format!("{} 0 R ", 3 + 3 * i))
        .collect();
    pdf.object(1, b"<< /Type /Catalog /Pages 2 0 R >>");
    let tree = format!("<< /Type /Pages /Kids [ {kids}] /Count {} >>", pages.len());
    pdf.object(2, tree.as_bytes());
    for (i, page) in pages.iter().enumerate() {
        let id = 3 + 3 * i;
        let (w, h) = page_size(page);
        let dict = format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {w:.2} {h:.2}] \
             /Resources << /XObject << /Im0 {} 0 R >> >> /Contents {} 0 R >>",
            id + 1,
            id + 2
        );
        pdf.object(id, dict.as_bytes());
        pdf.stream(id + 1, &image_dict(page), &page.data);
        let content = format!("q {w:.2} 0 0 {h:.2} 0 0 cm /Im0 Do Q\n");
        pdf.stream(id + 2, "", content.as_bytes());
    }
    pdf.finish(1)
}

/// The page's size in points (1/72 inch) from its pixel size and resolution.
pub fn page_size(page: &FaxPage) -> (f64, f64) {
    (
        f64::from(page.width) * 72.0 / page.dpi.0,
        f64::from(page.rows) * 72.0 / page.dpi.1,
    )
}

/// The image XObject's keys, the CCITT parameters included.
fn image_dict(page: &FaxPage) -> String {
    let (k, byte_align) = match page.coding {
        Coding::ModifiedHuffmanRle => (0, true),
        Coding::G3OneD => (0, false),
        // Mixed 1-D/2-D lines, each tagged; any positive K reads them.
        Coding::G3TwoD => (1, false),
        Coding::G4 => (-1, false),
    };
    let mut dict = String::new();
    let _ = write!(
        dict,
        "/Type /XObject /Subtype /Image /Width {} /Height {} /ColorSpace /DeviceGray \
         /BitsPerComponent 1 /Filter /CCITTFaxDecode /DecodeParms << /K {k} /Columns {} \
         /Rows {} /BlackIs1 false /EncodedByteAlign {byte_align} >>",
        page.width, page.rows, page.width, page.rows
    );
    if !page.white_is_zero {
        // BlackIs0 files: the decoded 0 bits are white, so invert the samples.
        dict.push_str(" /Decode [1 0]");
    }
    dict
}

/// Objects written in order, their offsets kept for the cross-reference table.
#[derive(Default)]
struct PdfFile {
    out: Vec<u8>,
    offsets: Vec<usize>,
}

impl PdfFile {
    fn object(&mut self, id: usize, body: &[u8]) {
        self.begin(id);
        self.out.extend_from_slice(body);
        self.out.extend_from_slice(b"\nendobj\n");
    }

    fn stream(&mut self, id: usize, keys: &str, data: &[u8]) {
        self.begin(id);
        let head = format!("<< {keys} /Length {} >>\nstream\n", data.len());
        self.out.extend_from_slice(head.as_bytes());
        self.out.extend_from_slice(data);
        self.out.extend_from_slice(b"\nendstream\nendobj\n");
    }

    fn begin(&mut self, id: usize) {
        debug_assert_eq!(id, self.offsets.len() + 1, "objects are written in order");
        self.offsets.push(self.out.len());
        self.out
            .extend_from_slice(format!("{id} 0 obj\n").as_bytes());
    }

    fn finish(mut self, root: usize) -> Vec<u8> {
        let xref_at = self.out.len();
        let mut xref = format!("xref\n0 {}\n0000000000 65535 f \n", self.offsets.len() + 1);
        for offset in &self.offsets {
            let _ = writeln!(xref, "{offset:010} 00000 n ");
        }
        let _ = write!(
            xref,
            "trailer\n<< /Size {} /Root {root} 0 R >>\nstartxref\n{xref_at}\n%%EOF\n",
            self.offsets.len() + 1
        );
        self.out.extend_from_slice(xref.as_bytes());
        self.out
    }
}
