//! The in-app inbox: a person's alerts, unread counts, marking read and acknowledging.

use crate::backend::entities::{alert, notification};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
use tollgate_domain::alerting::Digest;
use uuid::Uuid;

pub async fn unread_count(db: &impl ConnectionTrait, user_id: Uuid) -> Result<u64, DbErr> {
    notification::Entity::find()
        .filter(notification::Column::UserId.eq(user_id))
        .filter(notification::Column::ReadAt.is_null())
        .count(db)
        .await
}

/// The newest `limit` entries of a person's inbox with their alerts.
pub async fn entries(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    limit: u64,
) -> Result<Vec<(notification::Model, alert::Model)>, DbErr> {
    let rows = notification::Entity::find()
        .filter(notification::Column::UserId.eq(user_id))
        .order_by_desc(notification::Column::CreatedAt)
        .order_by_desc(notification::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    let alerts = alert::Entity::find().filter(alert::Column::Id.is_in(rows.iter().map(|n| n.alert_id))).all(db).await?;
    Ok(rows.into_iter().filter_map(|n| alerts.iter().find(|a| a.id == n.alert_id).cloned().map(|a| (n, a))).collect())
}

/// Marks one entry (or with `None`, every entry) of the person's inbox as read; returns how many changed.
pub async fn mark_read(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    id: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let mut update = notification::Entity::update_many()
        .col_expr(notification::Column::ReadAt, Expr::value(now))
        .filter(notification::Column::UserId.eq(user_id))
        .filter(notification::Column::ReadAt.is_null());
    if let Some(id) = id {
        update = update.filter(notification::Column::Id.eq(id));
    }
    Ok(update.exec(db).await?.rows_affected)
}

/// Acknowledges an alert the person received: it stops escalating and reads as handled for everyone.
/// Returns false when the alert is not in their inbox.
pub async fn acknowledge(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    alert_id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let received = notification::Entity::find()
        .filter(notification::Column::UserId.eq(user_id))
        .filter(notification::Column::AlertId.eq(alert_id))
        .one(db)
        .await?;
    let Some(entry) = received else { return Ok(false) };
    alert::Entity::update_many()
        .col_expr(alert::Column::AcknowledgedAt, Expr::value(now))
        .col_expr(alert::Column::AcknowledgedBy, Expr::value(user_id))
        .col_expr(alert::Column::EscalateAt, Expr::value(Option::<DateTime<Utc>>::None))
        .filter(alert::Column::Id.eq(alert_id))
        .filter(alert::Column::AcknowledgedAt.is_null())
        .exec(db)
        .await?;
    mark_read(db, user_id, Some(entry.id), now).await?;
    Ok(true)
}

/// How a person takes their alert email: "immediate", "hourly" or "daily".
pub async fn digest_of(db: &impl ConnectionTrait, user_id: Uuid) -> Result<String, DbErr> {
    let person = crate::backend::entities::user::Entity::find_by_id(user_id).one(db).await?;
    Ok(person.map_or_else(|| Digest::Immediate.as_str().to_owned(), |p| p.alert_digest))
}

pub async fn set_digest(db: &impl ConnectionTrait, user_id: Uuid, digest: Digest) -> Result<(), DbErr> {
    use crate::backend::entities::user;
    user::Entity::update_many()
        .col_expr(user::Column::AlertDigest, Expr::value(digest.as_str()))
        .filter(user::Column::Id.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}
