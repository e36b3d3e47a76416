//! Settings from flags and `TOLLGATE_*` environment variables; secrets are redacted in Debug output.

use clap::Args;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Args, Clone)]
pub struct Settings {
    /// Database URL; `postgres://…` for PostgreSQL. Default: SQLite file in the data directory.
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,
    /// Where the embedded SQLite database lives (created if absent).
    #[arg(long, env = "TOLLGATE_DATA_DIR", default_value = "data", global = true)]
    pub data_dir: PathBuf,
    /// Listen address; port 0 picks a free port.
    #[arg(long, env = "TOLLGATE_ADDR", default_value = "127.0.0.1:3000", global = true)]
    pub addr: SocketAddr,
    /// Directory of the built site (pkg/, vendor/…). Default: found next to the executable.
    #[arg(long, env = "TOLLGATE_SITE_ROOT", global = true)]
    pub site_root: Option<PathBuf>,
    /// SMTP server for outgoing mail, e.g. `smtps://user:pass@mail.example.com:465`.
    #[arg(long, env = "TOLLGATE_SMTP_URL", global = true, hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// Sender address of outgoing mail.
    #[arg(long, env = "TOLLGATE_MAIL_FROM", default_value = "Tollgate <tollgate@localhost>", global = true)]
    pub mail_from: String,
    /// How often expired reservations are released, in milliseconds.
    #[arg(long, env = "TOLLGATE_SWEEP_INTERVAL_MS", default_value_t = 5000, global = true)]
    pub sweep_interval_ms: u64,
    /// How often the alert outbox is drained, in milliseconds.
    #[arg(long, env = "TOLLGATE_DISPATCH_INTERVAL_MS", default_value_t = 250, global = true)]
    pub dispatch_interval_ms: u64,
    /// How often budgets are forecast for forecast alerts, in seconds.
    #[arg(long, env = "TOLLGATE_FORECAST_INTERVAL_SECS", default_value_t = 300, global = true)]
    pub forecast_interval_secs: u64,
    /// The address people reach Tollgate at, for links in alert messages. Default: http://<addr>.
    #[arg(long, env = "TOLLGATE_PUBLIC_URL", global = true)]
    pub public_url: Option<String>,
    /// Send session cookies without `Secure` (only for plain-http deployments that are not on localhost).
    #[arg(long, env = "TOLLGATE_INSECURE_COOKIES", global = true)]
    pub insecure_cookies: bool,
    /// Trust `X-Forwarded-For` for the client address (rate limits, audit); only behind a proxy that sets it.
    #[arg(long, env = "TOLLGATE_TRUST_FORWARDED_FOR", global = true)]
    pub trust_forwarded_for: bool,
    /// Hosts that alert webhooks, Slack messages and event hooks may reach even though they resolve
    /// to internal addresses (comma-separated, e.g. `hooks.internal,10.0.0.7`). Default: none.
    #[arg(long, env = "TOLLGATE_OUTBOUND_ALLOW", value_delimiter = ',', global = true)]
    pub outbound_allow: Vec<String>,
    /// Log format: `text` or `json`.
    #[arg(long, env = "TOLLGATE_LOG_FORMAT", default_value = "text", global = true)]
    pub log_format: String,
}

impl Settings {
    pub fn web(&self) -> crate::web::WebSettings {
        crate::web::WebSettings {
            secure_cookies: !self.insecure_cookies,
            trust_forwarded_for: self.trust_forwarded_for,
        }
    }

    /// The connection URL: the given one, or a SQLite file in the data directory.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) if !url.is_empty() => url.clone(),
            _ => format!("sqlite://{}?mode=rwc", self.data_dir.join("tollgate.db").display()),
        }
    }

    pub fn database_kind(&self) -> &'static str {
        if self.database_url().starts_with("postgres") {
            "postgresql"
        } else {
            "sqlite"
        }
    }
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("database", &self.database_kind())
            .field("data_dir", &self.data_dir)
            .field("addr", &self.addr)
            .field("site_root", &self.site_root)
            .field("smtp", &self.smtp_url.as_ref().map(|_| "<configured>"))
            .field("mail_from", &self.mail_from)
            .field("public_url", &self.public_url)
            .finish()
    }
}
