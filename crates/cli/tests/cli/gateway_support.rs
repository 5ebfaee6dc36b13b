//! Running `scanrelay serve` as a child process against the real Postfix peer, and reading
//! what reached the Dovecot mailbox.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use scanrelay_test_support::Peers;
use tokio::process::{Child, Command};

/// A gateway process with its own data directory and config.
pub struct Gateway {
    /// The child process.
    pub child: Child,
    /// Device-facing SMTP port.
    pub port: u16,
    /// Data directory (spool, certificate).
    pub dir: tempfile::TempDir,
    /// Config file.
    pub config: PathBuf,
    /// Environment variables set for `scanrelay serve` (kept across restarts).
    pub env: Vec<(String, String)>,
}

/// A free loopback port (bound then released).
pub fn free_port() -> u16 {
    crate::closed_port()
}

/// How the test wants the gateway configured.
pub struct GatewayConfig<'a> {
    /// Upstream port on 127.0.0.1 (None: no upstream).
    pub upstream_port: Option<u16>,
    /// `listen.allow_networks`, as TOML.
    pub allow_networks: &'a str,
    /// `from_policy`.
    pub from_policy: &'a str,
    /// Extra TOML appended to `[listen]`.
    pub listen_extra: &'a str,
    /// Extra TOML sections appended at the end.
    pub extra: &'a str,
}

impl Default for GatewayConfig<'_> {
    fn default() -> Self {
        GatewayConfig {
            upstream_port: None,
            allow_networks: "[\"127.0.0.0/8\"]",
            from_policy: "keep",
            listen_extra: "",
            extra: "",
        }
    }
}

fn config_text(p: &Peers, port: u16, dir: &Path, c: &GatewayConfig<'_>) -> String {
    let pwfile = dir.join("upstream-password");
    std::fs::write(&pwfile, &p.password).expect("write password file");
    let mut text = format!(
        "[listen]\nsmtp = \"127.0.0.1:{port}\"\nweb = \"\"\nallow_networks = {}\nmax_message_size = \"20MB\"\n{}\n",
        c.allow_networks, c.listen_extra
    );
    if let Some(up) = c.upstream_port {
        text.push_str(&format!(
            "[upstream]\nserver = \"127.0.0.1\"\nport = {up}\ntls = \"starttls\"\nusername = \"{}\"\npassword_file = \"{}\"\nca_file = \"{}\"\nfrom_policy = \"{}\"\n",
            p.user,
            pwfile.display(),
            p.ca.display(),
            c.from_policy
        ));
    }
    text.push_str("[delivery]\nretry_min = \"1s\"\nretry_max = \"2s\"\n");
    text.push_str(c.extra);
    text
}

impl Gateway {
    /// Writes the config and starts `scanrelay serve`; returns once the port accepts.
    pub async fn start(p: &Peers, c: GatewayConfig<'_>) -> Gateway {
        Gateway::start_raw(|port, dir| config_text(p, port, dir, &c)).await
    }

    /// Starts `scanrelay serve` with the config `make(port, data_dir)` returns.
    pub async fn start_raw(make: impl FnOnce(u16, &Path) -> String) -> Gateway {
        Gateway::start_with_env(make, &[]).await
    }

    /// [`Gateway::start_raw`] with these environment variables set for `scanrelay serve`.
    pub async fn start_with_env(
        make: impl FnOnce(u16, &Path) -> String,
        env: &[(&str, &str)],
    ) -> Gateway {
        let dir = tempfile::tempdir().expect("tempdir");
        let port = free_port();
        let config = dir.path().join("scanrelay.toml");
        std::fs::write(&config, make(port, dir.path())).expect("write config");
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let child = spawn(&config, dir.path(), &env).await;
        let mut gw = Gateway {
            child,
            port,
            dir,
            config,
            env,
        };
        gw.wait_listening().await;
        gw
    }

    /// Starts the gateway again on the same config and data (after a crash).
    pub async fn restart(&mut self) {
        self.child = spawn(&self.config, self.dir.path(), &self.env).await;
        self.wait_listening().await;
    }

