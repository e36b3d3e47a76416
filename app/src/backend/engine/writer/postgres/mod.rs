//! The check writer's transaction on PostgreSQL: one connection, kept from batch to batch, whose
//! commit may also begin the next batch's transaction.
//!
//! sqlx pings every connection handed back to its pool before lending it again: a round trip and a
//! wake-up of PostgreSQL's process for each batch. The writer keeps its connection instead, and
//! commits with `COMMIT; BEGIN` in one message, so the next batch starts without a trip of its own;
//! or, when the next batch is expected to go the Optimistic route (`writer/postgres/optimistic`), with `COMMIT` alone, which
//! leaves the connection outside any transaction for a statement that commits on its own.
//! A transaction that has run nothing holds no snapshot and no lock: an idle writer holds back
//! neither vacuum nor migrations. If it cannot run the next batch's first statement (the server, a
//! proxy or `idle_in_transaction_session_timeout` closed its connection meanwhile), nothing was
//! done in it: the connection is closed and the statement runs again in a new one from the pool.
//!
//! A batch that fails is rolled back and its connection handed back to the pool, which tests it;
//! one dropped unfinished (its task cancelled mid-batch) is closed, and PostgreSQL rolls back the
//! transaction of a closed connection. A commit whose outcome is unknown (the connection failed,
//! or PostgreSQL ended the session, before answering it) is reported as such, never as nothing
//! written: its checks must not be decided again.

pub mod memory;
pub mod optimistic;
pub mod routes;

use crate::backend::engine::writer::batch_txn::{closed, BatchConnection, BatchTxn};
use crate::backend::engine::writer::write_txn::{sqlx_runtime_error, Writes};
use crate::backend::engine::EngineError;
use futures_util::future::BoxFuture;
use futures_util::StreamExt;
use sea_orm::sea_query::Values;
use sea_orm::sqlx::pool::PoolConnection;
use sea_orm::sqlx::postgres::{PgDatabaseError, PgQueryResult, PgSeverity};
use sea_orm::sqlx::query::Query;
use sea_orm::sqlx::{AssertSqlSafe, PgConnection, PgPool, Postgres};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, ExecResult, QueryResult, RuntimeErr, Statement};
use sea_query_sqlx::SqlxValues;
use std::sync::atomic::{AtomicBool, Ordering};

/// The check writer's connection, kept from one batch to the next.
#[derive(Default)]
pub struct KeptPgConnection {
    conn: Option<PoolConnection<Postgres>>,
    /// The kept connection is inside a transaction begun by the last commit, which has run nothing.
    open: bool,
    /// Commits leave the connection outside any transaction, for a statement that commits on its
    /// own (`commit_alone`), instead of beginning the next batch's.
    no_begin_after_commit: bool,
}

impl KeptPgConnection {
    /// The next batch's transaction: the one the last commit began, else one begun now on the kept
    /// connection, else on one from `db`'s pool (the first time, after a batch that failed, and
    /// when the kept one cannot begin). The pool tests a connection idle for long before lending it.
    pub async fn begin<'k>(&'k mut self, db: &DatabaseConnection) -> Result<PgBatchTxn<'k>, DbErr> {
        let pool = db.get_postgres_connection_pool();
        let open = std::mem::take(&mut self.open) && self.conn.is_some();
        if !open {
            let begun = match self.conn.as_mut() {
                Some(kept) => sea_orm::sqlx::query("BEGIN").execute(&mut **kept).await.is_ok(),
                None => false,
            };
            if !begun {
                // Handed back first: the pool may have no other connection to lend.
                self.conn = None;
                self.conn = Some(begin_on_new_connection(pool).await.map_err(|e| DbErr::Conn(sqlx_runtime_error(e)))?);
            }
        }
        Ok(PgBatchTxn {
            conn: BatchConnection::new(&mut self.conn),
            open_next: &mut self.open,
            begin_next: !self.no_begin_after_commit,
            pool: pool.clone(),
            untried: AtomicBool::new(open),
        })
    }

    /// Whether the next batches' commits begin the following batch's transaction.
    pub fn begin_after_commit(&mut self, begin: bool) {
        self.no_begin_after_commit = !begin;
    }

    /// A connection is kept, outside any transaction.
    pub fn is_idle(&self) -> bool {
        self.conn.is_some() && !self.open
    }

    /// Runs one statement on the idle kept connection outside any transaction block: PostgreSQL
    /// commits it as it ends, or undoes all of it if it fails. A connection that fails otherwise
    /// than by PostgreSQL's refusal is closed, and the outcome is unknown.
    pub async fn commit_alone(&mut self, statement: Statement) -> Result<(), Unfinished> {
        if self.open {
            return Err(Unfinished::Refused(DbErr::Custom("the kept connection is inside a transaction".into())));
        }
        let mut running = CloseUnlessBack(Some(self.conn.take().ok_or_else(|| Unfinished::Refused(closed()))?));
        let conn = running.0.as_mut().expect("just put");
        match query(statement).execute(&mut **conn).await {
            Ok(_) => {
                self.conn = running.0.take();
                Ok(())
            }
            Err(error) if refused(&error) => {
                self.conn = running.0.take();
                Err(Unfinished::Refused(DbErr::Exec(sqlx_runtime_error(error))))
            }
            Err(error) => Err(Unfinished::Unconfirmed(DbErr::Exec(sqlx_runtime_error(error)))),
        }
    }
}

