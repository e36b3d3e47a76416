//! The organization's directory: teams, projects, people known by handle, the price catalog, its
//! exchange rates and categories. Every change is one write transaction that also writes the audit trail.

mod catalog;
mod exchange_rates;
mod model_aliases;
mod price_import;
mod teams;
mod users;

pub use catalog::*;
pub use exchange_rates::*;
pub use model_aliases::*;
pub use price_import::*;
pub use teams::*;
pub use users::*;

use crate::backend::engine::EngineError;
use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use serde::Serialize;
use uuid::Uuid;

/// Who makes a change and when; every change is written to the audit trail.
#[derive(Debug, Clone, Copy)]
pub struct Change<'a> {
    pub actor: &'a str,
    pub now: DateTime<Utc>,
}

pub(super) async fn audit(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    kind: &str,
    subject: &impl Serialize,
    change: Change<'_>,
) -> Result<(), EngineError> {
    let detail = serde_json::to_value(subject).map_err(|e| invalid(e.to_string()))?;
    crate::backend::engine::events::record_by(db, org_id, None, kind, detail, change.actor, change.now).await
}

pub(super) fn invalid(message: impl Into<String>) -> EngineError {
    EngineError::InvalidInput(message.into())
}

pub(super) fn check_name(name: &str, what: &str) -> Result<String, EngineError> {
    let name = name.trim();
    if name.is_empty() || name.len() > 120 {
        return Err(invalid(format!("{what} must be 1 to 120 characters")));
    }
    crate::backend::engine::prepare::resolve::plain_text(name, what)?;
    Ok(name.to_owned())
}

/// A write's error, as "already exists" where it broke a uniqueness rule.
pub(super) fn taken(error: sea_orm::DbErr, what: String) -> EngineError {
    match error.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => invalid(format!("{what} already exists")),
        _ => error.into(),
    }
}
