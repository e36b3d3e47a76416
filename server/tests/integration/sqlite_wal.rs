//! SQLite commits only append to the write-ahead log; the process's checkpointer, not the commit
//! that happens to fill the log, copies it into the database file.

use crate::common::{spawn_app, Backend};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use std::time::Duration;

async fn pragma(db: &DatabaseConnection, sql: &str) -> i64 {
    let row = db.query_one_raw(Statement::from_string(db.get_database_backend(), sql)).await.unwrap().unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_write_ahead_log_is_checkpointed_in_the_background() {
    let app = spawn_app(Backend::Sqlite).await;
    assert_eq!(pragma(&app.db, "PRAGMA wal_autocheckpoint").await, 0, "no commit checkpoints");
    let file = app.db.get_sqlite_connection_pool().connect_options().get_filename().to_path_buf();
    let size = || std::fs::metadata(&file).unwrap().len();
    let before = size();

    // About 2 MB: less than the 1,000 pages (4 MB) at which SQLite would checkpoint on a commit.
    app.db.execute_unprepared("CREATE TABLE filler (data BLOB)").await.unwrap();
    app.db
        .execute_unprepared(
            "INSERT INTO filler WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
             SELECT randomblob(1000) FROM n",
        )
        .await
        .unwrap();

    let mut waited = Duration::ZERO;
    while size() < before + 2_000_000 {
        assert!(waited < Duration::from_secs(10), "the database file stayed at {} bytes", size());
        tokio::time::sleep(Duration::from_millis(100)).await;
        waited += Duration::from_millis(100);
    }
}
