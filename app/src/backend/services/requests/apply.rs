//! Putting an approved request into effect: an override row, raised hard levels, or a scheduled raise.

use super::{invalid, to_i64};
use crate::auth::Account;
use crate::backend::engine::events;
use crate::backend::entities::{budget, budget_override, budget_request, organization};
use crate::backend::services::ServiceError;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Set};
use serde_json::json;
use tollgate_domain::approval::{Ask, RequestKind};
use tollgate_domain::money::{from_storage, to_storage};
use tollgate_domain::Period;
use uuid::Uuid;

/// An approved override is live at once (the engine adds active overrides in its next check); an
/// approved increase raises the hard levels, with the audit entry saying from what to what and why.
pub(super) async fn apply(
    db: &impl ConnectionTrait,
    approver: &Account,
    request: &budget_request::Model,
    kind: RequestKind,
    target: budget::Model,
    grant: Ask,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let cost = to_storage(grant.amount.cost).map_err(invalid)?;
    let tokens = to_i64(grant.amount.tokens).unwrap_or(0);
    let operations = to_i64(grant.amount.operations).unwrap_or(0);
    match kind {
        RequestKind::Override => {
            budget_override::ActiveModel {
                id: Set(Uuid::now_v7()),
                budget_id: Set(target.id),
                cost: Set(cost),
                tokens: Set(tokens),
                operations: Set(operations),
                starts_at: Set(now),
                expires_at: Set(grant.until.ok_or(ServiceError::corrupt("a row this one refers to is missing"))?),
                reason: Set(request.reason.clone()),
                approved_by: Set(Some(approver.id)),
                created_at: Set(now),
            }
            .insert(db)
            .await?;
            let detail = json!({ "request": request.id, "cost": grant.amount.cost, "tokens": tokens, "operations": operations, "until": grant.until });
            events::record_by(db, target.org_id, Some(target.id), "override_granted", detail, &approver.email, now)
                .await?;
        }
        RequestKind::Reallocation => {
            crate::backend::services::reallocation::apply_approved(
                db,
                approver,
                request,
                &target,
                grant.amount.cost,
                now,
            )
            .await?;
        }
        RequestKind::Increase if request.from_next_window => {
            let applies_from = next_window_start(db, &target, now).await?;
            let mut row: budget_request::ActiveModel = request.clone().into();
            row.applies_from = Set(Some(applies_from));
            row.update(db).await?;
            let detail = json!({ "request": request.id, "reason": request.reason, "applies_from": applies_from,
                                 "cost": grant.amount.cost, "tokens": tokens, "operations": operations });
            events::record_by(
                db,
                target.org_id,
                Some(target.id),
                "limit_increase_scheduled",
                detail,
                &approver.email,
                now,
            )
            .await?;
        }
        RequestKind::Increase => {
            raise_limits(db, request, target, &grant, &approver.email, now).await?;
            let mut row: budget_request::ActiveModel = request.clone().into();
            row.applied_at = Set(Some(now));
            row.update(db).await?;
        }
    }
    Ok(())
}

/// Raises the hard levels by what was granted, with the audit entry saying from what to what and why.
pub(super) async fn raise_limits(
    db: &impl ConnectionTrait,
    request: &budget_request::Model,
    target: budget::Model,
    grant: &Ask,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let cost = to_storage(grant.amount.cost).map_err(invalid)?;
    let tokens = to_i64(grant.amount.tokens).unwrap_or(0);
    let operations = to_i64(grant.amount.operations).unwrap_or(0);
    let raise = |level: Option<i64>, by: i64| match (level, by) {
        (Some(level), by) => Ok(Some(level.checked_add(by).ok_or_else(|| invalid("the new limit is too large"))?)),
        (None, 0) => Ok(None),
        (None, _) => Err(invalid("this budget has no such hard level to raise; edit the budget instead")),
    };
    let before = json!({ "cost_hard": target.cost_hard.map(from_storage), "tokens_hard": target.tokens_hard, "operations_hard": target.operations_hard });
    let mut row: budget::ActiveModel = target.clone().into();
    row.cost_hard = Set(raise(target.cost_hard, cost)?);
    row.tokens_hard = Set(raise(target.tokens_hard, tokens)?);
    row.operations_hard = Set(raise(target.operations_hard, operations)?);
    row.updated_at = Set(now);
    let after = row.update(db).await?;
    let detail = json!({ "request": request.id, "reason": request.reason, "before": before,
                         "after": { "cost_hard": after.cost_hard.map(from_storage), "tokens_hard": after.tokens_hard, "operations_hard": after.operations_hard } });
    events::record_by(db, target.org_id, Some(target.id), "limit_increased", detail, actor, now).await?;
    Ok(())
}

/// When the budget's window after the current one starts, in its organization's time zone.
async fn next_window_start(
    db: &impl ConnectionTrait,
    target: &budget::Model,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, ServiceError> {
    let org = organization::Entity::find_by_id(target.org_id)
        .one(db)
        .await?
        .ok_or(ServiceError::corrupt("a row this one refers to is missing"))?;
    let tz: Tz = org.timezone.parse().unwrap_or(Tz::UTC);
    let period: Period = target.period.parse().map_err(ServiceError::corrupt)?;
    Ok(period.window_at(now, tz).end)
}
