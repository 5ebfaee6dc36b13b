//! I-Fax for scanrelay (RFC 3965 simple mode): the TIFF-F file of `scanrelay send --ifax` and
//! the PDF that `scanrelay fetch` writes beside a received one.
//!
//! - [`images_to_tiff_f`]: PNG, JPEG or TIFF files (one page each) decoded with the `image`
//!   crate, scaled to 1728 pixels across keeping their proportions at 204×98 or 204×196 dpi,
//!   grey below the middle made black ([`Bitmap::from_image`]), coded with T.4 Modified
//!   Huffman ([`mh`]) and written as RFC 3949 profile S TIFF ([`write_tiff_f`]): one IFD per
//!   page, Compression 3 with T4Options 0, WhiteIsZero, FillOrder 1, one strip per page,
//!   each line starting with an EOL and no RTC.
//! - [`tiff_to_pdf`]: the pages of a received fax TIFF ([`read_fax_tiff`], which checks every
//!   offset: it reads files from strangers and has a fuzz target) wrapped in a PDF as they are,
//!   one `/CCITTFaxDecode` image per page ([`fax_pdf`]); nothing is decoded or re-encoded.
//!
//! Why the encoder is written here: the `fax` crate (pdf-rs, 0.3) decodes G3 and G4 but
//! encodes only G4 (T.6), and keeps its code tables private; profile S needs T.4 1-D. The
//! tables in [`tables`] are those of T.4 Tables 2 and 3; the tests check a set of codes
//! against the Recommendation and decode whole pages with the `fax` crate's G3 decoder.
//! TIFF writing is hand-written too: the `tiff` crate does not write CCITT compression.
//!
//! The `images` feature (default) brings the `image` crate for the conversion; without it the
//! crate reads, writes and wraps fax data only (what `fetch` and the fuzz target need).
//!
//! This crate does no network I/O and holds no secrets; it never writes files itself.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod bitmap;
pub mod mh;
pub mod pdf;
pub mod tables;
pub mod tiff_read;
pub mod tiff_write;

#[cfg(feature = "images")]
use std::path::Path;
use std::path::PathBuf;

pub use bitmap::{Bitmap, FAX_WIDTH, Resolution, THRESHOLD};
#[cfg(feature = "images")]
pub use bitmap::{fax_grey, load_image};
pub use pdf::fax_pdf;
pub use tiff_read::{Coding, FaxPage, read_fax_tiff};
pub use tiff_write::write_tiff_f;

/// The MIME type of a TIFF-F attachment (RFC 3302, RFC 3965 simple mode).
pub const IFAX_CONTENT_TYPE: &str = "image/tiff; application=faxbw";

/// What went wrong making or reading a fax.
#[derive(Debug, thiserror::Error)]
pub enum FaxError {
    /// An input file could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// An input file is not an image the `image` crate decodes (PNG, JPEG, TIFF).
    #[error("{}: not a PNG, JPEG or TIFF image the fax conversion reads: {detail}", path.display())]
    Image {
        /// The file.
        path: PathBuf,
        /// The decoder's message.
        detail: String,
    },
    /// A received TIFF is not a fax this crate can wrap in a PDF.
    #[error("not a fax TIFF: {0}")]
    NotFax(String),
}

#[cfg(feature = "images")]
/// The TIFF-F file of `inputs`, one page per file, in order.
pub fn images_to_tiff_f(inputs: &[&Path], resolution: Resolution) -> Result<Vec<u8>, FaxError> {
    let pages = inputs
        .iter()
        .map(|path| load_image(path).map(|image| Bitmap::from_image(&image, resolution)))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(write_tiff_f(&pages, resolution))
}

/// The PDF of the fax TIFF `tiff`, its coded data wrapped as it is.
pub fn tiff_to_pdf(tiff: &[u8]) -> Result<Vec<u8>, FaxError> {
    read_fax_tiff(tiff).map(|pages| fax_pdf(&pages))
}
