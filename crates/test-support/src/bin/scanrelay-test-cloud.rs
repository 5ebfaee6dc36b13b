//! `scanrelay-test-cloud`: the benchmark's local "cloud" in one process, so `bench/run` can
//! measure the gateway's OAuth2 paths against something real on loopback:
//!
//! * the local OAuth2 authority ([`OAuthAuthority`]) on `--oauth-port` (by default
//!   `SCANRELAY_PEER_OAUTH_PORT`), where the peers' Dovecot introspects XOAUTH2 tokens, with a
//!   public client for SMTP (its tokens belong to the peer user) and a confidential client for
//!   Graph (client credentials; or delegated Graph scopes through an imported grant);
//! * the contract-enforcing fake Microsoft Graph ([`GraphServer`]) on a free port, whose token
//!   check accepts the authority's live tokens for `https://graph.microsoft.com`: delegated
//!   scopes give their permission (`.../Mail.Send`), `.default` (an app-only token) gives the
//!   application permissions `Mail.Send` and `Mail.ReadWrite`, as if an admin had consented;
//! * a control endpoint: `GET /stats` (counters, JSON) and `POST /mint/smtp`, `POST /mint/graph`
//!   (a fresh refresh token as text, for `scanrelay oauth import`: each case needs its own,
//!   since every refresh rotates the token).
//!
//! Every message the fake Graph sends is taken out of it (its memory stays bounded over a long
//! run) and written as one JSON line to `--sent-log`: `subject`, `sent_unix_ns` (when this
//! process saw it sent; it looks every 5 ms), `via` (`sendMail` or `draft`), `recipients`,
//! and per attachment `name`, `content_type`, `bytes` and `fnv1a64` (hex) of its decoded
//! bytes, so the benchmark can check each scan arrived byte-identical.
//!
//! Stdout, machine-readable: `KEY=VALUE` lines (`AUTHORITY_URL`, `TENANT`, `SMTP_CLIENT_ID`,
//! `SMTP_REFRESH_TOKEN`, `GRAPH_URL`, `GRAPH_CLIENT_ID`, `GRAPH_CLIENT_SECRET`,
//! `GRAPH_REFRESH_TOKEN`, `CONTROL_URL`, `SENT_LOG`), then `READY`; on SIGTERM or SIGINT one
//! `STATS=<json>` line, and exit 0. The tokens and the secret are throw-away values of this
//! test authority. Test tooling: never shipped, loopback only.
#![forbid(unsafe_code)]

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write as _};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::State;
use axum::routing::{get, post};
use scanrelay_test_support::graph_server::{
    GRAPH_UPLOAD_SESSION_MIN, GraphServer, GraphServerConfig, SentMessage, SentVia, TokenCheck,
};
use scanrelay_test_support::oauth_authority::{
    ClientSpec, OAuthAuthority, PEER_OAUTH_PORT_VAR, TokenInspector,
};
use serde_json::{Value, json};

const USAGE: &str = "\
usage: scanrelay-test-cloud --sent-log FILE [--oauth-port PORT] [--smtp-user ADDR]
                            [--control-port PORT] [--access-ttl SECS]

  --sent-log FILE      one JSON line per message the fake Graph sent (appended)
  --oauth-port PORT    the authority's port (default: $SCANRELAY_PEER_OAUTH_PORT)
  --smtp-user ADDR     the user the SMTP client's tokens belong to (default: $SCANRELAY_PEER_USER)
  --control-port PORT  the control endpoint's port (default: any free port)
  --access-ttl SECS    access token lifetime of both clients (default: 3600)

Serves the local OAuth2 authority, a fake Microsoft Graph that accepts its Graph tokens, and
a control endpoint (GET /stats, POST /mint/smtp, POST /mint/graph) on 127.0.0.1; prints
KEY=VALUE lines then READY on stdout, and STATS=<json> when stopped (SIGTERM, SIGINT).";

/// The tenant of both clients (a tenant domain: client credentials need one).
const TENANT: &str = "bench.example.test";
const SMTP_CLIENT: &str = "bench-smtp";
const GRAPH_CLIENT: &str = "bench-graph";
/// The scopes of the SMTP grant (Exchange Online's, so Dovecot's introspection accepts them).
const SMTP_SCOPE: &str = "https://outlook.office.com/SMTP.Send offline_access";
/// The scopes of a delegated Graph grant.
const GRAPH_DELEGATED_SCOPE: &str = "https://graph.microsoft.com/Mail.Send \
     https://graph.microsoft.com/Mail.ReadWrite offline_access";
