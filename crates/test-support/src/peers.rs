//! The real loopback mail peers (Postfix, Dovecot) that `scripts/peers` starts and describes
//! in `SCANRELAY_PEER_*` variables.

use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Set to `1` (CI does) to turn "peers not running" from a skip into a failure.
pub(crate) const REQUIRE_VAR: &str = "SCANRELAY_REQUIRE_PEERS";
const HOST_VAR: &str = "SCANRELAY_PEER_HOST";

/// How deep below the Maildir root a user's directory may sit (`root/domain/user` is 2).
const MAX_USER_DIR_DEPTH: usize = 3;

/// Skips the calling test (with a note on stderr) when the real peers are not running, else
/// evaluates to the [`Peers`]. With `SCANRELAY_REQUIRE_PEERS=1` a missing environment panics
/// instead, so CI can never skip real-peer tests silently.
///
/// ```no_run
/// #[tokio::test]
/// async fn delivers_to_the_real_postfix() {
///     let peers = scanrelay_test_support::require_peers!();
///     let _port = peers.submission_port;
/// }
/// ```
#[macro_export]
macro_rules! require_peers {
    () => {
        match $crate::peers() {
            ::std::option::Option::Some(peers) => peers,
            ::std::option::Option::None => {
                ::std::eprintln!("skipping: real peers not running (run scripts/test)");
                return;
            }
        }
    };
}

/// Where the real peers listen and who may log in. All ports are on [`Peers::host`], which is
/// always a loopback address.
#[derive(Clone, PartialEq, Eq)]
pub struct Peers {
    /// `SCANRELAY_PEER_HOST`: a loopback address or `localhost`.
    pub host: String,
    /// `SCANRELAY_PEER_SMTP_PORT`: plain SMTP (port 25 style, no AUTH required).
    pub smtp_port: u16,
    /// `SCANRELAY_PEER_SUBMISSION_PORT`: STARTTLS required, AUTH required (587 style).
    pub submission_port: u16,
    /// `SCANRELAY_PEER_SMTPS_PORT`: implicit TLS (465 style).
    pub smtps_port: u16,
    /// `SCANRELAY_PEER_POP3_PORT`: POP3 with STLS.
    pub pop3_port: u16,
    /// `SCANRELAY_PEER_POP3S_PORT`: POP3 over implicit TLS.
    pub pop3s_port: u16,
    /// `SCANRELAY_PEER_RELAY_PORT`: the store-and-forward relay to compare against.
    pub relay_port: u16,
    /// `SCANRELAY_PEER_CA`: the CA file that signed the peers' certificates.
    pub ca: PathBuf,
    /// `SCANRELAY_PEER_CERT_HOST`: the name the peers' certificate is valid for.
    pub cert_host: String,
    /// `SCANRELAY_PEER_USER`: a mailbox that can log in.
    pub user: String,
    /// `SCANRELAY_PEER_PASSWORD`.
    pub password: String,
    /// `SCANRELAY_PEER_USER2`: a second mailbox.
    pub user2: String,
    /// `SCANRELAY_PEER_PASSWORD2`.
    pub password2: String,
    /// `SCANRELAY_PEER_MAILDIR_ROOT`: where delivered mail lands.
    pub maildir_root: PathBuf,
    /// `SCANRELAY_PEER_TEMPFAIL_RCPT`: a recipient the peers answer with `451 4.3.0`.
    pub tempfail_rcpt: String,
    /// `SCANRELAY_PEER_REJECT_RCPT`: a recipient the peers answer with `550 5.7.1`.
    pub reject_rcpt: String,
}

/// The real peers from the process environment; `None` when `SCANRELAY_PEER_HOST` is unset.
///
/// # Panics
/// When `SCANRELAY_REQUIRE_PEERS=1` and the peers are not described, when the host is set
/// but another variable is missing or malformed, or when the host is not a loopback address.
pub fn peers() -> Option<Peers> {
    Peers::from_vars(|name| std::env::var(name).ok())
}

impl Peers {
    /// [`peers()`] over an injected variable source (tests pass a map).
    ///
    /// # Panics
    /// As [`peers()`].
    pub fn from_vars(lookup: impl Fn(&str) -> Option<String>) -> Option<Peers> {
        let var = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let Some(host) = var(HOST_VAR) else {
            if var(REQUIRE_VAR).is_some_and(|v| v.trim() == "1") {
                panic!(
                    "{REQUIRE_VAR}=1 but {HOST_VAR} is not set: the real peers are not running. \
                     Start them with scripts/peers (scripts/test does) and export their environment."
                );
            }
            return None;
        };
        assert_loopback(&host);
        let mut missing = Vec::new();
        let mut text = |suffix: &str| {
            let name = format!("SCANRELAY_PEER_{suffix}");
            var(&name).unwrap_or_else(|| {
                missing.push(name);
                String::new()
            })
        };
        let raw = RawPeers {
            ports: [
                "SMTP_PORT",
                "SUBMISSION_PORT",
                "SMTPS_PORT",
                "POP3_PORT",
                "POP3S_PORT",
                "RELAY_PORT",
            ]
            .map(|suffix| (suffix, text(suffix))),
            ca: text("CA"),
            cert_host: text("CERT_HOST"),
            users: [
                text("USER"),
                text("PASSWORD"),
                text("USER2"),
                text("PASSWORD2"),
            ],
            maildir_root: text("MAILDIR_ROOT"),
            tempfail_rcpt: text("TEMPFAIL_RCPT"),
            reject_rcpt: text("REJECT_RCPT"),
        };
        assert!(
            missing.is_empty(),
            "{HOST_VAR} is set but these peer variables are missing: {} (is scripts/peers up to date?)",
            missing.join(", ")
        );
        Some(raw.into_peers(host))
    }

