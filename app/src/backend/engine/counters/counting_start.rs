//! A budget begins counting when it is created or enabled: its current window takes in the usage
//! the ledger already holds for it, so a new $10 budget over $5 already spent starts at $5. Windows
//! that ended before then are not the budget's to count (`counts_window`); reconciliation agrees.

use crate::backend::engine::counters::{counter_row, ZERO};
use crate::backend::engine::decide::counter_changes::AMOUNTS;
use crate::backend::engine::prepare::budgets::to_domain;
use crate::backend::engine::EngineError;
use crate::backend::entities::{budget, budget_counter, usage_event};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, QueryTrait};
use tollgate_domain::{ScopeKind, Window};

/// Whether a budget counts usage in `window`: only windows that end after it began counting.
pub fn counts_window(budget: &budget::Model, window: &Window) -> bool {
    window.end > budget.counting_since()
}

/// Sets the spent amounts of the budget's window at `now` to the ledger's usage in that window (its
/// reserved amounts stay: reservations release what they hold). Run in the write transaction that
/// creates or enables the budget.
pub async fn begin_counting(
    txn: &impl ConnectionTrait,
    model: &budget::Model,
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<(), EngineError> {
    let budget = to_domain(model.clone())?;
    let window = budget.period.window_at(now, tz);
    let scope_column = match budget.scope.kind {
        ScopeKind::Organization => usage_event::Column::OrgId,
        ScopeKind::Team => usage_event::Column::TeamId,
        ScopeKind::Project => usage_event::Column::ProjectId,
        ScopeKind::User => usage_event::Column::UserId,
    };
    // CAST: PostgreSQL sums bigints as numeric; a sum past the range fails as "bigint out of range".
    let (cost, tokens, operations): (i64, i64, i64) = usage_event::Entity::find()
        .select_only()
        .expr(Expr::cust("CAST(COALESCE(SUM(cost), 0) AS BIGINT)"))
        .expr(Expr::cust("CAST(COALESCE(SUM(input_tokens + output_tokens), 0) AS BIGINT)"))
        .expr(Expr::cust("CAST(COALESCE(SUM(operations), 0) AS BIGINT)"))
        .filter(usage_event::Column::OrgId.eq(model.org_id))
        .filter(scope_column.eq(budget.scope.id))
        .apply_if(budget.scope.category, |query, category| query.filter(usage_event::Column::CategoryId.eq(category)))
        .filter(usage_event::Column::OccurredAt.gte(window.start))
        .filter(usage_event::Column::OccurredAt.lt(window.end))
        .into_tuple()
        .one(txn)
        .await?
        .unwrap_or_default();
    if (cost, tokens, operations) == (0, 0, 0) {
        // Nothing to take in: a window without a row stays without one (a budget never used can
        // still be deleted); one with a row, from before the budget was disabled, starts over.
        budget_counter::Entity::update_many()
            .col_expr(budget_counter::Column::CostSpent, Expr::value(0_i64))
            .col_expr(budget_counter::Column::TokensSpent, Expr::value(0_i64))
            .col_expr(budget_counter::Column::OperationsSpent, Expr::value(0_i64))
            .filter(budget_counter::Column::BudgetId.eq(model.id))
            .filter(budget_counter::Column::WindowStart.eq(window.start))
            .exec(txn)
            .await?;
        return Ok(());
    }
    let row = counter_row(model.id, &window, [cost, tokens, operations], ZERO);
    let spent = OnConflict::columns([budget_counter::Column::BudgetId, budget_counter::Column::WindowStart])
        .update_columns(AMOUNTS[..3].iter().copied())
        .to_owned();
    budget_counter::Entity::insert(row).on_conflict(spent).exec_without_returning(txn).await?;
    Ok(())
}
