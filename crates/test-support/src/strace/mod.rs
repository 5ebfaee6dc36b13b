//! Seeing a real binary's system calls in order: run it under `strace -f -y` ([`Strace`],
//! gated by [`require_strace!`](crate::require_strace)), parse the log ([`Trace`], [`Call`])
//! and find ordered chains in it ([`Chain`]). This is how the durability tests show that a
//! file is fsync'd before it is renamed into place, its directory fsync'd after, and all of it
//! before the client is told (issue 7, item 9): `kill -9` keeps the page cache, so only the
//! calls themselves can show a missing fsync.
//!
//! # What "happened before" means in a log
//!
//! One tracer handles every thread of a `-f` trace, one stop at a time, and writes lines in
//! that order. It prints a call's entry (name, input arguments) at the syscall-entry stop,
//! *before* the kernel runs the call, and its result at the syscall-exit stop, *after* the call
//! finished. When another thread stops in between, the entry line ends in `<unfinished ...>`
//! and the result comes later on a `<... NAME resumed>` line of the same thread; at most one
//! line is open at a time, so a call printed on one line had nothing else happen (in traced
//! calls) while it ran. Each [`Call`] therefore has a `start` line (entry) and an `end` line
//! (return), and `a.end < b.start` ([`Call::returned_before`]) proves that `a` had finished in
//! the kernel before `b` began.
//!
//! That is the only order a durability chain may rely on, and [`Chain`] uses it for every
//! step: a rename must *enter* after the file's fsync *returned* (a rename that overlaps the
//! fsync may publish the name before the data is on disk); a directory fsync must enter after
//! the rename returned (an fsync already running, say the group-commit leader's on another
//! thread, may not cover a rename that finishes during it); and the reply must enter after
//! the last fsync returned. Ordering by starts alone would accept overlapping calls, and
//! ordering by completions alone would accept an fsync that began before the rename it is
//! supposed to cover.
//!
//! What it must not do: decide anything from wall-clock timestamps (the log's line order is
//! the evidence), or skip silently in CI: without strace, [`strace()`] panics when
//! `SCANRELAY_REQUIRE_PEERS=1`, like the real-peer tests.

mod chain;
mod parse;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Stdio;

pub use chain::{Chain, ChainError};
pub use parse::{Call, Trace, describe};

use crate::peers::REQUIRE_VAR;

/// Bytes of each string argument strace prints (`-s`) unless [`Strace::string_limit`] says
/// otherwise: enough for a whole SMTP reply line with its message id.
const STRING_LIMIT: usize = 256;

/// Evaluates to a [`Strace`] that can trace here, or skips the calling test with a note on
/// stderr. With `SCANRELAY_REQUIRE_PEERS=1` (CI) a missing or unusable strace panics instead,
/// saying why, so a durability test can never pass by not running.
///
/// ```no_run
/// #[tokio::test]
/// async fn commit_order() {
///     let strace = scanrelay_test_support::require_strace!();
///     let _cmd = strace.command(std::path::Path::new("/tmp/log"), &["fsync"], "true");
/// }
/// ```
#[macro_export]
macro_rules! require_strace {
    () => {
        match $crate::strace::strace() {
            ::std::result::Result::Ok(strace) => strace,
            ::std::result::Result::Err(why) => {
                ::std::eprintln!("skipping: {why}");
                return;
            }
        }
    };
}

/// An `strace` that can trace processes on this machine.
#[derive(Debug, Clone)]
pub struct Strace {
    program: PathBuf,
    string_limit: usize,
}

/// The `strace` on `PATH` if it can trace a process here; else why not.
///
/// # Panics
/// When it cannot and `SCANRELAY_REQUIRE_PEERS=1`.
pub fn strace() -> Result<Strace, String> {
    let required = std::env::var(REQUIRE_VAR).is_ok_and(|v| v.trim() == "1");
    strace_at(Path::new("strace"), required)
}

/// [`strace()`] with the program and the requirement injected (tests pass a missing program).
///
/// # Panics
/// When `program` cannot trace and `required` is true.
pub fn strace_at(program: &Path, required: bool) -> Result<Strace, String> {
    match probe(program) {
        Ok(strace) => Ok(strace),
        Err(why) if required => panic!(
            "{REQUIRE_VAR}=1 but {why}; the durability tests need it to see the system calls \
             (scripts/peers installs it with the other test packages)"
        ),
        Err(why) => Err(why),
    }
}

/// Runs `strace -qq -o /dev/null true`: is strace installed, and may it ptrace here?
fn probe(program: &Path) -> Result<Strace, String> {
    let out = std::process::Command::new(program)
        .args(["-qq", "-o", "/dev/null", "true"])
        .stdin(Stdio::null())
        .output();
    match out {
        Ok(out) if out.status.success() => Ok(Strace {
            program: program.to_path_buf(),
            string_limit: STRING_LIMIT,
        }),
        Ok(out) => Err(format!(
            "strace cannot trace a process here ({}: {}; ptrace may be forbidden here)",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Err("strace is not installed (not found on PATH)".to_string())
        }
        Err(e) => Err(format!("strace cannot be started: {e}")),
    }
}

impl Strace {
    /// Prints at most `bytes` of each string argument: a trace of a program that writes or
    /// sends secrets (tokens) keeps them out of the log and out of failure messages.
    pub fn string_limit(mut self, bytes: usize) -> Strace {
        self.string_limit = bytes;
        self
    }

    /// `strace -f -y -qq -s 256 -o LOG -e trace=SYSCALLS PROGRAM`, ready for the program's
    /// arguments: every thread and child followed (`-f`; with `-o` each line starts with the
    /// thread id), descriptors printed with their paths (`-y`), string arguments up to 256
    /// bytes (see [`Strace::string_limit`]). These are the flags [`Trace::parse`] expects.
    pub fn command(
        &self,
        log: &Path,
        syscalls: &[&str],
        program: impl AsRef<OsStr>,
    ) -> tokio::process::Command {
        let mut cmd = tokio::process::Command::new(&self.program);
        cmd.args(["-f", "-y", "-qq", "-s"])
            .arg(self.string_limit.to_string())
            .arg("-o")
            .arg(log)
            .arg("-e")
            .arg(format!("trace={}", syscalls.join(",")))
            .arg(program);
        cmd
    }
}
