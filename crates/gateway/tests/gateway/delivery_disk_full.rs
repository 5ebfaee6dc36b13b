//! A full disk drains itself (issue 6, item 11): with the spool's space reserve, the scheduler
//! records state and removes delivered mail at 0 bytes free, on a real (tmpfs) file system.

use std::io::Write as _;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use scanrelay_gateway::server::SPOOL_RESERVE;
use scanrelay_spool::{Envelope, MessageId, Spool};

use crate::delivery_support::{
    BASE, FakeUpstream, Running, accept_all, delivery_settings, entries,
};
use crate::listener_support::TestGateway;

/// A tmpfs mounted for the test's lifetime; unmounted on drop.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    /// Mounts one of `size`; fails the test with the reason when that is impossible, unless
    /// `SCANRELAY_SKIP_TMPFS=1` asks to skip it.
    fn mount_or_explain(size: &str) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().unwrap();
        let out = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .output();
        let why = match out {
            Ok(out) if out.status.success() => return Some(Tmpfs { dir }),
            Ok(out) => String::from_utf8_lossy(&out.stderr).trim().to_owned(),
            Err(e) => format!("cannot run mount: {e}"),
        };
        if std::env::var("SCANRELAY_SKIP_TMPFS").as_deref() == Ok("1") {
            eprintln!("skipped (SCANRELAY_SKIP_TMPFS=1): cannot mount a tmpfs: {why}");
            return None;
        }
        panic!(
            "this test needs a file system that fills up and cannot mount a tmpfs ({why}); \
             run it as root, or set SCANRELAY_SKIP_TMPFS=1 to skip it"
        );
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg(self.dir.path())
            .status();
    }
}

/// Fills the file system under `dir` to the last byte.
fn fill_up(dir: &Path) {
    let mut file = std::fs::File::create(dir.join("filler")).unwrap();
    for size in [1 << 16, 1 << 12, 1 << 9, 1] {
        let chunk = vec![b'f'; size];
        while file
            .write_all(&chunk)
            .and_then(|()| file.sync_all())
            .is_ok()
        {}
    }
    let probe = std::fs::write(dir.join("probe"), [b'p'; 4096]);
    assert!(probe.is_err(), "the disk still has room");
}

/// Commits 500 kB messages until the spool refuses one as disk-full.
async fn queue_until_full(spool: &Spool) -> Vec<MessageId> {
    let body = vec![b'x'; 500_000];
    let mut kept = Vec::new();
    loop {
        let envelope = Envelope {
            mail_from: "scan@office.lan".into(),
            rcpt_to: vec!["boss@example.com".into()],
            received_at: BASE,
            client_addr: "192.0.2.7:51234".into(),
            helo: "mfp".into(),
            auth_user: None,
            size: body.len() as u64,
            route: None,
            tls: None,
        };
        let result = match spool.begin().await {
            Ok(mut incoming) => match incoming.write(&body).await {
                Ok(()) => incoming.commit(envelope).await,
                Err(e) => Err(e),
            },
            Err(e) => Err(e),
        };
        match result {
            Ok(id) => kept.push(id),
            Err(e) => {
                assert!(e.is_disk_full(), "{e}");
                return kept;
            }
        }
        assert!(kept.len() < 100, "the disk never filled up");
    }
}

/// Regression (issue 6, item 11, "disk full"): at 0 bytes free nothing was delivered, because
/// every attempt first failed writing its state file (`sending`). Now every queued message is
/// delivered once and removed, and the spool takes mail again afterwards.
#[tokio::test(start_paused = true)]
async fn queued_mail_is_delivered_and_removed_at_0_bytes_free() {
    let Some(fs) = Tmpfs::mount_or_explain("8m") else {
        return;
    };
    let spool = Spool::open(fs.dir.path().join("spool")).await.unwrap();
    assert!(spool.keep_reserve(SPOOL_RESERVE).await.unwrap());
    let kept = queue_until_full(&spool).await;
    assert!(kept.len() >= 4, "{} queued", kept.len());
    fill_up(fs.dir.path());

    let fake = Arc::new(FakeUpstream::new(&spool, accept_all));
    let running = Running::start(&spool, Some(fake.clone()), delivery_settings());
    for _ in 0..600 {
        if entries(&spool).await.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    running.stop().await;
    let left = entries(&spool).await;
    assert!(left.is_empty(), "not delivered at 0 bytes free: {left:#?}");
    let mut sent: Vec<MessageId> = fake.calls().into_iter().map(|c| c.id).collect();
    sent.sort();
    assert_eq!(sent, kept, "each message delivered exactly once");
    assert!(!spool.reserve_is_out(), "the reserve is back");
    assert!(spool.begin().await.is_ok(), "mail is accepted again");
}

#[tokio::test]
async fn a_started_gateway_keeps_its_space_reserve_in_the_spool() {
    let t = TestGateway::start(|_| {}).await;
    let reserve = t.gw.spool().dir().join("reserve");
    assert_eq!(std::fs::metadata(&reserve).unwrap().len(), SPOOL_RESERVE);
    assert!(!t.gw.spool().reserve_is_out());
}
