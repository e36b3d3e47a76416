//! The check writer's transaction on SQLite: one connection, kept from batch to batch, `BEGIN
//! IMMEDIATE` sent with the batch's first statement and its final writes sent with `COMMIT`.
//!
//! SQLite runs on sqlx's connection thread, and every statement is a hand-off to that thread and
//! back; `BEGIN` and `COMMIT` through sqlx's transaction API cost a rendezvous on top. A batch of
//! checks made five such trips (begin, keys, counters, writes, commit); this makes two, with the
//! same transaction: the counters' read goes ahead with the keys' (`read_ahead`), nothing runs
//! outside the transaction, and a batch that fails is rolled back before its connection is used again.

pub mod direct;
pub mod rows;

use crate::backend::engine::writer::batch_txn::{BatchConnection, BatchTxn};
use crate::backend::engine::writer::write_txn::{combine, sqlite_gate_lock, sqlx_runtime_error, Writes};
use crate::backend::engine::EngineError;
use futures_util::TryStreamExt;
use sea_orm::sea_query::Values;
use sea_orm::sqlx::pool::PoolConnection;
use sea_orm::sqlx::query::Query;
use sea_orm::sqlx::sqlite::{SqliteConnection, SqliteRow};
use sea_orm::sqlx::{AssertSqlSafe, Either, Executor, Sqlite};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, ExecResult, QueryResult, Statement};
use sea_query_sqlx::SqlxValues;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::PoisonError;
use tokio::sync::OwnedMutexGuard;

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
            conn: BatchConnection::new(&mut self.0),
            begun: AtomicBool::new(false),
            ahead: std::sync::Mutex::new(ReadAhead::Nothing),
            _gate: gate,
        })
    }
}

pub struct SqliteBatchTxn<'k> {
    conn: BatchConnection<'k, Sqlite>,
    begun: AtomicBool,
    ahead: std::sync::Mutex<ReadAhead>,
    _gate: OwnedMutexGuard<()>,
}

/// A read sent with the transaction's first statement (`read_ahead`), then the rows it returned.
enum ReadAhead {
    Nothing,
    Pending(Statement),
    Read(Statement, Vec<SqliteRow>),
}

impl SqliteBatchTxn<'_> {
    /// Sends `read` with the transaction's first statement; if it is also the statement run right
    /// after that one, it is answered with those rows instead of a trip of its own. Nothing else ran
    /// in between and the transaction holds the write lock, so they are the rows it would return
    /// then. A read that fails there is no error: the transaction begins again without it.
    pub fn read_ahead(&self, read: Statement) {
        if !self.begun.load(Ordering::Acquire) {
            *self.ahead.lock().unwrap_or_else(PoisonError::into_inner) = ReadAhead::Pending(read);
        }
    }

    fn take_ahead(&self) -> ReadAhead {
        std::mem::replace(&mut *self.ahead.lock().unwrap_or_else(PoisonError::into_inner), ReadAhead::Nothing)
    }

    /// The transaction's first statement and the read ahead in one trip: the statement's rows; the
    /// read's are kept for when it is asked for.
    async fn first_with(&self, first: Statement, read: Statement) -> Result<Vec<SqliteRow>, DbErr> {
        let both = combine(DbBackend::Sqlite, vec![first.clone(), read.clone()]).expect("two statements make a script");
        let query = self.in_transaction(both);
        let mut conn = self.conn.get().await?;
        match rows_by_statement(&mut conn, query).await {
            Ok(mut rows) => {
                let read_rows = rows.pop().unwrap_or_default();
                *self.ahead.lock().unwrap_or_else(PoisonError::into_inner) = ReadAhead::Read(read, read_rows);
                Ok(rows.into_iter().flatten().collect())
            }
            // The read ahead can fail where the statement alone would not (say, it creates a counter
            // of a budget deleted since the checks were prepared): begin again without it.
            Err(_) => {
                let _ = sea_orm::sqlx::query("ROLLBACK").execute(&mut **conn).await;
                self.begun.store(false, Ordering::Release);
                drop(conn);
                self.fetch_all(first).await
            }
        }
    }

    async fn fetch_all(&self, statement: Statement) -> Result<Vec<SqliteRow>, DbErr> {
        let query = self.in_transaction(statement);
        let mut conn = self.conn.get().await?;
        query.fetch_all(&mut **conn).await.map_err(|e| DbErr::Query(sqlx_runtime_error(e)))
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

/// Runs a script; the rows of each of its statements apart.
async fn rows_by_statement(
    conn: &mut SqliteConnection,
    query: Query<'static, Sqlite, SqlxValues>,
) -> Result<Vec<Vec<SqliteRow>>, sea_orm::sqlx::Error> {
    let mut results = conn.fetch_many(query);
    let (mut done, mut current) = (Vec::new(), Vec::new());
    while let Some(result) = results.try_next().await? {
        match result {
            Either::Left(_) => done.push(std::mem::take(&mut current)),
            Either::Right(row) => current.push(row),
        }
    }
    Ok(done)
}

#[async_trait::async_trait]
impl BatchTxn for SqliteBatchTxn<'_> {
    /// Sends the writes and `COMMIT` together.
    async fn commit_with(mut self, writes: Writes) -> Result<(), EngineError> {
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
                return Err(error.into());
            }
        }
        self.conn.finish();
        Ok(())
    }

    /// Rolls back whatever was begun; SQLite's "no transaction is active" is not an error here.
    async fn rollback(mut self) {
        if self.begun.load(Ordering::Acquire) {
            if let Ok(mut conn) = self.conn.get().await {
                let _ = sea_orm::sqlx::query("ROLLBACK").execute(&mut **conn).await;
            }
        }
        self.conn.give_back();
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for SqliteBatchTxn<'_> {
    fn get_database_backend(&self) -> DbBackend {
        DbBackend::Sqlite
    }

    async fn execute_raw(&self, statement: Statement) -> Result<ExecResult, DbErr> {
        self.take_ahead();
        let query = self.in_transaction(statement);
        let mut conn = self.conn.get().await?;
        Ok(query.execute(&mut **conn).await.map_err(|e| DbErr::Exec(sqlx_runtime_error(e)))?.into())
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.execute_raw(Statement::from_string(DbBackend::Sqlite, sql)).await
    }

    async fn query_one_raw(&self, statement: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.take_ahead();
        let query = self.in_transaction(statement);
        let mut conn = self.conn.get().await?;
        Ok(query.fetch_optional(&mut **conn).await.map_err(|e| DbErr::Query(sqlx_runtime_error(e)))?.map(Into::into))
    }

    async fn query_all_raw(&self, statement: Statement) -> Result<Vec<QueryResult>, DbErr> {
        let rows = match self.take_ahead() {
            ReadAhead::Read(read, rows) if read == statement => rows,
            ReadAhead::Pending(read) => self.first_with(statement, read).await?,
            _ => self.fetch_all(statement).await?,
        };
        Ok(rows.into_iter().map(Into::into).collect())
    }

    fn support_returning(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests;
