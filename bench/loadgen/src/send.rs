//! `send`: N concurrent SMTP clients, each sending its share of the messages, recording the
//! accept latency (end of DATA sent -> 250 read) and the wall-clock time of each 250.

use std::fs::File;
use std::io::{BufWriter, Write as _};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use crate::message::{Body, Envelope, Shape, generate, headers, parse_size};
use crate::smtp::Session;
use crate::stats::{Latency, round3, summarize_ns};

/// How clients use connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConnMode {
    /// One connection per client, sequential transactions on it (no RSET in between).
    PerClient,
    /// A new connection (greeting, EHLO, transaction, QUIT) for every message.
    PerMessage,
}

/// Arguments of `send`.
#[derive(Debug, clap::Args)]
pub struct SendArgs {
    /// Server address (benchmark traffic stays on loopback).
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Server port.
    #[arg(long)]
    pub port: u16,
    /// Envelope sender and From.
    #[arg(long, default_value = "bench@example.test")]
    pub from: String,
    /// Envelope recipient and To.
    #[arg(long)]
    pub to: String,
    /// Body size: 100KB, 10MB, 1MiB, ... (KB/MB decimal); with --shape scan, the size of the
    /// attached file (the message is about 4/3 of it: base64).
    #[arg(long, default_value = "100KB")]
    pub size: String,
    /// plain: one application/pdf part of --size bytes of base64-like text; scan: a
    /// multipart/mixed scan mail with a text part and a --size PDF-like file in base64.
    #[arg(long, value_enum, default_value_t = Shape::Plain)]
    pub shape: Shape,
    /// Concurrent clients.
    #[arg(long, default_value_t = 1)]
    pub clients: u64,
    /// Messages per client (default 10 unless --total is given).
    #[arg(long, conflicts_with = "total")]
    pub messages_per_client: Option<u64>,
    /// Total messages, spread evenly over the clients.
    #[arg(long)]
    pub total: Option<u64>,
    /// Run id: every message carries `X-Bench-Id: <run-id>-<n>`.
    #[arg(long)]
    pub run_id: String,
    /// Connection use.
    #[arg(long, value_enum, default_value_t = ConnMode::PerClient)]
    pub connection: ConnMode,
    /// Where to write one JSON line per accepted message (id, accept time, latency).
    #[arg(long)]
    pub accept_log: PathBuf,
    /// Name shown in the summary (e.g. postfix-relay).
    #[arg(long, default_value = "")]
    pub label: String,
    /// EHLO name.
    #[arg(long, default_value = "loadgen.example.test")]
    pub ehlo: String,
    /// Timeout of every single network step, seconds.
    #[arg(long, default_value_t = 120)]
    pub step_timeout: u64,
    /// No message is started after this many seconds.
    #[arg(long, default_value_t = 300)]
    pub max_secs: u64,
    /// Tokio worker threads of the load generator (1 = single-threaded, leaves CPU to the server).
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
}

/// One accepted message, as written to the accept log.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AcceptRecord {
    /// `X-Bench-Id` value.
    pub id: String,
    /// Wall-clock time of the 250, unix nanoseconds.
    pub accept_unix_ns: u64,
    /// End of DATA sent -> 250 read, nanoseconds.
    pub latency_ns: u64,
}

/// The JSON summary `send` prints.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SendSummary {
    /// --label.
    pub label: String,
    /// --run-id.
    pub run_id: String,
    /// host:port.
    pub server: String,
    /// Connection mode.
    pub connection: ConnMode,
    /// Concurrent clients.
    pub clients: u64,
    /// Requested body size in bytes (--shape scan: the attached file's size).
    pub body_bytes: u64,
    /// Message shape.
    #[serde(default = "plain")]
    pub shape: Shape,
    /// --shape scan: the attached file's size, bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachment_bytes: Option<u64>,
    /// --shape scan: FNV-1a (64 bits, hex) of the attached file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachment_fnv1a64: Option<String>,
    /// Messages attempted.
    pub attempted: u64,
    /// Messages accepted (250 after DATA).
    pub messages: u64,
    /// Bytes of accepted messages as sent in DATA (headers + body + terminator).
    pub bytes: u64,
    /// First connect to last client done, seconds.
    pub elapsed_s: f64,
    /// Accepted messages per second.
    pub accepts_per_s: f64,
    /// Accepted megabytes (10^6) per second.
    pub mb_per_s: f64,
    /// Accept latency.
    pub accept_latency: Option<Latency>,
    /// Messages not accepted.
    pub errors: u64,
    /// First few error messages.
    pub error_samples: Vec<String>,
}

fn plain() -> Shape {
    Shape::Plain
}

/// Shared, read-only state of a run.
struct Plan {
    addr: String,
    ehlo: String,
    env: Envelope,
    shape: Shape,
    body: Body,
    mode: ConnMode,
    step_timeout: Duration,
    deadline: Instant,
}

/// What one client did.
#[derive(Default)]
struct ClientResult {
    accepted: Vec<AcceptRecord>,
    bytes: u64,
    errors: Vec<String>,
}

/// Runs `send`: prints the summary as JSON, writes the accept log.
pub fn run(args: &SendArgs) -> Result<()> {
    let (plan, shares) = plan(args)?;
    let rt = if args.threads <= 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(args.threads)
            .enable_all()
            .build()?
    };
    let started = Instant::now();
    let plan = Arc::new(plan);
    let results = rt.block_on(run_clients(Arc::clone(&plan), shares))?;
    let elapsed = started.elapsed();
    write_accept_log(&args.accept_log, &results)?;
    let summary = summarize(args, &plan.body, &results, elapsed)?;
    println!("{}", serde_json::to_string_pretty(&summary)?);
    Ok(())
}