/// A connection lent to one statement: closed, neither kept nor pooled, unless taken back (the
/// statement failed on it otherwise than by a refusal, or its task was cancelled meanwhile).
struct CloseUnlessBack(Option<PoolConnection<Postgres>>);

impl Drop for CloseUnlessBack {
    fn drop(&mut self) {
        if let Some(conn) = self.0.as_mut() {
            conn.close_on_drop();
        }
    }
}

impl Drop for KeptPgConnection {
    /// A connection inside a transaction must not go back to the pool: it is closed.
    fn drop(&mut self) {
        if let (true, Some(conn)) = (self.open, self.conn.as_mut()) {
            conn.close_on_drop();
        }
    }
}

async fn begin_on_new_connection(pool: &PgPool) -> Result<PoolConnection<Postgres>, sea_orm::sqlx::Error> {
    let mut conn = pool.acquire().await?;
    sea_orm::sqlx::query("BEGIN").execute(&mut *conn).await?;
    Ok(conn)
}

/// Whether PostgreSQL refused a statement and rolled back (an ERROR). A FATAL error ends the
/// session, and may come after a commit that was done but not yet answered.
fn refused(error: &sea_orm::sqlx::Error) -> bool {
    let postgres = error.as_database_error().and_then(|e| e.try_downcast_ref::<PgDatabaseError>());
    postgres.is_some_and(|e| e.severity() == PgSeverity::Error)
}

/// A commit that did not go through.
pub enum Unfinished {
    /// PostgreSQL answered with an error and rolled back: nothing of the batch was written.
    Refused(DbErr),
    /// PostgreSQL's answer was lost, or it ended the session: the batch may or may not have been
    /// committed.
    Unconfirmed(DbErr),
}

pub struct PgBatchTxn<'k> {
    conn: BatchConnection<'k, Postgres>,
    /// Set by a commit that began the next batch's transaction.
    open_next: &'k mut bool,
    /// The commit begins the next batch's transaction.
    begin_next: bool,
    pool: PgPool,
    /// The transaction was begun by the last batch's commit and has run no statement yet.
    untried: AtomicBool,
}

/// Sends one statement (`S`: what it needs, owned) on the batch's connection.
type Attempt<'a, S, T> =
    &'a (dyn for<'c> Fn(&'c mut PgConnection, S) -> BoxFuture<'c, Result<T, sea_orm::sqlx::Error>> + Send + Sync);

