//! Helpers for the listener tests: a gateway on 127.0.0.1 port 0 with a temporary data dir,
//! a raw SMTP client for the quirks real clients cannot produce, child-process runners for
//! swaks / curl / Python smtplib, and spool inspection.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Output;
use std::time::Duration;

use scanrelay_gateway::settings::{DeliverySettings, DeviceAccount, ListenSettings, Settings};
use scanrelay_gateway::{Gateway, RunningGateway};
use scanrelay_spool::Entry;
use tempfile::TempDir;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// The host name the test gateway greets with.
pub const HOST: &str = "gw.test";

/// Settings for a test gateway: both listeners on 127.0.0.1 port 0, loopback allowed,
/// no devices, no upstream.
pub fn settings(data_dir: &Path) -> Settings {
    Settings {
        listen: ListenSettings {
            smtp: Some("127.0.0.1:0".parse().unwrap()),
            smtps: Some("127.0.0.1:0".parse().unwrap()),
            pop3: None,
            pop3s: None,
            pop_before_smtp: None,
            allow_networks: vec!["127.0.0.0/8".parse().unwrap()],
            max_message_size: 1_000_000,
            max_recipients: 100,
            max_connections: 50,
            max_connections_per_ip: 20,
            command_timeout: Duration::from_secs(300),
            data_timeout: Duration::from_secs(600),
            allow_plaintext_auth: false,
            tls_cert: None,
            tls_key: None,
            tls_min_version: Default::default(),
            hostname: HOST.to_string(),
            max_auth_failures: 5,
            auth_lockout: Duration::from_secs(900),
            unauthenticated_timeout: Duration::from_secs(30),
            max_session_time: Duration::from_secs(1800),
            web: Default::default(),
        },
        devices: Vec::new(),
        upstreams: Vec::new(),
        routing: Default::default(),
        delivery: DeliverySettings::default(),
        spool_dir: data_dir.join("spool"),
        data_dir: data_dir.to_path_buf(),
        oauth: Vec::new(),
    }
}

/// A device account.
pub fn device(user: &str, password: &str) -> DeviceAccount {
    DeviceAccount {
        username: user.to_string(),
        password: password.to_string(),
        mailbox_address: None,
    }
}

/// A started test gateway and its data dir (kept alive with it).
pub struct TestGateway {
    pub gw: RunningGateway,
    pub dir: TempDir,
}

impl TestGateway {
    /// Starts a gateway with `change` applied to the default test settings.
    pub async fn start(change: impl FnOnce(&mut Settings)) -> TestGateway {
        let dir = tempfile::tempdir().unwrap();
        let mut s = settings(dir.path());
        change(&mut s);
        let gw = Gateway::start(s).await.expect("gateway starts");
        TestGateway { gw, dir }
    }

    pub fn smtp(&self) -> SocketAddr {
        self.gw.smtp_addr().unwrap()
    }

    pub fn smtps(&self) -> SocketAddr {
        self.gw.smtps_addr().unwrap()
    }

    /// Every queued message with its body, in acceptance order.
    pub async fn messages(&self) -> Vec<(Entry, Vec<u8>)> {
        let spool = self.gw.spool();
        let mut out = Vec::new();
        for entry in spool.list().await.unwrap() {
            let mut body = Vec::new();
            let mut file = spool.open_body(&entry.id).await.unwrap();
            tokio::io::AsyncReadExt::read_to_end(&mut file, &mut body)
                .await
                .unwrap();
            out.push((entry, body));
        }
        out
    }

    /// The single queued message.
    pub async fn only_message(&self) -> (Entry, Vec<u8>) {
        let mut all = self.messages().await;
        assert_eq!(all.len(), 1, "expected exactly one queued message");
        all.pop().unwrap()
    }

    /// Files left in the spool's `tmp/` (must be none once sessions are done).
    pub fn tmp_files(&self) -> usize {
        let tmp = self.gw.spool().dir().join("tmp");
        std::fs::read_dir(tmp).map_or(0, |d| d.count())
    }
}

/// A raw SMTP client over any stream: sends exact bytes, reads whole replies.
pub struct Raw<S> {
    io: BufReader<S>,
}

impl Raw<TcpStream> {
    pub async fn connect(addr: SocketAddr) -> Raw<TcpStream> {
        Raw::new(TcpStream::connect(addr).await.unwrap())
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Raw<S> {
    pub fn new(stream: S) -> Raw<S> {
        Raw {
            io: BufReader::new(stream),
        }
    }

    /// Sends bytes as they are.
    pub async fn send(&mut self, bytes: impl AsRef<[u8]>) {
        self.io.get_mut().write_all(bytes.as_ref()).await.unwrap();
        self.io.get_mut().flush().await.unwrap();
    }

    /// Reads one (possibly multi-line) reply, raw, line endings included; empty at EOF.
    pub async fn reply(&mut self) -> String {
        let mut all = String::new();
        loop {
            let mut line = String::new();
            if self.io.read_line(&mut line).await.unwrap() == 0 {
                return all;
            }
            all.push_str(&line);
            if line.as_bytes().get(3) != Some(&b'-') {
                return all;
            }
        }
    }

    /// Sends `line` + CRLF and reads the reply.
    pub async fn cmd(&mut self, line: &str) -> String {
        self.send(format!("{line}\r\n")).await;
        self.reply().await
    }

    /// Greeting, EHLO, MAIL, RCPT..., DATA, `content` (already dot-stuffed, ending CRLF),
    /// `.`; returns the final reply.
    pub async fn send_mail(&mut self, from: &str, to: &[&str], content: &str) -> String {
        assert!(self.reply().await.starts_with("220 "));
        assert!(self.cmd("EHLO device.test").await.starts_with("250"));
        assert!(
            self.cmd(&format!("MAIL FROM:<{from}>"))
                .await
                .starts_with("250")
        );
        for rcpt in to {
            let reply = self.cmd(&format!("RCPT TO:<{rcpt}>")).await;
            assert!(reply.starts_with("250"), "{reply}");
        }
        assert!(self.cmd("DATA").await.starts_with("354"));
        self.send(content).await;
        self.cmd(".").await
    }
}

/// Asserts a reply's code.
#[track_caller]
pub fn expect_code(reply: &str, code: &str) {
    assert!(reply.starts_with(code), "expected {code}, got {reply:?}");
}

/// Runs a child process (swaks, curl, python3) with a time limit; returns its output.
pub async fn run(program: &str, args: &[&str]) -> Output {
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(args).kill_on_drop(true);
    tokio::time::timeout(Duration::from_secs(60), cmd.output())
        .await
        .unwrap_or_else(|_| panic!("{program} timed out"))
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"))
}

/// stdout and stderr as one string, for assertions and failure messages.
pub fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The stored message without the gateway's `Received:` trace header (folded: two lines, four
/// over TLS with the `(using ... with cipher ...)` comment).
pub fn without_received(body: &[u8]) -> &[u8] {
    assert!(
        body.starts_with(b"Received: from "),
        "no Received header first"
    );
    let mut next = body.windows(2).position(|w| w == b"\r\n").unwrap() + 2;
    assert_eq!(body[next], b'\t', "Received is folded onto a second line");
    while body[next] == b'\t' {
        next += body[next..].windows(2).position(|w| w == b"\r\n").unwrap() + 2;
    }
    &body[next..]
}