    /// Every delivered message file of `user` (an address or its local part), from the `new/`
    /// and `cur/` directories of the user's Maildir, sorted by path.
    ///
    /// The user's directory is found by name (the local part, or the whole address; a bare
    /// local part also finds `local@any-domain`) up to three levels below the Maildir root, so `root/user`, `root/domain/user`,
    /// `root/user@domain` and a `Maildir/` inside any of them all work.
    pub fn maildir_messages(&self, user: &str) -> Vec<PathBuf> {
        let mut maildirs = Vec::new();
        find_maildirs(
            &self.maildir_root,
            1,
            &|name| names_user(name, user),
            &mut maildirs,
        );
        let mut files: Vec<PathBuf> = maildirs
            .iter()
            .flat_map(|dir| ["new", "cur"].map(|sub| dir.join(sub)))
            .flat_map(|dir| list_files(&dir))
            .collect();
        files.sort();
        files.dedup();
        files
    }

    /// Polls `user`'s Maildir until a message satisfies `predicate` (given the raw message
    /// bytes), returning its path and bytes, or `None` after `timeout`. Uses the wall clock, so
    /// it also works in tests that pause tokio's clock.
    pub async fn wait_for_message(
        &self,
        user: &str,
        predicate: impl Fn(&[u8]) -> bool,
        timeout: Duration,
    ) -> Option<(PathBuf, Vec<u8>)> {
        let deadline = Instant::now() + timeout;
        loop {
            for path in self.maildir_messages(user) {
                // A message may move from new/ to cur/ between listing and reading.
                if let Ok(bytes) = std::fs::read(&path)
                    && predicate(&bytes)
                {
                    return Some((path, bytes));
                }
            }
            if Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl fmt::Debug for Peers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Peers")
            .field("host", &self.host)
            .field("smtp_port", &self.smtp_port)
            .field("submission_port", &self.submission_port)
            .field("smtps_port", &self.smtps_port)
            .field("pop3_port", &self.pop3_port)
            .field("pop3s_port", &self.pop3s_port)
            .field("relay_port", &self.relay_port)
            .field("ca", &self.ca)
            .field("cert_host", &self.cert_host)
            .field("user", &self.user)
            .field("user2", &self.user2)
            .field("maildir_root", &self.maildir_root)
            .field("tempfail_rcpt", &self.tempfail_rcpt)
            .field("reject_rcpt", &self.reject_rcpt)
            .finish_non_exhaustive()
    }
}

/// Whether `needle` occurs in `haystack` (for [`Peers::wait_for_message`] predicates).
pub fn bytes_contain(haystack: &[u8], needle: &str) -> bool {
    let needle = needle.as_bytes();
    needle.is_empty() || haystack.windows(needle.len()).any(|w| w == needle)
}

/// The variables as read, before port parsing.
struct RawPeers {
    ports: [(&'static str, String); 6],
    ca: String,
    cert_host: String,
    users: [String; 4],
    maildir_root: String,
    tempfail_rcpt: String,
    reject_rcpt: String,
}

impl RawPeers {
    fn into_peers(self, host: String) -> Peers {
        let [smtp, submission, smtps, pop3, pop3s, relay] =
            self.ports
                .map(|(suffix, value)| match value.trim().parse::<u16>() {
                    Ok(port) if port != 0 => port,
                    _ => panic!("SCANRELAY_PEER_{suffix} is not a port number: {value:?}"),
                });
        let [user, password, user2, password2] = self.users;
        Peers {
            host,
            smtp_port: smtp,
            submission_port: submission,
            smtps_port: smtps,
            pop3_port: pop3,
            pop3s_port: pop3s,
            relay_port: relay,
            ca: PathBuf::from(self.ca),
            cert_host: self.cert_host,
            user,
            password,
            user2,
            password2,
            maildir_root: PathBuf::from(self.maildir_root),
            tempfail_rcpt: self.tempfail_rcpt,
            reject_rcpt: self.reject_rcpt,
        }
    }
}

/// Test code must never reach beyond this machine.
fn assert_loopback(host: &str) {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let loopback = bare.eq_ignore_ascii_case("localhost")
        || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
    assert!(
        loopback,
        "{HOST_VAR}={host:?} is not a loopback address; scanrelay tests only talk to 127.0.0.1"
    );
}

/// Whether a directory called `name` belongs to `user` (an address or a bare local part):
/// the same address, the same local part, or (for a bare local part) any address with it.
fn names_user(name: &str, user: &str) -> bool {
    let local = user.split('@').next().unwrap_or(user);
    let name_local = name.split('@').next().unwrap_or(name);
    name.eq_ignore_ascii_case(user)
        || name.eq_ignore_ascii_case(local)
        || (!user.contains('@') && name_local.eq_ignore_ascii_case(local))
}

/// Collects the Maildirs (directories with a `new/` inside) of directories `is_user` accepts,
/// searching `depth..=MAX_USER_DIR_DEPTH` levels below `dir`.
fn find_maildirs(dir: &Path, depth: usize, is_user: &dyn Fn(&str) -> bool, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if !path.is_dir() {
            continue;
        }
        let name = entry.file_name().to_string_lossy().into_owned();
        if matches!(name.as_str(), "new" | "cur" | "tmp") {
            continue;
        }
        if is_user(&name) {
            for maildir in [path.clone(), path.join("Maildir")] {
                if maildir.join("new").is_dir() {
                    out.push(maildir);
                }
            }
        }
        if depth < MAX_USER_DIR_DEPTH {
            find_maildirs(&path, depth + 1, is_user, out);
        }
    }
}

fn list_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect()
}
