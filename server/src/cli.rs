//! The command line: `serve` (default), `migrate`, `create-admin`, `seed-demo`, `prices`.

use crate::{config::Settings, database, mail::Mailer, seed, startup::Application};
use app::backend::engine::keys;
use app::backend::services::{accounts, organizations};
use clap::{Parser, Subcommand};
use rand::distr::{Alphanumeric, SampleString};
use std::sync::Arc;
use tollgate_domain::{Clock, SystemClock};

#[derive(Parser, Debug)]
#[command(name = "tollgate", version, about = "Budgets that hold for LLM and AI usage")]
pub struct Cli {
    #[command(flatten)]
    pub settings: Settings,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the web interface and the API (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Create the organization (if there is none yet) and an admin account.
    CreateAdmin {
        #[arg(long)]
        email: String,
        /// The password; one is generated and printed when omitted.
        #[arg(long, env = "TOLLGATE_ADMIN_PASSWORD", hide_env_values = true)]
        password: Option<String>,
        #[arg(long, default_value = "Administrator")]
        name: String,
        /// Used only when the organization does not exist yet.
        #[arg(long, default_value = "My organization")]
        org_name: String,
        #[arg(long, default_value = "UTC")]
        timezone: String,
        #[arg(long, default_value = "USD")]
        currency: String,
    },
    /// Create an API key for services; the key is printed once, as the last line.
    CreateApiKey {
        #[arg(long)]
        name: String,
        /// Allow the management API too (default: usage endpoints only).
        #[arg(long)]
        admin: bool,
        /// Restrict the key to one project (its slug).
        #[arg(long)]
        project: Option<String>,
    },
    /// Revoke an API key by its prefix (the part after `tg_`, before the next `_`).
    RevokeApiKey { prefix: String },
    /// Recompute budget counters and daily aggregates from the ledger; exit 1 on any difference.
    Reconcile {
        /// Set every differing figure to what the ledger says (other writers wait meanwhile).
        #[arg(long)]
        repair: bool,
    },
    /// Fill an empty database with a demo organization: teams, projects, users, budgets and usage.
    SeedDemo {
        #[arg(long, default_value_t = 90)]
        days: u32,
    },
    /// The price catalog: import a price list, or convert one to Tollgate's CSV.
    #[command(subcommand)]
    Prices(crate::price_commands::PriceCommand),
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = cli.settings;
    let clock = SystemClock;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let mailer = Mailer::from_url(settings.smtp_url.as_deref())?;
            let app = Application::build(&settings, Arc::new(clock), mailer).await?;
            tracing::info!(database = settings.database_kind(), "listening on http://{}", app.local_addr());
            app.run_until_stopped().await?;
        }
        Command::Migrate => {
            let db = database::connect(&settings.database_url()).await?;
            database::migrate(&db).await?;
            println!("Migrations applied ({}).", settings.database_kind());
        }
        Command::CreateAdmin { email, password, name, org_name, timezone, currency } => {
            let db = database::connect(&settings.database_url()).await?;
            database::migrate(&db).await?;
            let generated = password.is_none();
            let password = password.unwrap_or_else(|| Alphanumeric.sample_string(&mut rand::rng(), 20));
            let txn = app::backend::engine::begin_write(&db).await?;
            let org = match organizations::first_organization(&txn).await? {
                Some(org) => org,
                None => organizations::create_organization(&txn, &org_name, &timezone, &currency, clock.now()).await?,
            };
            let account = accounts::NewAccount {
                org_id: org.id,
                email: &email,
                display_name: &name,
                password: &password,
                roles: &["admin"],
            };
            let user = accounts::create_account(&txn, account, clock.now()).await?;
            txn.commit().await?;
            println!("Created admin {} in organization '{}'.", user.handle, org.name);
            if generated {
                println!("Generated password (shown once): {password}");
            }
        }
        Command::CreateApiKey { name, admin, project } => {
            let db = database::connect(&settings.database_url()).await?;
            database::migrate(&db).await?;
            let org = organizations::first_organization(&db)
                .await?
                .ok_or_else(|| anyhow::anyhow!("no organization yet: run create-admin or seed-demo first"))?;
            let project_id = match project {
                Some(slug) => Some(
                    organizations::project_by_slug(&db, org.id, &slug)
                        .await?
                        .ok_or_else(|| anyhow::anyhow!("unknown project '{slug}'"))?
                        .id,
                ),
                None => None,
            };
            let permission = if admin { keys::Permission::Admin } else { keys::Permission::Ingest };
            let (key, secret) = keys::create(&db, org.id, &name, permission, project_id, clock.now()).await?;
            println!(
                "Created {} API key '{}' for organization '{}'. It is shown once:",
                permission.as_str(),
                key.name,
                org.name
            );
            println!("{secret}");
        }
        Command::RevokeApiKey { prefix } => {
            let db = database::connect(&settings.database_url()).await?;
            database::migrate(&db).await?;
            if keys::revoke_by_prefix(&db, &prefix, clock.now()).await? {
                println!("Revoked API key {prefix}; requests with it now get 401.");
            } else {
                anyhow::bail!("no live API key with prefix '{prefix}'");
            }
        }
        Command::Reconcile { repair: true } => {
            let db = database::connect(&settings.database_url()).await?;
            database::migrate(&db).await?;
            let repaired = app::backend::services::reconcile::repair(&db).await?;
            for d in &repaired {
                println!("repaired {}: {}: stored {:?}, now {:?}", d.table, d.key, d.stored, d.expected);
            }
            println!("{} figure(s) repaired; counters and daily aggregates now match the ledger.", repaired.len());
        }
        Command::Reconcile { repair: false } => {
            let db = database::connect(&settings.database_url()).await?;
            database::migrate(&db).await?;
            let differences = app::backend::services::reconcile::reconcile(&db).await?;
            if differences.is_empty() {
                println!("Counters and daily aggregates match the ledger.");
            } else {
                for d in &differences {
                    println!("{}: {}: stored {:?}, ledger says {:?}", d.table, d.key, d.stored, d.expected);
                }
                anyhow::bail!("{} difference(s) between stored figures and the ledger", differences.len());
            }
        }
        Command::Prices(command) => crate::price_commands::run(command, &settings, &clock).await?,
        Command::SeedDemo { days } => {
            let db = database::connect(&settings.database_url()).await?;
            database::migrate(&db).await?;
            let summary = seed::seed_demo(&db, clock.now(), days).await?;
            println!("{summary}");
        }
    }
    Ok(())
}
