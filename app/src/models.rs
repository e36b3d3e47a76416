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
