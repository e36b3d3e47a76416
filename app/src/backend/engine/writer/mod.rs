//! The check writer: one queue per process whose batches are decided in one transaction and one
//! commit each, with a module per database for the routes a batch can take (see `engine`).

pub mod batch_txn;
pub mod combiner;
pub mod lock_and_verify;
pub mod postgres;
pub mod sqlite;
pub mod write_txn;
