//! A reader that goes away (`scanrelay explain ... | head -1`) ends the command quietly with
//! status 0: no panic, no "Broken pipe" error. The pipe's read end is closed before the
//! command starts, so every write to standard output fails with EPIPE.

use std::process::{Command, Stdio};

fn run_into_closed_pipe(args: &[&str]) -> std::process::Output {
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    Command::new(env!("CARGO_BIN_EXE_scanrelay"))
        .args(args)
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .expect("run scanrelay")
}

#[test]
fn output_into_a_closed_pipe_stops_quietly() {
    let data = tempfile::tempdir().unwrap();
    let data_dir = data.path().to_str().unwrap();
    let cases: [&[&str]; 4] = [
        &["explain", "535 5.7.8 Username and Password not accepted"],
        &["explain", "--json", "550 5.7.1 Relaying denied"],
        &[
            "check",
            "--json",
            "--server",
            "mail.test",
            "--port",
            "99999",
        ],
        &["serve", "--check-config", "--data-dir", data_dir],
    ];
    for args in cases {
        let out = run_into_closed_pipe(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(
            !stderr.contains("panicked") && !stderr.contains("Broken pipe"),
            "{args:?}: {stderr}"
        );
    }
}
