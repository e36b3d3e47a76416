//! Write transactions: SQLite writers queue in the process instead of polling the database lock.
//!
//! SQLite lets one writer in at a time and makes the others poll with growing sleeps (1, 2, 5 …
//! 100 ms) until `busy_timeout`; under load most of a request's time went into those sleeps. Writers
//! of one process therefore take a fair, in-process gate per database file before `BEGIN IMMEDIATE`,
//! so they wait in order without holding a pooled connection. Other processes on the same file
//! still meet the database lock and `busy_timeout`. PostgreSQL needs no gate: its row locks queue.

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, ExecResult, QueryResult, RuntimeErr,
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
        DbBackend::Sqlite => Some(sqlite_gate_lock(db).await?),
        _ => None,
    };
    let options =
        TransactionOptions { sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate), ..Default::default() };
    Ok(WriteTxn { txn: db.begin_with_options(options).await?, _gate: gate })
}

/// Waits for the process's write gate of a SQLite database file: while it is held, no writer of
/// this process begins.
pub async fn sqlite_gate_lock(db: &DatabaseConnection) -> Result<OwnedMutexGuard<()>, DbErr> {
    let waiting = tokio::time::timeout(GATE_TIMEOUT, sqlite_gate(db).lock_owned());
    waiting.await.map_err(|_| DbErr::Custom("the database stayed busy; try again".into()))
}

/// A sqlx error as SeaORM carries it, for the code that talks to sqlx's SQLite connections directly.
pub fn sqlx_runtime_error(error: sea_orm::sqlx::Error) -> RuntimeErr {
    RuntimeErr::SqlxError(Arc::new(error))
}

/// Writes whose results nobody reads, sent together in one round trip: to SQLite as a script (its
/// driver runs the statements in turn, binding the values in order); to PostgreSQL, whose protocol
/// takes one statement with bound values, as one statement, the earlier writes as data-modifying
/// common table expressions. They all see the database as it was before the statement, so no write
/// may read what an earlier one wrote; foreign keys are checked at the statement's end, after all.
#[derive(Default)]
pub struct Writes(Vec<Statement>);

impl Writes {
    pub fn push(&mut self, txn: &impl ConnectionTrait, statement: &impl StatementBuilder) {
        self.push_for(txn.get_database_backend(), statement);
    }

    pub fn push_for(&mut self, backend: DbBackend, statement: &impl StatementBuilder) {
        self.0.push(statement.build(&backend));
    }

    pub async fn execute(self, txn: &impl ConnectionTrait) -> Result<(), DbErr> {
        for statement in self.combined(txn.get_database_backend()) {
            txn.execute_raw(statement).await?;
        }
        Ok(())
    }

    /// The writes one by one, for a connection that runs them without a round trip each.
    pub fn into_statements(self) -> Vec<Statement> {
        self.0
    }

    /// The writes as the fewest statements to send: one, or on PostgreSQL more when their values
    /// would exceed what one statement can bind; none when there is nothing to write.
    pub fn combined(self, backend: DbBackend) -> Vec<Statement> {
        let mut combined = Vec::new();
        let mut batch = Vec::new();
        let mut bound = 0;
        for statement in self.0 {
            let values = statement.values.as_ref().map_or(0, |values| values.0.len());
            if backend == DbBackend::Postgres && bound + values > POSTGRES_MAX_VALUES && !batch.is_empty() {
                combined.extend(combine(backend, std::mem::take(&mut batch)));
                bound = 0;
            }
            bound += values;
            batch.push(statement);
        }
        combined.extend(combine(backend, batch));
        combined
    }
}

/// Values bound to one combined PostgreSQL statement at most (its protocol counts them in 16 bits).
pub(in crate::backend::engine) const POSTGRES_MAX_VALUES: usize = 30_000;

/// The name `combine` gives the `n`th statement of a combined PostgreSQL one (all but the last).
pub(in crate::backend::engine) fn common_table_name(n: usize) -> String {
    format!("write{n}")
}

pub(in crate::backend::engine) fn combine(backend: DbBackend, statements: Vec<Statement>) -> Option<Statement> {
    let (mut sql, mut values) = (String::new(), Vec::new());
    let last = statements.len().saturating_sub(1);
    for (n, statement) in statements.into_iter().enumerate() {
        if backend == DbBackend::Postgres {
            let text = shift_placeholders(&statement.sql, values.len());
            match n {
                0 if last == 0 => sql.push_str(&text),
                _ if n == last => sql.push_str(&format!(" {text}")),
                0 => sql.push_str(&format!("WITH {} AS ({text})", common_table_name(n))),
                _ => sql.push_str(&format!(", {} AS ({text})", common_table_name(n))),
            }
        } else {
            sql.push_str(&statement.sql);
            sql.push_str(";\n");
        }
        values.extend(statement.values.map(|v| v.0).unwrap_or_default());
    }
    (!sql.is_empty()).then(|| Statement::from_sql_and_values(backend, sql, values))
}

/// Renumbers PostgreSQL's `$1, $2, …` by `offset`, for a statement whose values follow another's.
/// The statements are built by SeaQuery with every value bound, so a `$` is always a placeholder.
fn shift_placeholders(sql: &str, offset: usize) -> String {
    if offset == 0 {
        return sql.to_owned();
    }
    let mut shifted = String::with_capacity(sql.len() + 16);
    let mut rest = sql;
    while let Some(at) = rest.find('$') {
        shifted.push_str(&rest[..=at]);
        rest = &rest[at + 1..];
        let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
        match rest[..digits].parse::<usize>() {
            Ok(number) => shifted.push_str(&(number + offset).to_string()),
            Err(_) => shifted.push_str(&rest[..digits]),
        }
        rest = &rest[digits..];
    }
    shifted.push_str(rest);
    shifted
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

#[cfg(test)]
mod tests {
    use super::shift_placeholders;

    #[test]
    fn placeholders_are_renumbered_after_the_earlier_statements_values() {
        assert_eq!(shift_placeholders("VALUES ($1, $2), ($10, $11)", 0), "VALUES ($1, $2), ($10, $11)");
        assert_eq!(shift_placeholders("VALUES ($1, $2), ($10, $11)", 9), "VALUES ($10, $11), ($19, $20)");
        assert_eq!(shift_placeholders("SET \"a\" = $3 WHERE x", 2), "SET \"a\" = $5 WHERE x");
    }
}
