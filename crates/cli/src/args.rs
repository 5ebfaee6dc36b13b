//! Command-line arguments as parsed by clap (the raw stage; `check::plan` turns check's into a
//! request of the check library, which validates it).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// scanrelay: scan-to-email gateway and SMTP connection checker for office MFPs.
#[derive(Debug, Parser)]
#[command(name = "scanrelay", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check an SMTP account the way a device's "Check connection" should: every step with
    /// timings and server replies, then a diagnosis with the fix.
    Check(Box<CheckArgs>),
    /// Explain an SMTP error reply, an OAuth2 sign-in error or a Microsoft Graph error
    /// pasted from a device's log or another tool.
    Explain(ExplainArgs),
    /// Run the gateway: devices submit SMTP here; mail is spooled durably and delivered
    /// upstream with retries. With no config, embedded defaults are used (and written to the
    /// data directory).
    Serve(ServeArgs),
    /// Inspect and manage the gateway's queue (safe while the gateway runs).
    Queue(QueueArgs),
    /// Log in to the [[oauth]] accounts of the config, and see whether their grants work
    /// (safe while the gateway runs).
    Oauth(OauthArgs),
    /// Administer the web console (safe while the gateway runs).
    Admin(AdminArgs),
    /// Send files as e-mail attachments (scan to e-mail from a script): through an SMTP
    /// server given as for `check`, or the gateway's upstream. Large sets can be split over
    /// several messages under the server's size limit.
    Send(Box<crate::send::SendArgs>),
    /// Fetch a POP3 mailbox into a directory: each new message saved as
    /// DIR/messages/<unique id>.eml (written, fsync'd and renamed before anything else), its
    /// attachments extracted into DIR under safe names, its unique id recorded in
    /// DIR/.scanrelay-fetch/state.json so it is never fetched twice; with --delete, removed
    /// from the server only after all that.
    Fetch(Box<FetchArgs>),
}

/// `scanrelay fetch`.
#[derive(Debug, Clone, Args)]
pub struct FetchArgs {
    /// POP3 server host name or IP address (pop.gmail.com, pop.naver.com,
    /// outlook.office365.com).
    #[arg(long, value_name = "HOST")]
    pub server: String,
    /// POP3 server port (default: 995 with --tls implicit or no --tls, 110 otherwise).
    #[arg(long, value_name = "N")]
    pub port: Option<u16>,
    /// How the connection is secured. Default: implicit on 995 (or without --port),
    /// starttls on any other port. Nothing is ever sent in plain text unless --tls none is
    /// given.
    #[arg(long, value_enum, value_name = "MODE")]
    pub tls: Option<PopTlsFlag>,
    /// User name (usually the full e-mail address).
    #[arg(long, value_name = "USER")]
    pub user: String,
    /// Name of an environment variable holding the password.
    #[arg(long, value_name = "VAR", required_unless_present_any = ["password_file", "oauth"])]
    pub password_env: Option<String>,
    /// File whose first line is the password.
    #[arg(long, value_name = "PATH", conflicts_with = "password_env")]
    pub password_file: Option<PathBuf>,
    /// Log in with AUTH XOAUTH2 and the stored tokens of this [[oauth]] account of the
    /// gateway's config (see `scanrelay oauth login`), refreshed as needed.
    #[arg(long, value_name = "NAME", conflicts_with_all = ["password_env", "password_file"])]
    pub oauth: Option<String>,
    /// With --oauth: the gateway's config and data location.
    #[command(flatten)]
    pub location: GatewayLocation,
    /// Extra trusted CA certificates (PEM), e.g. for a private or test CA.
    #[arg(long, value_name = "PEM")]
    pub ca_file: Option<PathBuf>,
    /// The directory to save into (created if missing): messages under DIR/messages, their
    /// attachments in DIR, and beside a fax TIFF (I-Fax) a PDF of its pages (fax.tif, fax.pdf).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Delete each message on the server once it is saved and fsync'd (messages saved by
    /// earlier runs are deleted too).
    #[arg(long)]
    pub delete: bool,
    /// Keep running: fetch again every SECS seconds (errors are reported and retried at the
    /// next round; stop with Ctrl-C).
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..))]
    pub watch: Option<u64>,
    /// Timeout per step in seconds.
    #[arg(long, default_value_t = 30, value_name = "SECS")]
    pub timeout: u64,
    /// Print one JSON object (with --watch: one per round, one per line).
    #[arg(long)]
    pub json: bool,
    /// Language of the diagnosis on failure (default from LC_ALL / LANG: ko* means Korean).
    #[arg(long, value_enum, value_name = "LANG")]
    pub lang: Option<LangFlag>,
}

