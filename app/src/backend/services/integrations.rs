//! The Integrations page's use cases: event-feed hooks added and removed, dead-lettered alert
//! deliveries sent again; each one audited write transaction.

use super::alerts::outbox;
use super::directory::Change;
use super::{event_hooks, ServiceError};
use crate::backend::engine::{begin_write, events};
use crate::state::AppState;
use uuid::Uuid;

/// Registers a URL for the events feed and returns its signing secret, shown only this once.
pub async fn add_event_hook(
    state: &AppState,
    org_id: Uuid,
    url: &str,
    change: Change<'_>,
) -> Result<String, ServiceError> {
    // Resolved before the transaction, so no lookup holds the write lock.
    state.outbound.check(url.trim()).await.map_err(ServiceError::Invalid)?;
    let txn = begin_write(&state.db).await?;
    let hook = event_hooks::add(&txn, org_id, (url, &state.outbound), change.actor, change.now).await?;
    let detail = serde_json::json!({ "hook_id": hook.id, "url": hook.url });
    events::record_by(&txn, org_id, None, "event_hook_added", detail, change.actor, change.now).await?;
    txn.commit().await?;
    Ok(hook.secret)
}

pub async fn remove_event_hook(
    state: &AppState,
    org_id: Uuid,
    hook_id: Uuid,
    change: Change<'_>,
) -> Result<(), ServiceError> {
    let txn = begin_write(&state.db).await?;
    let hook = event_hooks::remove(&txn, org_id, hook_id)
        .await?
        .ok_or_else(|| ServiceError::not_found("an event hook with that id"))?;
    let detail = serde_json::json!({ "hook_id": hook.id, "url": hook.url });
    events::record_by(&txn, org_id, None, "event_hook_removed", detail, change.actor, change.now).await?;
    txn.commit().await?;
    Ok(())
}

/// Sends a dead-lettered alert delivery again, with a fresh round of attempts.
pub async fn retry_delivery(
    state: &AppState,
    org_id: Uuid,
    delivery_id: Uuid,
    change: Change<'_>,
) -> Result<(), ServiceError> {
    let txn = begin_write(&state.db).await?;
    if outbox::org_of(&txn, delivery_id).await? != Some(org_id) {
        return Err(ServiceError::not_found("a delivery with that id"));
    }
    if !outbox::retry_dead(&txn, delivery_id, change.now).await? {
        return Err(ServiceError::invalid("only dead-lettered deliveries can be retried; this one is still queued"));
    }
    let detail = serde_json::json!({ "delivery_id": delivery_id });
    events::record_by(&txn, org_id, None, "delivery_retried", detail, change.actor, change.now).await?;
    txn.commit().await?;
    Ok(())
}
