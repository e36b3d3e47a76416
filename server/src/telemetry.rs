//! Structured logs through tracing; `RUST_LOG` filters, `--log-format json` for machines.

use tracing_subscriber::{fmt, EnvFilter};

pub fn init(format: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    let builder = fmt().with_env_filter(filter).with_target(false);
    // A second init (tests start several apps in one process) is not an error.
    let _ = if format == "json" { builder.json().try_init() } else { builder.try_init() };
}
