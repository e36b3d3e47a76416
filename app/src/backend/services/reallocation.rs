//! Reallocation between sibling budgets: which budgets pair up, who may move allowance, and when an
//! approver decides instead (above the organization's free amount).

use super::requests::{self, NewRequest, Requester};
use super::{access, budgets};
use crate::auth::Account;
use crate::backend::engine::reallocate::{transfer, Transfer};
use crate::backend::engine::{begin_write, EngineError};
use crate::backend::entities::{budget, budget_request, organization, project};
use crate::backend::services::ServiceError;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder};
use tollgate_domain::approval::RequestKind;
use tollgate_domain::money::from_storage;
use tollgate_domain::reallocation::needs_approval;
use uuid::Uuid;

pub enum Reallocated {
    Moved {
        until: DateTime<Utc>,
    },
    /// Above the free amount: filed as a request for approvers.
    Requested(Uuid),
}

/// The team a project budget's project belongs to.
async fn team_of_project(db: &impl ConnectionTrait, project_id: Uuid) -> Result<Option<Uuid>, DbErr> {
    Ok(project::Entity::find_by_id(project_id).one(db).await?.map(|p| p.team_id))
}

/// Enabled budgets that allowance can move to from `model`: the same period, currency and category,
/// on projects of the same team, or on other teams of the organization.
pub async fn siblings(db: &impl ConnectionTrait, model: &budget::Model) -> Result<Vec<budget::Model>, DbErr> {
    if !matches!(model.scope_kind.as_str(), "project" | "team") || model.cost_hard.is_none() {
        return Ok(Vec::new());
    }
    let candidates = budget::Entity::find()
        .filter(budget::Column::OrgId.eq(model.org_id))
        .filter(budget::Column::State.eq("enabled"))
        .filter(budget::Column::ScopeKind.eq(&model.scope_kind))
        .filter(budget::Column::Period.eq(&model.period))
        .filter(budget::Column::Currency.eq(&model.currency))
        .filter(budget::Column::Id.ne(model.id))
        .filter(budget::Column::CostHard.is_not_null())
        .order_by_asc(budget::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .filter(|b| b.category_id == model.category_id);
    if model.scope_kind == "team" {
        return Ok(candidates.collect());
    }
    let team = team_of_project(db, model.scope_id).await?;
    let mut same_team = Vec::new();
    for candidate in candidates {
        if team.is_some() && team_of_project(db, candidate.scope_id).await? == team {
            same_team.push(candidate);
        }
    }
    Ok(same_team)
}

/// The strictest enabled budget of the same period over both siblings (their team's, or the organization's).
pub async fn parent_of(db: &impl ConnectionTrait, model: &budget::Model) -> Result<Option<budget::Model>, DbErr> {
    let (kind, scope_id) = match model.scope_kind.as_str() {
        "project" => match team_of_project(db, model.scope_id).await? {
            Some(team) => ("team", team),
            None => return Ok(None),
        },
        _ => ("organization", model.org_id),
    };
    Ok(budget::Entity::find()
        .filter(budget::Column::OrgId.eq(model.org_id))
        .filter(budget::Column::State.eq("enabled"))
        .filter(budget::Column::ScopeKind.eq(kind))
        .filter(budget::Column::ScopeId.eq(scope_id))
        .filter(budget::Column::Period.eq(&model.period))
        .filter(budget::Column::CostHard.is_not_null())
        .all(db)
        .await?
        .into_iter()
        .filter(|p| p.category_id.is_none() || p.category_id == model.category_id)
        .min_by_key(|p| p.cost_hard))
}

async fn zone(db: &impl ConnectionTrait, org_id: Uuid) -> Result<(organization::Model, Tz), ServiceError> {
    let org = organization::Entity::find_by_id(org_id)
        .one(db)
        .await?
        .ok_or(ServiceError::corrupt("a row this one refers to is missing"))?;
    let tz = org.timezone.parse().unwrap_or(Tz::UTC);
    Ok((org, tz))
}

/// Moves `cost` of this window's unused allowance from one budget to a sibling, or files it for
/// approvers when it is above the organization's free amount. The mover must manage both.
pub async fn reallocate(
    db: &DatabaseConnection,
    account: &Account,
    from: Uuid,
    to: Uuid,
    cost: Decimal,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<Reallocated, ServiceError> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 2000 {
        return Err(ServiceError::Invalid("give a reason (1 to 2,000 characters) for moving allowance".into()));
    }
    let txn = begin_write(db).await?;
    let not_found = || ServiceError::NotFound("that budget".into());
    let source = budgets::find(&txn, account.org_id, from).await?.ok_or_else(not_found)?;
    let target = budgets::find(&txn, account.org_id, to).await?.ok_or_else(not_found)?;
    if !access::may_manage(&txn, account, &source).await? || !access::may_manage(&txn, account, &target).await? {
        return Err(ServiceError::forbidden("moving allowance needs the right to manage both budgets"));
    }
    if !siblings(&txn, &source).await?.iter().any(|b| b.id == target.id) {
        return Err(ServiceError::Invalid(
            "allowance moves only between enabled budgets of the same period, currency and category, on projects of one team or on teams"
                .into(),
        ));
    }
    let parent = parent_of(&txn, &source).await?;
    let (org, tz) = zone(&txn, account.org_id).await?;
    let t = Transfer { from: &source, to: &target, parent: parent.as_ref(), cost, reason, approved_by: None };
    let window = transfer(&txn, t, tz, &account.email, now).await?;
    if !needs_approval(cost, org.reallocate_freely_up_to.map(from_storage)) {
        txn.commit().await?;
        return Ok(Reallocated::Moved { until: window.end });
    }
    // It would fit now; an approver decides, and the move is checked again when approved.
    txn.rollback().await?;
    let ask = NewRequest {
        kind: RequestKind::Reallocation,
        cost: Some(cost),
        tokens: None,
        operations: None,
        until: Some(window.end),
        from_next_window: false,
        source_budget_id: Some(source.id),
        reason: format!("Move from {}: {reason}", source.name),
    };
    Ok(Reallocated::Requested(requests::create(db, Requester::Person(account), target.id, ask, now).await?))
}

/// Carries out an approved reallocation request, checked again against the windows as they are now.
pub(crate) async fn apply_approved(
    txn: &impl ConnectionTrait,
    approver: &Account,
    request: &budget_request::Model,
    target: &budget::Model,
    cost: Decimal,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let source_id = request.source_budget_id.ok_or(ServiceError::corrupt("a row this one refers to is missing"))?;
    let source = budget::Entity::find_by_id(source_id)
        .one(txn)
        .await?
        .ok_or(ServiceError::corrupt("a row this one refers to is missing"))?;
    let parent = parent_of(txn, &source).await?;
    let (_, tz) = zone(txn, target.org_id).await?;
    let t = Transfer {
        from: &source,
        to: target,
        parent: parent.as_ref(),
        cost,
        reason: &request.reason,
        approved_by: Some(approver.id),
    };
    transfer(txn, t, tz, &approver.email, now).await.map_err(|e| match e {
        EngineError::InvalidInput(why) => ServiceError::Invalid(format!("cannot move it now: {why}")),
        other => other.into(),
    })?;
    Ok(())
}

/// Sets the amount leads may move without an approver (`None`: any amount); audited.
pub async fn set_free_amount(
    db: &DatabaseConnection,
    org_id: Uuid,
    free_up_to: Option<Decimal>,
    change: super::directory::Change<'_>,
) -> Result<(), super::ServiceError> {
    use crate::backend::entities::organization;
    use sea_orm::{ActiveModelTrait, EntityTrait, Set};
    if free_up_to.is_some_and(|amount| amount.is_sign_negative()) {
        return Err(super::ServiceError::invalid("the amount cannot be negative"));
    }
    let stored = free_up_to.map(tollgate_domain::money::to_storage).transpose()?;
    let txn = begin_write(db).await?;
    let org = organization::Entity::find_by_id(org_id)
        .one(&txn)
        .await?
        .ok_or_else(|| super::ServiceError::not_found("the organization"))?;
    let mut row: organization::ActiveModel = org.into();
    row.reallocate_freely_up_to = Set(stored);
    row.update(&txn).await?;
    let detail = serde_json::json!({ "free_up_to": stored.map(tollgate_domain::money::from_storage) });
    crate::backend::engine::events::record_by(
        &txn,
        org_id,
        None,
        "reallocation_rule_changed",
        detail,
        change.actor,
        change.now,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
