//! Escalation: alerts nobody acknowledged in time go to the next level (the team's leads, then admins).

use crate::backend::engine::alerts::raise::fan_out;
use crate::backend::engine::alerts::targets::role_targets;
use crate::backend::engine::begin_write;
use crate::backend::entities::{alert, budget};
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use tollgate_domain::alerting::escalation_role;

/// Whether any alert is due for escalation (a read: the job's check before it takes its lease).
pub async fn any_due(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<bool, DbErr> {
    Ok(due(now).one(db).await?.is_some())
}

fn due(now: DateTime<Utc>) -> sea_orm::Select<alert::Entity> {
    alert::Entity::find().filter(alert::Column::EscalateAt.lte(now)).filter(alert::Column::AcknowledgedAt.is_null())
}

/// Escalates every due alert one level, each in its own transaction; returns how many escalated.
/// The level is claimed with a compare-and-set, so several instances never escalate one twice.
pub async fn escalate_due(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<usize, DbErr> {
    let due = due(now).order_by_asc(alert::Column::EscalateAt).limit(500).all(db).await?;
    let mut escalated = 0;
    for found in due {
        let Some(budget_id) = found.budget_id else { continue };
        let Some(budget) = budget::Entity::find_by_id(budget_id).one(db).await? else { continue };
        let level = found.escalation_level + 1;
        let next_at = escalation_role(level + 1)
            .and(budget.escalate_after_minutes)
            .map(|minutes| now + Duration::minutes(i64::from(minutes)));
        let txn = begin_write(db).await?;
        let claimed = alert::Entity::update_many()
            .col_expr(alert::Column::EscalationLevel, Expr::value(level))
            .col_expr(alert::Column::EscalateAt, Expr::value(next_at))
            .filter(alert::Column::Id.eq(found.id))
            .filter(alert::Column::EscalationLevel.eq(found.escalation_level))
            .filter(alert::Column::AcknowledgedAt.is_null())
            .exec(&txn)
            .await?;
        if claimed.rows_affected == 1 {
            if let Some(role) = escalation_role(level) {
                let targets = role_targets(&txn, &budget, role).await?.into_iter().collect();
                fan_out(&txn, found.id, targets, level, now).await?;
                escalated += 1;
            }
        }
        txn.commit().await?;
    }
    Ok(escalated)
}
