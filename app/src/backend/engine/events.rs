//! Appends budget events (the budget audit trail) inside the caller's transaction.

use crate::backend::engine::EngineError;
use crate::backend::entities::budget_event;
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, EntityTrait, Set};
use uuid::Uuid;

pub async fn record(
    txn: &impl ConnectionTrait,
    org_id: Uuid,
    budget_id: Option<Uuid>,
    kind: &str,
    window_start: Option<DateTime<Utc>>,
    detail: serde_json::Value,
    now: DateTime<Utc>,
) -> Result<(), EngineError> {
    insert(txn, event(org_id, budget_id, kind, window_start, detail, now)).await
}

/// A change made by someone (an account or an API key), named in the audit trail.
pub async fn record_by(
    txn: &impl ConnectionTrait,
    org_id: Uuid,
    budget_id: Option<Uuid>,
    kind: &str,
    detail: serde_json::Value,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<(), EngineError> {
    let by = budget_event::ActiveModel {
        actor: Set(Some(actor.to_owned())),
        ..event(org_id, budget_id, kind, None, detail, now)
    };
    insert(txn, by).await
}

async fn insert(txn: &impl ConnectionTrait, event: budget_event::ActiveModel) -> Result<(), EngineError> {
    budget_event::Entity::insert(event).exec_without_returning(txn).await?;
    Ok(())
}

/// The event `record` appends, for a caller that writes several together.
pub fn event(
    org_id: Uuid,
    budget_id: Option<Uuid>,
    kind: &str,
    window_start: Option<DateTime<Utc>>,
    detail: serde_json::Value,
    now: DateTime<Utc>,
) -> budget_event::ActiveModel {
    budget_event::ActiveModel {
        id: Set(Uuid::now_v7()),
        org_id: Set(org_id),
        budget_id: Set(budget_id),
        kind: Set(kind.to_owned()),
        window_start: Set(window_start),
        dedup_key: Set(None),
        detail: Set(detail.to_string()),
        actor: Set(None),
        created_at: Set(now),
    }
}