const GRAPH_AUDIENCE: &str = "https://graph.microsoft.com";
/// The application permissions an app-only (`.default`) Graph token carries.
const APP_PERMISSIONS: [&str; 2] = ["Mail.Send", "Mail.ReadWrite"];
/// How often sent messages are taken out of the fake Graph.
const POLL: Duration = Duration::from_millis(5);

/// Command-line settings.
#[derive(Debug)]
struct Args {
    sent_log: PathBuf,
    oauth_port: u16,
    smtp_user: String,
    control_port: u16,
    access_ttl: Duration,
}

/// What the fake Graph sent, counted over the process's life.
#[derive(Debug, Default)]
struct Totals {
    messages: u64,
    via_sendmail: u64,
    via_draft: u64,
    attachments: u64,
    attachment_bytes: u64,
}

/// Everything the control endpoint and the poller share.
struct Cloud {
    authority: OAuthAuthority,
    graph: GraphServer,
    totals: Mutex<Totals>,
    log: Mutex<BufWriter<File>>,
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1).collect()) {
        Ok(Some(a)) => a,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("scanrelay-test-cloud: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    match runtime.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("scanrelay-test-cloud: error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The arguments; `None` for `--help`.
fn parse_args(list: Vec<String>) -> Result<Option<Args>, String> {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let (mut sent_log, mut oauth_port, mut smtp_user) = (None, env(PEER_OAUTH_PORT_VAR), None);
    let (mut control_port, mut ttl) = ("0".to_string(), "3600".to_string());
    let mut it = list.into_iter();
    while let Some(flag) = it.next() {
        if flag == "--help" || flag == "-h" {
            return Ok(None);
        }
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--sent-log" => sent_log = Some(PathBuf::from(value)),
            "--oauth-port" => oauth_port = Some(value),
            "--smtp-user" => smtp_user = Some(value),
            "--control-port" => control_port = value,
            "--access-ttl" => ttl = value,
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    let port = |name: &str, v: &str| {
        v.trim()
            .parse::<u16>()
            .map_err(|_| format!("{name}: {v:?} is not a port number"))
    };
    Ok(Some(Args {
        sent_log: sent_log.ok_or("--sent-log is required")?,
        oauth_port: port(
            "--oauth-port",
            &oauth_port.ok_or("--oauth-port or SCANRELAY_PEER_OAUTH_PORT is required")?,
        )?,
        smtp_user: smtp_user
            .or_else(|| env("SCANRELAY_PEER_USER"))
            .ok_or("--smtp-user or SCANRELAY_PEER_USER is required")?,
        control_port: port("--control-port", &control_port)?,
        access_ttl: Duration::from_secs(
            ttl.trim()
                .parse()
                .map_err(|_| format!("--access-ttl: {ttl:?} is not a number of seconds"))?,
        ),
    }))
}

async fn run(args: Args) -> Result<(), String> {
    let log = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&args.sent_log)
        .map_err(|e| format!("open {}: {e}", args.sent_log.display()))?;
    let listener =
        tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, args.control_port)))
            .await
            .map_err(|e| format!("bind the control endpoint: {e}"))?;
    let control = listener.local_addr().map_err(|e| e.to_string())?;
    let authority = OAuthAuthority::start_on(args.oauth_port);
    let secret = format!("bench-graph-secret-{}", unix_ns(SystemTime::now()));
    authority
        .add_client(ClientSpec::public(SMTP_CLIENT, &args.smtp_user).access_ttl(args.access_ttl));
    authority.add_client(
        ClientSpec::confidential(GRAPH_CLIENT, &secret, &args.smtp_user)
            .access_ttl(args.access_ttl),
    );
    let graph = GraphServer::start(GraphServerConfig {
        tokens: graph_token_check(authority.inspector()),
        upload_session_min: GRAPH_UPLOAD_SESSION_MIN,
    });
    let cloud = Arc::new(Cloud {
        totals: Mutex::new(Totals::default()),
        log: Mutex::new(BufWriter::new(log)),
        authority,
        graph,
    });
    announce(&cloud, &args, control, &secret);
    let app = Router::new()
        .route(
            "/stats",
            get(|State(c): State<Arc<Cloud>>| async move { axum::Json(stats(&c)) }),
        )
        .route(
            "/mint/smtp",
            post(|State(c): State<Arc<Cloud>>| async move { mint(&c, SMTP_CLIENT, SMTP_SCOPE) }),
        )
        .route(
            "/mint/graph",
            post(|State(c): State<Arc<Cloud>>| async move {
                mint(&c, GRAPH_CLIENT, GRAPH_DELEGATED_SCOPE)
            }),
        )
        .with_state(cloud.clone());
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let poller = tokio::spawn(poll_sent(cloud.clone()));
    stopped().await?;
    poller.abort();
    server.abort();
    drain_sent(&cloud)?;
    println!("STATS={}", stats(&cloud));
    Ok(())
}

