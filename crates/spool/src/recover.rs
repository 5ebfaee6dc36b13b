//! Crash recovery, run by [`crate::Spool::open`] while holding the spool lock exclusively.

use std::fs;
use std::io;
use std::path::Path;

use crate::error::{SpoolError, ctx};
use crate::fsio::{
    Layout, id_from_name, list_names, read_envelope, remove_if_exists, sync_dir, write_envelope,
};
use crate::header::{self, Header};
use crate::id::MessageId;
use crate::lifecycle::Event;
use crate::model::{Delivery, State};

/// What [`crate::Spool::open`] found and repaired.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recovery {
    /// Whether recovery ran. It is skipped when another handle, normally another process (a
    /// running server), has the spool open, since its in-progress files must not be touched.
    pub performed: bool,
    /// Partial files removed: incoming bodies in `tmp/` and temporary envelope files in `env/`.
    pub removed_partial: usize,
    /// Bodies in `msg/` without an envelope (commits cut short, never acknowledged) removed.
    pub removed_orphans: usize,
    /// Messages whose body file is missing: kept, marked [`State::Failed`].
    pub corrupt: Vec<MessageId>,
    /// Messages in the spool after recovery, including `corrupt` ones (0 if not performed).
    pub messages: usize,
}

/// The error text recorded on messages whose body is missing.
pub(crate) const BODY_MISSING: &str = "message body file missing from the spool";

/// Undo everything a crash can leave behind: partial files, bodies of commits cut short (no
/// envelope file and no committed header). Format-2 message files without an envelope file are
/// accepted messages and stay; an unreadable envelope file of such a message (a state change
/// cut short, not fsync'd) is read as the committed header ([`crate::fsio::read_record`]). Blocking; the caller holds the exclusive lock.
pub(crate) fn recover(layout: &Layout) -> Result<Recovery, SpoolError> {
    let mut report = Recovery {
        performed: true,
        ..Recovery::default()
    };
    report.removed_partial += remove_all_files(&layout.tmp)?;
    let mut envelopes = Vec::new();
    for name in list_names(&layout.env)? {
        if let Some(id) = id_from_name(&name, "json") {
            envelopes.push(id);
        } else if is_envelope_tmp(&name) {
            remove_if_exists(&layout.env.join(&name))?;
            report.removed_partial += 1;
        } else {
            tracing::warn!(file = ?layout.env.join(&name), "unexpected file in spool; left alone");
        }
    }
    envelopes.sort();
    let mut committed = Vec::new();
    for name in list_names(&layout.msg)? {
        match id_from_name(&name, "eml") {
            Some(id) if envelopes.binary_search(&id).is_err() => {
                let body = layout.body(&id);
                if matches!(header::read_path(&body), Ok(Some(Header::Inline(_)))) {
                    committed.push(id); // format 2: accepted, no state change yet
                } else {
                    remove_if_exists(&body)?;
                    report.removed_orphans += 1;
                }
            }
            Some(_) => {}
            None => {
                tracing::warn!(file = ?layout.msg.join(&name), "unexpected file in spool; left alone")
            }
        }
    }
    for id in &envelopes {
        if !exists(&layout.body(id))? {
            mark_corrupt(layout, id)?;
            report.corrupt.push(id.clone());
        }
    }
    report.messages = envelopes.len() + committed.len();
    for dir in [&layout.tmp, &layout.msg, &layout.env] {
        sync_dir(dir)?;
    }
    Ok(report)
}

/// `.ID.SUFFIX.tmp`, as written by `write_envelope`.
fn is_envelope_tmp(name: &std::ffi::OsStr) -> bool {
    name.to_str()
        .is_some_and(|n| n.starts_with('.') && n.ends_with(".tmp"))
}

/// Remove every file in `dir`; returns how many.
fn remove_all_files(dir: &Path) -> Result<usize, SpoolError> {
    let mut removed = 0;
    for name in list_names(dir)? {
        let path = dir.join(&name);
        match fs::remove_file(&path) {
            Ok(()) => removed += 1,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => tracing::warn!(file = ?path, error = %e, "cannot remove partial file"),
        }
    }
    Ok(removed)
}

fn exists(path: &Path) -> Result<bool, SpoolError> {
    path.try_exists().map_err(ctx("stat", path))
}

fn mark_corrupt(layout: &Layout, id: &MessageId) -> Result<(), SpoolError> {
    let path = layout.envelope(id);
    let mut env = match read_envelope(&path) {
        Ok(Some(env)) => env,
        Ok(None) => return Ok(()),
        Err(e) => {
            tracing::error!(error = %e, "unreadable envelope in spool; left alone");
            return Ok(());
        }
    };
    tracing::error!(%id, "message body missing from spool; marking the message failed");
    if mark_body_missing(&mut env.delivery)? {
        write_envelope(layout, id, &env, None)?;
    }
    Ok(())
}

/// Marks a message whose body is missing as failed ([`Event::Damaged`] with [`BODY_MISSING`]).
/// Returns whether anything changed (it may already be marked, or delivered).
pub(crate) fn mark_body_missing(d: &mut Delivery) -> Result<bool, SpoolError> {
    if d.state == State::Delivered
        || d.state == State::Failed && d.last_error.as_deref() == Some(BODY_MISSING)
    {
        return Ok(false);
    }
    let note = BODY_MISSING.to_owned();
    d.apply(Event::Damaged { note })
        .map_err(SpoolError::Transition)?;
    Ok(true)
}