/// Builds the plan and each client's range of message numbers.
fn plan(args: &SendArgs) -> Result<(Plan, Vec<std::ops::Range<u64>>)> {
    if args.clients == 0 {
        bail!("--clients must be at least 1");
    }
    let total = match (args.total, args.messages_per_client) {
        (Some(t), _) => t,
        (None, per) => per.unwrap_or(10) * args.clients,
    };
    let body_bytes = usize::try_from(parse_size(&args.size)?).context("--size too large")?;
    let plan = Plan {
        addr: format!("{}:{}", args.host, args.port),
        ehlo: args.ehlo.clone(),
        env: Envelope {
            run_id: args.run_id.clone(),
            from: args.from.clone(),
            to: args.to.clone(),
        },
        shape: args.shape,
        body: generate(args.shape, body_bytes),
        mode: args.connection,
        step_timeout: Duration::from_secs(args.step_timeout),
        deadline: Instant::now() + Duration::from_secs(args.max_secs),
    };
    let (base, extra) = (total / args.clients, total % args.clients);
    let mut shares = Vec::new();
    let mut next = 1;
    for i in 0..args.clients {
        let n = base + u64::from(i < extra);
        shares.push(next..next + n);
        next += n;
    }
    Ok((plan, shares))
}

async fn run_clients(
    plan: Arc<Plan>,
    shares: Vec<std::ops::Range<u64>>,
) -> Result<Vec<ClientResult>> {
    let tasks: Vec<_> = shares
        .into_iter()
        .map(|range| tokio::spawn(client(Arc::clone(&plan), range)))
        .collect();
    let mut results = Vec::with_capacity(tasks.len());
    for t in tasks {
        results.push(t.await.context("client task panicked")?);
    }
    Ok(results)
}

/// One client: sends message numbers `range` in sequence.
async fn client(plan: Arc<Plan>, range: std::ops::Range<u64>) -> ClientResult {
    let mut out = ClientResult::default();
    let mut session: Option<Session> = None;
    for n in range {
        if Instant::now() >= plan.deadline {
            out.errors
                .push(format!("message {n}: not sent, --max-secs reached"));
            continue;
        }
        if session.is_none() {
            match Session::open(&plan.addr, &plan.ehlo, plan.step_timeout).await {
                Ok(s) => session = Some(s),
                Err(e) => {
                    out.errors.push(format!("message {n}: {e:#}"));
                    continue;
                }
            }
        }
        let Some(s) = session.as_mut() else { continue };
        let head = headers(&plan.env, plan.shape, n, SystemTime::now());
        let body = &plan.body.bytes;
        match s
            .send_mail(&plan.env.from, &plan.env.to, &[head.as_bytes(), body])
            .await
        {
            Ok(acc) => {
                out.bytes += (head.len() + body.len() + 3) as u64;
                out.accepted.push(AcceptRecord {
                    id: format!("{}-{n}", plan.env.run_id),
                    accept_unix_ns: unix_ns(acc.at),
                    latency_ns: u64::try_from(acc.latency.as_nanos()).unwrap_or(u64::MAX),
                });
            }
            Err(e) => {
                out.errors.push(format!("message {n}: {e:#}"));
                // Start clean: the next message gets a new connection.
                session = None;
            }
        }
        if plan.mode == ConnMode::PerMessage
            && let Some(s) = session.take()
        {
            s.quit().await;
        }
    }
    if let Some(s) = session {
        s.quit().await;
    }
    out
}

/// Unix nanoseconds of a wall-clock time.
pub fn unix_ns(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

fn write_accept_log(path: &PathBuf, results: &[ClientResult]) -> Result<()> {
    let file = File::create(path).with_context(|| format!("create {}", path.display()))?;
    let mut w = BufWriter::new(file);
    for rec in results.iter().flat_map(|r| &r.accepted) {
        serde_json::to_writer(&mut w, rec)?;
        w.write_all(b"\n")?;
    }
    w.flush()
        .with_context(|| format!("write {}", path.display()))
}

fn summarize(
    args: &SendArgs,
    body: &Body,
    results: &[ClientResult],
    elapsed: Duration,
) -> Result<SendSummary> {
    let latencies: Vec<i128> = results
        .iter()
        .flat_map(|r| &r.accepted)
        .map(|a| i128::from(a.latency_ns))
        .collect();
    let messages = latencies.len() as u64;
    let errors: u64 = results.iter().map(|r| r.errors.len() as u64).sum();
    let bytes: u64 = results.iter().map(|r| r.bytes).sum();
    let secs = elapsed.as_secs_f64().max(1e-9);
    Ok(SendSummary {
        label: args.label.clone(),
        run_id: args.run_id.clone(),
        server: format!("{}:{}", args.host, args.port),
        connection: args.connection,
        clients: args.clients,
        body_bytes: parse_size(&args.size)?,
        shape: args.shape,
        attachment_bytes: body.attachment_bytes,
        attachment_fnv1a64: body.attachment_fnv1a64.map(|h| format!("{h:016x}")),
        attempted: messages + errors,
        messages,
        bytes,
        elapsed_s: round3(secs),
        accepts_per_s: round3(messages as f64 / secs),
        mb_per_s: round3(bytes as f64 / 1e6 / secs),
        accept_latency: summarize_ns(&latencies),
        errors,
        error_samples: results
            .iter()
            .flat_map(|r| &r.errors)
            .take(10)
            .cloned()
            .collect(),
    })
}
