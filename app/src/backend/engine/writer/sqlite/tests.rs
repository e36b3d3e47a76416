//! Tests of the SQLite check writer's transaction: its lock, its rollbacks, its kept connection, its read ahead.

use super::{KeptConnection, SqliteBatchTxn};
use crate::backend::engine::writer::batch_txn::BatchTxn;
use crate::backend::engine::Writes;
use sea_orm::sea_query::{Alias, Query};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement};

struct TempDb {
    db: DatabaseConnection,
    path: std::path::PathBuf,
}

impl Drop for TempDb {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.path.display()));
        }
    }
}

async fn temp_db() -> TempDb {
    let path = std::env::temp_dir().join(format!("tollgate-batch-{}.db", uuid::Uuid::new_v4()));
    // More than one connection: the batches keep one between them, the checks read on another.
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let db = Database::connect(ConnectOptions::new(url).max_connections(4).to_owned()).await.unwrap();
    db.execute_unprepared("CREATE TABLE t (x INTEGER NOT NULL)").await.unwrap();
    TempDb { db, path }
}

async fn rows(db: &DatabaseConnection) -> i64 {
    let row = db.query_one_raw(Statement::from_string(DbBackend::Sqlite, "SELECT count(*) FROM t")).await;
    row.unwrap().unwrap().try_get_by_index::<i64>(0).unwrap()
}

fn insert(txn: &SqliteBatchTxn<'_>, x: i64) -> Writes {
    let mut writes = Writes::default();
    writes.push(txn, Query::insert().into_table(Alias::new("t")).columns([Alias::new("x")]).values_panic([x.into()]));
    writes
}

#[tokio::test]
async fn the_write_lock_is_held_from_the_first_statement_to_the_commit() {
    let temp = temp_db().await;
    let mut kept = KeptConnection::default();
    let txn = kept.begin(&temp.db).await.unwrap();
    assert_eq!(rows_in(&txn).await, 0);
    let other = another_writer_is_refused(&temp).await;
    let writes = insert(&txn, 1);
    txn.commit_with(writes).await.unwrap();
    assert_eq!(rows(&other).await, 1);
}

/// A connection of its own to the database, after checking that it cannot begin to write: the
/// batch holds the write lock.
async fn another_writer_is_refused(temp: &TempDb) -> DatabaseConnection {
    let other = Database::connect(format!("sqlite://{}", temp.path.display())).await.unwrap();
    let blocked = other.execute_unprepared("PRAGMA busy_timeout = 0; BEGIN IMMEDIATE").await;
    assert!(blocked.unwrap_err().to_string().contains("locked"), "another writer waits for the batch");
    other
}

async fn rows_in(txn: &SqliteBatchTxn<'_>) -> i64 {
    let row = txn.query_one_raw(Statement::from_string(DbBackend::Sqlite, "SELECT count(*) FROM t")).await;
    row.unwrap().unwrap().try_get_by_index::<i64>(0).unwrap()
}

#[tokio::test]
async fn a_failed_or_abandoned_batch_leaves_nothing_and_the_next_one_commits() {
    let temp = temp_db().await;
    let mut kept = KeptConnection::default();
    let txn = kept.begin(&temp.db).await.unwrap();
    txn.execute_unprepared("INSERT INTO t (x) VALUES (1)").await.unwrap();
    let mut writes = insert(&txn, 2);
    writes.push(
        &txn,
        Query::insert().into_table(Alias::new("missing")).columns([Alias::new("x")]).values_panic([3.into()]),
    );
    assert!(txn.commit_with(writes).await.is_err());
    assert_eq!(rows(&temp.db).await, 0, "the insert before the failing write is rolled back");

    let txn = kept.begin(&temp.db).await.unwrap();
    txn.execute_unprepared("INSERT INTO t (x) VALUES (4)").await.unwrap();
    txn.rollback().await;
    let txn = kept.begin(&temp.db).await.unwrap();
    txn.execute_unprepared("INSERT INTO t (x) VALUES (5)").await.unwrap();
    drop(txn);
    assert_eq!(rows(&temp.db).await, 0, "rolled back, and abandoned");

    let txn = kept.begin(&temp.db).await.unwrap();
    let writes = insert(&txn, 6);
    txn.commit_with(writes).await.unwrap();
    assert_eq!(rows(&temp.db).await, 1);
}

