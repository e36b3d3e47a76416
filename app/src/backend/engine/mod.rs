//! The budget engine over the database: check-and-reserve, settle, release, record, status.
//!
//! Every write path is one transaction. Counter rows of the affected budget windows are created if
//! missing and then locked in budget-id order (PostgreSQL `FOR UPDATE`; SQLite transactions begin
//! IMMEDIATE and so hold the database's single write lock), so concurrent requests on any number
//! of instances see each other's reservations and can never admit past a hard level together.

pub mod aggregates;
mod batch;
mod batch_txn;
pub mod budgets;
mod combiner;
pub mod config_cache;
mod counter_changes;
mod counter_memory;
pub(crate) mod counters;
pub mod counting_start;
mod decide;
pub mod events;
pub mod holds;
mod pg_batch;
mod pg_ways;
mod presumed;
pub mod reallocate;
mod record;
mod reserve;
pub mod resolve;
mod settle;
mod sqlite_batch;
mod sqlite_direct;
mod sqlite_rows;
mod status;
mod verified_lock;
mod write_txn;

pub use combiner::CheckCombiner;
pub use config_cache::ConfigCache;
pub use counter_memory::FastWayCounts;
pub use decide::decide_checks;
pub use record::{record_usage, RecordOutcome, UsageInput};
pub use reserve::{prepare_cached_check, prepare_check, CheckInput, CheckOutcome, PreparedCheck};
pub use resolve::OperationInput;
pub use settle::{any_expired, release, settle, sweep_expired, SettleInput, SettleOutcome};
pub use status::{current_report, current_reports, status_cached, BudgetReport, LimitReport, StatusQuery};
pub use write_txn::{begin_write, sqlite_gate_lock, sqlx_runtime_error, WriteTxn, Writes};

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
