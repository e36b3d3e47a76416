//! A budget's history on its page: changes, requests, decisions, denials and alerts, newest first.

use crate::backend::entities::{budget, budget_event};
use crate::backend::services::ServiceError;
use crate::models::HistoryEntry;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

/// The budget's latest 50 events, each summed up in a line.
pub async fn entries(db: &impl ConnectionTrait, budget: &budget::Model) -> Result<Vec<HistoryEntry>, ServiceError> {
    let rows = budget_event::Entity::find()
        .filter(budget_event::Column::BudgetId.eq(budget.id))
        .order_by_desc(budget_event::Column::CreatedAt)
        .limit(50)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|e| {
            let detail: serde_json::Value = serde_json::from_str(&e.detail).unwrap_or_default();
            HistoryEntry {
                summary: summarize(&e.kind, &detail),
                kind: e.kind,
                actor: e.actor,
                created_at: e.created_at,
            }
        })
        .collect())
}

fn summarize(kind: &str, detail: &serde_json::Value) -> String {
    let text = |key: &str| detail.get(key).and_then(|v| v.as_str()).unwrap_or_default().to_owned();
    match kind {
        "alert" => text("title"),
        "denied" => format!("Denied a call of {} on {}", text("user"), text("project")),
        "budget_state_changed" => format!("State {} → {}", text("from"), text("to")),
        "budget_changed" => "Definition changed".to_owned(),
        "budget_created" => "Created".to_owned(),
        "emergency_reserve_used" => "A critical call used the emergency reserve".to_owned(),
        "reservation_expired" => "A reservation expired unsettled and was released".to_owned(),
        "alert_recipient_added" => format!("Alert recipient added: {} {}", text("kind"), text("target")),
        "alert_recipient_removed" => "Alert recipient removed".to_owned(),
        "window_closed" => {
            let over = detail.get("over_budget").and_then(|v| v.as_bool()).unwrap_or(false);
            match detail.get("cost_hard").and_then(|v| v.as_str()) {
                Some(hard) => format!(
                    "Window closed: {} {} spent of {hard} ({})",
                    text("currency"),
                    text("cost_spent"),
                    if over { "over budget" } else { "within budget" }
                ),
                None => "Window closed".to_owned(),
            }
        }
        "limit_increase_scheduled" => format!("Increase approved, from {}", text("applies_from")),
        "limit_increased" => "Hard level raised".to_owned(),
        "allowance_moved_out" => format!("{} {} moved to {}", text("currency"), text("cost"), text("to_name")),
        "allowance_moved_in" => format!("{} {} moved in from {}", text("currency"), text("cost"), text("from_name")),
        other => other.replace('_', " "),
    }
}
