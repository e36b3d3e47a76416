//! Budget window counters: created on first use, locked in a fixed order, read as usage.

pub mod aggregates;
pub mod counting_start;

use crate::backend::engine::{prepare::budgets::ApplicableBudget, EngineError};
use crate::backend::entities::{budget_counter, budget_override};
use crate::backend::queries::sum_i64;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use sea_orm::sea_query::{Expr, ExprTrait, Func, InsertStatement, OnConflict, Query, SelectStatement};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, FromQueryResult, Iterable, QueryFilter, QueryResult,
    QueryTrait, Set, Statement,
};
use std::collections::HashMap;
use tollgate_domain::money::{from_storage, to_storage};
use tollgate_domain::{Usage, Window, WindowUsage};
use uuid::Uuid;

/// Amounts as stored: [cost in billionths, tokens, operations].
pub type Columns = [i64; 3];

pub fn to_columns(usage: &Usage) -> Result<Columns, EngineError> {
    let whole = |d: Decimal, what: &str| {
        d.trunc()
            .to_i64()
            .filter(|_| d.fract().is_zero())
            .ok_or_else(|| EngineError::InvalidInput(format!("{what} must be a whole number")))
    };
    Ok([to_storage(usage.cost)?, whole(usage.tokens, "tokens")?, whole(usage.operations, "operations")?])
}

/// A counter row of a budget's window holding these amounts, never over its hard level yet.
pub fn counter_row(budget_id: Uuid, window: &Window, spent: Columns, reserved: Columns) -> budget_counter::ActiveModel {
    let ([cost, tokens, operations], [cost_reserved, tokens_reserved, operations_reserved]) = (spent, reserved);
    budget_counter::ActiveModel {
        budget_id: Set(budget_id),
        window_start: Set(window.start),
        window_end: Set(window.end),
        cost_spent: Set(cost),
        tokens_spent: Set(tokens),
        operations_spent: Set(operations),
        cost_reserved: Set(cost_reserved),
        tokens_reserved: Set(tokens_reserved),
        operations_reserved: Set(operations_reserved),
        hard_crossed_at: Set(None),
    }
}

pub fn from_columns([cost, tokens, operations]: Columns) -> Usage {
    Usage { cost: from_storage(cost), tokens: Decimal::from(tokens), operations: Decimal::from(operations) }
}

pub struct LockedWindow {
    pub window: Window,
    pub counter: budget_counter::Model,
}

/// Creates the missing counter rows of each budget's window at `at` and locks them all inside a
/// write transaction (`begin_write`); returns them in the budgets' order.
pub async fn lock_windows(
    txn: &impl ConnectionTrait,
    budgets: &[ApplicableBudget],
    at: DateTime<Utc>,
    tz: Tz,
) -> Result<Vec<LockedWindow>, EngineError> {
    let windows: Vec<(Uuid, Window)> = budgets.iter().map(|b| (b.model.id, b.period.window_at(at, tz))).collect();
    let mut rows = lock_counters(txn, &windows).await?;
    windows
        .into_iter()
        .map(|(budget_id, window)| {
            let counter = rows
                .remove(&(budget_id, window.start))
                .ok_or(sea_orm::DbErr::RecordNotFound(format!("counter of {budget_id}")))?;
            Ok(LockedWindow { window, counter })
        })
        .collect()
}

/// Creates the missing counter rows of these (budget, window) pairs and locks them all in one
/// statement. The upsert visits rows in (budget, window start) order, so concurrent transactions
/// on PostgreSQL lock in the same order and cannot deadlock; SQLite's write transaction already
/// holds the database's single write lock.
pub async fn lock_counters(
    txn: &impl ConnectionTrait,
    pairs: &[(Uuid, Window)],
) -> Result<HashMap<(Uuid, DateTime<Utc>), budget_counter::Model>, EngineError> {
    Ok(upsert_counters(txn, pairs, None).await?.into_iter().map(|(key, (counter, _))| (key, counter)).collect())
}

/// A counter row's key: its budget and window start.
pub type CounterKey = (Uuid, DateTime<Utc>);
/// A locked counter row and its budget's active overrides.
pub type WithOverrides = (budget_counter::Model, Usage);
/// Locked counter rows, each with its budget's active overrides.
pub type Locked = HashMap<CounterKey, WithOverrides>;

/// `lock_counters`, each row with the sum of its budget's overrides active at `now`, read by the
/// same statement (one round trip fewer for a batch of checks).
pub async fn lock_counters_with_overrides(
    txn: &impl ConnectionTrait,
    pairs: &[(Uuid, Window)],
    now: DateTime<Utc>,
) -> Result<Locked, EngineError> {
    upsert_counters(txn, pairs, Some(now)).await
}

/// The statement `lock_counters_with_overrides` sends for these pairs (none for no pairs); each row
/// also returns `extra` after the counter and its overrides (from position `extra_at()`).
pub fn lock_statement_with_overrides(
    backend: DbBackend,
    pairs: &[(Uuid, Window)],
    now: DateTime<Utc>,
    extra: Vec<Expr>,
) -> Option<Statement> {
    counters_upsert(pairs, Some(now), extra).map(|upsert| backend.build(&upsert))
}

/// Where the columns a lock statement returns after each counter and its overrides begin.
pub fn extra_at() -> usize {
    overrides_at() + 3
}

/// Where the overrides' sums are in a row of the lock statement: right after the counter's columns.
pub fn overrides_at() -> usize {
    budget_counter::Column::iter().count()
}

