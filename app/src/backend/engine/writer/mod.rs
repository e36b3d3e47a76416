//! The check writer: one queue per process whose batches are decided in one transaction and one
//! commit each, with a module per database for the routes a batch can take (see `engine`).

pub mod batch_txn;
pub mod combiner;
pub mod full;
pub mod lock_and_verify;
pub mod postgres;
pub mod sqlite;
pub mod write_txn;

use crate::backend::engine::EngineError;
use sea_orm::DbErr;

/// The answer of a check whose writer went away before deciding it.
pub(in crate::backend::engine) fn stopped() -> EngineError {
    EngineError::Database(DbErr::Custom("the check writer has stopped".into()))
}
