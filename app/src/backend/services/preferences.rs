//! Stored budgeting preferences: changing one with an audit entry (reading them is
//! `queries::preferences`).

use crate::backend::engine::EngineError;
use crate::backend::entities::{budget, organization, preference};
pub use crate::backend::queries::preferences::{for_budget, resolved, set_at};
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, Set};
use tollgate_domain::preferences::{Key, Level};
use uuid::Uuid;

/// Sets (or, with an empty value, clears) one preference at one level; the caller has checked that
/// the actor may. Returns the value stored.
#[allow(clippy::too_many_arguments)]
pub async fn set(
    db: &impl ConnectionTrait,
    org: &organization::Model,
    level: Level,
    subject: Uuid,
    key: Key,
    value: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Option<String>, EngineError> {
    if !key.allowed_at(level) {
        return Err(EngineError::InvalidInput(format!("{} is set for the whole organization only", key.label())));
    }
    let value = match value.trim() {
        "" => None,
        given => Some(key.normalise(given).map_err(EngineError::InvalidInput)?),
    };
    if matches!(key, Key::Currency | Key::TimeZone) {
        set_ledger_key(db, org, key, value.as_deref()).await?;
    } else {
        store(db, org.id, level, subject, key, value.as_deref(), actor, now).await?;
    }
    let detail =
        serde_json::json!({ "level": level.as_str(), "subject_id": subject, "key": key.as_str(), "value": value });
    crate::backend::engine::events::record_by(db, org.id, None, "preference_changed", detail, actor, now).await?;
    Ok(value)
}

#[allow(clippy::too_many_arguments)]
async fn store(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    level: Level,
    subject: Uuid,
    key: Key,
    value: Option<&str>,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let existing = preference::Entity::find()
        .filter(preference::Column::OrgId.eq(org_id))
        .filter(preference::Column::Level.eq(level.as_str()))
        .filter(preference::Column::SubjectId.eq(subject))
        .filter(preference::Column::Key.eq(key.as_str()))
        .one(db)
        .await?;
    match (existing, value) {
        (Some(row), None) => {
            preference::Entity::delete_by_id(row.id).exec(db).await?;
        }
        (Some(row), Some(value)) => {
            let mut row: preference::ActiveModel = row.into();
            row.value = Set(value.to_owned());
            row.updated_by = Set(actor.to_owned());
            row.updated_at = Set(now);
            row.update(db).await?;
        }
        (None, Some(value)) => {
            preference::ActiveModel {
                id: Set(Uuid::now_v7()),
                org_id: Set(org_id),
                level: Set(level.as_str().to_owned()),
                subject_id: Set(subject),
                key: Set(key.as_str().to_owned()),
                value: Set(value.to_owned()),
                updated_by: Set(actor.to_owned()),
                updated_at: Set(now),
            }
            .insert(db)
            .await?;
        }
        (None, None) => {}
    }
    Ok(())
}

/// The organization's currency is fixed at creation (prices, budgets and the ledger are all in it);
/// its time zone shapes every budget window, so it changes only before the first budget or usage.
async fn set_ledger_key(
    db: &impl ConnectionTrait,
    org: &organization::Model,
    key: Key,
    value: Option<&str>,
) -> Result<(), EngineError> {
    use crate::backend::entities::usage_event;
    if key == Key::Currency {
        return Err(EngineError::InvalidInput(format!(
            "the currency is fixed when the organization is created: prices, budgets and usage are all in {}",
            org.currency
        )));
    }
    let value = value.ok_or_else(|| EngineError::InvalidInput("the organization needs a time zone".into()))?;
    let budgets = budget::Entity::find().filter(budget::Column::OrgId.eq(org.id)).count(db).await?;
    let usage = usage_event::Entity::find().filter(usage_event::Column::OrgId.eq(org.id)).count(db).await?;
    if budgets + usage > 0 {
        return Err(EngineError::InvalidInput(
            "the time zone can only change before the first budget or usage: budget windows depend on it".into(),
        ));
    }
    let mut row: organization::ActiveModel = org.clone().into();
    row.timezone = Set(value.to_owned());
    row.update(db).await?;
    Ok(())
}

/// A person sets a preference at a level: their own, a project's they manage, or (admins) the
/// organization's; returns the value now stored there (`None`: no longer set, so inherited).
pub async fn set_preference(
    state: &crate::state::AppState,
    me: &crate::auth::Account,
    level: Level,
    project: Option<Uuid>,
    key: Key,
    value: &str,
) -> Result<Option<String>, super::ServiceError> {
    use super::ServiceError;
    let txn = crate::backend::engine::begin_write(&state.db).await?;
    let subject = match level {
        Level::System if me.has(crate::auth::Role::Admin) => me.org_id,
        Level::System => return Err(ServiceError::forbidden("only admins set the organization's preferences")),
        Level::User => me.id,
        Level::Project => {
            let id = project.ok_or_else(|| ServiceError::invalid("choose a project"))?;
            super::access::ensure_may_manage(&txn, me, tollgate_domain::ScopeKind::Project, id).await?;
            id
        }
        Level::BuiltIn => return Err(ServiceError::invalid("Tollgate's own defaults cannot change")),
    };
    let org = super::organizations::organization(&txn, me.org_id)
        .await?
        .ok_or_else(|| ServiceError::not_found("the organization"))?;
    let stored = set(&txn, &org, level, subject, key, value, &me.email, state.clock.now()).await?;
    txn.commit().await?;
    Ok(stored)
}
