//! Helpers of the `fetch` and `check --pop` tests: the fetch mailbox of the real Dovecot peer
//! (`SCANRELAY_PEER_FETCH_USER`, a mailbox no other test reads), messages written straight
//! into its Maildir, and runs of the binary with the password in the environment.

use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use scanrelay_test_support::Peers;

use crate::{Run, scanrelay};

/// The environment variable the tests pass the password in.
pub const PASSWORD_VAR: &str = "FETCH_TEST_PASSWORD";

/// One test at a time uses the fetch mailbox (it is emptied and filled per test).
pub static MAILBOX: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The real peers and the fetch mailbox's account.
pub struct Account {
    pub peers: Peers,
    pub user: String,
    pub password: String,
}

/// The account, or `None` to skip (a panic when `SCANRELAY_REQUIRE_PEERS=1`).
pub fn account() -> Option<Account> {
    let peers = scanrelay_test_support::peers()?;
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    match (
        var("SCANRELAY_PEER_FETCH_USER"),
        var("SCANRELAY_PEER_FETCH_PASSWORD"),
    ) {
        (Some(user), Some(password)) => Some(Account {
            peers,
            user,
            password,
        }),
        _ if var("SCANRELAY_REQUIRE_PEERS").as_deref() == Some("1") => {
            panic!("SCANRELAY_PEER_FETCH_USER is not set: restart the peers (scripts/peers)")
        }
        _ => None,
    }
}

impl Account {
    /// The mailbox's Maildir.
    pub fn maildir(&self) -> PathBuf {
        let (local, domain) = self.user.split_once('@').expect("user is an address");
        self.peers.maildir_root.join(domain).join(local)
    }

    /// Removes every message from the mailbox.
    pub fn empty(&self) {
        for sub in ["new", "cur"] {
            let dir = self.maildir().join(sub);
            for entry in std::fs::read_dir(&dir).expect("read maildir") {
                std::fs::remove_file(entry.expect("entry").path()).expect("remove message");
            }
        }
    }

    /// Delivers `raw` (LF line endings, as Maildir keeps them) into the mailbox.
    pub fn deliver(&self, raw: &[u8]) {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = self.maildir();
        let owner = std::fs::metadata(&dir).expect("maildir");
        let name = format!("{}.M{n}P{}.test", 1_700_000_000 + n, std::process::id());
        let tmp = dir.join("tmp").join(&name);
        std::fs::write(&tmp, raw).expect("write message");
        std::os::unix::fs::chown(&tmp, Some(owner.uid()), Some(owner.gid())).expect("chown");
        std::fs::rename(&tmp, dir.join("new").join(&name)).expect("deliver");
    }

    /// How many messages the mailbox holds.
    pub fn count(&self) -> usize {
        ["new", "cur"]
            .iter()
            .map(|sub| {
                std::fs::read_dir(self.maildir().join(sub))
                    .expect("maildir")
                    .count()
            })
            .sum()
    }

    /// `--server --port --tls --user --password-env --ca-file` for POP3S (`implicit`) or STLS.
    pub fn endpoint_args(&self, implicit: bool) -> Vec<String> {
        let (port, tls) = if implicit {
            (self.peers.pop3s_port, "implicit")
        } else {
            (self.peers.pop3_port, "starttls")
        };
        [
            "--server",
            &self.peers.cert_host,
            "--port",
            &port.to_string(),
            "--tls",
            tls,
            "--user",
            &self.user,
            "--password-env",
            PASSWORD_VAR,
            "--ca-file",
            &self.peers.ca.display().to_string(),
        ]
        .map(str::to_string)
        .to_vec()
    }

    /// `scanrelay fetch` into `out` with `extra` flags, `--json`.
    pub async fn fetch(&self, implicit: bool, out: &Path, extra: &[&str]) -> Run {
        let mut args = vec!["fetch".to_string()];
        args.extend(self.endpoint_args(implicit));
        args.extend([
            "--out".to_string(),
            out.display().to_string(),
            "--json".into(),
        ]);
        args.extend(extra.iter().map(|s| s.to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let run = scanrelay(&args, &[(PASSWORD_VAR, &self.password)]).await;
        run.assert_no_secrets(&[&self.password]);
        run
    }
}

/// A message with one attachment whose Content-Disposition parameters are `disposition`.
pub fn with_attachment(subject: &str, disposition: &str, content: &[u8]) -> Vec<u8> {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(content);
    format!(
        "From: scanner@office.example\nTo: fetch@example.test\nSubject: {subject}\n\
         MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b1\"\n\n\
         --b1\nContent-Type: text/plain; charset=utf-8\n\nScanned.\n\
         --b1\nContent-Type: application/pdf\nContent-Disposition: attachment; {disposition}\n\
         Content-Transfer-Encoding: base64\n\n{b64}\n--b1--\n"
    )
    .into_bytes()
}

/// The regular files directly in `dir` (not the working and messages directories).
pub fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read out dir")
        .map(|e| e.expect("entry"))
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The saved `.eml` files.
pub fn messages_in(out: &Path) -> Vec<PathBuf> {
    let dir = out.join("messages");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|rd| rd.map(|e| e.expect("entry").path()).collect())
        .unwrap_or_default();
    paths.retain(|p| p.extension().is_some_and(|e| e == "eml"));
    paths.sort();
    paths
}

/// CRLF → LF (POP3 sends CRLF; the Maildir keeps LF).
pub fn lf(bytes: &[u8]) -> Vec<u8> {
    String::from_utf8_lossy(bytes)
        .replace("\r\n", "\n")
        .into_bytes()
}
