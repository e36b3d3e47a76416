//! Check-and-reserve: validate and price an operation (from the configuration cache or fresh),
//! then decide it against every applicable budget and hold its estimate (`decide`).

use crate::backend::engine::counters::to_columns;
use crate::backend::engine::prepare::budgets::ApplicableBudget;
use crate::backend::engine::prepare::config_cache::{ConfigCache, Lookup};
use crate::backend::engine::prepare::resolve::{check_currency, OperationInput};
use crate::backend::engine::status::BudgetReport;
use crate::backend::engine::EngineError;
use crate::backend::entities::organization;
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;
use sea_orm::ConnectionTrait;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use tollgate_domain::money::round_for_storage;
use tollgate_domain::{Decision, OperationChain, Usage};
use uuid::Uuid;

pub const DEFAULT_TTL_SECONDS: i64 = 300;
pub const MAX_TTL_SECONDS: i64 = 24 * 3600;

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckInput {
    #[serde(flatten)]
    pub operation: OperationInput,
    #[serde(default)]
    pub estimated_input_tokens: Option<i64>,
    #[serde(default)]
    pub max_output_tokens: Option<i64>,
    #[serde(default)]
    pub estimated_cost: Option<Decimal>,
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default)]
    pub critical: bool,
    #[serde(default = "yes")]
    pub reserve: bool,
    #[serde(default)]
    pub ttl_seconds: Option<i64>,
    /// Whether the answer lists every applicable budget's current figures (`budgets`); a gateway
    /// that needs only the decision and the reservation can leave them out.
    #[serde(default = "yes")]
    pub include_budgets: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CheckOutcome {
    pub decision: Decision,
    pub reservation_id: Option<Uuid>,
    pub expires_at: Option<DateTime<Utc>>,
    /// The budget whose verdict decided a warning or denial.
    pub decided_by: Option<Uuid>,
    pub reasons: Vec<String>,
    pub estimate: Usage,
    /// Every applicable budget's window as this check left it; empty when the check asked for
    /// none (`include_budgets: false`).
    pub budgets: Vec<BudgetReport>,
    /// On a denial: where the caller's user can ask an approver for an override of the deciding
    /// budget (`POST` with `user`, `kind`, amounts, `until` and `reason`).
    pub request_more: Option<String>,
    /// On a denial: the deciding budget's page, where a person asks for more in the browser (a
    /// path on this Tollgate, to show to the user).
    pub request_more_page: Option<String>,
}

/// A check validated, resolved and priced outside any transaction: what `decide_checks` needs.
#[derive(Clone)]
pub struct PreparedCheck {
    pub org: organization::Model,
    pub input: CheckInput,
    pub allowed_project: Option<Uuid>,
    /// The API key the check is made with: its reservation can be ended only by that key (or an
    /// admin key).
    pub key_id: Option<Uuid>,
    /// The configuration version its lookups were cached at (`None`: read fresh, not cached).
    pub config_version: Option<i64>,
    pub chain: OperationChain,
    pub new_user: Option<String>,
    pub estimate: Usage,
    /// Shared with the configuration cache's entry.
    pub budgets: Arc<[ApplicableBudget]>,
    pub tz: Tz,
    pub now: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// Validates a check and looks up everything it needs without writing.
pub async fn prepare_check(
    db: &impl ConnectionTrait,
    org: &organization::Model,
    input: &CheckInput,
    allowed_project: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<PreparedCheck, EngineError> {
    let ttl = validate(input)?;
    let lookup = Lookup::load(db, org, &input.operation, allowed_project).await?;
    finish(org, input, allowed_project, (&lookup, None), ttl, now)
}

/// `prepare_check` with the lookups taken from the process's configuration cache; the check
/// carries the version they are valid at, so the batch transaction can tell whether they still are.
pub async fn prepare_cached_check(
    cache: &ConfigCache,
    db: &impl ConnectionTrait,
    org: &organization::Model,
    input: &CheckInput,
    allowed_project: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<PreparedCheck, EngineError> {
    let ttl = validate(input)?;
    let (lookup, version) = cache.lookup(db, org, &input.operation, allowed_project).await?;
    match finish(org, input, allowed_project, (&lookup, Some(version)), ttl, now) {
        Ok(prepared) => Ok(prepared),
        // A refusal may rest on configuration changed since it was cached (a price added, say):
        // refuse only on fresh reads.
        Err(_) => prepare_check(db, org, input, allowed_project, now).await,
    }
}

/// Checks the input's own fields; returns the reservation's time to live in seconds.
fn validate(input: &CheckInput) -> Result<i64, EngineError> {
    let ttl = input.ttl_seconds.unwrap_or(DEFAULT_TTL_SECONDS);
    if !(1..=MAX_TTL_SECONDS).contains(&ttl) {
        return Err(EngineError::InvalidInput(format!("ttl_seconds must be between 1 and {MAX_TTL_SECONDS}")));
    }
    let input_tokens = input.estimated_input_tokens.unwrap_or(0);
    let output_tokens = input.max_output_tokens.unwrap_or(0);
    tollgate_domain::limits::check_quantities(input_tokens, output_tokens, 1).map_err(EngineError::InvalidInput)?;
    if input.estimated_cost.is_some_and(|c| c.is_sign_negative()) {
        return Err(EngineError::InvalidInput("estimates must not be negative".into()));
    }
    if input.estimated_cost.is_none() && input.estimated_input_tokens.is_none() && input.max_output_tokens.is_none() {
        return Err(EngineError::InvalidInput(
            "give an estimate: estimated_input_tokens, max_output_tokens and/or estimated_cost".into(),
        ));
    }
    Ok(ttl)
}

/// Prices the estimate from the lookups: the explicit cost when given, else the catalog price in
/// force now (an unpriced model is an error or the project's fallback, never zero).
fn finish(
    org: &organization::Model,
    input: &CheckInput,
    allowed_project: Option<Uuid>,
    (lookup, config_version): (&Lookup, Option<i64>),
    ttl: i64,
    now: DateTime<Utc>,
) -> Result<PreparedCheck, EngineError> {
    let resolved = &lookup.resolved;
    check_currency(resolved, input.currency.as_deref())?;
    let input_tokens = input.estimated_input_tokens.unwrap_or(0);
    let output_tokens = input.max_output_tokens.unwrap_or(0);
    let cost = match input.estimated_cost {
        Some(cost) => round_for_storage(cost),
        None => {
            let price = lookup.prices.at(resolved, &input.operation.model, now)?.price;
            price.cost(input_tokens as u64, output_tokens as u64)
        }
    };
    let estimate = Usage::new(cost, input_tokens + output_tokens, 1);
    to_columns(&estimate)?;
    Ok(PreparedCheck {
        org: org.clone(),
        chain: resolved.chain,
        new_user: resolved.new_user.clone(),
        budgets: lookup.budgets.clone(),
        estimate,
        tz: org.timezone.parse().unwrap_or(Tz::UTC),
        now,
        expires_at: now + Duration::seconds(ttl),
        input: input.clone(),
        allowed_project,
        key_id: None,
        config_version,
    })
}
