//! Fax pages as 1-bit bitmaps, and images turned into them: scaled to 1728 pixels across
//! (keeping the aspect ratio, the vertical scale following the page's resolution), then grey
//! levels below the middle made black.

#[cfg(feature = "images")]
use std::path::Path;

#[cfg(feature = "images")]
use image::imageops::{self, FilterType};
#[cfg(feature = "images")]
use image::{DynamicImage, GrayImage};

#[cfg(feature = "images")]
use crate::FaxError;

/// The width of every page: an A4/Letter line of T.4 at 8 pixels per millimetre.
pub const FAX_WIDTH: u32 = 1728;

/// Grey levels below this are black.
pub const THRESHOLD: u8 = 128;

/// The two vertical resolutions of profile S (the horizontal one is always 204 dpi).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    /// 204×98 dpi ("standard").
    Standard,
    /// 204×196 dpi ("fine").
    Fine,
}

impl Resolution {
    /// Horizontal dots per inch.
    pub const X_DPI: u32 = 204;

    /// Vertical dots per inch.
    pub fn y_dpi(self) -> u32 {
        match self {
            Resolution::Standard => 98,
            Resolution::Fine => 196,
        }
    }
}

/// A page of black (`true`) and white pixels, rows packed most significant bit first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bitmap {
    width: u32,
    height: u32,
    bits: Vec<u8>,
}

impl Bitmap {
    /// An all-white page.
    pub fn new(width: u32, height: u32) -> Bitmap {
        let stride = width.div_ceil(8) as usize;
        Bitmap {
            width,
            height,
            bits: vec![0; stride * height as usize],
        }
    }

    /// Pixels per line.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Lines.
    pub fn height(&self) -> u32 {
        self.height
    }

    fn stride(&self) -> usize {
        self.width.div_ceil(8) as usize
    }

    /// Whether the pixel is black (false outside the page).
    pub fn get(&self, x: u32, y: u32) -> bool {
        if x >= self.width || y >= self.height {
            return false;
        }
        let byte = self.bits[y as usize * self.stride() + (x / 8) as usize];
        byte & (0x80 >> (x % 8)) != 0
    }

    /// Makes the pixel black or white (ignored outside the page).
    pub fn set(&mut self, x: u32, y: u32, black: bool) {
        if x >= self.width || y >= self.height {
            return;
        }
        let i = y as usize * self.stride() + (x / 8) as usize;
        let mask = 0x80 >> (x % 8);
        if black {
            self.bits[i] |= mask;
        } else {
            self.bits[i] &= !mask;
        }
    }

    /// The pixels of line `y`, left to right.
    pub fn row_pixels(&self, y: u32) -> impl Iterator<Item = bool> + '_ {
        (0..self.width).map(move |x| self.get(x, y))
    }

    #[cfg(feature = "images")]
    /// The page of `image` at `resolution`: 1728 pixels across, as many lines as keep its
    /// proportions at that resolution, grey below [`THRESHOLD`] black.
    pub fn from_image(image: &DynamicImage, resolution: Resolution) -> Bitmap {
        let grey = fax_grey(image, resolution);
        let mut page = Bitmap::new(grey.width(), grey.height());
        for (x, y, pixel) in grey.enumerate_pixels() {
            page.set(x, y, pixel.0[0] < THRESHOLD);
        }
        page
    }
}

#[cfg(feature = "images")]
/// `image` in grey, scaled to 1728 pixels across and to the page's vertical resolution.
pub fn fax_grey(image: &DynamicImage, resolution: Resolution) -> GrayImage {
    let grey = image.to_luma8();
    let (w, h) = (grey.width().max(1) as u64, grey.height().max(1) as u64);
    let rows = (h * u64::from(FAX_WIDTH) * u64::from(resolution.y_dpi()))
        / (w * u64::from(Resolution::X_DPI));
    let rows = rows.clamp(1, u64::from(u16::MAX)) as u32;
    imageops::resize(&grey, FAX_WIDTH, rows, FilterType::Triangle)
}

#[cfg(feature = "images")]
/// Reads an image file (PNG, JPEG or TIFF, told from its bytes, not its name). Of a
/// multi-page TIFF only the first page is read: the `image` crate decodes one frame.
pub fn load_image(path: &Path) -> Result<DynamicImage, FaxError> {
    let reader = image::ImageReader::open(path)
        .and_then(|r| r.with_guessed_format())
        .map_err(|source| FaxError::Io {
            path: path.to_path_buf(),
            source,
        })?;
    reader.decode().map_err(|e| FaxError::Image {
        path: path.to_path_buf(),
        detail: e.to_string(),
    })
}