/// A row of the lock statement with overrides: its counter, by (budget, window start), and the
/// overrides, in the unnamed columns right after the counter's own.
pub fn locked_with_overrides(row: &QueryResult) -> Result<(CounterKey, WithOverrides), DbErr> {
    let counter = budget_counter::Model::from_query_result(row, "")?;
    let amount = |n: usize| row.try_get_by_index::<i64>(overrides_at() + n);
    let overrides = from_columns([amount(0)?, amount(1)?, amount(2)?]);
    Ok(((counter.budget_id, counter.window_start), (counter, overrides)))
}

async fn upsert_counters(
    txn: &impl ConnectionTrait,
    pairs: &[(Uuid, Window)],
    overrides_at: Option<DateTime<Utc>>,
) -> Result<Locked, EngineError> {
    let Some(upsert) = counters_upsert(pairs, overrides_at, Vec::new()) else {
        return Ok(HashMap::new());
    };
    let rows = txn.query_all(&upsert).await?;
    let mut locked = HashMap::with_capacity(rows.len());
    for row in rows {
        let (key, value) = match overrides_at {
            Some(_) => locked_with_overrides(&row)?,
            None => {
                let counter = budget_counter::Model::from_query_result(&row, "")?;
                ((counter.budget_id, counter.window_start), (counter, Usage::default()))
            }
        };
        locked.insert(key, value);
    }
    Ok(locked)
}

/// The upsert that creates the missing counter rows of these pairs and returns them all (with their
/// budgets' overrides active at `overrides_at`, when given, then `extra`), visiting them in lock order.
fn counters_upsert(
    pairs: &[(Uuid, Window)],
    overrides_at: Option<DateTime<Utc>>,
    extra: Vec<Expr>,
) -> Option<InsertStatement> {
    use budget_counter::Column as C;
    let mut in_lock_order = pairs.to_vec();
    in_lock_order.sort_by_key(|(budget_id, w)| (*budget_id, w.start));
    in_lock_order.dedup_by_key(|(budget_id, w)| (*budget_id, w.start));
    if in_lock_order.is_empty() {
        return None;
    }
    let fresh = in_lock_order.iter().map(|(budget_id, w)| counter_row(*budget_id, w, ZERO, ZERO));
    // `DO UPDATE` rather than `DO NOTHING`: it locks and returns existing rows. It sets a column to
    // itself, one outside the key: SQLite rewrites every index holding a column that is set.
    let unchanged = Expr::col((budget_counter::Entity, C::WindowEnd));
    let mut upsert = budget_counter::Entity::insert_many(fresh)
        .on_conflict(OnConflict::columns([C::BudgetId, C::WindowStart]).value(C::WindowEnd, unchanged).to_owned())
        .into_query();
    let mut returned: Vec<Expr> = C::iter().map(|column| Expr::col((budget_counter::Entity, column))).collect();
    if let Some(now) = overrides_at {
        use budget_override::Column as O;
        returned.extend([O::Cost, O::Tokens, O::Operations].map(|column| {
            let active = active_override_sum(column, now, Expr::col((budget_counter::Entity, C::BudgetId)));
            Expr::SubQuery(None, Box::new(active.into()))
        }));
    }
    returned.extend(extra);
    upsert.returning(Query::returning().exprs(returned));
    Some(upsert)
}

/// The sum of one amount (`column`) of a budget's overrides active at `now`; `budget` is that
/// budget's id, usually a column of the enclosing query.
pub fn active_override_sum(column: budget_override::Column, now: DateTime<Utc>, budget: Expr) -> SelectStatement {
    use budget_override::Column as O;
    Query::select()
        .expr(Func::coalesce([sum_i64(column), Expr::val(0i64)]))
        .from(budget_override::Entity)
        .and_where(Expr::col((budget_override::Entity, O::BudgetId)).eq(budget))
        .and_where(Expr::col(O::StartsAt).lte(now))
        .and_where(Expr::col(O::ExpiresAt).gt(now))
        .to_owned()
}

pub fn spent_and_reserved(counter: &budget_counter::Model) -> (Usage, Usage) {
    (
        from_columns([counter.cost_spent, counter.tokens_spent, counter.operations_spent]),
        from_columns([counter.cost_reserved, counter.tokens_reserved, counter.operations_reserved]),
    )
}

pub fn window_usage(counter: &budget_counter::Model, overrides: Usage) -> WindowUsage {
    let (spent, reserved) = spent_and_reserved(counter);
    WindowUsage { spent, reserved, overrides, hard_crossed_at: counter.hard_crossed_at }
}

/// Sum of each budget's overrides active at `now`.
pub async fn active_overrides(
    db: &impl ConnectionTrait,
    budget_ids: &[Uuid],
    now: DateTime<Utc>,
) -> Result<HashMap<Uuid, Usage>, DbErr> {
    let rows = budget_override::Entity::find()
        .filter(budget_override::Column::BudgetId.is_in(budget_ids.iter().copied()))
        .filter(budget_override::Column::StartsAt.lte(now))
        .filter(budget_override::Column::ExpiresAt.gt(now))
        .all(db)
        .await?;
    let mut sums: HashMap<Uuid, Usage> = HashMap::new();
    for o in rows {
        let entry = sums.entry(o.budget_id).or_default();
        *entry = *entry + from_columns([o.cost, o.tokens, o.operations]);
    }
    Ok(sums)
}

pub fn negate(columns: Columns) -> Columns {
    columns.map(|v| -v)
}

pub const ZERO: Columns = [0; 3];