    async fn wait_listening(&mut self) {
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(("127.0.0.1", self.port))
                .await
                .is_ok()
            {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("gateway exited early: {status}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("gateway did not listen on {}", self.port);
    }

    /// `kill -9`.
    pub async fn kill9(&mut self) {
        self.child.start_kill().expect("kill");
        let _ = self.child.wait().await;
    }

    /// `scanrelay queue ARGS` on this gateway's data.
    pub async fn queue(&self, args: &[&str]) -> crate::Run {
        let cfg = self.config.to_string_lossy().into_owned();
        let dir = self.dir.path().to_string_lossy().into_owned();
        let mut all = vec!["queue", "--config", &cfg, "--data-dir", &dir];
        all.extend_from_slice(args);
        crate::scanrelay(&all, &[]).await
    }

    /// The queue as JSON.
    pub async fn queue_json(&self) -> Vec<serde_json::Value> {
        let run = self.queue(&["list", "--json"]).await;
        assert_eq!(run.code, 0, "{}", run.stderr);
        run.json().as_array().cloned().unwrap_or_default()
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

/// Starts `scanrelay serve` logging at debug level to `<dir>/serve.log` (appended across
/// restarts), so tests can check what the logs say and that they hold no secret.
async fn spawn(config: &Path, dir: &Path, env: &[(String, String)]) -> Child {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("serve.log"))
        .expect("open serve.log");
    let err = log.try_clone().expect("clone log handle");
    Command::new(env!("CARGO_BIN_EXE_scanrelay"))
        .args(["serve", "--config"])
        .arg(config)
        .arg("--data-dir")
        .arg(dir)
        .env("SCANRELAY_LOG", "debug")
        .env("NO_COLOR", "1")
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::from(log))
        .stderr(Stdio::from(err))
        .kill_on_drop(true)
        .spawn()
        .expect("spawn scanrelay serve")
}

impl Gateway {
    /// Everything the gateway printed and logged so far.
    pub fn logs(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("serve.log")).unwrap_or_default()
    }

    /// `host:port` of the device-facing listener.
    pub fn server(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

/// A device played by swaks: one message with `X-Test-Id`, optional attachment and extra
/// swaks flags (`--tls`, `--auth ...`). Returns (status, transcript).
pub async fn swaks(
    gw: &Gateway,
    from: &str,
    to: &str,
    test_id: &str,
    extra: &[&str],
) -> (i32, String) {
    let server = gw.server();
    let header = format!("X-Test-Id: {test_id}");
    let mut args = vec![
        "--server",
        &server,
        "--helo",
        "mfp-swaks.example.test",
        "--from",
        from,
        "--to",
        to,
    ];
    args.extend_from_slice(&["--header", &header]);
    args.extend_from_slice(extra);
    let (code, out, err) = run_tool("swaks", &args, &[]).await;
    (code, out + &err)
}

/// A device played by Python's smtplib sending `attachment` as a PDF.
pub async fn smtplib(gw: &Gateway, from: &str, to: &str, test_id: &str, attachment: &Path) {
    let port = gw.port.to_string();
    let path = attachment.to_string_lossy().into_owned();
    let (code, _, err) = run_tool(
        "python3",
        &[
            &py("smtplib_send.py"),
            "127.0.0.1",
            &port,
            from,
            to,
            test_id,
            &path,
        ],
        &[],
    )
    .await;
    assert_eq!(code, 0, "smtplib: {err}");
}

/// A device played by curl uploading a prepared message.
pub async fn curl(gw: &Gateway, from: &str, to: &str, test_id: &str) {
    let eml = gw.dir.path().join(format!("{test_id}.eml"));
    let mime = format!(
        "From: {from}\r\nTo: {to}\r\nSubject: curl scan\r\nX-Test-Id: {test_id}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\nplain scan notice from curl\r\n"
    );
    std::fs::write(&eml, mime).expect("write eml");
    let url = format!("smtp://{}", gw.server());
    let file = eml.to_string_lossy().into_owned();
    let (code, _, err) = run_tool(
        "curl",
        &[
            "-sS",
            &url,
            "--mail-from",
            from,
            "--mail-rcpt",
            to,
            "-T",
            &file,
        ],
        &[],
    )
    .await;
    assert_eq!(code, 0, "curl: {err}");
}

/// Runs a program; returns (status, stdout, stderr).
pub async fn run_tool(program: &str, args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut cmd = Command::new(program);
    cmd.args(args).stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd
        .output()
        .await
        .unwrap_or_else(|e| panic!("run {program}: {e}"));
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The Python helper scripts next to this file.
pub fn py(name: &str) -> String {
    format!("{}/tests/cli/py/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// Fetches the messages with `X-Test-Id: test_id` from user2's mailbox over POP3 (STLS) and
/// returns their From, Reply-To, Subject and attachment hashes (Python's email as oracle).
pub async fn pop3_messages(p: &Peers, test_id: &str) -> Vec<serde_json::Value> {
    let port = p.pop3_port.to_string();
    let ca = p.ca.to_string_lossy().into_owned();
    let (code, out, err) = run_tool(
        "python3",
        &[
            &py("pop3_attachments.py"),
            &p.host,
            &port,
            &ca,
            &p.user2,
            &p.password2,
            test_id,
        ],
        &[],
    )
    .await;
    assert_eq!(code, 0, "pop3 fetch failed: {err}");
    serde_json::from_str::<serde_json::Value>(&out)
        .expect("json")
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// Waits until a message with `X-Test-Id: test_id` is in user2's Maildir.
pub async fn wait_delivered(p: &Peers, test_id: &str, secs: u64) -> bool {
    let needle = format!("X-Test-Id: {test_id}\r");
    let needle_lf = format!("X-Test-Id: {test_id}\n");
    p.wait_for_message(
        &p.user2,
        |m| {
            let s = String::from_utf8_lossy(m);
            s.contains(&needle) || s.contains(&needle_lf)
        },
        Duration::from_secs(secs),
    )
    .await
    .is_some()
}

/// SHA-256 of a file, via Python (to compare with the POP3 side).
pub fn random_scan(dir: &Path, name: &str, len: usize) -> (PathBuf, String) {
    let mut data = Vec::with_capacity(len);
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15 ^ len as u64;
    data.extend_from_slice(b"%PDF-1.4\n");
    while data.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        data.extend_from_slice(&x.to_le_bytes());
    }
    data.truncate(len);
    let path = dir.join(name);
    std::fs::write(&path, &data).expect("write scan");
    (path, sha256_hex(&data))
}

fn sha256_hex(data: &[u8]) -> String {
    let out = std::process::Command::new("python3")
        .args([
            "-c",
            "import hashlib,sys;print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin.take().expect("stdin").write_all(data)?;
            c.wait_with_output()
        })
        .expect("python sha256");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}
