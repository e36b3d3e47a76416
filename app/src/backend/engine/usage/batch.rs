//! Writing recorded usage in bulk, inside one write transaction: the ledger rows in multi-row
//! inserts, one counter update for all budget windows touched, one upsert per aggregate row touched.
//!
//! The figures are exactly those of writing the events one by one: deltas are summed per counter
//! and per aggregate row, crossings are judged from each window's total before and after.

use crate::backend::engine::alerts::crossings::raise_crossings;
use crate::backend::engine::counters::aggregates::DailySums;
use crate::backend::engine::counters::counting_start::counts_window;
use crate::backend::engine::counters::{lock_counters, spent_and_reserved, to_columns, ZERO};
use crate::backend::engine::decide::counter_changes::CounterChanges;
use crate::backend::engine::prepare::budgets::ApplicableBudget;
use crate::backend::engine::prepare::resolve::register_new_user;
use crate::backend::engine::EngineError;
use crate::backend::entities::usage_event;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ConnectionTrait, EntityTrait, Set};
use std::collections::{BTreeMap, HashMap};
use tollgate_domain::{Currency, OperationChain, Status, Usage, Window};
use uuid::Uuid;

/// Rows per multi-row statement (well under SQLite's limit of bound variables).
const CHUNK: usize = 200;

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
    /// Parts of the input tokens (cache reads, cache writes) and of the output tokens (reasoning).
    pub cached_input_tokens: i64,
    pub cache_write_tokens: i64,
    pub reasoning_tokens: i64,
    pub cost: Decimal,
    pub currency: Currency,
    pub operations: i64,
    pub pricing: &'static str,
    /// The catalog entry that priced it, when the catalog did.
    pub priced_model: Option<String>,
    /// The exchange rate that converted the entry's price to the ledger's currency, if one did.
    pub exchange_rate: Option<Decimal>,
    pub reservation_id: Option<Uuid>,
}

/// The usage added to one budget window by the batch.
struct WindowDelta<'a> {
    budget: &'a ApplicableBudget,
    window: Window,
    usage: Usage,
    /// Events for a window that had already ended when they were recorded.
    late: Vec<usize>,
}

/// Writes the events; returns for each whether it was new (false: its event id was already known,
/// or appeared earlier in the same batch).
pub async fn apply_batch<'a>(
    txn: &impl ConnectionTrait,
    org_id: Uuid,
    tz: Tz,
    events: &[PreparedEvent],
    budgets_of: impl Fn(&OperationChain) -> &'a [ApplicableBudget],
    now: DateTime<Utc>,
) -> Result<Vec<bool>, EngineError> {
    let chains = register_users(txn, events, now).await?;
    let inserted = insert_ledger(txn, org_id, events, &chains, now).await?;

    let mut deltas: BTreeMap<(Uuid, DateTime<Utc>), WindowDelta> = BTreeMap::new();
    let mut daily = DailySums::default();
    for (i, event) in events.iter().enumerate().filter(|(i, _)| inserted[*i]) {
        let usage = Usage::new(event.cost, event.input_tokens + event.output_tokens, event.operations);
        let cost = to_columns(&usage)?[0];
        for budget in budgets_of(&event.chain) {
            let window = budget.period.window_at(event.occurred_at, tz);
            if !counts_window(&budget.model, &window) {
                continue;
            }
            let delta = deltas.entry((budget.model.id, window.start)).or_insert_with(|| WindowDelta {
                budget,
                window,
                usage: Usage::default(),
                late: Vec::new(),
            });
            delta.usage = delta.usage + usage;
            if window.end <= now {
                delta.late.push(i);
            }
        }
        let chain = &chains[i];
        let day = event.occurred_at.with_timezone(&tz).date_naive();
        let key =
            (day, chain.team, chain.project, chain.user, chain.category, event.provider.clone(), event.model.clone());
        daily.add(key, [cost, event.input_tokens, event.output_tokens, event.operations, 1]);
    }

    let pairs: Vec<(Uuid, Window)> = deltas.values().map(|d| (d.budget.model.id, d.window)).collect();
    let mut counters = lock_counters(txn, &pairs).await?;
    let mut changes = CounterChanges::default();
    let mut totals = Vec::with_capacity(deltas.len());
    for ((budget_id, start), delta) in &deltas {
        let counter = counters
            .remove(&(*budget_id, *start))
            .ok_or(sea_orm::DbErr::RecordNotFound(format!("counter of {budget_id}")))?;
        let (before, reserved) = spent_and_reserved(&counter);
        let after = before + delta.usage;
        // The window's total must stay countable; then so does the batch's part of it.
        to_columns(&after).map_err(|_| EngineError::CounterLimit)?;
        let over =
            delta.budget.rules.limits.iter().any(|l| l.status((after + reserved).get(l.kind)) == Status::OverBudget);
        changes.add(*budget_id, *start, to_columns(&delta.usage)?, ZERO)?;
        if over && counter.hard_crossed_at.is_none() {
            changes.mark_hard_crossed(*budget_id, *start, now);
        }
        totals.push((before, after));
    }
    // Written before the crossings are raised: their forecasts read the counters.
    changes.write(txn).await?;
    for (((budget_id, start), delta), (before, after)) in deltas.iter().zip(totals) {
        raise_crossings(txn, delta.budget, delta.window, tz, before, after, now).await?;
        for &i in &delta.late {
            let cost = to_columns(&Usage::new(events[i].cost, 0, 0))?[0];
            flag_if_closed(txn, org_id, *budget_id, *start, &events[i], cost, now).await?;
        }
    }
    daily.write(txn, org_id).await?;
    Ok(inserted)
}

