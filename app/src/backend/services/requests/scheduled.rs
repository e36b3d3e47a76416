//! Increases approved "from the next window": raised when that window starts, once, by whichever instance first.

use super::{apply::raise_limits, decisions, granted};
use crate::backend::engine::begin_write;
use crate::backend::entities::{budget, budget_request};
use crate::backend::services::ServiceError;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Select};

/// Approved increases whose window has started and that are not applied yet.
pub(super) fn due(now: DateTime<Utc>) -> Select<budget_request::Entity> {
    budget_request::Entity::find()
        .filter(budget_request::Column::Status.eq("approved"))
        .filter(budget_request::Column::FromNextWindow.eq(true))
        .filter(budget_request::Column::AppliedAt.is_null())
        .filter(budget_request::Column::AppliesFrom.lte(now))
}

/// Applies every approved increase whose window has started; returns how many this call applied.
pub async fn apply_scheduled(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<usize, ServiceError> {
    let due = due(now).all(db).await?;
    let mut applied = 0;
    for request in due {
        let txn = begin_write(db).await?;
        let won = budget_request::Entity::update_many()
            .col_expr(budget_request::Column::AppliedAt, Expr::value(now))
            .filter(budget_request::Column::Id.eq(request.id))
            .filter(budget_request::Column::AppliedAt.is_null())
            .exec(&txn)
            .await?;
        if won.rows_affected != 1 {
            continue;
        }
        let target = budget::Entity::find_by_id(request.budget_id)
            .one(&txn)
            .await?
            .ok_or(ServiceError::corrupt("a row this one refers to is missing"))?;
        let Some(grant) = granted(&decisions(&txn, request.id).await?) else {
            return Err(ServiceError::corrupt(format!("approved request {} has no approving verdict", request.id)));
        };
        raise_limits(&txn, &request, target, &grant, "tollgate (approved increase, next window)", now).await?;
        txn.commit().await?;
        applied += 1;
    }
    Ok(applied)
}
