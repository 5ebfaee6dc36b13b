//! The strace log parser and chain finder, on log lines in the shapes strace 6 prints with
//! `-f -y -o LOG` (taken from a real `scanrelay serve` trace, paths shortened).

use std::path::{Path, PathBuf};

use scanrelay_test_support::strace::{Chain, Trace, strace_at};

/// A commit as the spool does it, with the group-commit leader (pid 71) fsyncing `msg/` and
/// the reply thread (pid 72) interleaved.
const COMMIT: &str = r#"70 openat(AT_FDCWD</d>, "/s/tmp/ID.eml", O_WRONLY|O_CREAT|O_EXCL|O_CLOEXEC, 0600) = 13</s/tmp/ID.eml>
70 write(13</s/tmp/ID.eml>, "Received: from [127.0.0.1]"..., 65536) = 65536
70 write(13</s/tmp/ID.eml>, "\r\n-- \"end\"\r\n", 12) = 12
70 fsync(13</s/tmp/ID.eml>) = 0
70 rename("/s/tmp/ID.eml", "/s/msg/ID.eml") = 0
71 openat(AT_FDCWD</d>, "/s/msg", O_RDONLY|O_CLOEXEC) = 14</s/msg>
71 fsync(14</s/msg> <unfinished ...>
72 sendto(12<socket:[342995]>, "250 2.1.5 Recipient OK\r\n", 24, MSG_NOSIGNAL, NULL, 0) = 24
71 <... fsync resumed>)             = 0
70 openat(AT_FDCWD</d>, "/s/env/.ID.x-0.tmp", O_WRONLY|O_CREAT|O_EXCL|O_CLOEXEC, 0600) = 15</s/env/.ID.x-0.tmp>
70 write(15</s/env/.ID.x-0.tmp>, "{\n  \"version\": 2\n}", 18) = 18
70 fsync(15</s/env/.ID.x-0.tmp>) = 0
70 renameat2(AT_FDCWD</d>, "/s/env/.ID.x-0.tmp", AT_FDCWD</d>, "/s/env/ID.json", 0) = 0
70 openat(AT_FDCWD</d>, "/s/env", O_RDONLY|O_CLOEXEC) = 16</s/env>
70 fsync(16</s/env>)   = 0
--- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED} ---
72 sendto(12<socket:[342995]>, "250 2.0.0 OK: queued as ID\r\n", 28, MSG_NOSIGNAL, NULL, 0 <unfinished ...>
70 write(4<anon_inode:[eventfd]>, "\1\0\0\0\0\0\0\0", 8) = 8
72 <... sendto resumed>)             = 28
"#;

#[test]
fn joins_unfinished_calls_with_their_resumed_lines_at_entry_and_return() {
    let trace = Trace::parse(COMMIT);
    assert_eq!(trace.calls().len(), 16, "the signal line is not a call");
    let fsync = trace.find(|c| c.pid == 71 && c.is_sync()).unwrap();
    assert_eq!((fsync.start, fsync.end), (7, Some(9)));
    assert_eq!(fsync.fd_path().as_deref(), Some("/s/msg"));
    assert_eq!(fsync.value(), Some(0));
    let reply = trace.find(|c| c.pid == 72 && c.start > 9).unwrap();
    assert_eq!((reply.start, reply.end), (17, Some(19)));
    assert_eq!(reply.data().unwrap(), b"250 2.0.0 OK: queued as ID\r\n");
    assert_eq!(reply.fd_path().as_deref(), Some("socket:[342995]"));
    assert_eq!(reply.args.len(), 6);
    assert!(fsync.returned_before(reply));
    let rcpt = trace.find(|c| c.pid == 72).unwrap();
    assert!(!rcpt.returned_before(fsync) && !fsync.returned_before(rcpt));
}

