//! Tests of the PostgreSQL check writer's transaction: its kept connection, its commits and rollbacks.

use super::{KeptPgConnection, PgBatchTxn};
use crate::backend::engine::writer::batch_txn::BatchTxn;
use crate::backend::engine::{EngineError, Writes};
use sea_orm::sea_query::{Alias, Query};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement};

/// A database of its own on the test server (`TOLLGATE_TEST_POSTGRES`, as the integration tests).
struct TempDb {
    db: DatabaseConnection,
    name: String,
}

fn server_url() -> String {
    std::env::var("TOLLGATE_TEST_POSTGRES").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

async fn temp_db() -> TempDb {
    let name = format!("tollgate_batch_{}", uuid::Uuid::new_v4().simple());
    let admin = Database::connect(format!("{}/postgres", server_url())).await.expect("PostgreSQL is running");
    admin.execute_unprepared(&format!("CREATE DATABASE \"{name}\"")).await.unwrap();
    admin.close().await.unwrap();
    let url = format!("{}/{name}", server_url());
    let db = Database::connect(ConnectOptions::new(url).max_connections(4).to_owned()).await.unwrap();
    db.execute_unprepared("CREATE TABLE t (x BIGINT NOT NULL)").await.unwrap();
    TempDb { db, name }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Inside the test's runtime: the drop runs on a thread with a runtime of its own.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(async {
                if let Ok(admin) = Database::connect(format!("{}/postgres", server_url())).await {
                    let _ = admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).await;
                }
            });
        })
        .join();
    }
}

async fn rows(db: &impl ConnectionTrait) -> i64 {
    let row = db.query_one_raw(Statement::from_string(DbBackend::Postgres, "SELECT count(*) FROM t")).await;
    row.unwrap().unwrap().try_get_by_index::<i64>(0).unwrap()
}

async fn backend_pid(txn: &PgBatchTxn<'_>) -> i32 {
    let row = txn.query_one_raw(Statement::from_string(DbBackend::Postgres, "SELECT pg_backend_pid()")).await;
    row.unwrap().unwrap().try_get_by_index::<i32>(0).unwrap()
}

fn insert(txn: &PgBatchTxn<'_>, x: i64) -> Writes {
    let mut writes = Writes::default();
    writes.push(txn, Query::insert().into_table(Alias::new("t")).columns([Alias::new("x")]).values_panic([x.into()]));
    writes
}

#[tokio::test]
async fn a_committed_batch_keeps_its_connection_for_the_next() {
    let temp = temp_db().await;
    let mut kept = KeptPgConnection::default();
    let txn = kept.begin(&temp.db).await.unwrap();
    let first = backend_pid(&txn).await;
    let writes = insert(&txn, 1);
    assert_eq!(rows(&temp.db).await, 0, "nothing is seen before the commit");
    txn.commit_with(writes).await.unwrap();
    assert_eq!(rows(&temp.db).await, 1);

    let txn = kept.begin(&temp.db).await.unwrap();
    assert_eq!(backend_pid(&txn).await, first, "the same connection, not one handed out by the pool");
    let writes = insert(&txn, 2);
    txn.commit_with(writes).await.unwrap();
    assert_eq!(rows(&temp.db).await, 2);
}

#[tokio::test]
async fn a_failed_or_abandoned_batch_leaves_nothing_and_the_next_one_commits() {
    let temp = temp_db().await;
    let mut kept = KeptPgConnection::default();
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
    drop(txn);
    assert_eq!(rows(&temp.db).await, 0, "an abandoned batch commits nothing");

    let txn = kept.begin(&temp.db).await.unwrap();
    assert_eq!(rows(&txn).await, 0);
    let writes = insert(&txn, 5);
    txn.commit_with(writes).await.unwrap();
    assert_eq!(rows(&temp.db).await, 1);
}

#[tokio::test]
async fn a_rolled_back_batch_releases_its_locks() {
    let temp = temp_db().await;
    temp.db.execute_unprepared("INSERT INTO t (x) VALUES (1)").await.unwrap();
    let mut kept = KeptPgConnection::default();
    let txn = kept.begin(&temp.db).await.unwrap();
    txn.execute_unprepared("UPDATE t SET x = 2").await.unwrap();
    txn.rollback().await;
    let other = temp.db.execute_unprepared("BEGIN; SET LOCAL lock_timeout = '2s'; UPDATE t SET x = 3; COMMIT").await;
    assert!(other.is_ok(), "{other:?}");
    let row = temp.db.query_one_raw(Statement::from_string(DbBackend::Postgres, "SELECT x FROM t")).await;
    assert_eq!(row.unwrap().unwrap().try_get_by_index::<i64>(0).unwrap(), 3);
}

