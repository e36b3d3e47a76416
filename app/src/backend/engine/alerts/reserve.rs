//! Uses of the emergency reserve a batch of checks decided: each audited in the budget's history and
//! alerted to its recipients, in the batch's transaction.

use super::{raise, Audience, NewAlert};
use crate::backend::engine::decide::ReserveUse;
use crate::backend::engine::{events, EngineError};
use sea_orm::ConnectionTrait;

pub async fn record_reserve_uses(txn: &impl ConnectionTrait, uses: &[ReserveUse]) -> Result<(), EngineError> {
    for used in uses {
        let budget = &used.budget;
        let detail = serde_json::json!({ "reservation_id": used.reservation_id, "reasons": used.reasons });
        let (org_id, window_start) = (budget.org_id, Some(used.window_start));
        events::record(txn, org_id, Some(budget.id), "emergency_reserve_used", window_start, detail.clone(), used.at)
            .await?;
        let new = NewAlert {
            org_id,
            budget: Some(budget),
            kind: "reserve_used",
            limit_kind: None,
            threshold: None,
            window_start,
            dedup_key: format!("reserve:{}:{}", budget.id, used.reservation_id),
            severity: "critical",
            title: format!("{}: emergency reserve used by a critical call", budget.name),
            body: format!(
                "A critical call of {} (project {}) was admitted beyond the hard level from the emergency reserve.",
                used.user, used.project
            ),
            detail,
        };
        raise(txn, new, Audience::Budget, used.at).await?;
    }
    Ok(())
}
