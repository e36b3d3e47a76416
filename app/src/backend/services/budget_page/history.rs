//! A budget's history on its page: changes, requests, decisions, denials and alerts, newest first.

use crate::backend::entities::{budget, budget_event};
use crate::backend::services::ServiceError;
use crate::models::HistoryEntry;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use tollgate_domain::figures::money;
use tollgate_domain::time_face::instant_in;

/// The budget's latest 50 events, each summed up in a line (amounts and times as every page shows
/// them, times in the organization's zone `tz`).
pub async fn entries(
    db: &impl ConnectionTrait,
    budget: &budget::Model,
    tz: Tz,
) -> Result<Vec<HistoryEntry>, ServiceError> {
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
                summary: summarize(&e.kind, &detail, tz),
                kind: e.kind,
                actor: e.actor,
                created_at: e.created_at,
            }
        })
        .collect())
}

fn summarize(kind: &str, detail: &serde_json::Value, tz: Tz) -> String {
    let text = |key: &str| detail.get(key).and_then(|v| v.as_str()).unwrap_or_default().to_owned();
    let amount = |key: &str| {
        let raw = text(key);
        raw.parse::<Decimal>().map(money).unwrap_or(raw)
    };
    let when = |key: &str| {
        let raw = text(key);
        raw.parse::<DateTime<Utc>>().map(|at| instant_in(tz, at)).unwrap_or(raw)
    };
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
                    "Window closed: {} {} spent of {} ({})",
                    text("currency"),
                    amount("cost_spent"),
                    hard.parse::<Decimal>().map(money).unwrap_or_else(|_| hard.to_owned()),
                    if over { "over budget" } else { "within budget" }
                ),
                None => "Window closed".to_owned(),
            }
        }
        "limit_increase_scheduled" => format!("Increase approved, from {}", when("applies_from")),
        "limit_increased" => "Hard level raised".to_owned(),
        "allowance_moved_out" => format!("{} {} moved to {}", text("currency"), amount("cost"), text("to_name")),
        "allowance_moved_in" => format!("{} {} moved in from {}", text("currency"), amount("cost"), text("from_name")),
        other => other.replace('_', " "),
    }
}
