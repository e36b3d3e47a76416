//! The `tollgate` binary: parses the command line and runs the chosen command.

use clap::Parser;
use tollgate_server::cli::{run, Cli};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    tollgate_server::telemetry::init(&cli.settings.log_format);
    run(cli).await
}