/// Temporary tables belong to one connection: one seen by the next batch was made on the same.
async fn has_marker(txn: &SqliteBatchTxn<'_>) -> bool {
    let sql = "SELECT count(*) FROM sqlite_temp_master WHERE name = 'marker'";
    let row = txn.query_one_raw(Statement::from_string(DbBackend::Sqlite, sql)).await;
    row.unwrap().unwrap().try_get_by_index::<i64>(0).unwrap() == 1
}

#[tokio::test]
async fn the_connection_is_kept_after_a_commit_and_replaced_after_a_failed_or_abandoned_batch() {
    let temp = temp_db().await;
    let mut kept = KeptConnection::default();
    let txn = kept.begin(&temp.db).await.unwrap();
    txn.execute_unprepared("CREATE TEMP TABLE marker (x)").await.unwrap();
    let writes = insert(&txn, 1);
    txn.commit_with(writes).await.unwrap();
    let txn = kept.begin(&temp.db).await.unwrap();
    assert!(has_marker(&txn).await, "the committed batch's connection is used again");
    txn.execute_unprepared("INSERT INTO t (x) VALUES (2)").await.unwrap();
    drop(txn);
    assert!(kept.0.is_none(), "an abandoned batch's connection is not kept");

    let txn = kept.begin(&temp.db).await.unwrap();
    assert!(!has_marker(&txn).await, "an abandoned batch's connection was closed");
    txn.execute_unprepared("INSERT INTO t (x) VALUES (3)").await.unwrap();
    txn.rollback().await;
    assert!(kept.0.is_none(), "a rolled back batch's connection goes back to the pool");

    let txn = kept.begin(&temp.db).await.unwrap();
    let writes = insert(&txn, 4);
    txn.commit_with(writes).await.unwrap();
    assert_eq!(rows(&temp.db).await, 2, "neither the abandoned nor the rolled back insert is there");
}

/// The rows of `t`, read with `query_all_raw`: the statement a read ahead goes with.
async fn count_all(txn: &SqliteBatchTxn<'_>) -> i64 {
    let rows = txn.query_all_raw(statement("SELECT count(*) FROM t")).await.unwrap();
    rows[0].try_get_by_index::<i64>(0).unwrap()
}

fn statement(sql: &str) -> Statement {
    Statement::from_string(DbBackend::Sqlite, sql)
}

#[tokio::test]
async fn a_read_sent_ahead_answers_the_next_statement_once_and_only_then() {
    let temp = temp_db().await;
    let mut kept = KeptConnection::default();
    let insert_returning = statement("INSERT INTO t (x) VALUES (7) RETURNING x");
    let txn = kept.begin(&temp.db).await.unwrap();
    txn.read_ahead(insert_returning.clone());
    assert_eq!(count_all(&txn).await, 0, "the first statement runs before the read ahead");
    let answered = txn.query_all_raw(insert_returning.clone()).await.unwrap();
    assert_eq!(answered.len(), 1);
    assert_eq!(answered[0].try_get_by_index::<i64>(0).unwrap(), 7);
    txn.commit_with(Writes::default()).await.unwrap();
    assert_eq!(rows(&temp.db).await, 1, "the statement answered ahead ran once");

    let txn = kept.begin(&temp.db).await.unwrap();
    txn.read_ahead(insert_returning.clone());
    assert_eq!(count_all(&txn).await, 1, "the first statement runs before the read ahead");
    txn.execute_unprepared("INSERT INTO t (x) VALUES (8)").await.unwrap();
    let answered = txn.query_all_raw(insert_returning).await.unwrap();
    assert_eq!(answered.len(), 1);
    txn.commit_with(Writes::default()).await.unwrap();
    assert_eq!(rows(&temp.db).await, 4, "after another statement it runs again instead of answering stale rows");
}

#[tokio::test]
async fn a_read_ahead_that_fails_leaves_the_transaction_as_if_never_sent() {
    let temp = temp_db().await;
    let mut kept = KeptConnection::default();
    let txn = kept.begin(&temp.db).await.unwrap();
    txn.read_ahead(statement("INSERT INTO t (x) VALUES (1); SELECT * FROM missing"));
    assert_eq!(count_all(&txn).await, 0);
    another_writer_is_refused(&temp).await;
    let writes = insert(&txn, 2);
    txn.commit_with(writes).await.unwrap();
    assert_eq!(rows(&temp.db).await, 1, "the batch's insert, and nothing of the failed read ahead");
}