impl PgBatchTxn<'_> {
    /// Runs a statement; the first of a transaction begun by the last commit runs again on a new
    /// connection if it fails on the kept one: nothing had been done in that transaction. Only that
    /// statement is copied for a second try.
    async fn run<S: Clone, T>(
        &self,
        statement: S,
        attempt: Attempt<'_, S, T>,
        error: fn(RuntimeErr) -> DbErr,
    ) -> Result<T, DbErr> {
        let mut slot = self.conn.slot().await;
        let conn = slot.as_mut().ok_or_else(closed)?;
        if !self.untried.swap(false, Ordering::Relaxed) {
            return attempt(conn, statement).await.map_err(|e| error(sqlx_runtime_error(e)));
        }
        match attempt(conn, statement.clone()).await {
            Err(failure) => {
                tracing::debug!(%failure, "the check writer's open transaction failed; beginning on a new connection");
                if let Some(mut old) = slot.take() {
                    old.close_on_drop();
                }
                let fresh =
                    begin_on_new_connection(&self.pool).await.map_err(|e| DbErr::Conn(sqlx_runtime_error(e)))?;
                attempt(slot.insert(fresh), statement).await.map_err(|e| error(sqlx_runtime_error(e)))
            }
            done => done.map_err(|e| error(sqlx_runtime_error(e))),
        }
    }

    /// Commits, and begins the next batch's transaction in the same message unless told not to;
    /// tells whether it began.
    async fn commit_and_begin(&self) -> Result<bool, Unfinished> {
        let mut slot = self.conn.slot().await;
        let conn = slot.as_mut().ok_or_else(|| Unfinished::Refused(closed()))?;
        let sql = if self.begin_next { "COMMIT; BEGIN" } else { "COMMIT" };
        let mut results = sea_orm::sqlx::raw_sql(AssertSqlSafe(sql)).execute_many(&mut **conn);
        let (committed, begun) = (results.next().await, results.next().await);
        while results.next().await.is_some() {}
        match committed {
            Some(Ok(_)) => Ok(matches!(begun, Some(Ok(_)))),
            Some(Err(error)) if refused(&error) => Err(Unfinished::Refused(DbErr::Exec(sqlx_runtime_error(error)))),
            Some(Err(error)) => Err(Unfinished::Unconfirmed(DbErr::Exec(sqlx_runtime_error(error)))),
            None => Err(Unfinished::Unconfirmed(DbErr::Custom("COMMIT was not answered".into()))),
        }
    }
}

#[async_trait::async_trait]
impl BatchTxn for PgBatchTxn<'_> {
    async fn commit_with(mut self, writes: Writes) -> Result<(), EngineError> {
        for statement in writes.combined(DbBackend::Postgres) {
            if let Err(error) = self.execute_raw(statement).await {
                self.rollback().await;
                return Err(error.into());
            }
        }
        match self.commit_and_begin().await {
            Ok(begun) => {
                *self.open_next = begun;
                self.conn.finish();
                Ok(())
            }
            Err(Unfinished::Refused(error)) => {
                self.rollback().await;
                Err(error.into())
            }
            Err(Unfinished::Unconfirmed(error)) => {
                tracing::error!(%error, "a batch of checks may or may not have been committed: its checks fail");
                if let Ok(mut conn) = self.conn.get().await {
                    conn.close_on_drop();
                }
                self.conn.give_back();
                Err(EngineError::Unconfirmed)
            }
        }
    }

    async fn rollback(mut self) {
        if let Ok(mut conn) = self.conn.get().await {
            let _ = sea_orm::sqlx::query("ROLLBACK").execute(&mut **conn).await;
        }
        self.conn.give_back();
    }
}

fn query(statement: Statement) -> Query<'static, Postgres, SqlxValues> {
    let values = SqlxValues(statement.values.unwrap_or(Values(Vec::new())));
    sea_orm::sqlx::query_with(AssertSqlSafe(statement.sql), values)
}

#[async_trait::async_trait]
impl ConnectionTrait for PgBatchTxn<'_> {
    fn get_database_backend(&self) -> DbBackend {
        DbBackend::Postgres
    }

    async fn execute_raw(&self, statement: Statement) -> Result<ExecResult, DbErr> {
        let done = self.run(statement, &|conn, statement| Box::pin(query(statement).execute(conn)), DbErr::Exec);
        Ok(done.await?.into())
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        let raw: Attempt<'_, String, PgQueryResult> =
            &|conn, sql| Box::pin(sea_orm::sqlx::raw_sql(AssertSqlSafe(sql)).execute(conn));
        Ok(self.run(sql.to_owned(), raw, DbErr::Exec).await?.into())
    }

    async fn query_one_raw(&self, statement: Statement) -> Result<Option<QueryResult>, DbErr> {
        let row = self.run(statement, &|conn, statement| Box::pin(query(statement).fetch_optional(conn)), DbErr::Query);
        Ok(row.await?.map(Into::into))
    }

    async fn query_all_raw(&self, statement: Statement) -> Result<Vec<QueryResult>, DbErr> {
        let rows = self.run(statement, &|conn, statement| Box::pin(query(statement).fetch_all(conn)), DbErr::Query);
        Ok(rows.await?.into_iter().map(Into::into).collect())
    }

    fn support_returning(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests;
