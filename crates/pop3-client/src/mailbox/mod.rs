//! `fetch`: every message of the mailbox not saved before is streamed to a temporary file,
//! fsync'd and renamed into `--out/messages/`, its attachments are extracted into `--out`,
//! and only then is its unique id recorded in the state file; `DELE` (with `--delete`) comes
//! after all of that. So a kill at any moment loses nothing: a message not yet recorded is
//! fetched again on the next run (its `.eml` is replaced by the same bytes; its attachments,
//! if the kill came while they were written, may appear twice: the only duplicate possible).
//!
//! A fax TIFF (I-Fax, RFC 3965) is saved as it came and also as a PDF next to it, named after
//! it (`fax.tif`, `fax.pdf`), that wraps its coded pages without re-encoding them.

pub mod files;
pub mod state;

use std::path::PathBuf;

use serde::Serialize;
use tokio::io::AsyncWriteExt as _;

use crate::connect::Connection;
use crate::error::Pop3Error;
use crate::mime::{self, names::uid_file_stem};
use files::{OutDir, create_unique, sync_dir, temp_in};
use state::State;

/// Messages larger than this are saved whole but not searched for attachments (mail-parser
/// holds the whole message in memory).
pub const MAX_PARSE_BYTES: u64 = 256 * 1024 * 1024;

/// Why a fetch stopped.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The server or the connection failed.
    #[error(transparent)]
    Server(#[from] Pop3Error),
    /// A file could not be written or read.
    #[error("{}: {source}", path.display())]
    Disk {
        /// The file or directory.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// The state file is unreadable.
    #[error("{}: {detail}", path.display())]
    State {
        /// The state file.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// Another fetch holds the output directory.
    #[error("another fetch is writing into this directory (lock {} is held)", path.display())]
    Locked {
        /// The lock file.
        path: PathBuf,
    },
}

impl FetchError {
    /// Whether a later run may succeed without a change (network trouble, a busy mailbox).
    pub fn is_transient(&self) -> bool {
        match self {
            FetchError::Server(e) => e.is_transient(),
            FetchError::Locked { .. } => true,
            _ => false,
        }
    }
}

/// What to do with the mailbox.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// The account key in the state file (`user@host`).
    pub account: String,
    /// `DELE` each message once it is safely on disk.
    pub delete: bool,
}

/// One message saved.
#[derive(Debug, Clone, Serialize)]
pub struct Saved {
    /// Its unique id.
    pub uid: String,
    /// Its file, relative to `--out`.
    pub file: String,
    /// Its size in bytes.
    pub size: u64,
    /// The attachments extracted, file names in `--out`.
    pub attachments: Vec<String>,
}

/// What one pass over the mailbox did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FetchReport {
    /// Messages the server listed.
    pub on_server: usize,
    /// Messages saved in this pass.
    pub saved: Vec<Saved>,
    /// Messages skipped because they were saved before.
    pub already_saved: usize,
    /// Messages deleted on the server (with `--delete`).
    pub deleted: usize,
}

/// One pass: `UIDL`, then each new message saved, recorded and (with `--delete`) deleted;
/// then `QUIT`, which makes the server apply the `DELE`s.
pub async fn fetch_once(
    session: &mut Connection,
    out: &OutDir,
    options: &FetchOptions,
) -> Result<FetchReport, FetchError> {
    let listing = session.uidl().await?;
    let mut state = State::load(out, &options.account)?;
    state.keep_only(listing.iter().map(|e| e.uid.as_str()));
    let mut report = FetchReport {
        on_server: listing.len(),
        ..FetchReport::default()
    };
    for entry in &listing {
        let uid = entry.uid.as_str();
        if state.contains(uid) {
            report.already_saved += 1;
        } else {
            report
                .saved
                .push(save_message(session, out, entry.n, uid).await?);
            state.add(out, uid)?;
        }
        if options.delete {
            session.dele(entry.n).await?;
            report.deleted += 1;
        }
    }
    session.quit().await?;
    Ok(report)
}

/// `RETR` into a temporary file, fsync, rename into `messages/`, fsync the directory, then
/// extract the attachments.
async fn save_message(
    session: &mut Connection,
    out: &OutDir,
    n: u32,
    uid: &str,
) -> Result<Saved, FetchError> {
    let tmp = out.temp_path("eml");
    let dest = out.message_path(&uid_file_stem(uid));
    let disk = |path: &PathBuf| {
        let path = path.clone();
        move |source| FetchError::Disk { path, source }
    };
    let file = tokio::fs::File::create(&tmp).await.map_err(disk(&tmp))?;
    let mut writer = tokio::io::BufWriter::with_capacity(256 * 1024, file);
    let size = match session.retr_to(n, &mut writer).await {
        Ok(size) => size,
        Err(e) => {
            let _ = tokio::fs::remove_file(&tmp).await;
            return Err(e.into());
        }
    };
    writer.flush().await.map_err(disk(&tmp))?;
    writer.into_inner().sync_all().await.map_err(disk(&tmp))?;
    tokio::fs::rename(&tmp, &dest).await.map_err(disk(&dest))?;
    let (root, dest_for_task) = (out.root().to_path_buf(), dest.clone());
    let tmp_dir = out.temp_dir();
    let attachments = tokio::task::spawn_blocking(move || {
        let messages_dir = dest_for_task.parent().unwrap_or(&root).to_path_buf();
        sync_dir(&messages_dir)?;
        extract(&root, &dest_for_task, size, &tmp_dir)
    })
    .await
    .map_err(|e| FetchError::Disk {
        path: dest.clone(),
        source: std::io::Error::other(e.to_string()),
    })??;
    let file = dest
        .strip_prefix(out.root())
        .unwrap_or(&dest)
        .to_string_lossy()
        .into_owned();
    Ok(Saved {
        uid: uid.to_string(),
        file,
        size,
        attachments,
    })
}

/// Extracts the attachments of the saved message `eml` into `root`; returns their names.
/// Each is written through a temporary file in `tmp_dir`.
fn extract(
    root: &std::path::Path,
    eml: &std::path::Path,
    size: u64,
    tmp_dir: &std::path::Path,
) -> Result<Vec<String>, FetchError> {
    if size > MAX_PARSE_BYTES {
        return Ok(Vec::new());
    }
    let raw = std::fs::read(eml).map_err(|source| FetchError::Disk {
        path: eml.to_path_buf(),
        source,
    })?;
    let mut saved = Vec::new();
    for att in mime::attachments(&raw) {
        let name = create_unique(root, &temp_in(tmp_dir, "part"), &att.name, &att.content)?;
        if let Some(pdf) = fax_pdf(&att.content) {
            let pdf_name = format!("{}.pdf", file_stem(&name));
            saved.push(name);
            saved.push(create_unique(
                root,
                &temp_in(tmp_dir, "pdf"),
                &pdf_name,
                &pdf,
            )?);
        } else {
            saved.push(name);
        }
    }
    Ok(saved)
}

/// For a fax TIFF (I-Fax), the PDF that shows its pages with the coded data as received;
/// `None` for anything else, a TIFF that is not a bilevel CCITT fax included.
fn fax_pdf(content: &[u8]) -> Option<Vec<u8>> {
    let is_tiff = content.starts_with(b"II*\0") || content.starts_with(b"MM\0*");
    is_tiff
        .then(|| scanrelay_fax::tiff_to_pdf(content).ok())
        .flatten()
}

/// `name` without its last extension (`fax (2).tif` → `fax (2)`).
fn file_stem(name: &str) -> &str {
    match name.rsplit_once('.') {
        Some((stem, _)) if !stem.is_empty() => stem,
        _ => name,
    }
}
