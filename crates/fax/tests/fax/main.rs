//! Tests of scanrelay-fax.

mod codes;
mod tiff;
