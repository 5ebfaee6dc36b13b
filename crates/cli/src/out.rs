//! Standard output for every command. A reader that goes away early (`scanrelay queue list |
//! head -1`) is not an error: the command stops quietly with status 0, as `cat` or `ls` would,
//! instead of panicking on the broken pipe as `println!` does.

use std::io::{self, Write};

/// Writes `bytes` to standard output and flushes; a closed pipe ends the process quietly.
pub fn write_all(bytes: &[u8]) -> io::Result<()> {
    let mut stdout = io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => std::process::exit(0),
        other => other,
    }
}

/// Writes formatted text to standard output; a closed pipe ends the process quietly and any
/// other failure is reported once on standard error.
pub fn write_fmt(args: std::fmt::Arguments<'_>) {
    if let Err(e) = write_all(args.to_string().as_bytes()) {
        eprintln!("scanrelay: cannot write to standard output: {e}");
        std::process::exit(2);
    }
}

/// `println!` that stops quietly when the reader has gone.
macro_rules! outln {
    () => { $crate::out::write_fmt(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::out::write_fmt(format_args!("{}\n", format_args!($($arg)*))) };
}

/// `print!` that stops quietly when the reader has gone.
macro_rules! out {
    ($($arg:tt)*) => { $crate::out::write_fmt(format_args!($($arg)*)) };
}