/// Prints the `KEY=VALUE` lines and `READY`.
fn announce(cloud: &Cloud, args: &Args, control: SocketAddr, secret: &str) {
    let lines = [
        ("AUTHORITY_URL", cloud.authority.url()),
        ("TENANT", TENANT.to_string()),
        ("SMTP_CLIENT_ID", SMTP_CLIENT.to_string()),
        ("SMTP_REFRESH_TOKEN", mint(cloud, SMTP_CLIENT, SMTP_SCOPE)),
        ("GRAPH_URL", cloud.graph.base_url()),
        ("GRAPH_CLIENT_ID", GRAPH_CLIENT.to_string()),
        ("GRAPH_CLIENT_SECRET", secret.to_string()),
        (
            "GRAPH_REFRESH_TOKEN",
            mint(cloud, GRAPH_CLIENT, GRAPH_DELEGATED_SCOPE),
        ),
        ("CONTROL_URL", format!("http://{control}")),
        ("SENT_LOG", args.sent_log.display().to_string()),
    ];
    let mut out = std::io::stdout().lock();
    for (key, value) in lines {
        let _ = writeln!(out, "{key}={value}");
    }
    let _ = writeln!(out, "READY");
    let _ = out.flush();
}

fn mint(cloud: &Cloud, client: &str, scope: &str) -> String {
    cloud.authority.mint_refresh_token(client, scope)
}

/// The fake Graph's token check: a live token of the authority for Graph's audience, with
/// the permissions its scopes name (an app-only `.default` token: [`APP_PERMISSIONS`]).
fn graph_token_check(inspector: TokenInspector) -> TokenCheck {
    Arc::new(move |token: &str| {
        let info = inspector.token_info(token)?;
        (info.aud == GRAPH_AUDIENCE).then(|| graph_permissions(&info.scope))
    })
}

fn graph_permissions(scope: &str) -> Vec<String> {
    let mut out = Vec::new();
    for s in scope.split_whitespace() {
        match s
            .strip_prefix(GRAPH_AUDIENCE)
            .and_then(|r| r.strip_prefix('/'))
        {
            Some(".default") => out.extend(APP_PERMISSIONS.iter().map(|p| p.to_string())),
            Some(p) if !p.is_empty() => out.push(p.to_string()),
            _ => {}
        }
    }
    out
}

async fn poll_sent(cloud: Arc<Cloud>) {
    let mut tick = tokio::time::interval(POLL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(e) = drain_sent(&cloud) {
            eprintln!("scanrelay-test-cloud: error: {e}");
        }
    }
}

/// Takes the sent messages out of the fake Graph, counts them and logs one line each.
fn drain_sent(cloud: &Cloud) -> Result<(), String> {
    let sent = cloud.graph.take_sent();
    if sent.is_empty() {
        return Ok(());
    }
    let now = unix_ns(SystemTime::now());
    let mut log = cloud.log.lock().unwrap_or_else(|e| e.into_inner());
    let mut totals = cloud.totals.lock().unwrap_or_else(|e| e.into_inner());
    for message in &sent {
        count(&mut totals, message);
        let line = sent_record(message, now);
        writeln!(log, "{line}").map_err(|e| format!("write the sent log: {e}"))?;
    }
    log.flush().map_err(|e| format!("write the sent log: {e}"))
}