/// `scanrelay admin`.
#[derive(Debug, Args)]
pub struct AdminArgs {
    /// Config and data location (the password is stored in the data directory).
    #[command(flatten)]
    pub location: GatewayLocation,
    /// What to do.
    #[command(subcommand)]
    pub action: AdminAction,
}

/// Console administration.
#[derive(Debug, Subcommand)]
pub enum AdminAction {
    /// Set the console's admin password (at least 8 characters), stored as an Argon2 hash in
    /// DATA-DIR/admin.password; a running gateway uses it from the next login. Asks twice
    /// without echo, unless --password-file is given.
    SetPassword {
        /// A file whose first line is the new password.
        #[arg(long, value_name = "PATH")]
        password_file: Option<PathBuf>,
    },
}

/// `scanrelay oauth`.
#[derive(Debug, Args)]
pub struct OauthArgs {
    /// Config and data location.
    #[command(flatten)]
    pub location: GatewayLocation,
    /// What to do.
    #[command(subcommand)]
    pub action: OauthAction,
}

impl OauthArgs {
    /// Whether the action prints JSON (then errors are JSON too).
    pub fn json(&self) -> bool {
        matches!(self.action, OauthAction::Status { json: true })
    }
}

/// OAuth2 account operations.
#[derive(Debug, Subcommand)]
pub enum OauthAction {
    /// Sign in and store the account's tokens. Microsoft device code: prints a code to enter
    /// at a web page on any device. Authorization code (Google): prints a URL to open; the
    /// browser comes back to a listener on 127.0.0.1. Client credentials: checks the client
    /// secret with one token request (no sign-in needed).
    Login {
        /// The account's name ([[oauth]] name).
        name: String,
        /// Authorization code flow from a headless server: open the printed URL on another
        /// machine, then paste the address the browser was sent to (http://localhost/?code=...).
        #[arg(long)]
        paste: bool,
    },
    /// Show each account's state: ok, needs_login or error, the access token's expiry, the
    /// last refresh, and warnings ahead of known expiries. Exit status 1 when an account is
    /// not ok.
    Status {
        /// Print JSON: {"accounts": [{"name", "provider", "flow", "state", "access_expires",
        /// "last_refresh", "warnings", ...}]}.
        #[arg(long)]
        json: bool,
    },
    /// Store a refresh token obtained elsewhere (sasl-xoauth2, email-oauth2-proxy): one
    /// refresh checks it, and the result is stored.
    Import {
        /// The account's name.
        name: String,
        /// A file whose first line is the refresh token.
        #[arg(long, value_name = "PATH")]
        refresh_token_file: PathBuf,
    },
    /// Forget the account's stored tokens.
    Logout {
        /// The account's name.
        name: String,
    },
}

/// Where the gateway's config and data live.
#[derive(Debug, Clone, Args)]
pub struct GatewayLocation {
    /// Config file (default: DATA-DIR/scanrelay.toml, written from the embedded defaults on
    /// first start).
    #[arg(long, value_name = "PATH", global = true)]
    pub config: Option<PathBuf>,
    /// Data directory (default: $SCANRELAY_DATA_DIR, $XDG_DATA_HOME/scanrelay or
    /// ~/.local/share/scanrelay).
    #[arg(long, value_name = "DIR", global = true)]
    pub data_dir: Option<PathBuf>,
}