/// Registers users seen for the first time (once per handle) and returns each event's chain.
async fn register_users(
    txn: &impl ConnectionTrait,
    events: &[PreparedEvent],
    now: DateTime<Utc>,
) -> Result<Vec<OperationChain>, EngineError> {
    let mut users: HashMap<&str, Uuid> = HashMap::new();
    let mut chains = Vec::with_capacity(events.len());
    for event in events {
        let chain = match event.new_user.as_deref() {
            None => event.chain,
            Some(handle) => match users.get(handle) {
                Some(id) => OperationChain { user: *id, ..event.chain },
                None => {
                    let chain = register_new_user(txn, event.chain, Some(handle), now).await?;
                    users.insert(handle, chain.user);
                    chain
                }
            },
        };
        chains.push(chain);
    }
    Ok(chains)
}

/// Inserts the ledger rows (duplicates skipped by the unique event id) and tells which were new:
/// those the insert returns. Rows go in event-id order so that two batches sharing event ids wait
/// for each other on PostgreSQL instead of deadlocking.
async fn insert_ledger(
    txn: &impl ConnectionTrait,
    org_id: Uuid,
    events: &[PreparedEvent],
    chains: &[OperationChain],
    now: DateTime<Utc>,
) -> Result<Vec<bool>, EngineError> {
    let mut first_seen: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, event) in events.iter().enumerate() {
        first_seen.entry(event.event_id.as_str()).or_insert(i);
    }
    let mut rows = Vec::with_capacity(first_seen.len());
    let mut index_of_id = HashMap::with_capacity(first_seen.len());
    for &i in first_seen.values() {
        let (event, chain) = (&events[i], &chains[i]);
        let id = Uuid::now_v7();
        index_of_id.insert(id, i);
        rows.push(usage_event::ActiveModel {
            id: Set(id),
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
            cost: Set(to_columns(&Usage::new(event.cost, 0, 0))?[0]),
            currency: Set(event.currency.to_string()),
            operations: Set(event.operations),
            pricing: Set(event.pricing.to_owned()),
            priced_model: Set(event.priced_model.clone()),
            exchange_rate: Set(event.exchange_rate.map(tollgate_domain::money::to_storage).transpose()?),
            cached_input_tokens: Set(event.cached_input_tokens),
            cache_write_tokens: Set(event.cache_write_tokens),
            reasoning_tokens: Set(event.reasoning_tokens),
            reservation_id: Set(event.reservation_id),
            recorded_at: Set(now),
        });
    }
    let mut inserted = vec![false; events.len()];
    for chunk in rows.chunks(CHUNK) {
        let ids: Vec<Uuid> = usage_event::Entity::insert_many(chunk.iter().cloned())
            .on_conflict(
                OnConflict::columns([usage_event::Column::OrgId, usage_event::Column::EventId]).do_nothing().to_owned(),
            )
            .exec_with_returning_keys(txn)
            .await?;
        for id in ids {
            inserted[index_of_id[&id]] = true;
        }
    }
    Ok(inserted)
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
    use crate::backend::entities::window_close;
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
    crate::backend::engine::events::record(
        txn,
        org_id,
        Some(budget_id),
        "late_adjustment",
        Some(window_start),
        detail,
        now,
    )
    .await
}
