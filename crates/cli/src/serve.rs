//! `scanrelay serve`: load (or create) the config, start the gateway, run until a signal.

use std::path::PathBuf;

use anyhow::{Context, Result};
use scanrelay_gateway::config::{default_data_dir, load_or_init, summary};
use scanrelay_gateway::{Gateway, StartOptions};

use crate::args::{GatewayLocation, ServeArgs};

/// The data directory from the flag or the default.
pub fn data_dir(location: &GatewayLocation) -> PathBuf {
    location.data_dir.clone().unwrap_or_else(default_data_dir)
}

/// Runs `serve`; returns the exit status.
pub fn run(args: &ServeArgs) -> Result<u8> {
    let data_dir = data_dir(&args.location);
    let (settings, written) = load_or_init(&data_dir, args.location.config.as_deref())?;
    let config_path = args
        .location
        .config
        .clone()
        .unwrap_or_else(|| data_dir.join(scanrelay_gateway::config::CONFIG_FILE_NAME));
    if let Some(path) = &written {
        println!(
            "wrote a default config to {} (edit it to add an upstream)",
            path.display()
        );
    }
    if args.check_config {
        print!("{}", summary(&settings));
        println!("config OK");
        return Ok(0);
    }
    let rt = crate::runtime()?;
    rt.block_on(async move {
        // The gateway logs where it listens, the certificate fingerprint and the upstream.
        let options = StartOptions {
            config_path: Some(config_path),
        };
        let gateway = Gateway::start_with(settings, options)
            .await
            .context("the gateway could not start")?;
        wait_for_signal().await;
        println!("shutting down: finishing open transactions");
        gateway.shutdown().await;
        Ok::<u8, anyhow::Error>(0)
    })
}

async fn wait_for_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).ok();
    let term = async {
        match term.as_mut() {
            Some(s) => {
                s.recv().await;
            }
            None => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term => {}
    }
}
