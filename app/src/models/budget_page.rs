//! What a budget's page and the budget lists show: the budget with its current window, the
//! forecast and charts, alert settings and recent alerts, and where allowance can move.

use super::{BudgetView, LimitUsage};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BudgetRow {
    pub budget: BudgetView,
    pub may_manage: bool,
    /// within_budget, approaching_limit or over_budget, in the current window
    pub status: String,
    pub usage: Vec<LimitUsage>,
    pub window_start: chrono::DateTime<chrono::Utc>,
    pub window_end: chrono::DateTime<chrono::Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecipientView {
    pub id: Uuid,
    pub kind: String,
    /// An email, URL, role, or a person's name and email.
    pub target: String,
    /// The webhook signing secret, shown to those who manage the budget.
    pub secret: Option<String>,
    pub min_threshold: Option<i32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeliveryView {
    pub channel: String,
    pub target: String,
    pub state: String,
    pub attempts: i32,
    pub last_error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertView {
    pub id: Uuid,
    pub severity: String,
    pub title: String,
    pub created_at: DateTime<Utc>,
    pub acknowledged: bool,
    pub escalation_level: i32,
    pub deliveries: Vec<DeliveryView>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertSettings {
    pub may_manage: bool,
    pub thresholds: String,
    pub escalate_after_minutes: Option<i32>,
    pub escalate_from: Option<i32>,
    pub recipients: Vec<RecipientView>,
    pub recent: Vec<AlertView>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReallocationOptions {
    /// Budgets this one can give allowance to: (id, name).
    pub siblings: Vec<(Uuid, String)>,
    /// Moves above this need an approver; None: none do.
    pub free_up_to: Option<Decimal>,
    pub currency: String,
    pub is_admin: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ForecastView {
    pub spent: Decimal,
    pub hard: Decimal,
    pub projected: Decimal,
    pub exhaustion: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WindowView {
    pub row: BudgetRow,
    pub forecast: Option<ForecastView>,
    /// The unit the charts are in: the currency, "tokens" or "operations".
    pub unit: String,
    /// (window, hard level, actual), oldest first.
    pub windows: Vec<(String, Option<Decimal>, Decimal)>,
    pub windows_chart: String,
    /// Cumulative usage per day of this window, then the forecast per remaining day.
    pub trend: Vec<(NaiveDate, Decimal)>,
    pub trend_forecast: Vec<(NaiveDate, Decimal)>,
    pub trend_chart: String,
}

/// A budget on the dashboard: its row and its cost forecast.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tile {
    pub row: BudgetRow,
    pub forecast: Option<ForecastView>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub kind: String,
    pub actor: Option<String>,
    pub created_at: DateTime<Utc>,
    pub summary: String,
}

/// A preference a budget inherits: its label, resolved value and where it comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InheritedPreference {
    pub label: String,
    pub value: String,
    pub source: String,
}

/// Everything a budget's page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BudgetDetailView {
    pub row: BudgetRow,
    pub window: WindowView,
    pub inherited: Vec<InheritedPreference>,
    pub alerts: AlertSettings,
    pub reallocation: ReallocationOptions,
    pub history: Vec<HistoryEntry>,
}
