//! The token store's durability order, seen from the outside: `scanrelay oauth import` runs
//! under `strace -f`, and the token file must be written to a temp file, fsync'd, renamed
//! into place, and its directory fsync'd, in that order (issue 7, item 9). Removing either
//! fsync from `TokenStore::save` makes this test fail.

use std::collections::HashMap;
use std::process::Stdio;

use scanrelay_test_support::oauth_authority::{ClientSpec, OAuthAuthority};

use crate::oauth::{Place, microsoft_account};

/// strace's output with `<unfinished ...>` / `<... resumed>` pairs joined, each call at the
/// place it started: `(pid, call text)`.
fn calls(log: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut pending: HashMap<String, usize> = HashMap::new();
    for line in log.lines() {
        let Some((pid, rest)) = line.trim().split_once(char::is_whitespace) else {
            continue;
        };
        let rest = rest.trim();
        if let Some(head) = rest.strip_suffix("<unfinished ...>") {
            pending.insert(pid.to_string(), out.len());
            out.push((pid.to_string(), head.trim().to_string()));
        } else if rest.starts_with("<...") {
            let tail = rest.split_once("resumed>").map_or("", |(_, t)| t);
            if let Some(i) = pending.remove(pid) {
                out[i].1.push_str(tail);
            }
        } else {
            out.push((pid.to_string(), rest.to_string()));
        }
    }
    out
}

/// The fd an `openat` returned.
fn returned_fd(call: &str) -> Option<String> {
    let n = call.rsplit('=').next()?.trim();
    n.parse::<u32>().ok().map(|n| n.to_string())
}

fn is_sync_of(call: &str, fd: &str) -> bool {
    call.starts_with(&format!("fsync({fd})")) || call.starts_with(&format!("fdatasync({fd})"))
}

/// Checks the chain for `dir`/`name`; returns the steps found, or what is missing.
fn durable_chain(calls: &[(String, String)], dir: &str, name: &str) -> Result<Vec<String>, String> {
    let target = format!("\"{dir}/{name}\"");
    let tmp_prefix = format!("\"{dir}/.{name}.tmp");
    let open_tmp = calls
        .iter()
        .position(|(_, c)| {
            c.starts_with("openat(") && c.contains(&tmp_prefix) && c.contains("O_CREAT")
        })
        .ok_or("no temp file opened for the token file")?;
    let (pid, open_call) = &calls[open_tmp];
    let fd = returned_fd(open_call).ok_or("the temp file's open failed")?;
    let after = |from: usize, what: &dyn Fn(&str) -> bool| {
        calls[from..]
            .iter()
            .position(|(p, c)| p == pid && what(c))
            .map(|i| i + from)
    };
    let write = after(open_tmp, &|c| c.starts_with(&format!("write({fd},")))
        .ok_or("no write to the temp file")?;
    let rename = after(write, &|c| {
        c.starts_with("rename") && c.contains(&tmp_prefix) && c.contains(&target)
    })
    .ok_or("the temp file is never renamed to the token file")?;
    let sync = calls[write..rename]
        .iter()
        .position(|(p, c)| p == pid && is_sync_of(c, &fd))
        .ok_or("the temp file is not fsync'd between its write and the rename")?
        + write;
    let open_dir = after(rename, &|c| {
        c.starts_with("openat(") && c.contains(&format!("\"{dir}\""))
    })
    .ok_or("the directory is not opened after the rename")?;
    let dir_fd = returned_fd(&calls[open_dir].1).ok_or("the directory's open failed")?;
    let dir_sync = after(open_dir, &|c| is_sync_of(c, &dir_fd))
        .ok_or("the directory is not fsync'd after the rename")?;
    Ok([open_tmp, write, sync, rename, open_dir, dir_sync]
        .iter()
        .map(|&i| calls[i].1.clone())
        .collect())
}

#[tokio::test]
async fn token_file_is_written_temp_fsync_rename_dir_fsync() {
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
    let mut args: Vec<String> = vec![
        "-f".into(),
        "-qq".into(),
        "-o".into(),
        log.display().to_string(),
        "-e".into(),
        "trace=openat,write,fsync,fdatasync,rename,renameat,renameat2".into(),
        env!("CARGO_BIN_EXE_scanrelay").into(),
        "oauth".into(),
    ];
    args.extend(place.args(&[
        "import",
        "office",
        "--refresh-token-file",
        &file.display().to_string(),
    ]));
    let out = tokio::process::Command::new("strace")
        .args(&args)
        .stdin(Stdio::null())
        .output()
        .await
        .expect("run strace (scripts/peers install puts it on the machine)");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&log).unwrap();
    let dir = place.path().join("oauth").display().to_string();
    match durable_chain(&calls(&text), &dir, "office.json") {
        Ok(steps) => eprintln!("token store durability chain:\n  {}", steps.join("\n  ")),
        Err(missing) => panic!("{missing}; the trace:\n{text}"),
    }
}
