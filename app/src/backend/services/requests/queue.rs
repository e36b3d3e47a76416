//! Reading requests: the approval queue, one request as pages show it, and expiring overdue ones.

use super::{decisions, granted, stored_ask, to_i64};
use crate::auth::Account;
use crate::backend::engine::alerts::forecast::cost_forecast;
use crate::backend::engine::begin_write;
use crate::backend::entities::{budget, budget_request, organization, user};
use crate::backend::services::ServiceError;
use crate::models::{Granted, RequestView};
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use tollgate_domain::approval;
use tollgate_domain::money::from_storage;
use uuid::Uuid;

/// Open requests an approver can decide (everything open in the organization except their own), or,
/// for anyone else, their own requests.
pub async fn visible(
    db: &DatabaseConnection,
    account: &Account,
    now: DateTime<Utc>,
) -> Result<Vec<RequestView>, ServiceError> {
    let actor = account.actor();
    let decides = actor.has(crate::auth::Role::Approver) || actor.has(crate::auth::Role::Admin);
    let mut query = budget_request::Entity::find().filter(budget_request::Column::OrgId.eq(account.org_id));
    query = if decides {
        query.filter(budget_request::Column::Status.is_in(["pending", "needs_info"]))
    } else {
        query.filter(budget_request::Column::RequestedBy.eq(account.id))
    };
    let rows = query.order_by_asc(budget_request::Column::CreatedAt).all(db).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        out.push(view(db, row, now).await?);
    }
    Ok(out)
}

async fn name_of(db: &impl ConnectionTrait, id: Uuid) -> Result<String, ServiceError> {
    Ok(user::Entity::find_by_id(id).one(db).await?.map(|u| u.display_name).unwrap_or_default())
}

pub async fn view(
    db: &impl ConnectionTrait,
    row: budget_request::Model,
    now: DateTime<Utc>,
) -> Result<RequestView, ServiceError> {
    let target = budget::Entity::find_by_id(row.budget_id)
        .one(db)
        .await?
        .ok_or(ServiceError::corrupt("a row this one refers to is missing"))?;
    let org = organization::Entity::find_by_id(row.org_id)
        .one(db)
        .await?
        .ok_or(ServiceError::corrupt("a row this one refers to is missing"))?;
    let now_report = crate::backend::engine::current_report(db, target.clone(), &org.timezone, now).await?;
    let cost = now_report.limits.iter().find(|l| l.limit_type == tollgate_domain::LimitKind::Cost);
    let tz: chrono_tz::Tz = org.timezone.parse().unwrap_or(chrono_tz::Tz::UTC);
    let outlook = cost_forecast(db, &target, tz, now).await?.map(|(_, _, outlook, _)| outlook);
    let all = decisions(db, row.id).await?;
    let mut notes = Vec::with_capacity(all.len());
    let (mut approvers, mut comments) = (Vec::new(), Vec::new());
    for d in &all {
        let who = name_of(db, d.approver_id).await?;
        if d.decision == "approve" {
            approvers.push(who.clone());
            comments.extend(Some(d.comment.clone()).filter(|c| !c.is_empty()));
        }
        notes.push((who, d.decision.clone(), d.comment.clone()));
    }
    let granted = (row.status == "approved").then(|| granted(&all)).flatten().map(|grant| Granted {
        cost: Some(grant.amount.cost).filter(|c| !c.is_zero()),
        tokens: to_i64(grant.amount.tokens),
        operations: to_i64(grant.amount.operations),
        until: grant.until,
        by: approvers,
        comments,
    });
    let status = if matches!(row.status.as_str(), "pending" | "needs_info") && now > row.decide_by {
        "expired".to_owned()
    } else {
        row.status.clone()
    };
    Ok(RequestView {
        id: row.id,
        budget_id: target.id,
        budget_name: target.name.clone(),
        kind: row.kind.clone(),
        requested_by: row.requested_by,
        requester: name_of(db, row.requested_by).await?,
        cost: row.cost.map(from_storage),
        tokens: row.tokens,
        operations: row.operations,
        until: row.until,
        from_next_window: row.from_next_window,
        applies_from: row.applies_from,
        reason: row.reason.clone(),
        status,
        decide_by: row.decide_by,
        created_at: row.created_at,
        approvals: all.iter().filter(|d| d.decision == "approve").count(),
        approvals_needed: approval::approvals_needed(target.two_approvers_above.map(from_storage), &stored_ask(&row)),
        cost_spent: cost.map(|l| l.spent).unwrap_or_default(),
        cost_hard: cost.map(|l| l.hard),
        cost_projected: outlook.as_ref().map(|o| o.projected.round_dp(2)),
        exhaustion: outlook.and_then(|o| o.exhaustion),
        notes,
        granted,
    })
}

/// Whether an open request is overdue or an approved increase is due to be applied (reads only:
/// the expiry job's check before it takes its lease).
pub async fn any_due(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<bool, sea_orm::DbErr> {
    Ok(budget_request::Entity::find().filter(overdue(now)).one(db).await?.is_some()
        || super::scheduled::due(now).one(db).await?.is_some())
}

fn overdue(now: DateTime<Utc>) -> Condition {
    Condition::all()
        .add(budget_request::Column::Status.is_in(["pending", "needs_info"]))
        .add(budget_request::Column::DecideBy.lt(now))
}

/// Marks open requests past their decision time as expired; returns how many.
pub async fn expire_overdue(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<u64, sea_orm::DbErr> {
    use sea_orm::sea_query::Expr;
    let txn = begin_write(db).await?;
    let result = budget_request::Entity::update_many()
        .col_expr(budget_request::Column::Status, Expr::value("expired"))
        .col_expr(budget_request::Column::DecidedAt, Expr::value(now))
        .filter(overdue(now))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(result.rows_affected)
}
