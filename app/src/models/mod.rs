//! Budget definitions as pages, server functions and the REST API exchange them.

mod budget_page;
mod overview;

pub use budget_page::*;
pub use overview::*;

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
    /// What an approved request granted, which may be less or shorter than it asked for.
    pub granted: Option<Granted>,
}

/// The decision on an approved request as granted: the amounts, until when, by whom and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Granted {
    pub cost: Option<Decimal>,
    pub tokens: Option<i64>,
    pub operations: Option<i64>,
    pub until: Option<DateTime<Utc>>,
    /// The approvers, by name.
    pub by: Vec<String>,
    /// Their comments, where they wrote one.
    pub comments: Vec<String>,
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

/// A budget template as the templates page and the wizard show it: a built-in (id is its key) or
/// one of the organization's own (id is its uuid).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TemplateView {
    pub id: String,
    pub name: String,
    pub description: String,
    pub built_in: bool,
    pub spec: tollgate_domain::templates::TemplateSpec,
}

/// What new budgets take from the resolved preferences when a template or the wizard leaves it open.
/// What the budget wizard offers a person: the scopes they may create budgets for, the
/// categories, the templates and the defaults resolved for them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WizardContext {
    /// A fresh one-time key for the create form this context serves (carried in its URL).
    pub request: Uuid,
    /// ("organization" | "team:<id>" | "project:<id>" | "user:<id>", label)
    pub targets: Vec<(String, String)>,
    pub categories: Vec<String>,
    pub templates: Vec<TemplateView>,
    pub defaults: BudgetDefaults,
}

/// Who a new budget's alerts go to, besides its definition: any of `me`, `leads`, `approvers`
/// (`notify`), email addresses, a Slack and a webhook URL.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AlertTargets {
    pub notify: Vec<String>,
    pub emails: Vec<String>,
    pub slack: Option<String>,
    pub webhook: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BudgetDefaults {
    pub currency: String,
    pub thresholds: Vec<u32>,
    pub enforcement: EnforcementMode,
    pub grace_minutes: u32,
    /// Any of me, leads, approvers.
    pub recipients: Vec<String>,
}

impl BudgetDefaults {
    /// Reads the defaults out of resolved preferences; a value that no longer parses falls back to
    /// Tollgate's own.
    pub fn from_resolved(resolved: &[tollgate_domain::preferences::Resolved]) -> Self {
        use tollgate_domain::preferences::{recipients, Key};
        let value = |key: Key| {
            resolved.iter().find(|r| r.key == key).map(|r| r.value.clone()).unwrap_or_else(|| key.built_in().to_owned())
        };
        BudgetDefaults {
            currency: value(Key::Currency),
            thresholds: tollgate_domain::thresholds::parse_thresholds(&value(Key::Thresholds))
                .unwrap_or_else(|_| DEFAULT_THRESHOLDS.to_vec()),
            enforcement: value(Key::Enforcement).parse().unwrap_or(EnforcementMode::HardStop),
            grace_minutes: value(Key::GraceMinutes).parse().unwrap_or(0),
            recipients: recipients(&value(Key::AlertRecipients))
                .unwrap_or_default()
                .into_iter()
                .map(str::to_owned)
                .collect(),
        }
    }
}

impl TemplateView {
    /// The budget this template makes for one scope, with what it leaves open taken from `defaults`.
    pub fn budget_for(
        &self,
        name: String,
        scope: ScopeKind,
        scope_id: Option<Uuid>,
        category: Option<String>,
        defaults: &BudgetDefaults,
    ) -> BudgetInput {
        let s = &self.spec;
        BudgetInput {
            name,
            scope,
            scope_id,
            category,
            period: s.period,
            currency: Some(defaults.currency.clone()),
            cost_soft: s.cost_soft,
            cost_hard: s.cost_hard,
            tokens_soft: s.tokens_soft,
            tokens_hard: s.tokens_hard,
            operations_soft: s.operations_soft,
            operations_hard: s.operations_hard,
            enforcement: s.enforcement.unwrap_or(defaults.enforcement),
            grace_minutes: s.grace_minutes.unwrap_or(defaults.grace_minutes),
            reserve_cost: s.reserve_cost,
            reserve_tokens: 0,
            reserve_operations: 0,
            thresholds: s.thresholds.clone().unwrap_or_else(|| defaults.thresholds.clone()),
            two_approvers_above: None,
            escalate_after_minutes: None,
            escalate_from: None,
        }
    }

    /// One line describing the limits, e.g. "monthly · cost 400 / 500 · tokens – / 5000000".
    pub fn summary(&self) -> String {
        let s = &self.spec;
        let mut parts = vec![s.period.as_str().to_owned()];
        let level = |v: Option<String>| v.unwrap_or_else(|| "–".into());
        if s.cost_hard.is_some() {
            parts.push(format!(
                "cost {} / {}",
                level(s.cost_soft.map(|d| d.to_string())),
                level(s.cost_hard.map(|d| d.to_string()))
            ));
        }
        if s.tokens_hard.is_some() {
            parts.push(format!(
                "tokens {} / {}",
                level(s.tokens_soft.map(|d| d.to_string())),
                level(s.tokens_hard.map(|d| d.to_string()))
            ));
        }
        if s.operations_hard.is_some() {
            parts.push(format!(
                "operations {} / {}",
                level(s.operations_soft.map(|d| d.to_string())),
                level(s.operations_hard.map(|d| d.to_string()))
            ));
        }
        if let Some(mode) = s.enforcement {
            parts.push(mode.as_str().replace('_', " "));
        }
        if let Some(grace) = s.grace_minutes.filter(|g| *g > 0) {
            parts.push(format!("{grace} min grace"));
        }
        if !s.reserve_cost.is_zero() {
            parts.push(format!("reserve {}", s.reserve_cost));
        }
        parts.join(" · ")
    }

    pub fn from_built_in(t: tollgate_domain::templates::BuiltIn) -> Self {
        TemplateView {
            id: t.key.to_owned(),
            name: t.name.to_owned(),
            description: t.description.to_owned(),
            built_in: true,
            spec: t.spec,
        }
    }
}

/// A budget a template or the wizard is about to create, as the preview shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlannedBudget {
    pub input: BudgetInput,
    pub scope_name: String,
    /// Who it will notify: any of me, leads, approvers.
    pub recipients: Vec<String>,
}

/// A person of the organization as the People page lists them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Person {
    pub id: Uuid,
    pub handle: String,
    pub display_name: String,
    pub email: Option<String>,
    pub active: bool,
    pub can_sign_in: bool,
    pub roles: Vec<crate::auth::Role>,
}

/// An API key as the API keys page lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyRow {
    pub id: Uuid,
    pub name: String,
    /// `tg_<prefix>_…`: enough to recognise a key, useless to use it.
    pub prefix: String,
    pub permission: String,
    pub project: Option<String>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeysPage {
    pub keys: Vec<KeyRow>,
    /// Slugs of the organization's projects, for the restriction choice.
    pub projects: Vec<String>,
}
