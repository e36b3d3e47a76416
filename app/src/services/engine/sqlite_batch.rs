//! The check writer's transaction on SQLite: one connection, kept from batch to batch, `BEGIN
//! IMMEDIATE` sent with the batch's first statement and its final writes sent with `COMMIT`.
//!
//! SQLite runs on sqlx's connection thread, and every statement is a hand-off to that thread and
//! back; `BEGIN` and `COMMIT` through sqlx's transaction API cost a rendezvous on top. A batch of
//! checks made five such trips (begin, keys, counters, writes, commit); this makes three, with the
//! same transaction: nothing runs outside it, and a batch that fails is rolled back before its
//! connection is used again.

use super::write_txn::{sqlite_gate_lock, sqlx_runtime_error, Writes};
use sea_orm::sea_query::Values;
use sea_orm::sqlx::pool::PoolConnection;
use sea_orm::sqlx::query::Query;
use sea_orm::sqlx::{AssertSqlSafe, Sqlite};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, ExecResult, QueryResult, Statement};
use sea_query_sqlx::SqlxValues;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::{MappedMutexGuard, Mutex, MutexGuard, OwnedMutexGuard};

const BEGIN: &str = "BEGIN IMMEDIATE;\n";

/// The check writer's connection, kept from one batch to the next. A connection handed back to
/// sqlx's pool is pinged (a trip to SQLite's thread) by a spawned task before the pool lends it
/// again; under load the next batch waited for that as long as for one of its own statements.
#[derive(Default)]
pub struct KeptConnection(Option<PoolConnection<Sqlite>>);

impl KeptConnection {
    /// Takes the process's write gate for the database file, then this connection (from `db`'s pool
    /// the first time and after a batch that failed); sends nothing.
    pub async fn begin<'k>(&'k mut self, db: &DatabaseConnection) -> Result<SqliteBatchTxn<'k>, DbErr> {
        let gate = sqlite_gate_lock(db).await?;
        if self.0.is_none() {
            let acquired = db.get_sqlite_connection_pool().acquire().await;
            self.0 = Some(acquired.map_err(|e| DbErr::Conn(sqlx_runtime_error(e)))?);
        }
        Ok(SqliteBatchTxn {
            conn: Mutex::new(&mut self.0),
            begun: AtomicBool::new(false),
            finished: false,
            _gate: gate,
        })
    }
}

pub struct SqliteBatchTxn<'k> {
    conn: Mutex<&'k mut Option<PoolConnection<Sqlite>>>,
    begun: AtomicBool,
    finished: bool,
    _gate: OwnedMutexGuard<()>,
}

impl SqliteBatchTxn<'_> {
    /// Sends the writes and `COMMIT` together; on any failure the transaction is rolled back.
    pub async fn commit_with(mut self, writes: Writes) -> Result<(), DbErr> {
        let mut statements = writes.combined(DbBackend::Sqlite);
        let commit = match statements.pop() {
            Some(mut last) => {
                last.sql.push_str("COMMIT;");
                last
            }
            None => Statement::from_string(DbBackend::Sqlite, "COMMIT;"),
        };
        statements.push(commit);
        for statement in statements {
            if let Err(error) = self.execute_raw(statement).await {
                self.rollback().await;
                return Err(error);
            }
        }
        self.finished = true;
        Ok(())
    }

    /// Rolls back whatever was begun; SQLite's "no transaction is active" is not an error here. The
    /// connection goes back to the pool, which tests it before lending it again.
    pub async fn rollback(mut self) {
        let mut slot = self.conn.lock().await;
        if let Some(conn) = slot.as_mut().filter(|_| self.begun.load(Ordering::Acquire)) {
            let _ = sea_orm::sqlx::query("ROLLBACK").execute(&mut **conn).await;
        }
        slot.take();
        self.finished = true;
    }

    async fn connection(&self) -> Result<MappedMutexGuard<'_, PoolConnection<Sqlite>>, DbErr> {
        MutexGuard::try_map(self.conn.lock().await, |slot| slot.as_mut())
            .map_err(|_| DbErr::Custom("the check writer's connection was closed".into()))
    }

    /// The statement as a sqlx query, preceded by `BEGIN IMMEDIATE` if it is the transaction's first.
    fn in_transaction(&self, statement: Statement) -> Query<'static, Sqlite, SqlxValues> {
        let values = SqlxValues(statement.values.unwrap_or(Values(Vec::new())));
        let sql = match self.begun.swap(true, Ordering::AcqRel) {
            true => statement.sql,
            false => format!("{BEGIN}{}", statement.sql),
        };
        sea_orm::sqlx::query_with(AssertSqlSafe(sql), values)
    }
}

impl Drop for SqliteBatchTxn<'_> {
    /// Dropped unfinished (its task was cancelled mid-batch), the connection is closed, neither kept
    /// nor pooled: SQLite rolls back a closing connection's transaction.
    fn drop(&mut self) {
        if !self.finished {
            if let Some(mut conn) = self.conn.get_mut().take() {
                conn.close_on_drop();
            }
        }
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for SqliteBatchTxn<'_> {
    fn get_database_backend(&self) -> DbBackend {
        DbBackend::Sqlite
    }

    async fn execute_raw(&self, statement: Statement) -> Result<ExecResult, DbErr> {
        let query = self.in_transaction(statement);
        let mut conn = self.connection().await?;
        Ok(query.execute(&mut **conn).await.map_err(|e| DbErr::Exec(sqlx_runtime_error(e)))?.into())
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.execute_raw(Statement::from_string(DbBackend::Sqlite, sql)).await
    }

    async fn query_one_raw(&self, statement: Statement) -> Result<Option<QueryResult>, DbErr> {
        let query = self.in_transaction(statement);
        let mut conn = self.connection().await?;
        Ok(query.fetch_optional(&mut **conn).await.map_err(|e| DbErr::Query(sqlx_runtime_error(e)))?.map(Into::into))
    }

    async fn query_all_raw(&self, statement: Statement) -> Result<Vec<QueryResult>, DbErr> {
        let query = self.in_transaction(statement);
        let mut conn = self.connection().await?;
        let rows = query.fetch_all(&mut **conn).await.map_err(|e| DbErr::Query(sqlx_runtime_error(e)))?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    fn support_returning(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::{KeptConnection, SqliteBatchTxn};
    use crate::services::engine::Writes;
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
        writes
            .push(txn, Query::insert().into_table(Alias::new("t")).columns([Alias::new("x")]).values_panic([x.into()]));
        writes
    }

    #[tokio::test]
    async fn the_write_lock_is_held_from_the_first_statement_to_the_commit() {
        let temp = temp_db().await;
        let mut kept = KeptConnection::default();
        let txn = kept.begin(&temp.db).await.unwrap();
        assert_eq!(rows_in(&txn).await, 0);
        let other = Database::connect(format!("sqlite://{}", temp.path.display())).await.unwrap();
        let blocked = other.execute_unprepared("PRAGMA busy_timeout = 0; BEGIN IMMEDIATE").await;
        assert!(blocked.unwrap_err().to_string().contains("locked"), "another writer waits for the batch");
        let writes = insert(&txn, 1);
        txn.commit_with(writes).await.unwrap();
        assert_eq!(rows(&other).await, 1);
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
}
