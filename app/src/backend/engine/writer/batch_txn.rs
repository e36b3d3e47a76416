//! What the check writer's transactions on both databases share: the kept connection lent to one
//! batch, closed if the batch is dropped unfinished, and the two ways a batch ends.

use crate::backend::engine::{EngineError, Writes};
use sea_orm::sqlx::pool::PoolConnection;
use sea_orm::sqlx::Database;
use sea_orm::{ConnectionTrait, DbErr};
use tokio::sync::{MappedMutexGuard, Mutex, MutexGuard};

/// A check writer's transaction on its kept connection (`SqliteBatchTxn`, `PgBatchTxn`).
#[async_trait::async_trait]
pub trait BatchTxn: ConnectionTrait + Sized {
    /// Sends the writes and commits; on any failure the transaction is rolled back, unless its
    /// commit was sent and not answered (`EngineError::Unconfirmed`).
    async fn commit_with(self, writes: Writes) -> Result<(), EngineError>;

    /// Rolls back; the connection goes back to the pool, which tests it before lending it again.
    async fn rollback(self);
}

/// The writer's kept connection while one batch uses it, one statement at a time.
pub struct BatchConnection<'k, DB: Database> {
    slot: Mutex<&'k mut Option<PoolConnection<DB>>>,
    finished: bool,
}

impl<'k, DB: Database> BatchConnection<'k, DB> {
    pub fn new(slot: &'k mut Option<PoolConnection<DB>>) -> Self {
        BatchConnection { slot: Mutex::new(slot), finished: false }
    }

    pub async fn get(&self) -> Result<MappedMutexGuard<'_, PoolConnection<DB>>, DbErr> {
        MutexGuard::try_map(self.slot.lock().await, |slot| slot.as_mut()).map_err(|_| closed())
    }

    /// The slot itself, for a writer that replaces a connection found closed.
    pub async fn slot(&self) -> MutexGuard<'_, &'k mut Option<PoolConnection<DB>>> {
        self.slot.lock().await
    }

    /// The batch committed: the connection stays kept for the next.
    pub fn finish(&mut self) {
        self.finished = true;
    }

    /// The batch rolled back: the connection goes back to the pool, which tests it.
    pub fn give_back(&mut self) {
        self.slot.get_mut().take();
        self.finished = true;
    }
}

pub fn closed() -> DbErr {
    DbErr::Custom("the check writer's connection was closed".into())
}

impl<DB: Database> Drop for BatchConnection<'_, DB> {
    /// Dropped unfinished (the writer's task was cancelled mid-batch), the connection is closed,
    /// neither kept nor pooled: the database rolls back a closing connection's transaction.
    fn drop(&mut self) {
        if !self.finished {
            if let Some(mut conn) = self.slot.get_mut().take() {
                conn.close_on_drop();
            }
        }
    }
}
