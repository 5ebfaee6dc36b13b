//! The spool's durability chain, seen from the outside (issue 7, item 9): the real
//! `scanrelay serve` runs under `strace -f -y`, a device submits one message over plain SMTP,
//! and the log must show, for that message's id (spool format 2, issue 10), body written →
//! header block (the envelope) written at offset 0 of the same file → its fsync → rename into
//! `msg/` → fsync of `msg/`, each step returned before the next entered the kernel, and all of
//! it returned before the `250 2.0.0 OK: queued as ID` reply was written to the socket.
//! `kill -9` keeps the page cache, so only the system calls can show a missing fsync: removing
//! either fsync of `Incoming::commit` makes this test fail, naming the step.
//!
//! The directory fsyncs are group-committed (a commit may be served by another commit's fsync
//! on another thread), so steps are matched by the paths `-y` prints, not by thread; the order
//! rule (return before entry) is explained in `scanrelay_test_support::strace`.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use scanrelay_test_support::require_strace;
use scanrelay_test_support::strace::{Call, Chain, ChainError, Trace};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::process::Child;

use crate::gateway_support::free_port;

/// What the trace records: opens, writes (files and sockets), fsyncs and renames.
const SYSCALLS: &[&str] = &[
    "openat",
    "write",
    "writev",
    "pwrite64",
    "sendto",
    "sendmsg",
    "fsync",
    "fdatasync",
    "rename",
    "renameat",
    "renameat2",
];

/// How long the traced server may take to listen, answer or stop (a debug build under
/// strace is slow on a busy machine).
const PATIENCE: Duration = Duration::from_secs(60);

/// `scanrelay serve` running under strace, in its own data directory. Dropping it kills the
/// server (strace dies by SIGKILL without killing its tracee).
struct Traced {
    strace: Child,
    _dir: tempfile::TempDir,
    /// The canonical data directory: `-y` prints resolved paths.
    root: PathBuf,
    port: u16,
}