#[test]
fn reads_paths_results_flags_and_data() {
    type Check = fn(&scanrelay_test_support::strace::Call) -> bool;
    let cases: Vec<(&str, Check)> = vec![
        (
            r#"5 openat(AT_FDCWD</w d>, "rel/x", O_WRONLY|O_CREAT, 0600) = 3</w d/rel/x>"#,
            |c| {
                c.path_arg().as_deref() == Some(Path::new("/w d/rel/x"))
                    && c.returned_path().as_deref() == Some("/w d/rel/x")
                    && c.has_flag("O_CREAT")
                    && !c.has_flag("O_EXCL")
            },
        ),
        (
            r#"5 openat(AT_FDCWD</w>, "/nope", O_RDONLY) = -1 ENOENT (No such file or directory)"#,
            |c| c.value() == Some(-1) && !c.succeeded() && c.returned_path().is_none(),
        ),
        (
            r#"[pid  9] write(1</tmp/a\76b>, "\x41\102\"\\\n", 5) = 5"#,
            |c| {
                c.pid == 9
                    && c.fd_path().as_deref() == Some("/tmp/a>b")
                    && c.data().as_deref() == Some(&b"AB\"\\\n"[..])
            },
        ),
        (
            r#"7 writev(3<socket:[1]>, [{iov_base="250 ok, fine\r\n", iov_len=14}], 1) = 14"#,
            |c| {
                c.is_write()
                    && c.args.len() == 3
                    && c.data().as_deref() == Some(&b"250 ok, fine\r\n"[..])
            },
        ),
        (r#"7 fdatasync(3</x (1), y>) = 0"#, |c| {
            c.is_sync() && c.fd_path().as_deref() == Some("/x (1), y") && c.succeeded()
        }),
        (
            r#"7 renameat(3</dir>, "a.tmp", AT_FDCWD</cwd>, "/abs/b") = 0"#,
            |c| c.rename_paths() == Some((PathBuf::from("/dir/a.tmp"), PathBuf::from("/abs/b"))),
        ),
        (r#"7 rename("/a", "/b") = 0"#, |c| {
            c.is_rename() && c.rename_paths() == Some((PathBuf::from("/a"), PathBuf::from("/b")))
        }),
        (r#"7 fsync(3</x> <unfinished ...>"#, |c| {
            c.end.is_none() && c.result.is_none() && !c.succeeded()
        }),
    ];
    for (line, check) in cases {
        let trace = Trace::parse(line);
        let call = trace
            .calls()
            .first()
            .unwrap_or_else(|| panic!("no call in {line}"));
        assert!(check(call), "{line}\n  parsed as {call:#?}");
    }
}

/// The spool's commit chain over a log, bounded by the `250` reply.
fn commit_chain(log: &str) -> Result<String, String> {
    let trace = Trace::parse(log);
    let reply = trace
        .find(|c| c.is_write() && c.data().is_some_and(|d| d.starts_with(b"250 2.0.0")))
        .ok_or("no 250")?;
    let mut chain = Chain::new(&trace).before("the 250 reply", reply);
    let e = |e: scanrelay_test_support::strace::ChainError| e.to_string();
    let fd = |c: &scanrelay_test_support::strace::Call, p: &str| c.fd_path().as_deref() == Some(p);
    chain
        .then_all("body written", |c| c.is_write() && fd(c, "/s/tmp/ID.eml"))
        .map_err(e)?;
    chain
        .then("body fsync", |c| c.is_sync() && fd(c, "/s/tmp/ID.eml"))
        .map_err(e)?;
    chain.then("body rename", |c| c.is_rename()).map_err(e)?;
    chain
        .then("msg/ fsync", |c| c.is_sync() && fd(c, "/s/msg"))
        .map_err(e)?;
    chain
        .then("envelope rename", |c| {
            c.rename_paths()
                .is_some_and(|(_, to)| to == Path::new("/s/env/ID.json"))
        })
        .map_err(e)?;
    chain
        .then("env/ fsync", |c| c.is_sync() && fd(c, "/s/env"))
        .map_err(e)?;
    Ok(chain.to_string())
}

fn without(log: &str, needle: &str) -> String {
    log.lines()
        .filter(|l| !l.contains(needle))
        .map(|l| format!("{l}\n"))
        .collect()
}

