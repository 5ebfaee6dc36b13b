//! `scanrelay queue`: list, show, retry and delete spooled messages, safely beside a running
//! gateway (the spool's per-message locks and atomic state files make that safe).
//!
//! Queue commands read the spool `serve` uses and never create one: a data directory, config
//! file or spool that is not there is an error naming the path and where `serve` keeps its
//! data by default, not an empty queue.

mod retry;
mod show;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow};
use scanrelay_diagnose::{Provider, provider, provider_by_host};
use scanrelay_gateway::config::{CONFIG_FILE_NAME, default_data_dir, load, spool_dir_only};
use scanrelay_gateway::settings::Settings;
use scanrelay_spool::{MessageId, Spool, SpoolError};

use crate::args::{GatewayLocation, QueueAction, QueueArgs};
use scanrelay_gateway::queue::{Clock, NextTry, Viewer, sender, shown};

/// Where the gateway's data is, as `serve` would find it.
struct Place {
    data_dir: PathBuf,
    /// The config file read, if there is one.
    config: Option<PathBuf>,
    settings: Option<Settings>,
    spool_dir: PathBuf,
}

impl Place {
    /// The config file's path when it has no upstream (retried mail stays held).
    fn held_note(&self) -> Option<String> {
        let settings = self.settings.as_ref()?;
        if !settings.upstreams.is_empty() {
            return None;
        }
        self.config.as_ref().map(|p| p.display().to_string())
    }

    fn provider(&self) -> Option<&'static Provider> {
        let upstream = self.settings.as_ref()?.default_upstream()?;
        match &upstream.provider {
            Some(name) => provider(name),
            None => provider_by_host(&upstream.server),
        }
    }
}

/// Finds the config and the spool directory without creating anything.
fn locate(location: &GatewayLocation) -> Result<Place> {
    let data_dir = crate::serve::data_dir(location);
    let config = match &location.config {
        Some(path) => {
            if !exists(path)? {
                return Err(anyhow!(
                    "the config file `{}` does not exist; queue commands read the config \
                     `scanrelay serve` runs with (by default `{}`)",
                    path.display(),
                    default_data_dir().join(CONFIG_FILE_NAME).display()
                ));
            }
            Some(path.clone())
        }
        None => Some(data_dir.join(CONFIG_FILE_NAME)).filter(|p| p.is_file()),
    };
    // A config that does not validate (a broken [upstream] is often why someone looks at the
    // queue) still names the spool: only `[spool] dir` is read then.
    let settings = match &config {
        Some(path) => match load(path, &data_dir) {
            Ok(loaded) => Some(loaded.settings),
            Err(e) => {
                eprintln!(
                    "scanrelay: warning: the config does not validate ({e}); using only its \
                     [spool] dir"
                );
                None
            }
        },
        None => None,
    };
    let spool_dir = match (&settings, &config) {
        (Some(s), _) => s.spool_dir.clone(),
        (None, Some(path)) => spool_dir_only(path, &data_dir)?,
        (None, None) => data_dir.join("spool"),
    };
    Ok(Place {
        data_dir,
        config,
        settings,
        spool_dir,
    })
}

fn exists(path: &Path) -> Result<bool> {
    path.try_exists()
        .with_context(|| format!("failed to look for `{}`", path.display()))
}

/// Opens the spool `place` names; a missing one is explained.
async fn open(place: &Place) -> Result<Spool> {
    match Spool::open_existing(&place.spool_dir).await {
        Ok(spool) => Ok(spool),
        Err(e @ SpoolError::Missing { .. }) => Err(missing_spool(place, &e)),
        Err(e) => Err(anyhow::Error::new(e).context(format!(
            "failed to open the spool `{}`",
            place.spool_dir.display()
        ))),
    }
}