/// `scanrelay serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Config and data location.
    #[command(flatten)]
    pub location: GatewayLocation,
    /// Validate the config, print a summary, and exit. Writes nothing: without a config
    /// file, the embedded defaults are checked.
    #[arg(long)]
    pub check_config: bool,
    /// Log format on standard error: text (coloured only on a terminal; NO_COLOR is honoured)
    /// or json (one object per line, for log collectors). Times are RFC 3339, UTC. Default:
    /// text, or, when standard error is the systemd journal (as under the packaged unit),
    /// journal entries with the event's fields and a PRIORITY from its level.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub log_format: Option<LogFormat>,
}

/// `--log-format` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// `scanrelay queue`.
#[derive(Debug, Args)]
pub struct QueueArgs {
    /// Config and data location.
    #[command(flatten)]
    pub location: GatewayLocation,
    /// Language of cause summaries and fixes (default from LC_ALL / LANG: ko* means Korean).
    #[arg(long, value_enum, value_name = "LANG", global = true)]
    pub lang: Option<LangFlag>,
    /// What to do.
    #[command(subcommand)]
    pub action: QueueAction,
}

impl QueueArgs {
    /// Whether the action prints JSON (then errors are JSON too).
    pub fn json(&self) -> bool {
        match self.action {
            QueueAction::List { json } | QueueAction::Show { json, .. } => json,
            QueueAction::Retry { .. } | QueueAction::Delete { .. } => false,
        }
    }
}

/// Queue operations.
#[derive(Debug, Subcommand)]
pub enum QueueAction {
    /// List queued, deferred, waiting and failed messages.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show one message: envelope, state, attempts, next try, last reply and diagnosis.
    Show {
        /// Message id.
        id: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Retry a message now, including its failed recipients; a new failure notice is sent
    /// only if it fails for good again.
    Retry {
        /// Message id.
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        id: Option<String>,
        /// Every queued, waiting or deferred message (failed ones and failure notices only with
        /// --include-failed).
        #[arg(long)]
        all: bool,
        /// With --all: also messages that failed for good (their failed recipients are tried
        /// again) and the gateway's failure notices.
        #[arg(long, conflicts_with = "id")]
        include_failed: bool,
    },
    /// Delete a message from the queue.
    Delete {
        /// Message id.
        id: String,
    },
}

/// TLS mode flag values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TlsFlag {
    /// Plain connection, then STARTTLS (port 587).
    Starttls,
    /// TLS from the first byte, "SSL" (port 465).
    Implicit,
    /// No TLS (only for servers on a trusted LAN).
    None,
}

/// TLS mode flag values of `fetch` (POP3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PopTlsFlag {
    /// TLS from the first byte, POP3S (port 995).
    Implicit,
    /// Plain connection, then STLS (port 110).
    Starttls,
    /// No TLS: the password goes in plain text (only for servers on a trusted LAN).
    None,
}

/// AUTH mechanism flag values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AuthFlag {
    /// The best mechanism the server offers.
    Auto,
    /// PLAIN.
    Plain,
    /// LOGIN.
    Login,
    /// CRAM-MD5.
    #[value(name = "cram-md5")]
    CramMd5,
    /// XOAUTH2 (needs --token-env).
    Xoauth2,
    /// OAUTHBEARER (needs --token-env).
    Oauthbearer,
}

/// Output language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LangFlag {
    /// English.
    En,
    /// Korean (한국어).
    Ko,
}

/// `scanrelay check`.
#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    /// Where to connect and how to log in (shared with `send`).
    #[command(flatten)]
    pub endpoint: EndpointArgs,
    /// Envelope sender for the MAIL FROM dry run (default: the user name).
    #[arg(long, value_name = "ADDR")]
    pub from: Option<String>,
    /// Recipient for the RCPT TO dry run (then RSET: nothing is sent without --send-test).
    #[arg(long, value_name = "ADDR")]
    pub to: Option<String>,
    /// With --to: really send a short test message, like a device's test page.
    #[arg(long, requires = "to")]
    pub send_test: bool,
    /// Print one JSON object instead of the report.
    #[arg(long)]
    pub json: bool,
    /// Check a POP3 server instead of SMTP: DNS, TCP, TLS (995 implicit by default, or STLS
    /// with --tls starttls), greeting, CAPA, login (with --user and a password, or --oauth),
    /// STAT, QUIT. Takes --server, --port, --tls, --user, --password-env, --password-file,
    /// --oauth, --ca-file, --timeout, --json and --lang.
    #[arg(long, conflicts_with_all = ["provider", "to", "from", "send_test", "helo", "token_env"])]
    pub pop: bool,
}

