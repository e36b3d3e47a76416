//! The budget engine over the database: check-and-reserve, settle, release, usage, status.
//!
//! Where things happen, by folder:
//!
//! ```text
//! POST /check ─► prepare/ ──────► writer/ ──────────────────────────► decide/ ─► counters/
//!                keys.rs, names   one queue per process; each batch    judge each   lock, read and
//!                resolved, cached is one transaction and one commit,   check on the change window
//!                config, the      on a route chosen per database:      counters;    counters
//!                applicable       sqlite/ (Direct, else Full),         pure, data
//!                budgets          postgres/ (Optimistic, else          out
//!                                 LockAndVerify, else Full)  ─────────► alerts/ (raised in the same
//!                                                                      transaction, once per key)
//! POST /usage ─► usage/ (validate and price each event, then one batch write with its counters)
//! POST /settle, /release, expiry ─► reservations/ (each its own write transaction)
//! GET /status ─► status.rs          audit trail ─► events.rs          moving allowance ─► reallocate.rs
//! ```
//!
//! Arrows only point down: the engine uses `queries` and `entities`, never `services`, and no two
//! files import each other, directly or around a loop (`app/tests/boundaries.rs`).
//!
//! The check writer's routes, from fastest to most general (names used the same in code, docs and
//! the benchmark's output):
//! - **Full** (`writer/full.rs`): lock every counter the batch touches in
//!   budget-id order (PostgreSQL `FOR UPDATE`; SQLite holds the database's one write lock), read
//!   them, decide, write. Always correct; the route every other one falls back to.
//! - **LockAndVerify** (`writer/lock_and_verify.rs`): one statement locks the batch's counters
//!   and verifies the configuration version and keys the batch was prepared with.
//! - **Optimistic** (PostgreSQL, `writer/postgres/optimistic.rs`): decided on the counters this
//!   instance remembers (`writer/postgres/memory.rs`); the write statement checks they still hold,
//!   and any difference undoes it and the batch goes LockAndVerify.
//! - **Direct** (SQLite, `writer/sqlite/direct.rs`): LockAndVerify on a rusqlite connection of the
//!   writer's own, without sqlx in between.
//!
//! Settle, release and usage recording are each one write transaction that locks the counters
//! they change in the same budget-id order, so concurrent requests on any number of instances see
//! each other's reservations and can never admit past a hard level together.

pub mod alerts;
pub mod counters;
pub mod decide;
pub mod events;
pub mod keys;
pub mod prepare;
pub mod reallocate;
pub mod reservations;
pub mod status;
pub mod usage;
pub mod writer;

pub use prepare::config_cache::ConfigCache;
pub use prepare::reserve::{prepare_cached_check, prepare_check, CheckInput, CheckOutcome, PreparedCheck};
pub use prepare::resolve::OperationInput;
pub use reservations::{any_expired, release, settle, sweep_expired, SettleInput, SettleOutcome};
pub use status::{current_report, current_reports, status_cached, BudgetReport, LimitReport, StatusQuery};
pub use usage::{record_usage, RecordOutcome, UsageInput};
pub use writer::combiner::CheckCombiner;
pub use writer::full::decide_checks;
pub use writer::postgres::memory::OptimisticCounts;
pub use writer::write_txn::{begin_write, sqlite_gate_lock, sqlx_runtime_error, WriteTxn, Writes};

use sea_orm::DbErr;

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("unknown project '{0}'")]
    UnknownProject(String),
    #[error("unknown category '{0}' (known: {1})")]
    UnknownCategory(String, String),
    #[error(
        "model '{model}' of provider '{provider}' has no price in the catalog; send an explicit cost or add a price"
    )]
    UnpricedModel { model: String, provider: String },
    #[error("amounts are in {expected}, not {given}")]
    CurrencyMismatch { expected: String, given: String },
    #[error(
        "no exchange rate from {from} to {to} in force at {at}: the catalog prices this model in {from}; \
         an admin can add a rate on the Prices page or with POST /api/v1/exchange-rates"
    )]
    ExchangeRateMissing { from: String, to: String, at: chrono::DateTime<chrono::Utc> },
    #[error("{0}")]
    InvalidInput(String),
    #[error("reservation {0} does not exist")]
    ReservationNotFound(uuid::Uuid),
    #[error("reservation {0} expired at {1} and was released; check again")]
    ReservationExpired(uuid::Uuid, chrono::DateTime<chrono::Utc>),
    #[error("reservation {0} is already {1}")]
    ReservationClosed(uuid::Uuid, String),
    #[error("event_id '{0}' is already in the ledger for another operation; the reservation stays open: settle it with a new event_id")]
    EventIdTaken(String),
    #[error("a valid API key is required: this one has been revoked")]
    KeyRevoked,
    #[error("this API key may only be used for project '{0}'")]
    ProjectNotAllowed(String),
    #[error("the database did not confirm whether this check was recorded; a reservation it made expires unused; check again")]
    Unconfirmed,
    #[error(
        "this would take a budget window's or a daily total's counters past the most Tollgate can count \
         (cost {}, tokens and operations {} each); nothing was recorded",
        tollgate_domain::money::from_storage(i64::MAX),
        i64::MAX
    )]
    CounterLimit,
    #[error(transparent)]
    Database(DbErr),
}

/// The message a SQLite trigger aborts with when a counter would leave the integers (see the
/// `counter_limits` migration); PostgreSQL refuses the same with "bigint out of range".
pub const COUNTER_LIMIT_MESSAGE: &str = "counter_limit";

impl From<DbErr> for EngineError {
    fn from(error: DbErr) -> Self {
        let text = error.to_string();
        if text.contains(COUNTER_LIMIT_MESSAGE) || text.contains("bigint out of range") {
            EngineError::CounterLimit
        } else {
            EngineError::Database(error)
        }
    }
}

impl From<tollgate_domain::MoneyError> for EngineError {
    fn from(e: tollgate_domain::MoneyError) -> Self {
        EngineError::InvalidInput(e.to_string())
    }
}

/// Which database the engine runs on; locking differs.
pub fn is_postgres(db: &impl sea_orm::ConnectionTrait) -> bool {
    db.get_database_backend() == sea_orm::DatabaseBackend::Postgres
}

/// A stable machine-readable code for each error, used in API error bodies.
pub fn error_code(error: &EngineError) -> &'static str {
    match error {
        EngineError::UnknownProject(_) => "unknown_project",
        EngineError::UnknownCategory(..) => "unknown_category",
        EngineError::UnpricedModel { .. } => "unpriced_model",
        EngineError::CurrencyMismatch { .. } => "currency_mismatch",
        EngineError::ExchangeRateMissing { .. } => "exchange_rate_missing",
        EngineError::InvalidInput(_) => "invalid_input",
        EngineError::ReservationNotFound(_) => "reservation_not_found",
        EngineError::ReservationExpired(..) => "reservation_expired",
        EngineError::ReservationClosed(..) => "reservation_closed",
        EngineError::ProjectNotAllowed(_) => "project_not_allowed",
        EngineError::KeyRevoked => "unauthorized",
        EngineError::Unconfirmed => "unconfirmed",
        EngineError::CounterLimit => "counter_limit",
        EngineError::EventIdTaken(_) => "event_id_conflict",
        EngineError::Database(_) => "internal",
    }
}
