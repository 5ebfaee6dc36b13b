//! `send --ifax`: the input images become one TIFF-F file (scanrelay-fax) in a private
//! temporary directory, attached as `image/tiff; application=faxbw` (RFC 3965 simple mode).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use scanrelay_compose::Attachment;
use scanrelay_fax::{IFAX_CONTENT_TYPE, Resolution, images_to_tiff_f};

use super::args::IfaxResolution;

/// The TIFF-F file made for a job; the directory goes when the value is dropped.
#[derive(Debug)]
pub struct FaxFile {
    path: PathBuf,
    _dir: tempfile::TempDir,
}

impl FaxFile {
    /// Converts `inputs` (one page each, in order) into a TIFF-F file named after the first.
    pub fn convert(inputs: &[PathBuf], resolution: IfaxResolution) -> Result<FaxFile> {
        let resolution = match resolution {
            IfaxResolution::Standard => Resolution::Standard,
            IfaxResolution::Fine => Resolution::Fine,
        };
        let paths: Vec<&Path> = inputs.iter().map(PathBuf::as_path).collect();
        let tiff = images_to_tiff_f(&paths, resolution).context("--ifax")?;
        let dir = tempfile::Builder::new()
            .prefix("scanrelay-ifax-")
            .tempdir()
            .context("failed to create a temporary directory for the fax")?;
        let stem = inputs
            .first()
            .and_then(|p| p.file_stem())
            .map_or_else(|| "fax".into(), |s| s.to_string_lossy().into_owned());
        let path = dir.path().join(format!("{stem}.tif"));
        std::fs::write(&path, &tiff)
            .with_context(|| format!("failed to write `{}`", path.display()))?;
        Ok(FaxFile { path, _dir: dir })
    }

    /// The attachment: the file, typed as I-Fax.
    pub fn attachment(&self) -> Result<Attachment> {
        let mut attachment = Attachment::from_path(&self.path)?;
        attachment.content_type = IFAX_CONTENT_TYPE.to_string();
        Ok(attachment)
    }
}
