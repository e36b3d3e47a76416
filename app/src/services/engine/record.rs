//! Recording usage that happened: the idempotent ledger, budget counters and daily aggregates.

use super::budgets::{applicable, ApplicableBudget};
use super::counters::{active_overrides, adjust, lock_windows, spent_and_reserved, to_columns, window_usage, ZERO};
use super::resolve::{check_currency, cost_of, register_new_user, resolve, OperationInput};
use super::EngineError;
use crate::entities::{daily_usage, organization, usage_event};
use crate::services::alerts::crossings::raise_crossings;
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, Set};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use tollgate_domain::{Currency, OperationChain, Status, Usage};
use uuid::Uuid;

/// Events may be stamped slightly ahead of our clock; more than this is rejected.
const MAX_CLOCK_SKEW: Duration = Duration::minutes(5);

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct UsageInput {
    pub event_id: String,
    pub occurred_at: DateTime<Utc>,
    #[serde(flatten)]
    pub operation: OperationInput,
    #[serde(default)]
    pub input_tokens: i64,
    #[serde(default)]
    pub output_tokens: i64,
    #[serde(default)]
    pub cost: Option<Decimal>,
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default = "one")]
    pub operations: i64,
}

fn one() -> i64 {
    1
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
#[derive(utoipa::ToSchema)]
pub enum RecordOutcome {
    /// `pricing` says where the cost came from: explicit, catalog, or fallback (a flagged, declared
    /// price for a model missing from the catalog).
    Accepted {
        event_id: String,
        cost: Decimal,
        pricing: String,
    },
    Duplicate {
        event_id: String,
    },
    Rejected {
        event_id: Option<String>,
        code: String,
        message: String,
    },
}

/// A validated, priced event ready to be written.
pub struct PreparedEvent {
    pub event_id: String,
    pub occurred_at: DateTime<Utc>,
    pub chain: OperationChain,
    /// Registered by `apply` when the event is written.
    pub new_user: Option<String>,
    pub provider: String,
    pub model: String,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub cost: Decimal,
    pub currency: Currency,
    pub operations: i64,
    pub pricing: &'static str,
    pub reservation_id: Option<Uuid>,
}

pub async fn prepare(
    db: &impl ConnectionTrait,
    org: &organization::Model,
    input: &UsageInput,
    allowed_project: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<PreparedEvent, EngineError> {
    let event_id = input.event_id.trim();
    if event_id.is_empty() || event_id.len() > 200 {
        return Err(EngineError::InvalidInput("event_id must be 1 to 200 characters".into()));
    }
    tollgate_domain::limits::check_quantities(input.input_tokens, input.output_tokens, input.operations)
        .map_err(EngineError::InvalidInput)?;
    if input.cost.is_some_and(|c| c.is_sign_negative()) {
        return Err(EngineError::InvalidInput("cost must not be negative".into()));
    }
    if input.occurred_at > now + MAX_CLOCK_SKEW {
        return Err(EngineError::InvalidInput("occurred_at is in the future".into()));
    }
    let resolved = resolve(db, org, &input.operation, allowed_project).await?;
    check_currency(&resolved, input.currency.as_deref())?;
    let (cost, pricing) = cost_of(
        db,
        &resolved,
        &input.operation.model,
        input.cost,
        input.input_tokens,
        input.output_tokens,
        input.occurred_at,
    )
    .await?;
    Ok(PreparedEvent {
        event_id: event_id.to_owned(),
        occurred_at: input.occurred_at,
        chain: resolved.chain,
        new_user: resolved.new_user,
        provider: resolved.provider,
        model: input.operation.model.trim().to_owned(),
        input_tokens: input.input_tokens,
        output_tokens: input.output_tokens,
        cost,
        currency: resolved.currency,
        operations: input.operations,
        pricing,
        reservation_id: None,
    })
}

/// Validates each event on its own, then writes all valid ones in one transaction.
/// An invalid event is reported and skipped; it never takes valid ones down with it.
pub async fn record_usage(
    db: &DatabaseConnection,
    org: &organization::Model,
    inputs: Vec<Result<UsageInput, String>>,
    allowed_project: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<Vec<RecordOutcome>, EngineError> {
    let mut outcomes = Vec::with_capacity(inputs.len());
    let mut prepared = Vec::new();
    let mut budgets: HashMap<OperationChain, Vec<ApplicableBudget>> = HashMap::new();
    for input in inputs {
        let result = match input {
            Err(message) => Err((None, "invalid_event".to_owned(), message)),
            Ok(input) => match prepare(db, org, &input, allowed_project, now).await {
                Ok(event) => Ok(event),
                Err(EngineError::Database(e)) => return Err(EngineError::Database(e)),
                Err(e) => Err((Some(input.event_id.clone()), super::error_code(&e).to_owned(), e.to_string())),
            },
        };
        match result {
            Ok(event) => {
                if let std::collections::hash_map::Entry::Vacant(slot) = budgets.entry(event.chain) {
                    slot.insert(applicable(db, &event.chain).await?);
                }
                outcomes.push(None);
                prepared.push(event);
            }
            Err((event_id, code, message)) => outcomes.push(Some(RecordOutcome::Rejected { event_id, code, message })),
        }
    }
    let tz: Tz = org.timezone.parse().unwrap_or(Tz::UTC);
    let txn = super::begin_write(db).await?;
    let mut written = Vec::with_capacity(prepared.len());
    for event in &prepared {
        let inserted = apply(&txn, org.id, tz, event, &budgets[&event.chain], now).await?;
        written.push(if inserted {
            RecordOutcome::Accepted {
                event_id: event.event_id.clone(),
                cost: event.cost,
                pricing: event.pricing.to_owned(),
            }
        } else {
            RecordOutcome::Duplicate { event_id: event.event_id.clone() }
        });
    }
    txn.commit().await?;
    let mut written = written.into_iter();
    Ok(outcomes
        .into_iter()
        .map(|o| o.unwrap_or_else(|| written.next().expect("one outcome per prepared event")))
        .collect())
}

/// Writes one event: ledger row (skipped as a duplicate when its id is known), spent amounts on
/// every applicable budget's window, and the daily aggregate. Returns whether it was new.
pub async fn apply(
    txn: &impl ConnectionTrait,
    org_id: Uuid,
    tz: Tz,
    event: &PreparedEvent,
    budgets: &[ApplicableBudget],
    now: DateTime<Utc>,
) -> Result<bool, EngineError> {
    let usage = Usage::new(event.cost, event.input_tokens + event.output_tokens, event.operations);
    let columns = to_columns(&usage)?;
    let chain = register_new_user(txn, event.chain, event.new_user.as_deref(), now).await?;
    let row = usage_event::ActiveModel {
        id: Set(Uuid::now_v7()),
        org_id: Set(org_id),
        event_id: Set(event.event_id.clone()),
        occurred_at: Set(event.occurred_at),
        user_id: Set(chain.user),
        team_id: Set(chain.team),
        project_id: Set(chain.project),
        category_id: Set(chain.category),
        provider: Set(event.provider.clone()),
        model: Set(event.model.clone()),
        input_tokens: Set(event.input_tokens),
        output_tokens: Set(event.output_tokens),
        cost: Set(columns[0]),
        currency: Set(event.currency.to_string()),
        operations: Set(event.operations),
        pricing: Set(event.pricing.to_owned()),
        reservation_id: Set(event.reservation_id),
        recorded_at: Set(now),
    };
    let inserted = usage_event::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([usage_event::Column::OrgId, usage_event::Column::EventId]).do_nothing().to_owned(),
        )
        .exec_without_returning(txn)
        .await?;
    if inserted == 0 {
        return Ok(false);
    }
    let windows = lock_windows(txn, budgets, event.occurred_at, tz).await?;
    let ids: Vec<Uuid> = budgets.iter().map(|b| b.model.id).collect();
    let overrides = active_overrides(txn, &ids, now).await?;
    for (budget, locked) in budgets.iter().zip(&windows) {
        let mut after = window_usage(&locked.counter, overrides.get(&budget.model.id).copied().unwrap_or_default());
        after.spent = after.spent + usage;
        let over = budget.rules.limits.iter().any(|l| l.status(after.committed().get(l.kind)) == Status::OverBudget);
        let crossed = (over && locked.counter.hard_crossed_at.is_none()).then_some(now);
        adjust(txn, budget.model.id, locked.window.start, columns, ZERO, crossed).await?;
        let before = spent_and_reserved(&locked.counter).0;
        raise_crossings(txn, budget, locked.window, tz, before, before + usage, now).await?;
        if locked.window.end <= now {
            flag_if_closed(txn, org_id, budget.model.id, locked.window.start, event, columns[0], now).await?;
        }
    }
    add_to_daily(txn, org_id, tz, &chain, event, columns[0]).await?;
    Ok(true)
}

/// Usage for a window that was already closed changes its counter, never its snapshot: it is
/// flagged in the budget's history so reports show it as a late adjustment.
async fn flag_if_closed(
    txn: &impl ConnectionTrait,
    org_id: Uuid,
    budget_id: Uuid,
    window_start: DateTime<Utc>,
    event: &PreparedEvent,
    cost: i64,
    now: DateTime<Utc>,
) -> Result<(), EngineError> {
    use crate::entities::window_close;
    use sea_orm::{ColumnTrait, QueryFilter};
    let closed = window_close::Entity::find()
        .filter(window_close::Column::BudgetId.eq(budget_id))
        .filter(window_close::Column::WindowStart.eq(window_start))
        .one(txn)
        .await?;
    if closed.is_none() {
        return Ok(());
    }
    let detail = serde_json::json!({
        "event_id": event.event_id, "occurred_at": event.occurred_at,
        "cost": tollgate_domain::money::from_storage(cost), "currency": event.currency.to_string(),
        "tokens": event.input_tokens + event.output_tokens, "operations": event.operations,
    });
    super::events::record(txn, org_id, Some(budget_id), "late_adjustment", Some(window_start), detail, now).await
}

async fn add_to_daily(
    txn: &impl ConnectionTrait,
    org_id: Uuid,
    tz: Tz,
    chain: &OperationChain,
    event: &PreparedEvent,
    cost: i64,
) -> Result<(), EngineError> {
    use daily_usage::Column as C;
    let row = daily_usage::ActiveModel {
        org_id: Set(org_id),
        day: Set(event.occurred_at.with_timezone(&tz).date_naive()),
        team_id: Set(chain.team),
        project_id: Set(chain.project),
        user_id: Set(chain.user),
        category_id: Set(chain.category),
        provider: Set(event.provider.clone()),
        model: Set(event.model.clone()),
        cost: Set(cost),
        input_tokens: Set(event.input_tokens),
        output_tokens: Set(event.output_tokens),
        operations: Set(event.operations),
        events: Set(1),
    };
    let add = |column: C, name: &str| {
        (column, Expr::col((daily_usage::Entity, column)).add(Expr::cust(format!("excluded.{name}"))))
    };
    daily_usage::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([
                C::OrgId,
                C::Day,
                C::TeamId,
                C::ProjectId,
                C::UserId,
                C::CategoryId,
                C::Provider,
                C::Model,
            ])
            .values([
                add(C::Cost, "cost"),
                add(C::InputTokens, "input_tokens"),
                add(C::OutputTokens, "output_tokens"),
                add(C::Operations, "operations"),
                add(C::Events, "events"),
            ])
            .to_owned(),
        )
        .exec_without_returning(txn)
        .await?;
    Ok(())
}
