//! The token store's durability order, seen from the outside: `scanrelay oauth import` runs
//! under `strace -f -y`, and the token file must be written to a temp file, fsync'd, renamed
//! into place, and its directory fsync'd, in that order, each step returned before the next
//! entered the kernel, all before the command tells the user `Imported` (issue 7, item 9).
//! Removing either fsync from `TokenStore::save` makes this test fail, naming the step. The
//! log is read with `scanrelay_test_support::strace`, which also explains the order rule.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use scanrelay_test_support::oauth_authority::{ClientSpec, OAuthAuthority};
use scanrelay_test_support::require_strace;
use scanrelay_test_support::strace::{Call, Chain, ChainError, Trace};

use crate::oauth::{Place, microsoft_account};

const SYSCALLS: &[&str] = &[
    "openat",
    "write",
    "fsync",
    "fdatasync",
    "rename",
    "renameat",
    "renameat2",
];

fn fd_is(call: &Call, path: &Path) -> bool {
    call.fd_path().is_some_and(|p| Path::new(&p) == path)
}

/// The chain that makes `dir`/`name` durable, every step before `told` (the success message).
fn durable_chain<'t>(
    trace: &'t Trace,
    dir: &Path,
    name: &str,
    told: &'t Call,
) -> Result<Chain<'t>, ChainError> {
    let target = dir.join(name);
    let prefix = format!(".{name}.tmp");
    let mut chain = Chain::new(trace).before("the `Imported:` message to the user", told);
    let tmp = chain.then("the temp file .NAME.tmp-PID is created", |c| {
        c.is(&["openat"])
            && c.has_flag("O_CREAT")
            && c.succeeded()
            && c.returned_path().is_some_and(|p| {
                let p = Path::new(&p);
                let file = p.file_name().unwrap_or_default().to_string_lossy();
                p.parent() == Some(dir) && file.starts_with(&prefix)
            })
    })?;
    let tmp = PathBuf::from(tmp.returned_path().expect("checked above"));
    chain.then_all("the token file is written to the temp file", |c| {
        c.is_write() && (fd_is(c, &tmp) || fd_is(c, &target))
    })?;
    chain.then(
        "fsync of the temp file, after its last write returned",
        |c| c.is_sync() && c.succeeded() && fd_is(c, &tmp),
    )?;
    chain.then(
        "rename of the temp file to the token file, after its fsync",
        |c| c.succeeded() && c.rename_paths() == Some((tmp.clone(), target.clone())),
    )?;
    chain.then(
        "fsync of the directory, entered after that rename returned",
        |c| c.is_sync() && c.succeeded() && fd_is(c, dir),
    )?;
    Ok(chain)
}

#[tokio::test]
async fn token_file_is_written_temp_fsync_rename_dir_fsync() {
    // 16 bytes of each string: `Imported:` is seen, the tokens the command writes and sends
    // never reach the log or a failure message.
    let strace = require_strace!().string_limit(16);
    let authority = OAuthAuthority::start();
    authority.add_client(ClientSpec::public("cli-strace", "scanner@example.test"));
    let place = Place::new(&microsoft_account(&authority, "office", "cli-strace", ""));
    let rt = authority.mint_refresh_token(
        "cli-strace",
        "https://outlook.office.com/SMTP.Send offline_access",
    );
    let file = place.path().join("rt.txt");
    std::fs::write(&file, format!("{rt}\n")).unwrap();
    let log = place.path().join("strace.log");
    let args = place.args(&[
        "import",
        "office",
        "--refresh-token-file",
        &file.display().to_string(),
    ]);
    let out = strace
        .command(&log, SYSCALLS, env!("CARGO_BIN_EXE_scanrelay"))
        .arg("oauth")
        .args(&args)
        .stdin(Stdio::null())
        .output()
        .await
        .expect("run strace scanrelay oauth import");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let trace = Trace::read(&log);
    let told = trace
        .find(|c| c.is_write() && c.data().is_some_and(|d| d.starts_with(b"Imported:")))
        .expect("the trace shows the `Imported:` message written");
    // `-y` prints resolved paths.
    let dir = std::fs::canonicalize(place.path()).unwrap().join("oauth");
    match durable_chain(&trace, &dir, "office.json", told) {
        Ok(chain) => {
            let target = dir.join("office.json");
            let first = trace
                .find(|c| c.rename_paths().is_some_and(|(_, to)| to == target))
                .expect("the chain has one");
            assert_eq!(
                first,
                chain.calls()[3],
                "the token file was renamed into place earlier"
            );
            eprintln!("token store durability chain:\n{chain}");
        }
        Err(missing) => panic!(
            "{missing}\n\nthe token directory's calls:\n{}",
            trace.excerpt(|c| c.text.contains(&dir.display().to_string()))
        ),
    }
}