fn missing_spool(place: &Place, e: &SpoolError) -> anyhow::Error {
    let SpoolError::Missing { path, missing } = e else {
        return anyhow!("{e}");
    };
    let why = if !place.data_dir.exists() {
        format!(
            "the data directory `{}` does not exist",
            place.data_dir.display()
        )
    } else if missing != path {
        format!("`{}` is missing", missing.display())
    } else if let Some(config) = place.config.as_ref().filter(|_| place.spool_dir_is_set()) {
        format!(
            "it does not exist (it is the [spool] dir of `{}`)",
            config.display()
        )
    } else {
        format!(
            "no gateway has run with the data directory `{}`",
            place.data_dir.display()
        )
    };
    anyhow!(
        "no spool at `{}`: {why}. `scanrelay serve` keeps its data in `{}` by default \
         ($SCANRELAY_DATA_DIR or --data-dir change it); give queue the same --data-dir or \
         --config as serve",
        path.display(),
        default_data_dir().display()
    )
}

impl Place {
    /// Whether the config moved the spool away from `<data-dir>/spool`.
    fn spool_dir_is_set(&self) -> bool {
        self.spool_dir != self.data_dir.join("spool")
    }
}

/// Runs a queue command; returns the exit status.
pub fn run(args: &QueueArgs) -> Result<u8> {
    let place = locate(&args.location)?;
    let viewer = Viewer {
        clock: Clock::system(),
        lang: crate::check::plan::lang(args.lang),
        provider: place.provider(),
    };
    crate::runtime()?.block_on(async move {
        let spool = open(&place).await?;
        match &args.action {
            QueueAction::List { json } => list(&spool, &viewer, *json).await,
            QueueAction::Show { id, json } => show(&spool, &viewer, id, *json).await,
            QueueAction::Retry {
                id, include_failed, ..
            } => {
                let request = retry::Request {
                    id: id.as_deref(),
                    include_failed: *include_failed,
                    now: viewer.clock.now,
                    held: place.held_note(),
                };
                retry::retry(&spool, &request).await
            }
            QueueAction::Delete { id } => delete(&spool, id).await,
        }
    })
}

fn parse_id(id: &str) -> Result<MessageId> {
    id.parse()
        .map_err(|e| anyhow!("`{}` is not a message id: {e}", shown(id)))
}

async fn list(spool: &Spool, v: &Viewer, json: bool) -> Result<u8> {
    let entries = spool.list().await?;
    if json {
        let all: Vec<serde_json::Value> = entries.iter().map(|e| v.json(e)).collect();
        outln!("{}", serde_json::to_string_pretty(&all)?);
        return Ok(0);
    }
    if entries.is_empty() {
        outln!("the queue is empty");
        return Ok(0);
    }
    outln!(
        "{:<33} {:<9} {:>4} {:<9} {:>10}  FROM -> TO",
        "ID",
        "STATE",
        "TRY",
        "NEXT",
        "SIZE"
    );
    for e in &entries {
        outln!(
            "{:<33} {:<9} {:>4} {:<9} {:>10}  {} -> {}",
            e.id.as_str(),
            e.delivery.state.as_str(),
            e.delivery.attempts,
            NextTry::of(e).short(&v.clock),
            e.body_len,
            shown(sender(e)),
            shown(&e.envelope.rcpt_to.join(", "))
        );
        if let Some(note) = v.list_note(e) {
            outln!("{:<33} {note}", "");
        }
    }
    Ok(0)
}

async fn show(spool: &Spool, v: &Viewer, id: &str, json: bool) -> Result<u8> {
    let entry = spool.load(&parse_id(id)?).await?;
    if json {
        outln!("{}", serde_json::to_string_pretty(&v.json(&entry))?);
    } else {
        out!("{}", show::render(&entry, v));
    }
    Ok(0)
}

async fn delete(spool: &Spool, id: &str) -> Result<u8> {
    let id = parse_id(id)?;
    scanrelay_gateway::queue::delete(spool, &id).await?;
    outln!("{id}: deleted");
    Ok(0)
}
