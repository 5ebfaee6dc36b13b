//! `scanrelay admin set-password`: the web console's admin password, from a file's first line
//! or typed twice without echo, stored as an Argon2 hash in the data directory (see
//! `scanrelay_web::auth::password`). The password itself is never printed or logged.

use std::io::IsTerminal as _;
use std::path::Path;

use anyhow::{Context, Result, bail};
use scanrelay_web::auth::password::{self, PasswordError};

use crate::args::{AdminAction, AdminArgs};

/// Runs `scanrelay admin`; returns the exit status.
pub fn run(args: &AdminArgs) -> Result<u8> {
    match &args.action {
        AdminAction::SetPassword { password_file } => {
            let data_dir = crate::serve::data_dir(&args.location);
            let new = match password_file {
                Some(path) => from_file(path)?,
                None => prompt()?,
            };
            let file = password::store(&data_dir, &new)?;
            outln!(
                "admin password set: {} (an Argon2 hash, readable only by this user); a running \
                 gateway uses it from the next login",
                file.display()
            );
            Ok(0)
        }
    }
}

/// The first line of `path`, checked.
fn from_file(path: &Path) -> Result<String> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("failed to read the password file `{}`", path.display()))?;
    let line = text.lines().next().unwrap_or("").to_string();
    if line.is_empty() {
        bail!("the first line of `{}` is empty", path.display());
    }
    password::check_new(&line, &line).map_err(|e| explain(&e))?;
    Ok(line)
}

/// Asks twice on the terminal without echo.
fn prompt() -> Result<String> {
    if !std::io::stdin().is_terminal() {
        bail!(
            "standard input is not a terminal, so the password cannot be asked for: give \
             --password-file PATH (a file whose first line is the password)"
        );
    }
    let first = rpassword::prompt_password("New admin password: ")
        .context("failed to read the password from the terminal")?;
    let second = rpassword::prompt_password("The same password again: ")
        .context("failed to read the password from the terminal")?;
    password::check_new(&first, &second).map_err(|e| explain(&e))?;
    Ok(first)
}

fn explain(e: &PasswordError) -> anyhow::Error {
    anyhow::anyhow!("{e}; the password was not changed")
}
