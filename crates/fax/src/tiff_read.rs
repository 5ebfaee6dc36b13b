//! Reading the pages of a received fax TIFF: its IFD chain, and per page the fields a PDF
//! needs to show the coded data as it is (size, resolution, coding, fill order) and the
//! strips' bytes. Every offset and count is checked against the file; loops in the IFD chain
//! and absurd sizes are refused. Only bilevel CCITT pages are accepted.

use std::collections::HashSet;

use crate::FaxError;

/// At most this many pages (a loop or a hostile file stops here).
pub const MAX_PAGES: usize = 10_000;

/// How a page's data is coded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coding {
    /// Compression 2: Modified Huffman, no EOLs, each line byte-aligned.
    ModifiedHuffmanRle,
    /// Compression 3 with T4Options bit 0 clear: T.4 one-dimensional (profile S).
    G3OneD,
    /// Compression 3 with T4Options bit 0 set: T.4 two-dimensional.
    G3TwoD,
    /// Compression 4: T.6.
    G4,
}

/// One page of a fax TIFF.
#[derive(Debug, Clone, PartialEq)]
pub struct FaxPage {
    /// Pixels per line.
    pub width: u32,
    /// Lines.
    pub rows: u32,
    /// Horizontal and vertical dots per inch (204×98 when the file does not say).
    pub dpi: (f64, f64),
    /// The coding.
    pub coding: Coding,
    /// Whether 1 bits are black (PhotometricInterpretation 0, the fax default).
    pub white_is_zero: bool,
    /// The strips' bytes in order, bits most significant first (FillOrder 2 reversed).
    pub data: Vec<u8>,
    /// How many strips the data came from.
    pub strips: usize,
}

/// A little- or big-endian TIFF in memory.
struct Tiff<'a> {
    bytes: &'a [u8],
    little: bool,
}

/// The fields of one IFD that matter here.
#[derive(Default)]
struct Fields {
    width: Option<u32>,
    rows: Option<u32>,
    compression: u32,
    t4_options: u32,
    photometric: u32,
    fill_order: u32,
    bits_per_sample: u32,
    x_res: Option<f64>,
    y_res: Option<f64>,
    unit: u32,
    strip_offsets: Vec<u32>,
    strip_counts: Vec<u32>,
}

fn bad(detail: impl Into<String>) -> FaxError {
    FaxError::NotFax(detail.into())
}

impl<'a> Tiff<'a> {
    fn slice(&self, at: u32, len: u64) -> Result<&'a [u8], FaxError> {
        let start = at as u64;
        let end = start
            .checked_add(len)
            .ok_or_else(|| bad("offset overflows"))?;
        if end > self.bytes.len() as u64 {
            return Err(bad(format!(
                "offset {start}+{len} is past the end of the file"
            )));
        }
        Ok(&self.bytes[start as usize..end as usize])
    }

    fn u16_at(&self, at: u32) -> Result<u16, FaxError> {
        let b = self.slice(at, 2)?;
        let pair = [b[0], b[1]];
        Ok(if self.little {
            u16::from_le_bytes(pair)
        } else {
            u16::from_be_bytes(pair)
        })
    }

    fn u32_at(&self, at: u32) -> Result<u32, FaxError> {
        let b = self.slice(at, 4)?;
        let quad = [b[0], b[1], b[2], b[3]];
        Ok(if self.little {
            u32::from_le_bytes(quad)
        } else {
            u32::from_be_bytes(quad)
        })
    }

    /// The values of the entry at `at`: SHORT and LONG as integers, RATIONAL as a quotient.
    fn values(&self, at: u32) -> Result<(u16, Vec<f64>), FaxError> {
        let tag = self.u16_at(at)?;
        let kind = self.u16_at(at + 2)?;
        let count = self.u32_at(at + 4)?;
        let size: u64 = match kind {
            1 => 1,
            3 => 2,
            4 => 4,
            5 => 8,
            _ => return Ok((tag, Vec::new())),
        };
        if count as usize > MAX_PAGES * 64 {
            return Err(bad(format!("tag {tag} has {count} values")));
        }
        let total = size * count as u64;
        let base = if total <= 4 {
            at + 8
        } else {
            self.u32_at(at + 8)?
        };
        self.slice(base, total)?;
        let mut out = Vec::with_capacity(count as usize);
        for i in 0..count {
            let p = base + i * size as u32;
            out.push(match kind {
                1 => f64::from(self.bytes[p as usize]),
                3 => f64::from(self.u16_at(p)?),
                4 => f64::from(self.u32_at(p)?),
                _ => {
                    let (n, d) = (self.u32_at(p)?, self.u32_at(p + 4)?);
                    if d == 0 {
                        0.0
                    } else {
                        f64::from(n) / f64::from(d)
                    }
                }
            });
        }
        Ok((tag, out))
    }

    fn fields(&self, ifd: u32) -> Result<(Fields, u32), FaxError> {
        let count = self.u16_at(ifd)?;
        let mut f = Fields {
            compression: 1,
            fill_order: 1,
            bits_per_sample: 1,
            unit: 2,
            ..Fields::default()
        };
        for i in 0..u32::from(count) {
            let (tag, values) = self.values(ifd + 2 + 12 * i)?;
            let first = values.first().copied().unwrap_or(0.0);
            let int = first as u32;
            let ints = || values.iter().map(|v| *v as u32).collect::<Vec<_>>();
            match tag {
                256 => f.width = Some(int),
                257 => f.rows = Some(int),
                258 => f.bits_per_sample = int,
                259 => f.compression = int,
                262 => f.photometric = int,
                266 => f.fill_order = int,
                273 => f.strip_offsets = ints(),
                279 => f.strip_counts = ints(),
                282 => f.x_res = Some(first),
                283 => f.y_res = Some(first),
                292 => f.t4_options = int,
                296 => f.unit = int,
                _ => {}
            }
        }
        let next = self.u32_at(ifd + 2 + 12 * u32::from(count))?;
        Ok((f, next))
    }
}

