//! Budget definitions as pages, server functions and the REST API exchange them.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use tollgate_domain::thresholds::DEFAULT_THRESHOLDS;
use tollgate_domain::{EnforcementMode, Period, ScopeKind};
use uuid::Uuid;

/// Everything that defines a budget. PATCH requests are merged onto the current input and
/// validated as a whole, so a budget can never be half-changed into an invalid state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct BudgetInput {
    pub name: String,
    pub scope: ScopeKind,
    /// Team, project or user id; omitted for the organization.
    #[serde(default)]
    pub scope_id: Option<Uuid>,
    /// A category name; omitted for all categories.
    #[serde(default)]
    pub category: Option<String>,
    pub period: Period,
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default)]
    pub cost_soft: Option<Decimal>,
    #[serde(default)]
    pub cost_hard: Option<Decimal>,
    #[serde(default)]
    pub tokens_soft: Option<i64>,
    #[serde(default)]
    pub tokens_hard: Option<i64>,
    #[serde(default)]
    pub operations_soft: Option<i64>,
    #[serde(default)]
    pub operations_hard: Option<i64>,
    #[serde(default = "hard_stop")]
    pub enforcement: EnforcementMode,
    #[serde(default)]
    pub grace_minutes: u32,
    #[serde(default)]
    pub reserve_cost: Decimal,
    #[serde(default)]
    pub reserve_tokens: i64,
    #[serde(default)]
    pub reserve_operations: i64,
    #[serde(default = "default_thresholds")]
    pub thresholds: Vec<u32>,
    /// Requests asking for more cost than this need two distinct approvers; omitted means one.
    #[serde(default)]
    pub two_approvers_above: Option<Decimal>,
    /// Unacknowledged alerts at or above `escalate_from` percent escalate after this many minutes.
    #[serde(default)]
    pub escalate_after_minutes: Option<u32>,
    #[serde(default)]
    pub escalate_from: Option<u32>,
}

fn hard_stop() -> EnforcementMode {
    EnforcementMode::HardStop
}

fn default_thresholds() -> Vec<u32> {
    DEFAULT_THRESHOLDS.to_vec()
}

/// A budget as the API shows it: its input plus identity and state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct BudgetView {
    pub id: Uuid,
    pub state: String,
    #[serde(flatten)]
    pub input: BudgetInput,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A request for more budget, as the approval queue and the budget page show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestView {
    pub id: Uuid,
    pub budget_id: Uuid,
    pub budget_name: String,
    pub kind: String,
    pub requested_by: Uuid,
    pub requester: String,
    pub cost: Option<Decimal>,
    pub tokens: Option<i64>,
    pub operations: Option<i64>,
    pub until: Option<DateTime<Utc>>,
    /// For an increase from the next window: when it takes effect (known once approved).
    pub from_next_window: bool,
    pub applies_from: Option<DateTime<Utc>>,
    pub reason: String,
    /// pending, needs_info, approved, rejected or expired
    pub status: String,
    pub decide_by: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub approvals: usize,
    pub approvals_needed: usize,
    /// The budget now: cost spent this window and the hard cost level (if it has one).
    pub cost_spent: Decimal,
    pub cost_hard: Option<Decimal>,
    /// Cost forecast for the window end (weekday pattern of the last 28 days) and when it runs out.
    pub cost_projected: Option<Decimal>,
    pub exhaustion: Option<DateTime<Utc>>,
    /// Every decision and note so far, oldest first: (who, what, comment).
    pub notes: Vec<(String, String, String)>,
}

/// One limit of a budget in its current window: spent and reserved against the allowance (the hard
/// level plus active overrides).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LimitUsage {
    /// cost, tokens or operations
    pub limit_type: String,
    pub spent: Decimal,
    pub reserved: Decimal,
    pub allowance: Decimal,
    pub percent_used: Decimal,
    /// within_budget, approaching_limit or over_budget
    pub status: String,
}
