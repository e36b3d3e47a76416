//! Removing rows that have served their purpose: create-once keys, expired sessions, old sign-in attempts.

use crate::backend::engine::begin_write;
use crate::backend::entities::{creation_request, login_attempt, session};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait, QueryFilter};

/// How long a create request's one-time key is remembered: a repeat within this time creates nothing.
pub const CREATE_ONCE_DAYS: i64 = 30;
/// How long sign-in attempts are kept (lockouts look back 15 minutes; the audit log keeps the rest).
pub const SIGN_IN_ATTEMPT_DAYS: i64 = 90;

/// What one run removed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Removed {
    pub creation_keys: u64,
    pub sessions: u64,
    pub sign_in_attempts: u64,
}

impl Removed {
    pub fn total(&self) -> u64 {
        self.creation_keys + self.sessions + self.sign_in_attempts
    }
}

/// Whether anything is old enough to remove (reads only). Sessions expire by the wall clock
/// (`wall_now`), as the session store reads them; the rest by the application's clock (`now`).
pub async fn any_due(db: &impl ConnectionTrait, now: DateTime<Utc>, wall_now: DateTime<Utc>) -> Result<bool, DbErr> {
    let keys = creation_request::Entity::find().filter(old_keys(now)).count(db).await?;
    let sessions = session::Entity::find().filter(session::Column::ExpiresAt.lte(wall_now)).count(db).await?;
    let attempts = login_attempt::Entity::find().filter(old_attempts(now)).count(db).await?;
    Ok(keys + sessions + attempts > 0)
}

/// Removes create-once keys older than [`CREATE_ONCE_DAYS`], expired sessions and sign-in attempts
/// older than [`SIGN_IN_ATTEMPT_DAYS`], in one write transaction.
pub async fn remove_old(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    wall_now: DateTime<Utc>,
) -> Result<Removed, DbErr> {
    let txn = begin_write(db).await?;
    let creation_keys = creation_request::Entity::delete_many().filter(old_keys(now)).exec(&txn).await?.rows_affected;
    let sessions =
        session::Entity::delete_many().filter(session::Column::ExpiresAt.lte(wall_now)).exec(&txn).await?.rows_affected;
    let sign_in_attempts =
        login_attempt::Entity::delete_many().filter(old_attempts(now)).exec(&txn).await?.rows_affected;
    txn.commit().await?;
    Ok(Removed { creation_keys, sessions, sign_in_attempts })
}

fn old_keys(now: DateTime<Utc>) -> sea_orm::Condition {
    sea_orm::Condition::all().add(creation_request::Column::CreatedAt.lt(now - Duration::days(CREATE_ONCE_DAYS)))
}

fn old_attempts(now: DateTime<Utc>) -> sea_orm::Condition {
    sea_orm::Condition::all().add(login_attempt::Column::AttemptedAt.lt(now - Duration::days(SIGN_IN_ATTEMPT_DAYS)))
}
