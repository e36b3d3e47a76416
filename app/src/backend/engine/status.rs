//! Per-budget reports of a window (levels, spent, reserved, remaining, status) and the status query.

use crate::backend::engine::counters::{active_overrides, spent_and_reserved};
use crate::backend::engine::prepare::budgets::{to_domain, ApplicableBudget};
use crate::backend::engine::prepare::config_cache::ConfigCache;
pub use crate::backend::engine::prepare::status_budgets::StatusQuery;
use crate::backend::engine::EngineError;
use crate::backend::entities::{budget, budget_counter, organization};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use tollgate_domain::{LimitKind, Status, Usage, Window};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LimitReport {
    pub limit_type: LimitKind,
    pub soft: Option<Decimal>,
    pub hard: Decimal,
    /// Active overrides added to the hard level.
    pub overrides: Decimal,
    pub spent: Decimal,
    pub reserved: Decimal,
    pub remaining: Decimal,
    pub percent_used: Decimal,
    pub status: Status,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BudgetReport {
    pub budget_id: Uuid,
    pub name: String,
    pub scope: String,
    pub scope_id: Uuid,
    pub category_id: Option<Uuid>,
    pub period: String,
    pub window_start: DateTime<Utc>,
    pub window_end: DateTime<Utc>,
    pub currency: String,
    pub enforcement: String,
    pub status: Status,
    pub limits: Vec<LimitReport>,
}

pub fn report(
    budget: &ApplicableBudget,
    window: Window,
    spent: Usage,
    reserved: Usage,
    overrides: Usage,
) -> BudgetReport {
    let limits: Vec<LimitReport> = budget
        .rules
        .limits
        .iter()
        .map(|limit| {
            let kind = limit.kind;
            let allowance = limit.hard + overrides.get(kind);
            let committed = spent.get(kind) + reserved.get(kind);
            LimitReport {
                limit_type: kind,
                soft: limit.soft,
                hard: limit.hard,
                overrides: overrides.get(kind),
                spent: spent.get(kind),
                reserved: reserved.get(kind),
                remaining: (allowance - committed).max(Decimal::ZERO),
                percent_used: (committed * Decimal::ONE_HUNDRED / allowance).round_dp(2),
                status: limit.status_with_overrides(committed, overrides.get(kind)),
            }
        })
        .collect();
    BudgetReport {
        budget_id: budget.model.id,
        name: budget.model.name.clone(),
        scope: budget.scope.kind.as_str().to_owned(),
        scope_id: budget.scope.id,
        category_id: budget.scope.category,
        period: budget.period.as_str().to_owned(),
        window_start: window.start,
        window_end: window.end,
        currency: budget.model.currency.clone(),
        enforcement: budget.model.enforcement.clone(),
        status: limits.iter().map(|l| l.status).max().unwrap_or(Status::WithinBudget),
        limits,
    }
}

/// The current status of the budgets that apply to a project (and optionally a user and category),
/// with the budgets from the configuration cache when it holds them at the current configuration
/// version (the counters are always read). Read-only: unknown users are not registered here.
pub async fn status_cached(
    cache: &ConfigCache,
    db: &impl ConnectionTrait,
    org: &organization::Model,
    query: &StatusQuery,
    now: DateTime<Utc>,
) -> Result<Vec<BudgetReport>, EngineError> {
    let budgets = cache.status_budgets(db, org, query).await?;
    reports_at(db, &budgets, org.timezone.parse().unwrap_or(Tz::UTC), now).await
}

/// One budget's report for the window containing `now` (the budget pages and the request queue).
pub async fn current_report(
    db: &impl ConnectionTrait,
    model: budget::Model,
    timezone: &str,
    now: DateTime<Utc>,
) -> Result<BudgetReport, EngineError> {
    Ok(current_reports(db, vec![model], timezone, now).await?.remove(0))
}

/// The current reports of many budgets (a list page) in a few queries however many there are.
pub async fn current_reports(
    db: &impl ConnectionTrait,
    models: Vec<budget::Model>,
    timezone: &str,
    now: DateTime<Utc>,
) -> Result<Vec<BudgetReport>, EngineError> {
    let budgets = models.into_iter().map(to_domain).collect::<Result<Vec<_>, _>>()?;
    reports_at(db, &budgets, timezone.parse().unwrap_or(Tz::UTC), now).await
}

/// The reports of these budgets for their windows at `now`: counters and overrides read in one
/// query each (per 500 budgets).
async fn reports_at(
    db: &impl ConnectionTrait,
    budgets: &[ApplicableBudget],
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<Vec<BudgetReport>, EngineError> {
    let windows: Vec<Window> = budgets.iter().map(|b| b.period.window_at(now, tz)).collect();
    let ids: Vec<Uuid> = budgets.iter().map(|b| b.model.id).collect();
    let starts: std::collections::BTreeSet<DateTime<Utc>> = windows.iter().map(|w| w.start).collect();
    let mut counters: HashMap<(Uuid, DateTime<Utc>), budget_counter::Model> = HashMap::new();
    let mut overrides = HashMap::new();
    for chunk in ids.chunks(500) {
        let rows = budget_counter::Entity::find()
            .filter(budget_counter::Column::BudgetId.is_in(chunk.iter().copied()))
            .filter(budget_counter::Column::WindowStart.is_in(starts.iter().copied()))
            .all(db)
            .await?;
        counters.extend(rows.into_iter().map(|c| ((c.budget_id, c.window_start), c)));
        overrides.extend(active_overrides(db, chunk, now).await?);
    }
    Ok(budgets
        .iter()
        .zip(windows)
        .map(|(budget, window)| {
            let counter = counters.get(&(budget.model.id, window.start));
            let (spent, reserved) = counter.map(spent_and_reserved).unwrap_or_default();
            let extra = overrides.get(&budget.model.id).copied().unwrap_or_default();
            report(budget, window, spent, reserved, extra)
        })
        .collect())
}