impl Traced {
    async fn start(strace: &scanrelay_test_support::strace::Strace) -> Traced {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = std::fs::canonicalize(dir.path()).expect("canonical data dir");
        let port = free_port();
        let config = root.join("scanrelay.toml");
        let text = format!(
            "[listen]\nsmtp = \"127.0.0.1:{port}\"\nweb = \"\"\nallow_networks = [\"127.0.0.0/8\"]\n"
        );
        std::fs::write(&config, text).expect("write config");
        let log = std::fs::File::create(root.join("serve.log")).expect("create serve.log");
        let child = strace
            .command(
                &root.join("strace.log"),
                SYSCALLS,
                env!("CARGO_BIN_EXE_scanrelay"),
            )
            .args(["serve", "--config"])
            .arg(&config)
            .arg("--data-dir")
            .arg(&root)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("clone log handle"))
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .expect("spawn strace scanrelay serve");
        Traced {
            strace: child,
            _dir: dir,
            root,
            port,
        }
    }

    fn spool(&self) -> PathBuf {
        self.root.join("spool")
    }

    /// What the server and strace printed.
    fn output(&self) -> String {
        std::fs::read_to_string(self.root.join("serve.log")).unwrap_or_default()
    }

    /// A connection to the server, once it listens.
    async fn connect(&mut self) -> TcpStream {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            if let Ok(stream) = TcpStream::connect(("127.0.0.1", self.port)).await {
                return stream;
            }
            if let Ok(Some(status)) = self.strace.try_wait() {
                panic!("strace/serve exited early ({status}):\n{}", self.output());
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "serve did not listen on {} under strace:\n{}",
                self.port,
                self.output()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The server: strace's one child, from `/proc`, else the thread of the log's first call
    /// (the traced program's main thread has the child's pid).
    fn server_pid(&self) -> Option<u32> {
        let strace = self.strace.id()?;
        let children = format!("/proc/{strace}/task/{strace}/children");
        let first_word = |text: String| text.split_whitespace().next().map(str::to_string);
        std::fs::read_to_string(children)
            .ok()
            .and_then(first_word)
            .or_else(|| {
                std::fs::read_to_string(self.root.join("strace.log"))
                    .ok()
                    .and_then(first_word)
            })
            .and_then(|pid| pid.parse().ok())
    }

    /// Stops the server with SIGTERM (strace ignores it, and exits with its tracee, having
    /// written the whole log) and returns the trace.
    async fn stop(&mut self) -> Trace {
        let pid = self
            .server_pid()
            .expect("the traced server's pid")
            .to_string();
        let killed = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("run kill");
        assert!(killed.success(), "kill -TERM {pid} failed");
        match tokio::time::timeout(PATIENCE, self.strace.wait()).await {
            Ok(status) => status.expect("wait for strace"),
            Err(_) => {
                let _ = std::process::Command::new("kill")
                    .args(["-KILL", &pid])
                    .status();
                panic!("serve did not stop on SIGTERM:\n{}", self.output());
            }
        };
        Trace::read(&self.root.join("strace.log"))
    }
}

impl Drop for Traced {
    fn drop(&mut self) {
        if let (Ok(None), Some(pid)) = (self.strace.try_wait(), self.server_pid()) {
            let _ = std::process::Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
        }
    }
}

/// Reads one reply (all its lines); panics on a closed connection.
async fn reply(reader: &mut BufReader<tokio::net::tcp::OwnedReadHalf>) -> String {
    let mut text = String::new();
    loop {
        let mut line = String::new();
        let n = tokio::time::timeout(PATIENCE, reader.read_line(&mut line))
            .await
            .expect("the server answers in time")
            .expect("read a reply");
        assert!(n > 0, "the server closed the connection after {text:?}");
        text.push_str(&line);
        if line.as_bytes().get(3) != Some(&b'-') {
            return text;
        }
    }
}

/// A device's submission over plain SMTP; returns the id the final `250` names. The body is
/// about 200 KB, so the spool writes it in several 64 KiB pieces.
async fn submit(stream: TcpStream) -> String {
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    let mut body = String::from(
        "From: mfp@example.test\r\nTo: office@example.test\r\nSubject: durable scan\r\n\r\n",
    );
    for i in 0..2500 {
        body.push_str(&format!("scan line {i:05} {}\r\n", "x".repeat(64)));
    }
    body.push_str(".\r\n");
    let steps = [
        ("", "220"),
        ("EHLO mfp.example.test\r\n", "250"),
        ("MAIL FROM:<mfp@example.test>\r\n", "250"),
        ("RCPT TO:<office@example.test>\r\n", "250"),
        ("DATA\r\n", "354"),
        (body.as_str(), "250 2.0.0 OK: queued as "),
    ];
    let mut last = String::new();
    for (send, expect) in steps {
        write.write_all(send.as_bytes()).await.expect("send");
        last = reply(&mut reader).await;
        assert!(last.starts_with(expect), "sent {send:.40?}, got {last:?}");
    }
    write.write_all(b"QUIT\r\n").await.expect("send QUIT");
    let _ = reply(&mut reader).await;
    last.trim_end()
        .rsplit(' ')
        .next()
        .expect("an id")
        .to_string()
}

fn fd_is(call: &Call, path: &Path) -> bool {
    call.fd_path().is_some_and(|p| Path::new(&p) == path)
}

fn creates(call: &Call, pred: impl Fn(&Path) -> bool) -> bool {
    call.is(&["openat"])
        && call.has_flag("O_CREAT")
        && call.succeeded()
        && call.returned_path().is_some_and(|p| pred(Path::new(&p)))
}

/// The commit chain of message `id` in `spool`, every step before `reply`.
fn commit_chain<'t>(
    trace: &'t Trace,
    spool: &Path,
    id: &str,
    reply: &'t Call,
) -> Result<Chain<'t>, ChainError> {
    let msg = spool.join("msg");
    let tmp_body = spool.join("tmp").join(format!("{id}.eml"));
    let body = msg.join(format!("{id}.eml"));
    let what = format!("the reply `250 2.0.0 OK: queued as {id}` to the client");
    let mut chain = Chain::new(trace).before(what, reply);
    chain.then("the body file tmp/ID.eml is created", |c| {
        creates(c, |p| p == tmp_body)
    })?;
    // Spool format 2: the body, then the header block (envelope and initial state) at
    // offset 0 of the same file, so the one fsync below covers both.
    chain.then_all("the body is written, every write under either name", |c| {
        c.is_write() && !c.is(&["pwrite64"]) && (fd_is(c, &tmp_body) || fd_is(c, &body))
    })?;
    chain.then(
        "the header block (the envelope) is written at offset 0 of tmp/ID.eml",
        |c| c.is(&["pwrite64"]) && c.succeeded() && fd_is(c, &tmp_body) && c.text.contains(", 0)"),
    )?;
    chain.then(
        "fsync of the message file, after its header write returned",
        |c| c.is_sync() && c.succeeded() && fd_is(c, &tmp_body),
    )?;
    chain.then(
        "rename of tmp/ID.eml to msg/ID.eml, after the body fsync returned",
        |c| c.succeeded() && c.rename_paths() == Some((tmp_body.clone(), body.clone())),
    )?;
    chain.then(
        "fsync of the msg/ directory, entered after that rename returned",
        |c| c.is_sync() && c.succeeded() && fd_is(c, &msg),
    )?;
    Ok(chain)
}

