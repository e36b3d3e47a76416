//! The SQLite check writer's Direct route: a batch that can go the LockAndVerify route (`writer/lock_and_verify`) runs
//! on the writer's own thread through rusqlite, on the raw handle of a sqlx connection of its own,
//! instead of handing its statements to sqlx's connection thread and waiting, twice per batch, for
//! that thread to be scheduled and then for the writer's own.
//!
//! sqlx lends the handle once (`lock_handle`), for the writer's life; its thread waits meanwhile.
//! The LockAndVerify route's one read is made here (`read_verified`); its writes run as they are. Any other
//! read (say, of an alert raised when a critical call uses an emergency reserve) marks the batch as
//! beyond this way: SeaORM's rows can only come from sqlx (SQLite stores 32- and 64-bit integers
//! alike, so a row must be typed by its reader), so it is rolled back and decided the Full route.

use crate::backend::engine::counters::{extra_at, from_columns, overrides_at, Locked};
use crate::backend::engine::decide::Decided;
use crate::backend::engine::writer::lock_and_verify::{LockAndVerify, VerifiedRead};
use crate::backend::engine::writer::sqlite::rows::{bound, model_of, typed};
use crate::backend::engine::writer::write_txn::{sqlite_gate_lock, sqlx_runtime_error, Writes};
use crate::backend::engine::{ConfigCache, EngineError};
use crate::backend::entities::budget_counter;
use sea_orm::sea_query::ColumnType;
use sea_orm::sqlx::sqlite::{LockedSqliteHandle, SqliteConnection};
use sea_orm::sqlx::ConnectOptions;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, ExecResult, QueryResult, RuntimeErr, Statement};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};
use tokio::sync::OwnedMutexGuard;

/// The writer's own connection, opened as `db`'s pool opens its connections (an in-memory
/// database's options name one shared database), its handle lent by sqlx for as long as the writer
/// lives. Its statements stay prepared from batch to batch.
pub struct DirectConnection<'c> {
    // Field order is drop order: rusqlite's statements are finalized while the handle is still lent.
    conn: Mutex<rusqlite::Connection>,
    // Never touched: a lock on sqlx's connection state, which is not `Sync` itself.
    _handle: Mutex<LockedSqliteHandle<'c>>,
}

/// Opens the connection `DirectConnection` lends the handle of.
pub async fn open_own_connection(db: &DatabaseConnection) -> Result<SqliteConnection, DbErr> {
    let options = db.get_sqlite_connection_pool().connect_options();
    options.connect().await.map_err(|e| DbErr::Conn(sqlx_runtime_error(e)))
}

impl<'c> DirectConnection<'c> {
    /// Borrows the handle of `own` (`open_own_connection`) until dropped.
    pub async fn lend(own: &'c mut SqliteConnection) -> Result<DirectConnection<'c>, DbErr> {
        let mut handle = own.lock_handle().await.map_err(|e| DbErr::Conn(sqlx_runtime_error(e)))?;
        // SAFETY: sqlx's thread leaves the handle alone while `handle` is held, which outlives
        // `conn` (declared before it); rusqlite does not close a handle it borrows.
        let conn = unsafe { rusqlite::Connection::from_handle(handle.as_raw_handle().as_ptr()) }.map_err(failed)?;
        conn.set_prepared_statement_cache_capacity(STATEMENTS_KEPT);
        Ok(DirectConnection { conn: Mutex::new(conn), _handle: Mutex::new(handle) })
    }

    /// Decides a batch the LockAndVerify route in one transaction; `None` when the batch's configuration or
    /// keys were not current, or it needed more than this way does: then nothing of it was written
    /// and it must be decided the Full route.
    pub async fn decide(
        &self,
        db: &DatabaseConnection,
        cache: &ConfigCache,
        short: LockAndVerify<'_>,
    ) -> Result<Option<Vec<Decided>>, EngineError> {
        let txn = self.begin(db).await?;
        let decided = match txn.read_verified(&short.statement()) {
            Ok(read) => short.decide_on(&txn, cache, read).await,
            Err(error) => Err(error.into()),
        };
        match decided {
            Ok(Some(batch)) if !txn.went_beyond() => {
                let (decided, writes, _) = batch.into_writes(&txn);
                txn.commit_with(writes)?;
                Ok(Some(decided))
            }
            Err(_) | Ok(_) if txn.went_beyond() => Ok(None),
            Ok(_) => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// Takes the process's write gate for the database file and begins a transaction.
    pub async fn begin(&self, db: &DatabaseConnection) -> Result<DirectTxn<'_>, DbErr> {
        let gate = sqlite_gate_lock(db).await?;
        self.conn.lock().unwrap_or_else(PoisonError::into_inner).execute_batch("BEGIN IMMEDIATE").map_err(failed)?;
        Ok(DirectTxn { conn: &self.conn, beyond: AtomicBool::new(false), _gate: gate })
    }
}

/// Statements kept prepared: each batch size gives its writes a text of their own.
const STATEMENTS_KEPT: usize = 256;

/// A batch's transaction on the writer's own connection; rolled back when dropped unfinished.
pub struct DirectTxn<'d> {
    conn: &'d Mutex<rusqlite::Connection>,
    beyond: AtomicBool,
    _gate: OwnedMutexGuard<()>,
}

impl DirectTxn<'_> {
    /// Whether the batch asked for something this way does not answer; it must then be rolled back
    /// and decided the Full route, whatever it returned.
    pub fn went_beyond(&self) -> bool {
        self.beyond.load(Ordering::Acquire)
    }

