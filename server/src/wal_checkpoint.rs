//! This process's SQLite write-ahead-log checkpointer: copies the log into the database file off
//! the commit path, and keeps the log from growing without end under steady load.
//!
//! SQLite's automatic checkpoint runs inside whichever commit fills the log past 1,000 pages: that
//! commit (a whole batch of checks) then waits for the copy and two fsyncs, several milliseconds.
//! Commits here only append to the log (`wal_autocheckpoint` is off) and this task checkpoints it.
//! PASSIVE never waits for readers or writers; what it cannot copy yet it copies next time.
//!
//! The log starts again from its beginning only when a writer begins right after a checkpoint that
//! copied all of it. Under steady load a commit always lands while the checkpoint copies, so the log
//! only grew (500 MB in 16 s of checks at full speed) and every commit extended the file, which the
//! kernel zeroes a page at a time. Once the log is long, the checkpointer copies its last frames with
//! this process's writers held at their gate: the next writer restarts the log, and later commits
//! overwrite pages the file already has.

use app::backend::engine::sqlx_runtime_error;
use sea_orm::sqlx::{AssertSqlSafe, Executor, Row};
use sea_orm::{DatabaseConnection, DbErr};
use std::time::Duration;

/// When to checkpoint, and how long a log may grow before it is made to restart.
#[derive(Clone, Copy, Debug)]
pub struct CheckpointPolicy {
    /// A checkpoint first syncs the log to disk, and commits made during that sync wait: at 1,000
    /// checks a second syncing a second's worth at once held commits up to 20 ms (p99 of the checks
    /// 2.8–4.1 ms); a fifth of a second's worth, a few ms. With nothing new in the log a checkpoint
    /// is a cheap read.
    pub every: Duration,
    /// Frames (a page and a 24-byte header each) in the log past which it is made to restart.
    pub restart_after_frames: i64,
}

impl Default for CheckpointPolicy {
    fn default() -> Self {
        CheckpointPolicy { every: Duration::from_millis(200), restart_after_frames: 8_192 }
    }
}

/// Checkpoints `db`'s log by `policy` until its pool is closed.
pub async fn run(db: DatabaseConnection, policy: CheckpointPolicy) {
    let mut tick = tokio::time::interval(policy.every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if db.get_sqlite_connection_pool().is_closed() {
            return;
        }
        if let Err(error) = checkpoint_once(&db, policy).await {
            tracing::warn!(%error, "could not checkpoint the SQLite write-ahead log");
        }
    }
}

async fn checkpoint_once(db: &DatabaseConnection, policy: CheckpointPolicy) -> Result<(), DbErr> {
    if passive_checkpoint(db).await? < policy.restart_after_frames {
        return Ok(());
    }
    // Most of the log was copied just now, without stopping anyone; what was committed meanwhile is
    // copied with the writers waiting, so that the copy is complete when the next one begins.
    let _writers_wait = app::backend::engine::sqlite_gate_lock(db).await?;
    passive_checkpoint(db).await?;
    Ok(())
}

/// Runs a PASSIVE checkpoint; returns the number of frames in the log.
async fn passive_checkpoint(db: &DatabaseConnection) -> Result<i64, DbErr> {
    let mut conn = db.get_sqlite_connection_pool().acquire().await.map_err(|e| DbErr::Conn(sqlx_runtime_error(e)))?;
    let row = (&mut *conn)
        .fetch_optional(AssertSqlSafe("PRAGMA wal_checkpoint(PASSIVE)"))
        .await
        .map_err(|e| DbErr::Exec(sqlx_runtime_error(e)))?;
    match row {
        Some(row) => row.try_get::<i64, _>(1).map_err(|e| DbErr::Exec(sqlx_runtime_error(e))),
        None => Ok(0),
    }
}

#[cfg(test)]
mod tests {
    use super::CheckpointPolicy;
    use app::backend::engine::begin_write;
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    use std::time::Duration;

    const COMMITS: usize = 24_000;
    /// Less than what the commits append to the log: a 16 KB blob takes more than three 4 KB frames
    /// (25 KB a commit was measured with the restarts turned off).
    const APPENDED: u64 = COMMITS as u64 * 3 * 4096;

    /// The number of times the log started again from its beginning: the checkpoint sequence
    /// number in its header, which SQLite counts up at each restart.
    fn restarts(log: &std::path::Path) -> u32 {
        use std::io::Read;
        let mut header = [0; 16];
        std::fs::File::open(log).unwrap().read_exact(&mut header).unwrap();
        u32::from_be_bytes(header[12..16].try_into().unwrap())
    }

    /// A log that never restarts ends longer than `APPENDED` (~295 MB; with the restarts turned off
    /// it counted none and reached 599 MB). How often it restarts, and how long it gets meanwhile,
    /// depends on how soon the checkpointer gets a core: 28–69 restarts and 1.9 MB idle, 59–96 and
    /// 17–66 MB beside two busy loops, 7 restarts in 12,000 commits in one CI run. So the test asserts
    /// that it restarts, and stays well under what never restarting would leave, never a figure only
    /// an idle machine meets.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_log_under_steady_commits_restarts_instead_of_growing() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("log.db");
        let url = format!("sqlite://{}?mode=rwc", file.display());
        let policy = CheckpointPolicy { every: Duration::from_millis(10), restart_after_frames: 256 };
        let db = crate::database::connect_with(&url, policy).await.unwrap();
        db.execute_unprepared("CREATE TABLE filler (id INTEGER PRIMARY KEY, data BLOB NOT NULL)").await.unwrap();
        let log = dir.path().join("log.db-wal");
        let mut longest = 0;
        for _ in 0..COMMITS {
            let txn = begin_write(&db).await.unwrap();
            txn.execute_unprepared("INSERT INTO filler (data) VALUES (randomblob(16000))").await.unwrap();
            txn.commit().await.unwrap();
            longest = longest.max(std::fs::metadata(&log).unwrap().len());
        }
        let restarts = restarts(&log);
        assert!(restarts >= 2, "the log restarted {restarts} times");
        assert!(longest < APPENDED / 2, "the log grew to {longest} bytes of {APPENDED} appended");
        let count = Statement::from_string(DbBackend::Sqlite, "SELECT COUNT(*) FROM filler");
        let rows: i64 = db.query_one_raw(count).await.unwrap().unwrap().try_get_by_index(0).unwrap();
        assert_eq!(rows, COMMITS as i64, "every commit is kept");
        let integrity = Statement::from_string(DbBackend::Sqlite, "PRAGMA integrity_check");
        let verdict: String = db.query_one_raw(integrity).await.unwrap().unwrap().try_get_by_index(0).unwrap();
        assert_eq!(verdict, "ok");
    }
}