/// The pages of the fax TIFF `bytes`.
pub fn read_fax_tiff(bytes: &[u8]) -> Result<Vec<FaxPage>, FaxError> {
    let little = match bytes.get(..4) {
        Some(b"II*\0") => true,
        Some(b"MM\0*") => false,
        _ => return Err(bad("not a TIFF file")),
    };
    let tiff = Tiff { bytes, little };
    let mut next = tiff.u32_at(4)?;
    let mut seen = HashSet::new();
    let mut pages = Vec::new();
    while next != 0 {
        if !seen.insert(next) || pages.len() >= MAX_PAGES {
            return Err(bad("the IFD chain loops or is too long"));
        }
        let (fields, after) = tiff.fields(next)?;
        pages.push(page(&tiff, fields)?);
        next = after;
    }
    if pages.is_empty() {
        return Err(bad("no pages"));
    }
    Ok(pages)
}

fn page(tiff: &Tiff<'_>, f: Fields) -> Result<FaxPage, FaxError> {
    let coding = match (f.compression, f.t4_options & 1) {
        (2, _) => Coding::ModifiedHuffmanRle,
        (3, 0) => Coding::G3OneD,
        (3, _) => Coding::G3TwoD,
        (4, _) => Coding::G4,
        (other, _) => return Err(bad(format!("compression {other} is not a fax coding"))),
    };
    let (width, rows) = match (f.width, f.rows) {
        (Some(w), Some(r)) if (1..=65_535).contains(&w) && (1..=1_000_000).contains(&r) => (w, r),
        _ => return Err(bad("missing or absurd ImageWidth/ImageLength")),
    };
    if f.bits_per_sample != 1
        || f.strip_offsets.len() != f.strip_counts.len()
        || f.strip_offsets.is_empty()
    {
        return Err(bad("not a bilevel image with strips"));
    }
    if coding == Coding::G4 && f.strip_offsets.len() > 1 {
        return Err(bad("T.6 data in several strips cannot be joined"));
    }
    let mut data = Vec::new();
    for (&at, &len) in f.strip_offsets.iter().zip(&f.strip_counts) {
        // Strips of a sane file do not overlap: more data than the file holds is hostile.
        if data.len() as u64 + u64::from(len) > tiff.bytes.len() as u64 {
            return Err(bad("the strips add up to more than the file"));
        }
        data.extend_from_slice(tiff.slice(at, u64::from(len))?);
    }
    if f.fill_order == 2 {
        data.iter_mut().for_each(|b| *b = b.reverse_bits());
    }
    let per_inch = if f.unit == 3 { 2.54 } else { 1.0 };
    let dpi = |v: Option<f64>, default: f64| match v {
        Some(v) if v.is_finite() && v >= 1.0 => v * per_inch,
        _ => default,
    };
    Ok(FaxPage {
        width,
        rows,
        dpi: (dpi(f.x_res, 204.0), dpi(f.y_res, 98.0)),
        coding,
        white_is_zero: f.photometric == 0,
        data,
        strips: f.strip_offsets.len(),
    })
}
