//! Recording usage that happened: validation and pricing of each event, then the idempotent
//! ledger, budget counters and daily aggregates written in one transaction (`batch`).

pub mod batch;

use crate::backend::engine::counters::to_columns;
use crate::backend::engine::prepare::budgets::{applicable, ApplicableBudget};
use crate::backend::engine::prepare::resolve::{
    check_currency, cost_of, price_at, resolve, OperationInput, Priced, Resolved,
};
use crate::backend::engine::usage::batch::apply_batch;
pub use crate::backend::engine::usage::batch::PreparedEvent;
use crate::backend::engine::EngineError;
use crate::backend::entities::organization;
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use tollgate_domain::pricing::Tokens;
use tollgate_domain::{OperationChain, Usage};
use uuid::Uuid;

/// The event id a settle without one records its usage under, followed by the reservation's id;
/// recorded usage may not take such an id and so cannot stand in for a settle.
pub const SETTLE_EVENT_PREFIX: &str = "reservation-";

/// An event id as given (trimmed): 1 to 200 characters, none of them a control character.
pub fn checked_event_id(given: &str) -> Result<&str, EngineError> {
    let event_id = given.trim();
    if event_id.is_empty() || event_id.len() > 200 {
        return Err(EngineError::InvalidInput("event_id must be 1 to 200 characters".into()));
    }
    crate::backend::engine::prepare::resolve::plain_text(event_id, "event_id")?;
    Ok(event_id)
}