#[test]
fn a_chain_in_order_is_found_with_its_lines() {
    let found = commit_chain(COMMIT).unwrap();
    assert!(
        found.contains("1. body written (the last of 2 calls)\n       line 3 pid 70"),
        "{found}"
    );
    assert!(
        found.contains("4. msg/ fsync\n       lines 7-9 pid 71"),
        "{found}"
    );
    assert!(
        found.contains("then the 250 reply\n       lines 17-19 pid 72"),
        "{found}"
    );
}

#[test]
fn a_missing_or_misplaced_step_is_named() {
    let cases = [
        (
            without(COMMIT, "fsync(13<"),
            "step 2 of the chain is missing: body fsync",
        ),
        (
            without(COMMIT, "fsync(14<").replace("71 <... fsync resumed>)             = 0\n", ""),
            "step 4 of the chain is missing: msg/ fsync",
        ),
        (
            without(COMMIT, "fsync(16<"),
            "step 6 of the chain is missing: env/ fsync",
        ),
        // The env/ fsync only after the reply: it exists, but too late.
        (
            without(COMMIT, "fsync(16<") + "70 fsync(16</s/env>) = 0\n",
            "step 6 of the chain is missing: env/ fsync\n  no such call entered after step 5 \
             (envelope rename) returned on line 13 in time; line 19 pid 70: fsync(16</s/env>) = 0 \
             (it returned only on line 19, after the 250 reply entered on line 16)",
        ),
        // A write to the body after its fsync: the fsync no longer covers the whole body.
        (
            COMMIT.replace(
                "70 fsync(13</s/tmp/ID.eml>) = 0\n",
                "70 fsync(13</s/tmp/ID.eml>) = 0\n70 write(13</s/tmp/ID.eml>, \"x\", 1) = 1\n",
            ),
            "step 2 of the chain is missing: body fsync\n  no such call entered after step 1 \
             (body written) returned on line 5; 1 matching call(s) entered too early, the first: \
             line 4 pid 70: fsync(13</s/tmp/ID.eml>) = 0",
        ),
        // The msg/ fsync entered before the rename returned (another thread): not enough.
        (
            COMMIT.replace(
                "70 rename(\"/s/tmp/ID.eml\", \"/s/msg/ID.eml\") = 0\n71 openat(AT_FDCWD</d>, \"/s/msg\", O_RDONLY|O_CLOEXEC) = 14</s/msg>\n71 fsync(14</s/msg> <unfinished ...>\n",
                "71 openat(AT_FDCWD</d>, \"/s/msg\", O_RDONLY|O_CLOEXEC) = 14</s/msg>\n70 rename(\"/s/tmp/ID.eml\", \"/s/msg/ID.eml\" <unfinished ...>\n71 fsync(14</s/msg> <unfinished ...>\n70 <... rename resumed>) = 0\n",
            ),
            "step 4 of the chain is missing: msg/ fsync\n  no such call entered after step 3 \
             (body rename) returned on line 8; 1 matching call(s) entered too early",
        ),
    ];
    for (log, expected) in cases {
        let err = commit_chain(&log).expect_err(expected);
        assert!(err.contains(expected), "expected {expected:?} in:\n{err}");
    }
}

#[test]
fn then_takes_the_call_that_returned_first() {
    // Two fsyncs of the same directory on two threads: the one that entered second returned
    // first, and only it lets the reply follow.
    let log = "1 fsync(3</d> <unfinished ...>\n2 fsync(4</d>) = 0\n3 write(5<socket:[1]>, \"250 \", 4) = 4\n1 <... fsync resumed>) = 0\n";
    let trace = Trace::parse(log);
    let mut chain = Chain::new(&trace);
    let sync = chain.then("fsync", |c| c.is_sync()).unwrap();
    assert_eq!(sync.pid, 2);
    chain.then("reply", |c| c.is_write()).unwrap();
}

#[test]
fn a_missing_strace_fails_when_required_and_skips_otherwise() {
    let missing = Path::new("/nonexistent/strace");
    let why = strace_at(missing, false).unwrap_err();
    assert!(why.contains("strace is not installed"), "{why}");
    let panic = std::panic::catch_unwind(|| strace_at(missing, true)).unwrap_err();
    let text = panic.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(
        text.contains("SCANRELAY_REQUIRE_PEERS=1 but strace is not installed"),
        "{text}"
    );
}
