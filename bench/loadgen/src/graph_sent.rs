//! Reading the sent log of the benchmark's fake Microsoft Graph (`scanrelay-test-cloud
//! --sent-log`): one JSON line per message Graph sent, with its subject (which carries the
//! bench id, see [`crate::message::SUBJECT_PREFIX`]), when it was sent, the Graph path, and
//! each attachment's size and FNV-1a fingerprint. Each scan of the run is checked against what
//! `send` attached: exactly one attachment, same size, same fingerprint.

use std::collections::BTreeMap;
use std::io::{BufRead as _, BufReader, Seek as _, SeekFrom};
use std::path::Path;

use anyhow::{Context, Result};
use serde::Deserialize;

use crate::delivered::{Delivered, Found, is_of_run};
use crate::message::SUBJECT_PREFIX;
use crate::send::SendSummary;

/// One line of the sent log (fields this reader uses).
#[derive(Debug, Deserialize)]
struct SentLine {
    subject: Option<String>,
    sent_unix_ns: u64,
    via: String,
    attachments: Vec<SentAttachment>,
}

#[derive(Debug, Deserialize)]
struct SentAttachment {
    bytes: u64,
    fnv1a64: String,
}

/// What each scan's attachment must be (from `send`'s summary); `None`: not checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expect {
    bytes: u64,
    fnv1a64: String,
}

/// The results of the checks so far, and where the log has been read to.
#[derive(Debug, Default)]
pub struct Checks {
    /// Scans of the run whose attachment was checked.
    pub verified: usize,
    /// Of those, with a different attachment.
    pub corrupt: usize,
    /// Messages of the run per Graph path.
    pub via: BTreeMap<String, usize>,
    offset: u64,
}

/// The expectation from `send`'s summary file, if one is given and it attached a file.
pub fn expectation(summary: Option<&Path>) -> Result<Option<Expect>> {
    let Some(path) = summary else {
        return Ok(None);
    };
    let text = std::fs::read_to_string(path).with_context(|| format!("read {}", path.display()))?;
    let s: SendSummary =
        serde_json::from_str(&text).with_context(|| format!("parse {}", path.display()))?;
    Ok(match (s.attachment_bytes, s.attachment_fnv1a64) {
        (Some(bytes), Some(fnv1a64)) => Some(Expect { bytes, fnv1a64 }),
        _ => None,
    })
}

/// Reads the lines added to `log` since the last call; adds the run's messages to `found`.
pub fn scan(
    log: &Path,
    run_id: &str,
    expect: &Option<Expect>,
    found: &mut Found,
    checks: &mut Checks,
) -> Result<()> {
    let mut file = match std::fs::File::open(log) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e).with_context(|| format!("open {}", log.display())),
    };
    file.seek(SeekFrom::Start(checks.offset))
        .with_context(|| format!("seek {}", log.display()))?;
    let mut reader = BufReader::new(file);
    let mut line = String::new();
    loop {
        line.clear();
        let n = reader
            .read_line(&mut line)
            .with_context(|| format!("read {}", log.display()))?;
        // A line still being written (no newline yet) is read again next time.
        if n == 0 || !line.ends_with('\n') {
            return Ok(());
        }
        checks.offset += n as u64;
        let sent: SentLine = serde_json::from_str(&line)
            .with_context(|| format!("{}: bad line {line:?}", log.display()))?;
        record(sent, run_id, expect, found, checks);
    }
}

fn record(
    sent: SentLine,
    run_id: &str,
    expect: &Option<Expect>,
    found: &mut Found,
    checks: &mut Checks,
) {
    let id = sent
        .subject
        .as_deref()
        .and_then(|s| s.strip_prefix(SUBJECT_PREFIX))
        .map(str::trim);
    let Some(id) = id.filter(|id| is_of_run(id, run_id)) else {
        return;
    };
    *checks.via.entry(sent.via.clone()).or_default() += 1;
    if let Some(want) = expect {
        checks.verified += 1;
        let intact = matches!(sent.attachments.as_slice(),
            [a] if a.bytes == want.bytes && a.fnv1a64 == want.fnv1a64);
        if !intact {
            checks.corrupt += 1;
        }
    }
    found.entry(id.to_string()).or_default().push(Delivered {
        path: None,
        mtime_ns: sent.sent_unix_ns,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(subject: &str, at: u64, bytes: u64, fnv: &str) -> String {
        format!(
            "{{\"subject\":\"{subject}\",\"sent_unix_ns\":{at},\"via\":\"draft\",\"mailbox\":\"m\",\
             \"recipients\":[],\"attachments\":[{{\"name\":\"scan.pdf\",\"content_type\":\"application/pdf\",\
             \"bytes\":{bytes},\"fnv1a64\":\"{fnv}\"}}]}}\n"
        )
    }

    #[test]
    fn reads_new_lines_checks_attachments_and_ignores_other_runs() {
        let dir = std::env::temp_dir().join(format!("loadgen-graph-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let log = dir.join("sent.jsonl");
        let expect = Some(Expect {
            bytes: 10,
            fnv1a64: "00000000000000aa".into(),
        });
        std::fs::write(
            &log,
            line("scanrelay bench r1-1", 5, 10, "00000000000000aa")
                + &line("scanrelay bench r12-1", 6, 10, "00000000000000aa")
                + "{\"subject\":\"partial",
        )
        .unwrap();
        let (mut found, mut checks) = (Found::new(), Checks::default());
        scan(&log, "r1", &expect, &mut found, &mut checks).unwrap();
        assert_eq!(found.keys().collect::<Vec<_>>(), ["r1-1"]);
        assert_eq!(found["r1-1"][0].mtime_ns, 5);
        assert_eq!((checks.verified, checks.corrupt), (1, 0));
        // The partial line is completed; a second copy of r1-1 has a different attachment.
        let mut text = std::fs::read_to_string(&log).unwrap();
        text.truncate(text.rfind('{').unwrap());
        text += &line("scanrelay bench r1-2", 7, 10, "00000000000000aa");
        text += &line("scanrelay bench r1-1", 8, 9, "00000000000000aa");
        std::fs::write(&log, text).unwrap();
        scan(&log, "r1", &expect, &mut found, &mut checks).unwrap();
        assert_eq!(found.len(), 2);
        assert_eq!(found["r1-1"].len(), 2, "duplicates are kept to be counted");
        assert_eq!((checks.verified, checks.corrupt), (3, 1));
        assert_eq!(checks.via["draft"], 3);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
