//! The budget events feed in order with a cursor: read by `GET /api/v1/events` and pushed to event hooks.
//!
//! Events are ordered by (created_at, id). Only events at least `SETTLE` old are served, so one
//! committed late by a slower transaction cannot appear behind a cursor a reader already holds.

use crate::backend::entities::{budget, budget_event};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;
use std::fmt;
use uuid::Uuid;

pub const SETTLE: Duration = Duration::seconds(2);

/// A position in the feed: after the event created at `at` with id `id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub at: DateTime<Utc>,
    pub id: Uuid,
}

impl Cursor {
    /// The position before every event created after `at`.
    pub fn at(at: DateTime<Utc>) -> Cursor {
        Cursor { at, id: Uuid::nil() }
    }

    pub fn after(event: &budget_event::Model) -> Cursor {
        Cursor { at: event.created_at, id: event.id }
    }
}

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}_{}", self.at.timestamp_micros(), self.id.simple())
    }
}

impl std::str::FromStr for Cursor {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        let bad = || "after must be a cursor returned as `next` by this endpoint".to_owned();
        let (micros, id) = text.split_once('_').ok_or_else(bad)?;
        let at = micros.parse().ok().and_then(DateTime::<Utc>::from_timestamp_micros).ok_or_else(bad)?;
        Ok(Cursor { at, id: Uuid::parse_str(id).map_err(|_| bad())? })
    }
}

/// One event as integrations see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FeedEvent {
    pub id: Uuid,
    /// e.g. alert, denied, window_closed, override_granted, request_created, budget_changed, emergency_reserve_used
    pub kind: String,
    pub budget_id: Option<Uuid>,
    pub window_start: Option<DateTime<Utc>>,
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
    pub actor: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<budget_event::Model> for FeedEvent {
    fn from(e: budget_event::Model) -> Self {
        FeedEvent {
            id: e.id,
            kind: e.kind,
            budget_id: e.budget_id,
            window_start: e.window_start,
            detail: serde_json::from_str(&e.detail).unwrap_or_default(),
            actor: e.actor,
            created_at: e.created_at,
        }
    }
}

/// Up to `limit` budget events of an organization after `after` (all budgets, or one project's).
pub async fn page(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    project: Option<Uuid>,
    after: Option<Cursor>,
    limit: u64,
    now: DateTime<Utc>,
) -> Result<Vec<budget_event::Model>, DbErr> {
    let mut select = budget_event::Entity::find()
        .filter(budget_event::Column::OrgId.eq(org_id))
        .filter(budget_event::Column::BudgetId.is_not_null())
        .filter(budget_event::Column::CreatedAt.lte(now - SETTLE));
    if let Some(Cursor { at, id }) = after {
        select =
            select.filter(Condition::any().add(budget_event::Column::CreatedAt.gt(at)).add(
                Condition::all().add(budget_event::Column::CreatedAt.eq(at)).add(budget_event::Column::Id.gt(id)),
            ));
    }
    if let Some(project) = project {
        let ids: Vec<Uuid> = budget::Entity::find()
            .filter(budget::Column::ScopeKind.eq("project"))
            .filter(budget::Column::ScopeId.eq(project))
            .all(db)
            .await?
            .into_iter()
            .map(|b| b.id)
            .collect();
        select = select.filter(budget_event::Column::BudgetId.is_in(ids));
    }
    select
        .order_by_asc(budget_event::Column::CreatedAt)
        .order_by_asc(budget_event::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// A fingerprint of every current window's spent and reserved amounts in the organization: it moves
/// with every reservation, settle and usage event, including those that raise no budget event.
pub async fn counters_fingerprint(db: &impl ConnectionTrait, org_id: Uuid, now: DateTime<Utc>) -> Result<i128, DbErr> {
    use crate::backend::entities::budget_counter;
    let budgets: Vec<Uuid> = budget::Entity::find()
        .select_only()
        .column(budget::Column::Id)
        .filter(budget::Column::OrgId.eq(org_id))
        .into_tuple()
        .all(db)
        .await?;
    let rows: Vec<(i64, i64, i64, i64, i64, i64)> = budget_counter::Entity::find()
        .select_only()
        .columns([
            budget_counter::Column::CostSpent,
            budget_counter::Column::CostReserved,
            budget_counter::Column::TokensSpent,
            budget_counter::Column::TokensReserved,
            budget_counter::Column::OperationsSpent,
            budget_counter::Column::OperationsReserved,
        ])
        .filter(budget_counter::Column::BudgetId.is_in(budgets))
        .filter(budget_counter::Column::WindowEnd.gt(now))
        .into_tuple()
        .all(db)
        .await?;
    // Spent and reserved weighted differently, so a settle that moves an amount from one to the other shows.
    Ok(rows.iter().fold(0_i128, |sum, (cs, cr, ts, tr, os, or)| {
        sum + i128::from(*cs)
            + 3 * i128::from(*cr)
            + 5 * i128::from(*ts)
            + 7 * i128::from(*tr)
            + 11 * i128::from(*os)
            + 13 * i128::from(*or)
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_read_back_what_they_print() {
        let cursor = Cursor { at: DateTime::from_timestamp_micros(1_764_000_000_123_456).unwrap(), id: Uuid::now_v7() };
        assert_eq!(cursor.to_string().parse::<Cursor>(), Ok(cursor));
        assert!("12_not-a-uuid".parse::<Cursor>().is_err());
        assert!("nonsense".parse::<Cursor>().is_err());
    }
}
