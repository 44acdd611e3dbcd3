//! The `langnghe` binary: parses the command line, loads the configuration, sets up
//! logging, and dispatches to a command. Errors are printed as a chain.

mod backtest;
mod claims;
mod cli;
mod clock;
mod commands;
mod config;
mod delivering;
mod digesting;
mod fulltext;
mod reload;
mod reporting;
mod rules_eval;
mod sources;
mod system;

use std::process::ExitCode;

use clap::Parser;

/// Every core allocates many small, short-lived values at once (tokens, rows, postings):
/// mimalloc's per-thread heaps serve them without the system allocator's arena locks and
/// return freed memory to the system sooner.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let quiet = !matches!(cli.command, cli::Command::Demo { .. } | cli::Command::Serve { .. });
    init_tracing(quiet);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            report(&anyhow::Error::from(e).context("starting the async runtime"));
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(code) => code,
        Err(err) => {
            report(&err);
            ExitCode::from(2)
        }
    }
}

#[allow(clippy::print_stderr)]
fn report(err: &anyhow::Error) {
    eprintln!("langnghe: error: {err:#}");
}

fn init_tracing(quiet: bool) {
    use tracing_subscriber::EnvFilter;
    let default = if quiet { "warn" } else { "info,tower_http=warn,tantivy=warn,sqlx=warn" };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
}
