//! Check-and-reserve: decide an operation against every applicable budget and hold its estimate.

use super::budgets::applicable;
use super::counters::{active_overrides, adjust, lock_windows, to_columns, window_usage, ZERO};
use super::resolve::{check_currency, cost_of, register_new_user, resolve, OperationInput};
use super::status::{report, BudgetReport};
use super::{events, EngineError};
use crate::entities::{organization, reservation, reservation_hold};
use crate::services::alerts::{raise, Audience, NewAlert};
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;
use sea_orm::{ActiveModelTrait, DatabaseConnection, Set};
use serde::{Deserialize, Serialize};
use tollgate_domain::enforcement::combine;
use tollgate_domain::{evaluate, CheckRequest, Decision, Usage};
use uuid::Uuid;

pub const DEFAULT_TTL_SECONDS: i64 = 300;
pub const MAX_TTL_SECONDS: i64 = 24 * 3600;

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
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
    pub budgets: Vec<BudgetReport>,
    /// On a denial: where the caller's user can ask an approver for an override of the deciding
    /// budget (`POST` with `user`, `kind`, amounts, `until` and `reason`).
    pub request_more: Option<String>,
}

pub async fn check_and_reserve(
    db: &DatabaseConnection,
    org: &organization::Model,
    input: CheckInput,
    allowed_project: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<CheckOutcome, EngineError> {
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
    let resolved = resolve(db, org, &input.operation, allowed_project).await?;
    check_currency(&resolved, input.currency.as_deref())?;
    let (cost, _) =
        cost_of(db, &resolved, &input.operation.model, input.estimated_cost, input_tokens, output_tokens, now).await?;
    let estimate = Usage::new(cost, input_tokens + output_tokens, 1);
    let estimate_columns = to_columns(&estimate)?;
    let tz: Tz = org.timezone.parse().unwrap_or(Tz::UTC);
    let budgets = applicable(db, &resolved.chain).await?;

    let txn = super::begin_write(db).await?;
    let chain = register_new_user(&txn, resolved.chain, resolved.new_user.as_deref(), now).await?;
    let windows = lock_windows(&txn, &budgets, now, tz).await?;
    let ids: Vec<Uuid> = budgets.iter().map(|b| b.model.id).collect();
    let overrides = active_overrides(&txn, &ids, now).await?;
    let request = CheckRequest { amount: estimate, critical: input.critical, now };
    let verdicts: Vec<_> = budgets
        .iter()
        .zip(&windows)
        .map(|(b, w)| {
            let extra = overrides.get(&b.model.id).copied().unwrap_or_default();
            evaluate(&b.rules, &window_usage(&w.counter, extra), &request)
        })
        .collect();
    let (decision, decided_by) = combine(&verdicts);
    let admitted = decision != Decision::Deny;
    let reserving = admitted && input.reserve;

    let mut reservation_id = None;
    let expires_at = now + Duration::seconds(ttl);
    if reserving {
        let id = Uuid::now_v7();
        reservation::ActiveModel {
            id: Set(id),
            org_id: Set(org.id),
            user_id: Set(chain.user),
            project_id: Set(chain.project),
            category_id: Set(chain.category),
            model: Set(input.operation.model.clone()),
            cost: Set(estimate_columns[0]),
            tokens: Set(estimate_columns[1]),
            operations: Set(estimate_columns[2]),
            state: Set("active".into()),
            critical: Set(input.critical),
            created_at: Set(now),
            expires_at: Set(expires_at),
        }
        .insert(&txn)
        .await?;
        for (verdict, locked) in verdicts.iter().zip(&windows) {
            reservation_hold::ActiveModel {
                reservation_id: Set(id),
                budget_id: Set(verdict.budget_id),
                window_start: Set(locked.window.start),
            }
            .insert(&txn)
            .await?;
            let crossed = verdict.crosses_hard.then_some(now);
            adjust(&txn, verdict.budget_id, locked.window.start, ZERO, estimate_columns, crossed).await?;
            if verdict.uses_reserve {
                let detail = serde_json::json!({ "reservation_id": id, "reasons": verdict.reasons });
                events::record(
                    &txn,
                    org.id,
                    Some(verdict.budget_id),
                    "emergency_reserve_used",
                    Some(locked.window.start),
                    detail.clone(),
                    now,
                )
                .await?;
                let budget =
                    &budgets.iter().find(|b| b.model.id == verdict.budget_id).expect("verdict of a budget").model;
                let new = NewAlert {
                    org_id: org.id,
                    budget: Some(budget),
                    kind: "reserve_used",
                    limit_kind: None,
                    threshold: None,
                    window_start: Some(locked.window.start),
                    dedup_key: format!("reserve:{}:{id}", budget.id),
                    severity: "critical",
                    title: format!("{}: emergency reserve used by a critical call", budget.name),
                    body: format!(
                        "A critical call of {} (project {}) was admitted beyond the hard level from the emergency reserve.",
                        input.operation.user, input.operation.project
                    ),
                    detail,
                };
                raise(&txn, new, Audience::Budget, now).await?;
            }
        }
        reservation_id = Some(id);
    }
    if let (Decision::Deny, Some(budget_id)) = (decision, decided_by) {
        let window_start = windows.iter().find(|w| w.counter.budget_id == budget_id).map(|w| w.window.start);
        let reasons: Vec<String> =
            verdicts.iter().filter(|v| v.budget_id == budget_id).flat_map(|v| v.reasons.clone()).collect();
        let detail =
            serde_json::json!({ "user": input.operation.user, "project": input.operation.project, "reasons": reasons });
        events::record(&txn, org.id, Some(budget_id), "denied", window_start, detail, now).await?;
    }

    let reports = budgets
        .iter()
        .zip(&windows)
        .map(|(b, w)| {
            let mut usage = window_usage(&w.counter, overrides.get(&b.model.id).copied().unwrap_or_default());
            if reserving {
                usage.reserved = usage.reserved + estimate;
            }
            report(b, w.window, usage.spent, usage.reserved, usage.overrides)
        })
        .collect();
    txn.commit().await?;
    Ok(CheckOutcome {
        decision,
        reservation_id,
        expires_at: reservation_id.map(|_| expires_at),
        decided_by,
        reasons: verdicts.into_iter().flat_map(|v| v.reasons).collect(),
        estimate,
        budgets: reports,
        request_more: decided_by
            .filter(|_| decision == Decision::Deny)
            .map(|id| format!("/api/v1/budgets/{id}/requests")),
    })
}
