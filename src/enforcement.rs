//! Enforcement decisions: whether an operation may reserve against each applicable budget, and why.

use crate::limits::{EnforcementMode, Limit, Status, Usage};
use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Decision {
    Allow,
    Warn,
    Deny,
}

/// The enforcement settings of one budget.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BudgetRules {
    pub budget_id: Uuid,
    pub limits: Vec<Limit>,
    pub mode: EnforcementMode,
    pub grace: Duration,
    /// Extra allowance beyond the hard level that only `critical` operations may use.
    pub emergency_reserve: Usage,
}

/// What is already committed in the budget's current window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WindowUsage {
    pub spent: Usage,
    pub reserved: Usage,
    /// Sum of approved overrides active at the decision time.
    pub overrides: Usage,
    /// When a hard level was first crossed in this window, if it was.
    pub hard_crossed_at: Option<DateTime<Utc>>,
}

impl WindowUsage {
    pub fn committed(&self) -> Usage {
        self.spent + self.reserved
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckRequest {
    pub amount: Usage,
    pub critical: bool,
    pub now: DateTime<Utc>,
}

/// The verdict of one budget, with the reasons a person can read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BudgetVerdict {
    pub budget_id: Uuid,
    pub decision: Decision,
    pub reasons: Vec<String>,
    /// The operation draws on the emergency reserve.
    pub uses_reserve: bool,
    /// Admitting the operation takes the window past a hard level for the first time.
    pub crosses_hard: bool,
    /// Worst status of the window once the operation is admitted.
    pub status_after: Status,
}

/// Decides one budget. Admitting never takes committed usage past hard + overrides, except
/// through the reserve (critical operations), the grace period, or `soft_warning` mode.
pub fn evaluate(rules: &BudgetRules, window: &WindowUsage, request: &CheckRequest) -> BudgetVerdict {
    let mut verdict = BudgetVerdict {
        budget_id: rules.budget_id,
        decision: Decision::Allow,
        reasons: Vec::new(),
        uses_reserve: false,
        crosses_hard: false,
        status_after: Status::WithinBudget,
    };
    let committed = window.committed();
    for limit in &rules.limits {
        let kind = limit.kind;
        let requested = request.amount.get(kind);
        let after = committed.get(kind) + requested;
        let allowance = limit.hard + window.overrides.get(kind);
        verdict.status_after = verdict.status_after.max(limit.status(after));
        if after <= allowance {
            if limit.soft.is_some_and(|soft| after >= soft) {
                verdict.raise(Decision::Warn, format!("{kind}: {after} of {allowance} is past the soft level"));
            }
            continue;
        }
        if window.hard_crossed_at.is_none() {
            verdict.crosses_hard = true;
        }
        let over = format!("{kind}: {after} would exceed the hard limit of {allowance}");
        if rules.mode == EnforcementMode::SoftWarning {
            verdict.raise(Decision::Warn, format!("{over} (soft_warning mode allows it)"));
        } else if let Some(until) = grace_until(rules, window, request.now) {
            verdict.raise(Decision::Warn, format!("{over}; grace period until {}", until.to_rfc3339()));
        } else if request.critical && after <= allowance + rules.emergency_reserve.get(kind) {
            verdict.uses_reserve = true;
            verdict.raise(Decision::Warn, format!("{over}; critical operation drawn from the emergency reserve"));
        } else {
            let why = if request.critical { "beyond the emergency reserve" } else { "hard_stop" };
            verdict.raise(Decision::Deny, format!("{over} ({why})"));
        }
    }
    verdict
}

/// The end of the grace period if the request falls inside it.
fn grace_until(rules: &BudgetRules, window: &WindowUsage, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    if rules.grace <= Duration::zero() {
        return None;
    }
    let until = window.hard_crossed_at.unwrap_or(now) + rules.grace;
    (now < until).then_some(until)
}

impl BudgetVerdict {
    fn raise(&mut self, decision: Decision, reason: String) {
        self.decision = self.decision.max(decision);
        self.reasons.push(reason);
    }
}

/// The cascade: an operation is denied if any applicable budget denies it.
/// Returns the overall decision and the budget that decided it (the first denial, else the first warning).
pub fn combine(verdicts: &[BudgetVerdict]) -> (Decision, Option<Uuid>) {
    let overall = verdicts.iter().map(|v| v.decision).max().unwrap_or(Decision::Allow);
    let decider = verdicts.iter().find(|v| v.decision == overall && overall != Decision::Allow).map(|v| v.budget_id);
    (overall, decider)
}

/// Remaining allowance of one limit (never negative).
pub fn remaining(limit: &Limit, window: &WindowUsage) -> Decimal {
    (limit.hard + window.overrides.get(limit.kind) - window.committed().get(limit.kind)).max(Decimal::ZERO)
}

#[cfg(test)]
mod tests;
