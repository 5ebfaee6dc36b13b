//! `scanrelay queue`: list, show, retry and delete spooled messages, safely beside a running
//! gateway (the spool's per-message locks and atomic state files make that safe).

use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};
use scanrelay_gateway::config::load;
use scanrelay_spool::{Entry, MessageId, Spool, State};

use crate::args::{GatewayLocation, QueueAction, QueueArgs};

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The spool directory: from the config when there is one, else `<data-dir>/spool`.
fn spool_dir(location: &GatewayLocation) -> Result<PathBuf> {
    let data_dir = crate::serve::data_dir(location);
    let config = location
        .config
        .clone()
        .or_else(|| Some(data_dir.join("scanrelay.toml")).filter(|p| p.exists()));
    match config {
        Some(path) => Ok(load(&path, &data_dir)?.settings.spool_dir),
        None => Ok(data_dir.join("spool")),
    }
}

/// Runs a queue command; returns the exit status.
pub fn run(args: &QueueArgs) -> Result<u8> {
    let dir = spool_dir(&args.location)?;
    crate::runtime()?.block_on(async move {
        let spool = Spool::open(&dir)
            .await
            .with_context(|| format!("failed to open the spool `{}`", dir.display()))?;
        match &args.action {
            QueueAction::List { json } => list(&spool, *json).await,
            QueueAction::Show { id, json } => show(&spool, id, *json).await,
            QueueAction::Retry { id, all } => retry(&spool, id.as_deref(), *all).await,
            QueueAction::Delete { id } => delete(&spool, id).await,
        }
    })
}

fn parse_id(id: &str) -> Result<MessageId> {
    id.parse()
        .map_err(|e| anyhow::anyhow!("`{id}` is not a message id: {e}"))
}

fn when(at: u64, now: u64) -> String {
    if at <= now {
        "now".to_string()
    } else {
        let s = at - now;
        match s {
            0..60 => format!("in {s}s"),
            60..3600 => format!("in {}m", s / 60),
            _ => format!("in {}h{:02}m", s / 3600, (s % 3600) / 60),
        }
    }
}

async fn list(spool: &Spool, json: bool) -> Result<u8> {
    let entries = spool.list().await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&entries)?);
        return Ok(0);
    }
    if entries.is_empty() {
        println!("the queue is empty");
        return Ok(0);
    }
    let now = now();
    println!(
        "{:<33} {:<9} {:>4} {:<9} {:>10}  FROM -> TO",
        "ID", "STATE", "TRY", "NEXT", "SIZE"
    );
    for e in &entries {
        let next = if e.delivery.state.is_final() {
            "-".to_string()
        } else {
            when(e.delivery.next_attempt, now)
        };
        println!(
            "{:<33} {:<9} {:>4} {:<9} {:>10}  {} -> {}",
            e.id.as_str(),
            e.delivery.state.as_str(),
            e.delivery.attempts,
            next,
            e.body_len,
            display_sender(&e.envelope.mail_from),
            e.envelope.rcpt_to.join(", ")
        );
        if let Some(cause) = &e.delivery.last_cause {
            println!(
                "{:<33} last: {cause}: {}",
                "",
                e.delivery.last_reply.as_deref().unwrap_or("")
            );
        }
    }
    Ok(0)
}

fn display_sender(s: &str) -> &str {
    if s.is_empty() { "<>" } else { s }
}

/// Text from a client, safe for a terminal: control characters (escape sequences, CR) shown
/// as `?`.
fn shown(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

async fn show(spool: &Spool, id: &str, json: bool) -> Result<u8> {
    let entry = spool.load(&parse_id(id)?).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&entry)?);
    } else {
        print_entry(&entry);
    }
    Ok(0)
}

fn print_entry(e: &Entry) {
    let d = &e.delivery;
    println!("id:          {}", e.id);
    println!("state:       {}", d.state);
    println!(
        "from:        {}",
        shown(display_sender(&e.envelope.mail_from))
    );
    println!("to:          {}", shown(&e.envelope.rcpt_to.join(", ")));
    println!("size:        {} bytes", e.body_len);
    println!(
        "client:      {} (HELO {})",
        e.envelope.client_addr, e.envelope.helo
    );
    if let Some(user) = &e.envelope.auth_user {
        println!("device user: {user}");
    }
    println!("attempts:    {}", d.attempts);
    if !d.state.is_final() {
        println!("next try:    {}", when(d.next_attempt, now()));
    }
    for (label, value) in [
        ("last reply:", &d.last_reply),
        ("cause:", &d.last_cause),
        ("error:", &d.last_error),
    ] {
        if let Some(v) = value {
            println!("{label:<12} {v}");
        }
    }
    for r in &d.per_rcpt {
        println!(
            "  {} {:?} {}",
            r.rcpt,
            r.state,
            r.reply.as_deref().unwrap_or("")
        );
    }
}

async fn retry(spool: &Spool, id: Option<&str>, all: bool) -> Result<u8> {
    let ids: Vec<MessageId> = match (id, all) {
        (Some(id), _) => vec![parse_id(id)?],
        (None, true) => spool
            .list()
            .await?
            .into_iter()
            .filter(|e| e.delivery.state != State::Delivered)
            .map(|e| e.id)
            .collect(),
        (None, false) => bail!("give a message id or --all"),
    };
    let now = now();
    for id in &ids {
        spool
            .update(id, |d| {
                d.state = State::Queued;
                d.next_attempt = now;
            })
            .await?;
        println!("{id}: will be retried now");
    }
    if ids.is_empty() {
        println!("nothing to retry");
    }
    Ok(0)
}

async fn delete(spool: &Spool, id: &str) -> Result<u8> {
    let id = parse_id(id)?;
    spool.remove(&id).await?;
    println!("{id}: deleted");
    Ok(0)
}