/// Nothing may publish a name earlier than the chain does: the first rename onto `target` in
/// the whole trace must be the chain's (else an unsynced file was visible under it first).
fn assert_first_rename_onto(trace: &Trace, target: &Path, chain_call: &Call) {
    let first = trace
        .find(|c| c.rename_paths().is_some_and(|(_, to)| to == target))
        .expect("the chain has one");
    assert_eq!(
        first,
        chain_call,
        "{} was renamed into place before the chain's rename",
        target.display()
    );
}

#[tokio::test]
async fn commit_fsyncs_the_message_file_and_msg_dir_before_the_250() {
    let strace = require_strace!();
    let mut server = Traced::start(&strace).await;
    let id = submit(server.connect().await).await;
    let spool = server.spool();
    let trace = server.stop().await;
    let expected = format!("250 2.0.0 OK: queued as {id}\r\n");
    let reply = trace
        .find(|c| {
            c.is_write()
                && c.fd_path().is_some_and(|p| p.starts_with("socket:["))
                && c.data().is_some_and(|d| d == expected.as_bytes())
        })
        .unwrap_or_else(|| panic!("no write of {expected:?} to a socket in the trace"));
    let spool_text = spool.display().to_string();
    let excerpt = || {
        trace.excerpt(|c| {
            (c.text.contains(&spool_text) && !c.text.contains("/spool/reserve"))
                || c.fd_path().is_some_and(|p| p.starts_with("socket:["))
        })
    };
    let chain = commit_chain(&trace, &spool, &id, reply).unwrap_or_else(|e| {
        panic!(
            "message {id}: {e}\n\nthe spool's and the sockets' calls:\n{}",
            excerpt()
        )
    });
    let calls = chain.calls();
    assert_first_rename_onto(
        &trace,
        &spool.join("msg").join(format!("{id}.eml")),
        calls[4],
    );
    let file = std::fs::read(spool.join("msg").join(format!("{id}.eml"))).expect("message");
    let header = String::from_utf8_lossy(&file[..file.len().min(4096)]);
    assert!(
        header.starts_with("\0scanrelay-spool message 2\n") && header.contains("mfp@example.test"),
        "the envelope is in the message file's header: {header:.200?}"
    );
    eprintln!("commit chain of {id}:\n{chain}");
}
