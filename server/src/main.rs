//! The `tollgate` binary: parses the command line and runs the chosen command.

use clap::Parser;
use std::process::ExitCode;
use tollgate_server::cli::{run, Cli};

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    tollgate_server::telemetry::init(&cli.settings.log_format);
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // One line a person can act on ("tollgate: the password must be at least 12 characters long"), with
            // its causes after colons; never a backtrace, whatever RUST_BACKTRACE says.
            eprintln!("tollgate: {error:#}");
            ExitCode::FAILURE
        }
    }
}