/// Events may be stamped slightly ahead of our clock; more than this is rejected.
const MAX_CLOCK_SKEW: Duration = Duration::minutes(5);
/// How far back usage may be recorded: a year of history to import, and a month to spare.
pub const MAX_EVENT_AGE: Duration = Duration::days(400);

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UsageInput {
    pub event_id: String,
    pub occurred_at: DateTime<Utc>,
    #[serde(flatten)]
    pub operation: OperationInput,
    #[serde(default)]
    pub input_tokens: i64,
    #[serde(default)]
    pub output_tokens: i64,
    /// Of `input_tokens`, those read from the prompt cache (OpenAI's `cached_tokens`, Anthropic's
    /// `cache_read_input_tokens`).
    #[serde(default)]
    pub cached_input_tokens: i64,
    /// Of `input_tokens`, those written to the prompt cache (Anthropic's `cache_creation_input_tokens`).
    #[serde(default)]
    pub cache_write_tokens: i64,
    /// Of `output_tokens`, the reasoning ones (OpenAI's `reasoning_tokens`).
    #[serde(default)]
    pub reasoning_tokens: i64,
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

/// What a batch has already looked up: operations resolved (scope chain, provider) and catalog
/// prices at an instant, so a batch of similar events reads each once.
#[derive(Default)]
pub struct PrepareCache {
    resolved: HashMap<(OperationInput, Option<Uuid>), Resolved>,
    prices: HashMap<(String, String, DateTime<Utc>), Priced>,
}

pub async fn prepare(
    db: &impl ConnectionTrait,
    org: &organization::Model,
    input: &UsageInput,
    allowed_project: Option<Uuid>,
    now: DateTime<Utc>,
    cache: &mut PrepareCache,
) -> Result<PreparedEvent, EngineError> {
    let event_id = checked_event_id(&input.event_id)?;
    if event_id.starts_with(SETTLE_EVENT_PREFIX) {
        return Err(EngineError::InvalidInput(format!(
            "event ids starting with '{SETTLE_EVENT_PREFIX}' are kept for settled reservations"
        )));
    }
    tollgate_domain::limits::check_quantities(input.input_tokens, input.output_tokens, input.operations)
        .map_err(EngineError::InvalidInput)?;
    let tokens = Tokens::reported(
        input.input_tokens,
        input.output_tokens,
        input.cached_input_tokens,
        input.cache_write_tokens,
        input.reasoning_tokens,
    )
    .map_err(EngineError::InvalidInput)?;
    let requests = input.operations.max(0) as u64;
    if input.cost.is_some_and(|c| c.is_sign_negative()) {
        return Err(EngineError::InvalidInput("cost must not be negative".into()));
    }
    if input.occurred_at > now + MAX_CLOCK_SKEW {
        return Err(EngineError::InvalidInput("occurred_at is in the future".into()));
    }
    if input.occurred_at < now - MAX_EVENT_AGE {
        return Err(EngineError::InvalidInput(format!(
            "occurred_at is more than {} days ago; older usage cannot be recorded",
            MAX_EVENT_AGE.num_days()
        )));
    }
    let key = (input.operation.clone(), allowed_project);
    let resolved = match cache.resolved.get(&key) {
        Some(found) => found.clone(),
        None => {
            let found = resolve(db, org, &input.operation, allowed_project).await?;
            cache.resolved.insert(key, found.clone());
            found
        }
    };
    check_currency(&resolved, input.currency.as_deref())?;
    let model = input.operation.model.trim();
    let (cost, pricing, exchange_rate) = match input.cost {
        Some(_) => cost_of(db, &resolved, model, input.cost, &tokens, requests, input.occurred_at).await?,
        None => {
            let key = (resolved.provider.clone(), model.to_owned(), input.occurred_at);
            let priced = match cache.prices.get(&key) {
                Some(found) => *found,
                None => {
                    let found = price_at(db, &resolved, model, input.occurred_at).await?;
                    cache.prices.insert(key, found);
                    found
                }
            };
            (priced.price.cost_of(&tokens, requests), priced.pricing, priced.rate)
        }
    };
    // An amount the counters cannot hold is this event's fault alone: refused here, not in the batch.
    to_columns(&Usage::new(cost, input.input_tokens + input.output_tokens, input.operations))?;
    let priced_model = resolved.priced_by(pricing);
    Ok(PreparedEvent {
        event_id: event_id.to_owned(),
        occurred_at: input.occurred_at,
        chain: resolved.chain,
        new_user: resolved.new_user,
        provider: resolved.provider,
        model: input.operation.model.trim().to_owned(),
        input_tokens: input.input_tokens,
        output_tokens: input.output_tokens,
        cached_input_tokens: input.cached_input_tokens,
        cache_write_tokens: input.cache_write_tokens,
        reasoning_tokens: input.reasoning_tokens,
        cost,
        currency: resolved.currency,
        operations: input.operations,
        pricing,
        priced_model,
        exchange_rate,
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
    let mut cache = PrepareCache::default();
    for input in inputs {
        let result = match input {
            Err(message) => Err((None, "invalid_event".to_owned(), message)),
            Ok(input) => match prepare(db, org, &input, allowed_project, now, &mut cache).await {
                Ok(event) => Ok(event),
                Err(EngineError::Database(e)) => return Err(EngineError::Database(e)),
                Err(e) => Err((
                    Some(input.event_id.clone()),
                    crate::backend::engine::error_code(&e).to_owned(),
                    e.to_string(),
                )),
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
    let written = match write(db, org.id, tz, &prepared, &budgets, now).await {
        // Some event takes a counter past its range: write them one by one, refusing only those.
        Err(EngineError::CounterLimit) => {
            let mut one_by_one = Vec::with_capacity(prepared.len());
            for event in &prepared {
                one_by_one.push(match write(db, org.id, tz, std::slice::from_ref(event), &budgets, now).await {
                    Ok(mut outcome) => outcome.remove(0),
                    Err(error @ EngineError::CounterLimit) => rejected(event, &error),
                    Err(error) => return Err(error),
                });
            }
            one_by_one
        }
        written => written?,
    };
    let mut written = written.into_iter();
    Ok(outcomes
        .into_iter()
        .map(|o| o.unwrap_or_else(|| written.next().expect("one outcome per prepared event")))
        .collect())
}

/// Writes prepared events in one transaction; what became of each.
async fn write(
    db: &DatabaseConnection,
    org_id: Uuid,
    tz: Tz,
    events: &[PreparedEvent],
    budgets: &HashMap<OperationChain, Vec<ApplicableBudget>>,
    now: DateTime<Utc>,
) -> Result<Vec<RecordOutcome>, EngineError> {
    let txn = crate::backend::engine::begin_write(db).await?;
    let inserted = apply_batch(&txn, org_id, tz, events, |chain| &budgets[chain], now).await?;
    txn.commit().await?;
    let outcome = |(event, new): (&PreparedEvent, bool)| match new {
        true => RecordOutcome::Accepted {
            event_id: event.event_id.clone(),
            cost: event.cost,
            pricing: event.pricing.to_owned(),
        },
        false => RecordOutcome::Duplicate { event_id: event.event_id.clone() },
    };
    Ok(events.iter().zip(inserted).map(outcome).collect())
}

fn rejected(event: &PreparedEvent, error: &EngineError) -> RecordOutcome {
    RecordOutcome::Rejected {
        event_id: Some(event.event_id.clone()),
        code: crate::backend::engine::error_code(error).to_owned(),
        message: error.to_string(),
    }
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
    let written = apply_batch(txn, org_id, tz, std::slice::from_ref(event), |_| budgets, now).await?;
    Ok(written[0])
}
