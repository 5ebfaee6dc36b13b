//! Integration tests of the `scanrelay` binary: `check` against the real Postfix/Dovecot peers
//! and against scripted provider servers, and `explain` over the labelled provider replies.

mod admin;
mod advice_claims;
mod check_korean;
mod check_peers;
mod check_pop;
mod check_scripted;
mod check_verdicts;
mod closed_pipe;
mod console_browser;
mod console_e2e;
mod explain;
mod fetch_peers;
mod fetch_support;
mod gateway_e2e;
mod gateway_oauth;
mod gateway_pop3;
mod gateway_support;
mod ifax_peers;
mod json_errors;
mod oauth;
mod oauth_durability;
mod oauth_peers;
mod queue;
mod queue_explain;
mod queue_old_tls;
mod readme;
mod send_offline;
mod send_peers;
mod serve_logs;
mod serve_reload;
mod spool_durability;
mod wizard_claims;

use std::process::Stdio;

use scanrelay_test_support::assert_no_secrets;

/// What one run of the binary printed.
pub struct Run {
    /// Exit status (-1 when killed by a signal).
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Run {
    /// Parses stdout as the one JSON object `--json` promises.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not one JSON object ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }

    /// The cause code of a `check --json` run.
    pub fn cause(&self) -> String {
        self.json()["cause"].as_str().unwrap_or("ok").to_string()
    }

    /// Asserts no secret in either output stream.
    pub fn assert_no_secrets(&self, secrets: &[&str]) {
        assert_no_secrets(&self.stdout, secrets);
        assert_no_secrets(&self.stderr, secrets);
    }
}

/// Runs `scanrelay ARGS` with extra environment variables, stdin closed.
pub async fn scanrelay(args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_scanrelay"));
    cmd.args(args)
        .env("LANG", "C.UTF-8")
        .env_remove("LC_ALL")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().await.expect("run scanrelay");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs `scanrelay ARGS` with `input` on stdin.
pub async fn scanrelay_stdin(args: &[&str], input: &str) -> Run {
    use tokio::io::AsyncWriteExt;
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_scanrelay"))
        .args(args)
        .env("LANG", "C.UTF-8")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn scanrelay");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin
        .write_all(input.as_bytes())
        .await
        .expect("write stdin");
    drop(stdin);
    let out = child.wait_with_output().await.expect("wait");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A loopback port with nothing listening on it.
pub fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}
