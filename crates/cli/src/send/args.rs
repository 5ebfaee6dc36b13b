//! `scanrelay send`'s flags: the endpoint flags of `check`, then the message.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use crate::args::EndpointArgs;

/// The exit statuses of `send`, shown under `--help` (and in the README).
pub const EXIT_STATUS_HELP: &str = "\
Exit status:
  0   every message was sent (the server accepted it)
  2   bad arguments, an unreadable file or config (nothing was sent), or a file that
      changed or could not be read while it was sent (that message was not delivered)
  10  DNS: the server name does not resolve
  11  TCP connection refused or timed out
  12  TLS: wrong TLS mode for the port, handshake, certificate, STARTTLS
  13  the server refused the greeting or EHLO
  14  AUTH: credentials, app password, SMTP AUTH disabled, OAuth2 token
  15  envelope: sender not allowed, relay denied, recipient rejected
  16  message: the server refused it as too large, quota, mailbox full
  17  anything else the server or the connection did
  20  a file is over the size limit even alone in a message (nothing was sent)
  21  the files together are over the size limit and --split was not given (nothing was sent)
With --split, messages sent before a failure stay sent: the report lists them.";

/// `scanrelay send`.
#[derive(Debug, Clone, Args)]
#[command(after_help = EXIT_STATUS_HELP)]
pub struct SendArgs {
    /// Where to connect and how to log in: the flags of `check`. Without --server, --provider
    /// or --oauth, the upstream of the gateway's config (--config, --data-dir) is used.
    #[command(flatten)]
    pub endpoint: EndpointArgs,
    /// Sender, in the From header and the envelope: ADDR or "Name <ADDR>".
    #[arg(long, value_name = "ADDR")]
    pub from: String,
    /// Recipient (repeat the flag or separate with commas).
    #[arg(long, value_name = "ADDR", required = true, value_delimiter = ',')]
    pub to: Vec<String>,
    /// Copy recipient, shown in the Cc header.
    #[arg(long, value_name = "ADDR", value_delimiter = ',')]
    pub cc: Vec<String>,
    /// Blind copy recipient: in the envelope only, never in a header.
    #[arg(long, value_name = "ADDR", value_delimiter = ',')]
    pub bcc: Vec<String>,
    /// Subject (default: the file names). Split messages get " (1/3)", " (2/3)", ... added.
    #[arg(long, value_name = "TEXT")]
    pub subject: Option<String>,
    /// Text of the message, before the attachments.
    #[arg(long, value_name = "TEXT", conflicts_with = "body_file")]
    pub body: Option<String>,
    /// File whose contents (UTF-8) are the text of the message.
    #[arg(long, value_name = "PATH")]
    pub body_file: Option<PathBuf>,
    /// Largest message to send, after encoding: 25MB, 20MiB, 10485760 (kB/MB/GB are powers of
    /// 1000, KiB/MiB/GiB of 1024). Default: the server's EHLO SIZE; no limit if it has none.
    #[arg(long, value_name = "SIZE")]
    pub max_size: Option<String>,
    /// Spread the files over several messages, each under the size limit, in order; their
    /// subjects are numbered "(1/3)". A file too large for a message of its own is refused.
    #[arg(long)]
    pub split: bool,
    /// I-Fax (RFC 3965 simple mode): turn the FILEs (PNG, JPEG or TIFF, one page each; of a
    /// multi-page TIFF only the first page) into one TIFF-F attachment, "image/tiff;
    /// application=faxbw": RFC 3949 profile S, 1728 pixels across, Modified Huffman (T.4 1-D)
    /// coding, one page per file, grey below the middle printed black.
    #[arg(long)]
    pub ifax: bool,
    /// The fax's resolution: standard (204×98 dpi) or fine (204×196 dpi). With --ifax only.
    #[arg(
        long,
        value_enum,
        value_name = "RES",
        default_value = "fine",
        requires = "ifax"
    )]
    pub ifax_resolution: IfaxResolution,
    /// Print one JSON object on stdout instead of the report (no progress bar).
    #[arg(long)]
    pub json: bool,
    /// The files to attach (content types from their bytes: PDF, TIFF, JPEG, PNG, ...); with
    /// --ifax, the images that become the fax's pages.
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<PathBuf>,
}

/// `--ifax-resolution`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum IfaxResolution {
    /// 204×98 dpi.
    Standard,
    /// 204×196 dpi.
    Fine,
}
