//! How a check batch's commit reaches the disk without holding its locks meanwhile.
//!
//! A batch's counters stay locked until its commit returns, and a commit that waits for the disk
//! kept every other batch waiting for that flush too. A batch therefore commits without waiting
//! (`synchronous_commit` off for its transaction), which releases its locks at once, and the same
//! message then commits a small transaction that waits: its commit record
//! follows the batch's in the write-ahead log, so once it is on disk the batch is too, and only
//! then are the batch's checks answered. A later transaction that saw the batch's counters commits
//! after it in the log, so a crash can never keep what it decided and lose what it saw. The small
//! transaction writes one logical-decoding message (prefix `tollgate`): a transaction that writes
//! nothing to the log does not wait for it. A database that refuses that message (its function
//! revoked) gets batches that wait in their own commits, as before.

use super::super::write_txn::sqlx_runtime_error;
use sea_orm::sqlx::{AssertSqlSafe, PgConnection, PgPool};
use sea_orm::DbErr;

/// Commits a transaction that waits until everything committed before it is on disk.
pub const WAIT_FOR_DISK: &str = "BEGIN; SELECT pg_logical_emit_message(true, 'tollgate', 'checks committed'); COMMIT";

/// How a batch's commit reaches the disk (see the module's documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// The batch commits without waiting; the same message commits a transaction that waits.
    WaitApart,
    /// The batch's own commit waits: on a database that refuses the waiting transaction's message.
    InCommit,
}

impl Durability {
    /// `WaitApart` unless the database refuses the wait (its function revoked, say).
    pub async fn of(pool: &PgPool) -> Result<Self, DbErr> {
        match sea_orm::sqlx::raw_sql(AssertSqlSafe(WAIT_FOR_DISK)).execute(pool).await {
            Ok(_) => Ok(Durability::WaitApart),
            Err(error) if error.as_database_error().is_some() => {
                tracing::warn!(%error, "check batches wait for the disk in their own commits, holding their locks");
                Ok(Durability::InCommit)
            }
            Err(error) => Err(DbErr::Conn(sqlx_runtime_error(error))),
        }
    }

    pub async fn begin(self, conn: &mut PgConnection) -> Result<(), sea_orm::sqlx::Error> {
        let sql = match self {
            Durability::WaitApart => "BEGIN; SET LOCAL synchronous_commit TO off",
            Durability::InCommit => "BEGIN",
        };
        sea_orm::sqlx::raw_sql(AssertSqlSafe(sql)).execute(conn).await.map(|_| ())
    }

    /// The commit message, with the positions of its answers that confirm the batch is on disk,
    /// and of those that begin the next batch's transaction.
    pub fn commit(self) -> (&'static str, usize, std::ops::Range<usize>) {
        match self {
            Durability::WaitApart => (
                "COMMIT; BEGIN; SELECT pg_logical_emit_message(true, 'tollgate', 'checks committed'); COMMIT; \
                 BEGIN; SET LOCAL synchronous_commit TO off",
                3,
                4..6,
            ),
            Durability::InCommit => ("COMMIT; BEGIN", 0, 1..2),
        }
    }
}