/// The state and snapshot horizon PostgreSQL reports of one connection's process.
async fn activity(db: &impl ConnectionTrait, pid: i32) -> Option<(String, bool)> {
    let sql = format!("SELECT state, backend_xmin IS NULL FROM pg_stat_activity WHERE pid = {pid}");
    let row = db.query_one_raw(Statement::from_string(DbBackend::Postgres, sql)).await.unwrap()?;
    Some((row.try_get_by_index(0).unwrap(), row.try_get_by_index(1).unwrap()))
}

#[tokio::test]
async fn a_commit_begins_the_next_batchs_transaction_which_holds_no_snapshot() {
    let temp = temp_db().await;
    let mut kept = KeptPgConnection::default();
    let txn = kept.begin(&temp.db).await.unwrap();
    let pid = backend_pid(&txn).await;
    let writes = insert(&txn, 1);
    txn.commit_with(writes).await.unwrap();
    assert_eq!(rows(&temp.db).await, 1, "committed");
    assert_eq!(activity(&temp.db, pid).await, Some(("idle in transaction".into(), true)), "begun, nothing held");

    let txn = kept.begin(&temp.db).await.unwrap();
    assert_eq!(backend_pid(&txn).await, pid);
    txn.execute_unprepared("INSERT INTO t (x) VALUES (2)").await.unwrap();
    assert_eq!(rows(&temp.db).await, 1, "the batch runs inside the transaction the commit began");
    txn.commit_with(Writes::default()).await.unwrap();
    assert_eq!(rows(&temp.db).await, 2);
}

/// Commits a batch that writes nothing; returns its connection's backend process.
async fn empty_batch(kept: &mut KeptPgConnection, db: &DatabaseConnection) -> i32 {
    let txn = kept.begin(db).await.unwrap();
    let pid = backend_pid(&txn).await;
    txn.commit_with(Writes::default()).await.unwrap();
    pid
}

/// Commits a batch inserting `x`, which must run on another backend process than `old`.
async fn insert_not_on(kept: &mut KeptPgConnection, db: &DatabaseConnection, old: i32, x: i64) {
    let txn = kept.begin(db).await.unwrap();
    assert_ne!(backend_pid(&txn).await, old, "a new connection");
    let writes = insert(&txn, x);
    txn.commit_with(writes).await.unwrap();
}

#[tokio::test]
async fn a_kept_connection_inside_a_transaction_is_closed_not_pooled_when_dropped() {
    let temp = temp_db().await;
    let mut kept = KeptPgConnection::default();
    let pid = empty_batch(&mut kept, &temp.db).await;
    drop(kept);
    for _ in 0..100 {
        if activity(&temp.db, pid).await.is_none() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the connection of the dropped writer is still open: {:?}", activity(&temp.db, pid).await);
}

#[tokio::test]
async fn a_kept_connection_closed_meanwhile_is_replaced_and_the_batch_runs_on_a_new_one() {
    let temp = temp_db().await;
    let mut kept = KeptPgConnection::default();
    let first = empty_batch(&mut kept, &temp.db).await;
    // With a timeout, PostgreSQL answers once the process has ended.
    let terminate = format!("SELECT pg_terminate_backend({first}, 5000)");
    temp.db.execute_unprepared(&terminate).await.unwrap();
    insert_not_on(&mut kept, &temp.db, first, 1).await;
    assert_eq!(rows(&temp.db).await, 1);

    // And one whose transaction the server ended for idling, as `idle_in_transaction_session_timeout`.
    let txn = kept.begin(&temp.db).await.unwrap();
    let second = backend_pid(&txn).await;
    txn.execute_unprepared("SET SESSION idle_in_transaction_session_timeout = '100ms'").await.unwrap();
    txn.commit_with(Writes::default()).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    insert_not_on(&mut kept, &temp.db, second, 2).await;
    assert_eq!(rows(&temp.db).await, 2);
}

#[tokio::test]
async fn a_commit_left_unanswered_is_unconfirmed_and_the_next_batch_runs_on_a_new_connection() {
    let temp = temp_db().await;
    let mut kept = KeptPgConnection::default();
    let txn = kept.begin(&temp.db).await.unwrap();
    let pid = backend_pid(&txn).await;
    txn.execute_unprepared("INSERT INTO t (x) VALUES (1)").await.unwrap();
    // The connection dies before COMMIT is answered: the writer cannot know what became of it.
    temp.db.execute_unprepared(&format!("SELECT pg_terminate_backend({pid}, 5000)")).await.unwrap();
    let outcome = txn.commit_with(Writes::default()).await;
    assert!(matches!(outcome, Err(EngineError::Unconfirmed)), "{outcome:?}");
    assert_eq!(rows(&temp.db).await, 0, "PostgreSQL rolled back the closed connection's transaction");
    insert_not_on(&mut kept, &temp.db, pid, 2).await;
    assert_eq!(rows(&temp.db).await, 1);
}
