//! Shared helpers: deterministic message bodies and envelopes, file listings.

use std::collections::BTreeSet;
use std::path::Path;

use scanrelay_spool::{Envelope, Incoming, MessageId, Spool, SpoolError};
use tokio::io::AsyncReadExt;

/// A deterministic CRLF message tagged `n`, `len` bytes long (or just its header if longer).
pub fn body(n: u64, len: usize) -> Vec<u8> {
    let mut out = format!("Subject: scan {n}\r\n\r\n").into_bytes();
    let mut i: u64 = 0;
    while out.len() < len {
        i += 1;
        if i.is_multiple_of(77) {
            out.extend_from_slice(b"\r\n");
        } else {
            let x = (i.wrapping_mul(2_654_435_761) ^ n.wrapping_mul(40_503)) % 26;
            out.push(b'a' + x as u8);
        }
    }
    out
}

/// The envelope for message `n` of `size` bytes; `helo` carries `n` so a listed entry can be
/// checked against the body it must have.
pub fn envelope(n: u64, size: u64) -> Envelope {
    Envelope {
        mail_from: format!("scanner{n}@printers.example"),
        rcpt_to: vec!["alice@example.com".into(), format!("bob{n}@example.com")],
        received_at: 1_700_000_000 + n,
        client_addr: "192.0.2.7:51234".into(),
        helo: format!("n={n}"),
        auth_user: n.is_multiple_of(2).then(|| "scanner".into()),
        size,
        route: None,
        tls: None,
    }
}

/// The `n` an envelope made by [`envelope`] carries.
pub fn tag(env: &Envelope) -> u64 {
    env.helo.strip_prefix("n=").unwrap().parse().unwrap()
}

/// Write `data` in chunks of `chunk` bytes.
pub async fn write_chunks(
    incoming: &mut Incoming,
    data: &[u8],
    chunk: usize,
) -> Result<(), SpoolError> {
    for part in data.chunks(chunk) {
        incoming.write(part).await?;
    }
    Ok(())
}

/// Store message `n` of `len` bytes and return its id.
pub async fn store(spool: &Spool, n: u64, len: usize) -> MessageId {
    let data = body(n, len);
    let mut incoming = spool.begin().await.unwrap();
    write_chunks(&mut incoming, &data, 16 * 1024).await.unwrap();
    assert_eq!(incoming.len(), data.len() as u64);
    incoming
        .commit(envelope(n, data.len() as u64))
        .await
        .unwrap()
}

/// The whole body of a queued message.
pub async fn read_body(spool: &Spool, id: &MessageId) -> Vec<u8> {
    let mut out = Vec::new();
    let mut file = spool.open_body(id).await.unwrap();
    file.read_to_end(&mut out).await.unwrap();
    out
}

/// The file names in `dir`.
pub fn names(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect()
}

/// Assert the spool holds no partial file and that every envelope file has its message file.
pub fn assert_consistent(dir: &Path) {
    assert_eq!(
        names(&dir.join("tmp")),
        BTreeSet::new(),
        "partial files left in tmp/"
    );
    let env: BTreeSet<String> = names(&dir.join("env"))
        .into_iter()
        .map(|n| {
            n.strip_suffix(".json")
                .expect("only envelopes in env/")
                .to_owned()
        })
        .collect();
    let msg: BTreeSet<String> = names(&dir.join("msg"))
        .into_iter()
        .map(|n| {
            n.strip_suffix(".eml")
                .expect("only bodies in msg/")
                .to_owned()
        })
        .collect();
    // Format 2: a message file holds its committed envelope; an envelope file appears with the
    // first state change, and never without its message file.
    assert!(
        env.is_subset(&msg),
        "envelopes without a message file: {env:?} {msg:?}"
    );
}

/// A tmpfs mounted for a test's lifetime (a real file system that really fills up); unmounted
/// on drop. Mounting needs root (or the capability), which the test machine has.
pub struct Tmpfs {
    dir: tempfile::TempDir,
}

/// Set to `1` to skip the tests that need a tmpfs where none can be mounted.
const SKIP_TMPFS: &str = "SCANRELAY_SKIP_TMPFS";

impl Tmpfs {
    /// Mounts one of `size` (`mount -o size=`), or says why not.
    pub fn mount(size: &str) -> Result<Tmpfs, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let out = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).trim().to_owned());
        }
        Ok(Tmpfs { dir })
    }

    /// [`Tmpfs::mount`]; when that is impossible the test fails with the reason, unless
    /// `SCANRELAY_SKIP_TMPFS=1` asks to skip it (then `None`, and a note on stderr).
    pub fn mount_or_explain(size: &str) -> Option<Tmpfs> {
        match Tmpfs::mount(size) {
            Ok(fs) => Some(fs),
            Err(why) if std::env::var(SKIP_TMPFS).as_deref() == Ok("1") => {
                eprintln!("skipped ({SKIP_TMPFS}=1): cannot mount a tmpfs: {why}");
                None
            }
            Err(why) => panic!(
                "this test needs a real file system that fills up and cannot mount a tmpfs \
                 ({why}); run it as root, or set {SKIP_TMPFS}=1 to skip it"
            ),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg(self.dir.path())
            .status();
    }
}