    /// Sends the writes and commits; on a failure, rolls back.
    pub fn commit_with(self, writes: Writes) -> Result<(), DbErr> {
        for statement in writes.into_statements() {
            self.run(statement)?;
        }
        self.connection().execute_batch("COMMIT").map_err(failed)
    }

    fn connection(&self) -> std::sync::MutexGuard<'_, rusqlite::Connection> {
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn run(&self, statement: Statement) -> Result<usize, DbErr> {
        let conn = self.connection();
        let mut prepared = conn.prepare_cached(&statement.sql).map_err(failed)?;
        self.bind(&mut prepared, statement.values)?;
        prepared.raw_execute().map_err(failed)
    }

    /// The LockAndVerify route's statement (`LockAndVerify::statement`): the counters it locks, each with its
    /// overrides, and the version and live keys it verifies; `None` for no rows.
    pub fn read_verified(&self, statement: &Statement) -> Result<Option<VerifiedRead>, DbErr> {
        let conn = self.connection();
        let mut prepared = conn.prepare_cached(&statement.sql).map_err(failed)?;
        self.bind(&mut prepared, statement.values.clone())?;
        let labels: Vec<String> = prepared.column_names().into_iter().map(str::to_owned).collect();
        let labels: Vec<&str> = labels.iter().map(String::as_str).collect();
        let (mut rows, mut read) = (prepared.raw_query(), None::<VerifiedRead>);
        while let Some(row) = rows.next().map_err(failed)? {
            let number = |n: usize, column_type: &ColumnType| match typed(column_type, row.get_ref(n).map_err(failed)?)
            {
                Ok(sea_orm::Value::BigInt(value)) => Ok(value),
                Ok(_) | Err(_) => Err(self.beyond(format!("column {n} is not a number"))),
            };
            let counter = model_of::<budget_counter::ActiveModel>(row, &labels).map_err(|why| self.beyond(why))?;
            let amounts = [0, 1, 2].map(|n| number(overrides_at() + n, &ColumnType::BigInteger));
            let [cost, tokens, operations] = amounts;
            let overrides =
                from_columns([cost?.unwrap_or_default(), tokens?.unwrap_or_default(), operations?.unwrap_or_default()]);
            if read.is_none() {
                // Every row carries the same version and count of live keys: the first's are read.
                let version = number(extra_at(), &ColumnType::BigInteger)?;
                let live_keys = number(extra_at() + 1, &ColumnType::BigInteger)?.unwrap_or_default();
                read = Some(VerifiedRead { locked: Locked::new(), version, live_keys });
            }
            if let Some(read) = read.as_mut() {
                read.locked.insert((counter.budget_id, counter.window_start), (counter, overrides));
            }
        }
        Ok(read)
    }

    fn bind(&self, prepared: &mut rusqlite::CachedStatement<'_>, values: Option<sea_orm::Values>) -> Result<(), DbErr> {
        for (n, value) in values.map(|v| v.0).unwrap_or_default().into_iter().enumerate() {
            prepared.raw_bind_parameter(n + 1, bound(value).map_err(|e| self.beyond(e))?).map_err(failed)?;
        }
        Ok(())
    }

    fn beyond(&self, why: String) -> DbErr {
        self.beyond.store(true, Ordering::Release);
        DbErr::Custom(format!("beyond the check writer's Direct route: {why}"))
    }
}

impl Drop for DirectTxn<'_> {
    /// Unfinished (failed, beyond this way, or its task cancelled), the transaction is rolled back
    /// before the write gate lets the next writer in (the Full route, for one).
    fn drop(&mut self) {
        let conn = self.connection();
        if !conn.is_autocommit() {
            if let Err(error) = conn.execute_batch("ROLLBACK") {
                tracing::error!(%error, "the check writer could not roll back its batch");
            }
        }
    }
}

fn failed(error: rusqlite::Error) -> DbErr {
    DbErr::Query(RuntimeErr::Internal(format!("SQLite: {error}")))
}

#[async_trait::async_trait]
impl ConnectionTrait for DirectTxn<'_> {
    fn get_database_backend(&self) -> DbBackend {
        DbBackend::Sqlite
    }

    async fn execute_raw(&self, statement: Statement) -> Result<ExecResult, DbErr> {
        // SeaORM makes an `ExecResult` only from its drivers' answers; the batch's own writes come
        // to `commit_with`.
        Err(self.beyond(format!("a write whose result is read: {}", statement.sql)))
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.execute_raw(Statement::from_string(DbBackend::Sqlite, sql)).await
    }

    async fn query_one_raw(&self, statement: Statement) -> Result<Option<QueryResult>, DbErr> {
        Err(self.beyond(format!("a read: {}", statement.sql)))
    }

    async fn query_all_raw(&self, statement: Statement) -> Result<Vec<QueryResult>, DbErr> {
        Err(self.beyond(format!("a read: {}", statement.sql)))
    }

    fn support_returning(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests;
