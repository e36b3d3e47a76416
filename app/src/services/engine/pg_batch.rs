//! The check writer's transaction on PostgreSQL: one connection, kept from batch to batch.
//!
//! sqlx pings every connection handed back to its pool before lending it again: a round trip and a
//! wake-up of PostgreSQL's process for each batch, one in six of its messages. The writer keeps its
//! connection instead. A batch that fails is rolled back and its connection handed back to the
//! pool, which tests it; one dropped unfinished (its task cancelled mid-batch) is closed, and
//! PostgreSQL rolls back the transaction of a closed connection.

use super::batch_txn::{BatchConnection, BatchTxn};
use super::write_txn::{sqlx_runtime_error, Writes};
use sea_orm::sea_query::Values;
use sea_orm::sqlx::pool::PoolConnection;
use sea_orm::sqlx::query::Query;
use sea_orm::sqlx::{AssertSqlSafe, Postgres};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, ExecResult, QueryResult, Statement};
use sea_query_sqlx::SqlxValues;

/// The check writer's connection, kept from one batch to the next.
#[derive(Default)]
pub struct KeptPgConnection(Option<PoolConnection<Postgres>>);

impl KeptPgConnection {
    /// Begins a transaction on this connection; on one from `db`'s pool the first time, after a
    /// batch that failed, and when the kept one cannot begin: it may have been closed meanwhile by
    /// the server or a proxy, and nothing was sent on it yet. The pool tests a connection that was
    /// idle for long before lending it.
    pub async fn begin<'k>(&'k mut self, db: &DatabaseConnection) -> Result<PgBatchTxn<'k>, DbErr> {
        let begun = match self.0.as_mut() {
            Some(kept) => sea_orm::sqlx::query("BEGIN").execute(&mut **kept).await.is_ok(),
            None => false,
        };
        if !begun {
            self.0 = None;
            let acquired = db.get_postgres_connection_pool().acquire().await;
            let conn = self.0.insert(acquired.map_err(|e| DbErr::Conn(sqlx_runtime_error(e)))?);
            if let Err(error) = sea_orm::sqlx::query("BEGIN").execute(&mut **conn).await {
                self.0 = None;
                return Err(DbErr::Conn(sqlx_runtime_error(error)));
            }
        }
        Ok(PgBatchTxn { conn: BatchConnection::new(&mut self.0) })
    }
}

pub struct PgBatchTxn<'k> {
    conn: BatchConnection<'k, Postgres>,
}

#[async_trait::async_trait]
impl BatchTxn for PgBatchTxn<'_> {
    async fn commit_with(mut self, writes: Writes) -> Result<(), DbErr> {
        let mut statements = writes.combined(DbBackend::Postgres);
        statements.push(Statement::from_string(DbBackend::Postgres, "COMMIT"));
        for statement in statements {
            if let Err(error) = self.execute_raw(statement).await {
                self.rollback().await;
                return Err(error);
            }
        }
        self.conn.finish();
        Ok(())
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
        let mut conn = self.conn.get().await?;
        Ok(query(statement).execute(&mut **conn).await.map_err(|e| DbErr::Exec(sqlx_runtime_error(e)))?.into())
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        let mut conn = self.conn.get().await?;
        let done = sea_orm::sqlx::raw_sql(AssertSqlSafe(sql.to_owned())).execute(&mut **conn).await;
        Ok(done.map_err(|e| DbErr::Exec(sqlx_runtime_error(e)))?.into())
    }

    async fn query_one_raw(&self, statement: Statement) -> Result<Option<QueryResult>, DbErr> {
        let mut conn = self.conn.get().await?;
        let row = query(statement).fetch_optional(&mut **conn).await;
        Ok(row.map_err(|e| DbErr::Query(sqlx_runtime_error(e)))?.map(Into::into))
    }

    async fn query_all_raw(&self, statement: Statement) -> Result<Vec<QueryResult>, DbErr> {
        let mut conn = self.conn.get().await?;
        let rows = query(statement).fetch_all(&mut **conn).await;
        Ok(rows.map_err(|e| DbErr::Query(sqlx_runtime_error(e)))?.into_iter().map(Into::into).collect())
    }

    fn support_returning(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests;
