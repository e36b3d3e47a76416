//! The error of the use cases in `services`: what was refused and why, in words a caller can show.

use super::accounts::AccountError;
use crate::backend::engine::EngineError;
use sea_orm::DbErr;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The caller may not do this (403).
    #[error("{0}")]
    Forbidden(String),
    /// What the caller named does not exist, or not for them (404); the text names it, "that person".
    #[error("{0} was not found")]
    NotFound(String),
    /// The input cannot be accepted as it is (422 in the API, 400 on pages).
    #[error("{0}")]
    Invalid(String),
    /// What the engine refused, or a database failure (500).
    #[error(transparent)]
    Engine(#[from] EngineError),
}

impl ServiceError {
    pub fn forbidden(message: impl Into<String>) -> Self {
        ServiceError::Forbidden(message.into())
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        ServiceError::NotFound(what.into())
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        ServiceError::Invalid(message.into())
    }

    /// A stored value that no longer reads back: the database, not the caller, is at fault.
    pub fn corrupt(what: impl std::fmt::Display) -> Self {
        ServiceError::Engine(EngineError::Database(DbErr::Type(what.to_string())))
    }
}

impl From<DbErr> for ServiceError {
    fn from(error: DbErr) -> Self {
        // Through the engine's mapping, which knows the counter-limit refusals.
        ServiceError::Engine(error.into())
    }
}

impl From<tollgate_domain::MoneyError> for ServiceError {
    fn from(error: tollgate_domain::MoneyError) -> Self {
        ServiceError::Engine(error.into())
    }
}

impl From<AccountError> for ServiceError {
    fn from(error: AccountError) -> Self {
        match error {
            AccountError::Database(e) => e.into(),
            AccountError::Engine(e) => e.into(),
            AccountError::Hashing => DbErr::Custom("password hashing failed".into()).into(),
            other => ServiceError::Invalid(other.to_string()),
        }
    }
}

impl From<ServiceError> for crate::errors::AppError {
    fn from(error: ServiceError) -> Self {
        use crate::errors::AppError;
        match error {
            ServiceError::Forbidden(message) => AppError::Forbidden(message),
            ServiceError::NotFound(what) => AppError::NotFound(what),
            ServiceError::Invalid(message) => AppError::Invalid(message),
            ServiceError::Engine(e) => e.into(),
        }
    }
}

impl From<AccountError> for crate::errors::AppError {
    fn from(error: AccountError) -> Self {
        ServiceError::from(error).into()
    }
}