fn count(totals: &mut Totals, message: &SentMessage) {
    totals.messages += 1;
    match message.via {
        SentVia::SendMail => totals.via_sendmail += 1,
        SentVia::Draft => totals.via_draft += 1,
    }
    totals.attachments += message.attachments.len() as u64;
    totals.attachment_bytes += message
        .attachments
        .iter()
        .map(|a| a.bytes.len() as u64)
        .sum::<u64>();
}

fn sent_record(message: &SentMessage, at_ns: u64) -> Value {
    let attachments: Vec<Value> = message
        .attachments
        .iter()
        .map(|a| {
            json!({
                "name": a.name,
                "content_type": a.content_type,
                "bytes": a.bytes.len(),
                "fnv1a64": format!("{:016x}", fnv1a64(&a.bytes)),
            })
        })
        .collect();
    json!({
        "subject": message.subject,
        "sent_unix_ns": at_ns,
        "via": match message.via { SentVia::SendMail => "sendMail", SentVia::Draft => "draft" },
        "mailbox": message.mailbox,
        "recipients": message.recipients(),
        "attachments": attachments,
    })
}

/// FNV-1a, 64 bits: a cheap fingerprint (the benchmark's load generator computes the same).
fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

fn stats(cloud: &Cloud) -> Value {
    let requests = cloud.graph.requests();
    let t = cloud.totals.lock().unwrap_or_else(|e| e.into_inner());
    let a = &cloud.authority;
    json!({
        "graph": {
            "messages": t.messages,
            "via_sendmail": t.via_sendmail,
            "via_draft": t.via_draft,
            "attachments": t.attachments,
            "attachment_bytes": t.attachment_bytes,
            "requests": requests.len(),
            "requests_refused": requests.iter().filter(|r| r.status >= 400).count(),
            "upload_puts": requests.iter().filter(|r| r.method == "PUT").count(),
            "max_request_body": requests.iter().map(|r| r.body_len).max().unwrap_or(0),
            "open_drafts": cloud.graph.open_drafts(),
        },
        "oauth": {
            "introspections": a.introspections(),
            "smtp_refreshes": a.refresh_count(SMTP_CLIENT),
            "smtp_token_requests": a.token_requests(SMTP_CLIENT).len(),
            "graph_token_requests": a.token_requests(GRAPH_CLIENT).len(),
            "reused_refresh_tokens": a.reused_refresh_tokens(SMTP_CLIENT).len()
                + a.reused_refresh_tokens(GRAPH_CLIENT).len(),
        },
    })
}

/// Waits for SIGTERM or SIGINT.
async fn stopped() -> Result<(), String> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).map_err(|e| e.to_string())?;
    let mut int = signal(SignalKind::interrupt()).map_err(|e| e.to_string())?;
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
    Ok(())
}

fn unix_ns(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graph_permissions_from_scopes() {
        let cases: &[(&str, &[&str])] = &[
            (
                "https://graph.microsoft.com/.default",
                &["Mail.Send", "Mail.ReadWrite"],
            ),
            (GRAPH_DELEGATED_SCOPE, &["Mail.Send", "Mail.ReadWrite"]),
            (
                "https://graph.microsoft.com/Mail.Send offline_access",
                &["Mail.Send"],
            ),
            ("https://outlook.office.com/SMTP.Send offline_access", &[]),
            ("https://graph.microsoft.com.evil/.default", &[]),
        ];
        for (scope, want) in cases {
            assert_eq!(graph_permissions(scope), *want, "{scope}");
        }
    }

    #[test]
    fn fnv1a64_known_values() {
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn arguments() {
        let ok = parse_args(
            [
                "--sent-log",
                "/tmp/s",
                "--oauth-port",
                "40080",
                "--smtp-user",
                "u@x.test",
            ]
            .map(String::from)
            .to_vec(),
        )
        .unwrap()
        .expect("not --help");
        assert_eq!((ok.oauth_port, ok.control_port), (40080, 0));
        assert_eq!(ok.access_ttl, Duration::from_secs(3600));
        for bad in [
            vec!["--oauth-port", "1"],
            vec![
                "--sent-log",
                "/tmp/s",
                "--oauth-port",
                "x",
                "--smtp-user",
                "u",
            ],
            vec!["--sent-log"],
            vec!["--what", "1"],
        ] {
            assert!(
                parse_args(bad.iter().map(|s| s.to_string()).collect()).is_err(),
                "{bad:?}"
            );
        }
    }
}
