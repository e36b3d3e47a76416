//! Write transactions: SQLite writers queue in the process instead of polling the database lock.
//!
//! SQLite lets one writer in at a time and makes the others poll with growing sleeps (1, 2, 5 …
//! 100 ms) until `busy_timeout`; under load most of a request's time went into those sleeps. Writers
//! of one process therefore take a fair, in-process gate per database file before `BEGIN IMMEDIATE`,
//! so they wait in order without holding a pooled connection. Other processes on the same file
//! still meet the database lock and `busy_timeout`. PostgreSQL needs no gate: its row locks queue.

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, ExecResult, QueryResult,
    SqliteTransactionMode, Statement, StatementBuilder, TransactionOptions, TransactionTrait,
};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use tokio::sync::OwnedMutexGuard;

/// As long as SQLite's own `busy_timeout`: a writer that waits longer gives up with an error.
const GATE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// An open write transaction; dropping it without `commit` rolls back.
pub struct WriteTxn {
    // Declared before the gate: the transaction is rolled back before the next writer is let in.
    txn: DatabaseTransaction,
    _gate: Option<OwnedMutexGuard<()>>,
}

impl WriteTxn {
    pub async fn commit(self) -> Result<(), DbErr> {
        self.txn.commit().await
    }

    pub async fn rollback(self) -> Result<(), DbErr> {
        self.txn.rollback().await
    }
}

/// Starts a write transaction: `BEGIN IMMEDIATE` on SQLite behind the process's gate for that file
/// (a deferred transaction that reads first could not be upgraded once another writer commits), a
/// plain transaction on PostgreSQL.
pub async fn begin_write(db: &DatabaseConnection) -> Result<WriteTxn, DbErr> {
    let gate = match db.get_database_backend() {
        DbBackend::Sqlite => {
            let waiting = tokio::time::timeout(GATE_TIMEOUT, sqlite_gate(db).lock_owned());
            Some(waiting.await.map_err(|_| DbErr::Custom("the database stayed busy; try again".into()))?)
        }
        _ => None,
    };
    let options =
        TransactionOptions { sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate), ..Default::default() };
    Ok(WriteTxn { txn: db.begin_with_options(options).await?, _gate: gate })
}

/// Writes whose results nobody reads, sent together: to SQLite as one round trip to its connection
/// thread (its driver runs the statements in turn, binding the values in order), to PostgreSQL one
/// statement at a time (its protocol takes one statement with bound values).
#[derive(Default)]
pub struct Writes(Vec<Statement>);

impl Writes {
    pub fn push(&mut self, txn: &impl ConnectionTrait, statement: &impl StatementBuilder) {
        self.0.push(statement.build(&txn.get_database_backend()));
    }

    pub async fn execute(self, txn: &impl ConnectionTrait) -> Result<(), DbErr> {
        if txn.get_database_backend() != DbBackend::Sqlite {
            for statement in self.0 {
                txn.execute_raw(statement).await?;
            }
            return Ok(());
        }
        let (mut sql, mut values) = (String::new(), Vec::new());
        for statement in self.0 {
            sql.push_str(&statement.sql);
            sql.push_str(";\n");
            values.extend(statement.values.map(|v| v.0).unwrap_or_default());
        }
        if !sql.is_empty() {
            txn.execute_raw(Statement::from_sql_and_values(DbBackend::Sqlite, sql, values)).await?;
        }
        Ok(())
    }
}

/// One gate per database file; the registry is process-wide because the lock it stands for is.
fn sqlite_gate(db: &DatabaseConnection) -> Arc<tokio::sync::Mutex<()>> {
    static GATES: OnceLock<Mutex<HashMap<PathBuf, Arc<tokio::sync::Mutex<()>>>>> = OnceLock::new();
    let file = db.get_sqlite_connection_pool().connect_options().get_filename().to_path_buf();
    let mut gates = GATES.get_or_init(Default::default).lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    gates.entry(file).or_default().clone()
}

#[async_trait::async_trait]
impl ConnectionTrait for WriteTxn {
    fn get_database_backend(&self) -> DbBackend {
        self.txn.get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.txn.execute_raw(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.txn.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.txn.query_one_raw(stmt).await
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.txn.query_all_raw(stmt).await
    }

    fn support_returning(&self) -> bool {
        self.txn.support_returning()
    }
}