/// Where `check` and `send` connect and how they log in: the same flags, the same meaning.
#[derive(Debug, Clone, Args)]
pub struct EndpointArgs {
    /// Log in with the stored tokens of this [[oauth]] account (XOAUTH2, or OAUTHBEARER when
    /// the server offers only that), refreshing them if needed. Needs the mailbox as --user
    /// unless the config's [upstream] names it; the server defaults to the [upstream], else
    /// the provider's (m365 for microsoft, gmail for google).
    #[arg(long, value_name = "NAME", conflicts_with_all = ["password_env", "password_file", "token_env"])]
    pub oauth: Option<String>,
    /// The gateway's config and data location: with --oauth, where the account is; for
    /// `send` without --server or --provider, the config whose upstream to send through.
    #[command(flatten)]
    pub location: GatewayLocation,
    /// Provider preset: gmail, workspace, gmail-relay, naver, daum, kakao, outlook, m365, yahoo,
    /// icloud, zoho. Fills server, port and TLS mode; explicit flags override the endpoint.
    #[arg(long, value_name = "NAME")]
    pub provider: Option<String>,
    /// SMTP server host name or IP address.
    #[arg(long, value_name = "HOST")]
    pub server: Option<String>,
    /// SMTP server port (1-65535).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub port: Option<u16>,
    /// How the connection is secured.
    #[arg(long, value_enum, value_name = "MODE")]
    pub tls: Option<TlsFlag>,
    /// SMTP AUTH user name (usually the full e-mail address).
    #[arg(long, value_name = "USER")]
    pub user: Option<String>,
    /// Name of an environment variable holding the password.
    #[arg(long, value_name = "VAR", conflicts_with = "password_file")]
    pub password_env: Option<String>,
    /// File whose first line is the password.
    #[arg(long, value_name = "PATH")]
    pub password_file: Option<PathBuf>,
    /// SASL mechanism.
    #[arg(long, value_enum, default_value = "auto", value_name = "MECH")]
    pub auth: AuthFlag,
    /// Name of an environment variable holding an OAuth2 access token (XOAUTH2/OAUTHBEARER).
    #[arg(long, value_name = "VAR", conflicts_with_all = ["password_env", "password_file"])]
    pub token_env: Option<String>,
    /// Extra trusted CA certificates (PEM), e.g. for a private or test CA. When `check`
    /// passes only thanks to them, one more connection (without logging in) tells whether a
    /// device without this CA would trust the server.
    #[arg(long, value_name = "PEM")]
    pub ca_file: Option<PathBuf>,
    /// Name to send in EHLO (default: this machine's host name).
    #[arg(long, value_name = "NAME")]
    pub helo: Option<String>,
    /// Timeout per step in seconds.
    #[arg(long, default_value_t = 15, value_name = "SECS")]
    pub timeout: u64,
    /// Language of the report and the diagnosis (default from LC_ALL / LANG: ko* means
    /// Korean).
    #[arg(long, value_enum, value_name = "LANG")]
    pub lang: Option<LangFlag>,
}

/// `scanrelay explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The stage the reply came at: connect, banner, ehlo, starttls, tls, auth, mail, rcpt, data.
    #[arg(long, value_name = "STAGE")]
    pub stage: Option<String>,
    /// The provider, when the reply does not make it clear.
    #[arg(long, value_name = "NAME")]
    pub provider: Option<String>,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
    /// Language (default from LC_ALL / LANG).
    #[arg(long, value_enum, value_name = "LANG")]
    pub lang: Option<LangFlag>,
    /// The reply or error text (several arguments are joined with spaces); `-` or nothing
    /// reads stdin.
    #[arg(value_name = "REPLY")]
    pub reply: Vec<String>,
}
