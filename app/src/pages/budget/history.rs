//! A budget's history on its page: changes, requests, decisions, denials and alerts, newest first.

use chrono::{DateTime, Utc};
use leptos::either::Either;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub kind: String,
    pub actor: Option<String>,
    pub created_at: DateTime<Utc>,
    pub summary: String,
}

#[cfg(feature = "ssr")]
pub async fn entries(
    db: &sea_orm::DatabaseConnection,
    budget: &crate::backend::entities::budget::Model,
) -> Result<Vec<HistoryEntry>, crate::errors::AppError> {
    use crate::backend::entities::budget_event;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
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

#[cfg(feature = "ssr")]
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

#[component]
pub fn HistorySection(entries: Vec<HistoryEntry>) -> impl IntoView {
    view! {
        <section class="card" id="history">
            <h2>"History"</h2>
            {if entries.is_empty() {
                Either::Left(view! { <p class="muted">"Nothing has happened to this budget yet."</p> })
            } else {
                Either::Right(view! {
                    <table>
                        <thead><tr><th>"When"</th><th>"What"</th><th>"Who"</th></tr></thead>
                        <tbody>
                            {entries.into_iter().map(|e| view! {
                                <tr data-kind=e.kind.clone()>
                                    <td>{e.created_at.format("%Y-%m-%d %H:%M").to_string()}</td>
                                    <td>{e.summary}</td>
                                    <td>{e.actor.unwrap_or_else(|| "Tollgate".into())}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                })
            }}
        </section>
    }
}
