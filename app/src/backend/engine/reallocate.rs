//! Moving unused cost allowance between sibling budgets, atomically: the windows of source, target
//! and parent are locked, checked, and a negative and a positive override written until the window ends.

use crate::backend::engine::counters::{active_overrides, lock_windows, spent_and_reserved};
use crate::backend::engine::prepare::budgets::{to_domain, ApplicableBudget};
use crate::backend::engine::{events, EngineError};
use crate::backend::entities::{budget, budget_override};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};
use tollgate_domain::money::to_storage;
use tollgate_domain::reallocation::{check, Allowance};
use tollgate_domain::{LimitKind, Window};
use uuid::Uuid;

pub struct Transfer<'a> {
    pub from: &'a budget::Model,
    pub to: &'a budget::Model,
    /// The budget both belong to, whose allowance the target may not exceed.
    pub parent: Option<&'a budget::Model>,
    pub cost: Decimal,
    pub reason: &'a str,
    pub approved_by: Option<Uuid>,
}

/// Moves `cost` of this window's unused allowance; in the caller's write transaction (`begin_write`).
pub async fn transfer(
    txn: &impl ConnectionTrait,
    t: Transfer<'_>,
    tz: Tz,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Window, EngineError> {
    let mut budgets: Vec<ApplicableBudget> = [Some(t.from), Some(t.to), t.parent]
        .into_iter()
        .flatten()
        .map(|m| to_domain(m.clone()))
        .collect::<Result<_, _>>()?;
    budgets.sort_by_key(|b| b.model.id);
    let locked = lock_windows(txn, &budgets, now, tz).await?;
    let ids: Vec<Uuid> = budgets.iter().map(|b| b.model.id).collect();
    let overrides = active_overrides(txn, &ids, now).await?;
    let allowance = |id: Uuid| -> Result<Allowance, EngineError> {
        let index = ids.iter().position(|i| *i == id).expect("locked above");
        let hard = budgets[index].rules.limits.iter().find(|l| l.kind == LimitKind::Cost).map(|l| l.hard).ok_or_else(
            || EngineError::InvalidInput(format!("{} has no cost limit to move", budgets[index].model.name)),
        )?;
        let (spent, reserved) = spent_and_reserved(&locked[index].counter);
        let extra = overrides.get(&id).map(|o| o.cost).unwrap_or_default();
        Ok(Allowance { allowed: hard + extra, used: spent.cost + reserved.cost })
    };
    let (source, target) = (allowance(t.from.id)?, allowance(t.to.id)?);
    let parent = t.parent.map(|p| allowance(p.id)).transpose()?.map(|a| a.allowed);
    check(t.cost, source, target, parent).map_err(|e| EngineError::InvalidInput(e.to_string()))?;

    let window = locked[ids.iter().position(|i| *i == t.from.id).expect("locked above")].window;
    let amount = to_storage(t.cost)?;
    for (budget_id, cost, other) in [(t.from.id, -amount, t.to), (t.to.id, amount, t.from)] {
        budget_override::ActiveModel {
            id: Set(Uuid::now_v7()),
            budget_id: Set(budget_id),
            cost: Set(cost),
            tokens: Set(0),
            operations: Set(0),
            starts_at: Set(now),
            expires_at: Set(window.end),
            reason: Set(format!("reallocation with {}: {}", other.name, t.reason)),
            approved_by: Set(t.approved_by),
            created_at: Set(now),
        }
        .insert(txn)
        .await?;
    }
    let detail = serde_json::json!({ "from": t.from.id, "from_name": t.from.name, "to": t.to.id, "to_name": t.to.name,
                                     "cost": t.cost, "currency": t.from.currency, "until": window.end, "reason": t.reason });
    events::record_by(txn, t.from.org_id, Some(t.from.id), "allowance_moved_out", detail.clone(), actor, now).await?;
    events::record_by(txn, t.to.org_id, Some(t.to.id), "allowance_moved_in", detail, actor, now).await?;
    Ok(window)
}
