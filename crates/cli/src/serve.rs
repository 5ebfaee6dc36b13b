//! `scanrelay serve`: load (or create) the config, start the gateway, run until a signal.
//! `serve --check-config` only reads: without a config file it checks the embedded defaults
//! and writes nothing.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use scanrelay_gateway::config::{
    CONFIG_FILE_NAME, DEFAULT_CONFIG, ParseOptions, default_data_dir, load, load_or_init,
    parse_str, summary,
};
use scanrelay_gateway::{Gateway, GatewayHandle, StartOptions};

use crate::args::{GatewayLocation, ServeArgs};

/// The data directory from the flag or the default.
pub fn data_dir(location: &GatewayLocation) -> PathBuf {
    location.data_dir.clone().unwrap_or_else(default_data_dir)
}

/// `serve --check-config`: validates the config `serve` would use, prints its warnings and
/// summary. Writes nothing, not even the default config or the data directory.
fn check_config(data_dir: &Path, config: Option<&Path>) -> Result<u8> {
    let default_path = data_dir.join(CONFIG_FILE_NAME);
    let path = config.unwrap_or(&default_path);
    let present = path
        .try_exists()
        .with_context(|| format!("failed to look for `{}`", path.display()))?;
    if !present && config.is_some() {
        anyhow::bail!("the config file `{}` does not exist", path.display());
    }
    let loaded = if present {
        outln!("config: {}", path.display());
        load(path, data_dir)?
    } else {
        outln!(
            "config: {} does not exist: checking the embedded defaults, which `scanrelay serve` \
             writes there on its first start",
            path.display()
        );
        parse_str(DEFAULT_CONFIG, path, data_dir, &ParseOptions::default())?
    };
    for warning in &loaded.warnings {
        outln!("warning: {warning}");
    }
    out!("{}", summary(&loaded.settings));
    outln!("config OK");
    Ok(0)
}

/// Runs `serve`; returns the exit status.
pub fn run(args: &ServeArgs) -> Result<u8> {
    let data_dir = data_dir(&args.location);
    if args.check_config {
        return check_config(&data_dir, args.location.config.as_deref());
    }
    let (settings, written) = load_or_init(&data_dir, args.location.config.as_deref())?;
    let config_path = args
        .location
        .config
        .clone()
        .unwrap_or_else(|| data_dir.join(scanrelay_gateway::config::CONFIG_FILE_NAME));
    if let Some(path) = &written {
        outln!(
            "wrote a default config to {} (edit it to add an upstream)",
            path.display()
        );
    }
    let rt = crate::runtime()?;
    rt.block_on(async move {
        // The gateway logs where it listens, the certificate fingerprint and the upstream.
        let options = StartOptions {
            config_path: Some(config_path.clone()),
        };
        let gateway = Gateway::start_with(settings, options)
            .await
            .context("the gateway could not start")?;
        // The admin console on [listen] web; it logs its URL (and a setup link).
        let console = scanrelay_web::serve(gateway.handle()).await?;
        let handle = gateway.handle();
        let reload = move || reload(handle.clone(), config_path.clone(), data_dir.clone());
        wait_for_stop(reload).await;
        outln!("shutting down: finishing open transactions");
        if let Some(console) = console {
            console.shutdown().await;
        }
        gateway.shutdown().await;
        Ok::<u8, anyhow::Error>(0)
    })
}

/// SIGHUP: reads the config file again and applies it (see `GatewayHandle::reload`); a file
/// that does not load is logged and the running settings stay.
async fn reload(handle: GatewayHandle, path: PathBuf, data_dir: PathBuf) {
    tracing::info!(config = %path.display(), "SIGHUP: reloading the config");
    let loaded = match load(&path, &data_dir) {
        Ok(loaded) => loaded,
        Err(e) => {
            tracing::error!(config = %path.display(), error = %e,
                "reload refused: the config does not load; the running settings stay");
            return;
        }
    };
    for warning in &loaded.warnings {
        tracing::warn!(config = %path.display(), "{warning}");
    }
    match handle.reload(loaded.settings).await {
        Ok(report) if report.is_empty() => tracing::info!("reload: nothing changed"),
        Ok(report) => {
            for key in &report.needs_restart {
                tracing::warn!(setting = %key, "changed in the config, applied after a restart");
            }
        }
        // Logged by the gateway.
        Err(_) => {}
    }
}

/// Runs until SIGINT or SIGTERM; each SIGHUP runs `reload`.
async fn wait_for_stop<F, Fut>(reload: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).ok();
    let mut hup = signal(SignalKind::hangup()).ok();
    loop {
        let term = async {
            match term.as_mut() {
                Some(s) => drop(s.recv().await),
                None => std::future::pending::<()>().await,
            }
        };
        let hup = async {
            match hup.as_mut() {
                Some(s) => drop(s.recv().await),
                None => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => return,
            () = term => return,
            () = hup => reload().await,
        }
    }
}
