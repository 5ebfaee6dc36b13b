//! `scanrelay-loadgen`: the benchmark's outside view of a mail relay, as office devices see it.
//!
//! * `send`: N concurrent plain-SMTP clients send generated messages (a plain body, or a
//!   multipart scan mail with a PDF-like attachment) and record when each was accepted (JSON
//!   summary on stdout, one JSON line per accepted message in the accept log).
//! * `delivered`: waits for the run's messages upstream (in the Maildir, or in the fake
//!   Graph's sent log, checking each scan's attachment) and computes the accept-to-upstream
//!   latency.
//! * `memwatch`: samples the RSS of a process or a process group until stopped.
//! * `report`: merges the per-case files of `bench/run` into results JSON and a markdown table.
//!
//! Standalone on purpose: it shares no code with scanrelay. Its small SMTP sender (`smtp.rs`)
//! plays the office devices, as swaks and smtplib do in the tests: measuring the gateway with
//! the gateway's own client would let a bug both share hide from the measurement, and it needs
//! a timestamp between the `CRLF.CRLF` and the `250` that a general client does not expose. It
//! is benchmark tooling, never linked into `scanrelay`; the product has exactly one SMTP client
//! (`scanrelay-client`).
#![forbid(unsafe_code)]

mod delivered;
mod graph_sent;
mod memwatch;
mod message;
mod report;
mod report_cloud;
mod send;
mod smtp;
mod stats;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Benchmark load generator for scanrelay (plain SMTP, loopback only).
#[derive(Debug, Parser)]
#[command(name = "scanrelay-loadgen", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Send messages with N concurrent clients and measure accept latency and throughput.
    Send(send::SendArgs),
    /// Wait for a run's messages in a Maildir (or the fake Graph's sent log) and measure
    /// accept-to-upstream latency.
    Delivered(delivered::DeliveredArgs),
    /// Sample the memory of a process or process group until SIGTERM.
    Memwatch(memwatch::MemwatchArgs),
    /// Merge bench/run's per-case files into results JSON and a markdown table.
    Report(report::ReportArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Send(a) => send::run(a),
        Command::Delivered(a) => delivered::run(a),
        Command::Memwatch(a) => memwatch::run(a),
        Command::Report(a) => report::run(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("scanrelay-loadgen: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
