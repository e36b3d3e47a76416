//! Connects to SQLite (default) or PostgreSQL and applies pending migrations.

use migrations::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection};
use std::time::Duration;

/// How often this process copies SQLite's write-ahead log into the database file. A checkpoint first
/// syncs the log to disk, and commits made during that sync wait: at 1,000 checks a second the log
/// grows ~34 MB a second, and syncing a second's worth at once held commits up to 20 ms (p99 of the
/// checks 2.8–4.1 ms); a fifth of a second's worth, a few ms (p99 2.2–2.4 ms). With nothing new in
/// the log a checkpoint is a cheap read.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(200);

/// Connects; on SQLite also starts this process's WAL checkpointer (see `checkpoint_wal`).
pub async fn connect(url: &str) -> anyhow::Result<DatabaseConnection> {
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
        tokio::spawn(checkpoint_wal(db.clone()));
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
/// keeps its cache across batches (the writes of others still reset it). PostgreSQL: the pool.
pub async fn connect_check_writer(url: &str, db: &DatabaseConnection) -> anyhow::Result<DatabaseConnection> {
    if !url.starts_with("sqlite") {
        return Ok(db.clone());
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

/// SQLite's automatic checkpoint runs inside whichever commit fills the log past 1,000 pages: that
/// commit (a whole batch of checks) then waits for the copy and two fsyncs, several milliseconds.
/// Commits here only append to the log, and this task checkpoints it (`CHECKPOINT_EVERY`). PASSIVE never
/// waits for readers or writers; what it cannot copy yet it copies next time.
async fn checkpoint_wal(db: DatabaseConnection) {
    let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if db.get_sqlite_connection_pool().is_closed() {
            return;
        }
        if let Err(error) = db.execute_unprepared("PRAGMA wal_checkpoint(PASSIVE)").await {
            tracing::warn!(%error, "could not checkpoint the SQLite write-ahead log");
        }
    }
}

pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    Migrator::up(db, None).await?;
    Ok(())
}

fn sqlite_dir(url: &str) -> Option<&std::path::Path> {
    let path = url.strip_prefix("sqlite://")?.split('?').next()?;
    std::path::Path::new(path).parent().filter(|p| !p.as_os_str().is_empty())
}
