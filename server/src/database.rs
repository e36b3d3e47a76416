//! Connects to SQLite (default) or PostgreSQL and applies pending migrations.

use crate::wal_checkpoint::{self, CheckpointPolicy};
use migrations::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, Database, DatabaseConnection};
use std::time::Duration;

/// Connects; on SQLite also starts this process's WAL checkpointer (`wal_checkpoint`).
pub async fn connect(url: &str) -> anyhow::Result<DatabaseConnection> {
    connect_with(url, CheckpointPolicy::default()).await
}

/// `connect`, with SQLite's log checkpointed by `policy`.
pub async fn connect_with(url: &str, policy: CheckpointPolicy) -> anyhow::Result<DatabaseConnection> {
    let mut options = pool_options(url);
    if url.starts_with("sqlite") {
        if let Some(dir) = sqlite_dir(url) {
            std::fs::create_dir_all(dir)?;
        }
        // The pool's default pings every connection it hands out: a round trip to the connection's
        // thread on each acquire (every transaction, every read outside one). A file opened in
        // this process has no other end that could hang up.
        options.max_connections(8).test_before_acquire(false).map_sqlx_sqlite_opts(sqlite_options);
        let db = Database::connect(options).await?;
        tokio::spawn(wal_checkpoint::run(db.clone(), policy));
        return Ok(db);
    }
    // A hot connection goes out untested; one idle long enough to have been dropped by the
    // server or a proxy is pinged first.
    options.max_connections(16).test_before_acquire_if_idle_for(Duration::from_secs(10));
    Ok(Database::connect(options).await?)
}

/// The connection the engine's check writer decides its batches on. SQLite drops a connection's
/// whole page cache when it begins a transaction after another connection wrote; the pool hands out
/// its connections in turn, so every batch re-read each page it touched. A connection of its own
/// keeps its cache across batches (the writes of others still reset it); the writer keeps it between
/// batches (`KeptConnection`), so nothing else may use this pool.
///
/// PostgreSQL: a small pool of its own whose connections plan each statement once. The writer runs
/// the same few statements over and over (key lookups, the counters' upsert, the batch's inserts),
/// and by default PostgreSQL plans each of their first runs on a connection afresh and keeps doing
/// so whenever a generic plan is not estimated cheaper; here planning was a tenth of PostgreSQL's
/// CPU per check (`perf record` on its processes). Every plan of these statements is a lookup by key.
pub async fn connect_check_writer(url: &str) -> anyhow::Result<DatabaseConnection> {
    if !url.starts_with("sqlite") {
        let mut options = pool_options(url);
        options
            .max_connections(4)
            .test_before_acquire_if_idle_for(Duration::from_secs(10))
            .map_sqlx_postgres_opts(|options| options.options([("plan_cache_mode", "force_generic_plan")]));
        return Ok(Database::connect(options).await?);
    }
    let mut options = pool_options(url);
    options.min_connections(1).max_connections(1).test_before_acquire(false).map_sqlx_sqlite_opts(sqlite_options);
    Ok(Database::connect(options).await?)
}

fn pool_options(url: &str) -> ConnectOptions {
    let mut options = ConnectOptions::new(url.to_owned());
    options.sqlx_logging(false).acquire_timeout(Duration::from_secs(10));
    options
}

fn sqlite_options(options: sea_orm::sqlx::sqlite::SqliteConnectOptions) -> sea_orm::sqlx::sqlite::SqliteConnectOptions {
    options
        .journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
        .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10))
        .pragma("wal_autocheckpoint", "0")
}

pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    Migrator::up(db, None).await?;
    Ok(())
}

fn sqlite_dir(url: &str) -> Option<&std::path::Path> {
    let path = url.strip_prefix("sqlite://")?.split('?').next()?;
    std::path::Path::new(path).parent().filter(|p| !p.as_os_str().is_empty())
}
