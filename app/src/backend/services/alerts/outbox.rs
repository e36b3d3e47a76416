//! The alert outbox as the dispatcher sees it: claiming due deliveries and recording every attempt.

use crate::backend::engine::begin_write;
use crate::backend::entities::{alert, alert_delivery, delivery_attempt};
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use tollgate_domain::alerting::{after_failure, AfterFailure};
use uuid::Uuid;

/// How long a claimed delivery stays with the instance that claimed it before others may retry it.
pub const LEASE: Duration = Duration::seconds(60);

/// A message to send: one delivery, or for digests every due delivery to the same address.
pub struct Claimed {
    pub deliveries: Vec<alert_delivery::Model>,
    pub alerts: Vec<alert::Model>,
}

fn due(now: DateTime<Utc>) -> Condition {
    Condition::all()
        .add(alert_delivery::Column::State.eq("pending"))
        .add(alert_delivery::Column::NextAttemptAt.lte(now))
        .add(
            Condition::any()
                .add(alert_delivery::Column::ClaimedUntil.is_null())
                .add(alert_delivery::Column::ClaimedUntil.lt(now)),
        )
}

/// Claims up to `limit` due messages for this instance (a compare-and-set per delivery).
/// Whether any message is due now (a read: the dispatcher's check before it takes its lease).
pub async fn any_due(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<bool, DbErr> {
    Ok(alert_delivery::Entity::find().filter(due(now)).one(db).await?.is_some())
}

pub async fn claim_due(db: &DatabaseConnection, now: DateTime<Utc>, limit: u64) -> Result<Vec<Claimed>, DbErr> {
    let candidates = alert_delivery::Entity::find()
        .filter(due(now))
        .order_by_asc(alert_delivery::Column::NextAttemptAt)
        .limit(limit)
        .all(db)
        .await?;
    let mut claimed: Vec<Claimed> = Vec::new();
    for candidate in candidates {
        let group: Vec<Uuid> = if candidate.channel == "email_digest" {
            if claimed.iter().any(|c| c.deliveries.iter().any(|d| d.id == candidate.id)) {
                continue;
            }
            alert_delivery::Entity::find()
                .filter(due(now))
                .filter(alert_delivery::Column::Channel.eq("email_digest"))
                .filter(alert_delivery::Column::Target.eq(&candidate.target))
                .all(db)
                .await?
                .into_iter()
                .map(|d| d.id)
                .collect()
        } else {
            vec![candidate.id]
        };
        let mut mine = Vec::new();
        for id in group {
            let won = alert_delivery::Entity::update_many()
                .col_expr(alert_delivery::Column::ClaimedUntil, Expr::value(now + LEASE))
                .filter(alert_delivery::Column::Id.eq(id))
                .filter(due(now))
                .exec(db)
                .await?;
            if won.rows_affected == 1 {
                mine.push(id);
            }
        }
        if mine.is_empty() {
            continue;
        }
        let deliveries = alert_delivery::Entity::find().filter(alert_delivery::Column::Id.is_in(mine)).all(db).await?;
        let alerts = alert::Entity::find()
            .filter(alert::Column::Id.is_in(deliveries.iter().map(|d| d.alert_id)))
            .order_by_asc(alert::Column::CreatedAt)
            .all(db)
            .await?;
        claimed.push(Claimed { deliveries, alerts });
    }
    Ok(claimed)
}

/// What became of one attempt to send a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    Sent,
    /// It failed and may be tried again.
    Failed(String),
    /// It was not sent and will not be (mail is off): the delivery says why instead of retrying.
    NotSent(String),
}

impl From<Result<(), String>> for Attempt {
    fn from(outcome: Result<(), String>) -> Self {
        outcome.map_or_else(Attempt::Failed, |()| Attempt::Sent)
    }
}

/// Records an attempt of each delivery of a message and moves it on: delivered, retried later
/// with exponential backoff, dead-lettered after the last attempt, or not sent. One transaction.
pub async fn record_attempt(
    db: &DatabaseConnection,
    deliveries: &[alert_delivery::Model],
    outcome: Attempt,
    duration_ms: i32,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let txn = begin_write(db).await?;
    for delivery in deliveries {
        delivery_attempt::ActiveModel {
            id: Set(Uuid::now_v7()),
            delivery_id: Set(delivery.id),
            attempted_at: Set(now),
            ok: Set(outcome == Attempt::Sent),
            error: Set(match &outcome {
                Attempt::Sent => None,
                Attempt::Failed(error) | Attempt::NotSent(error) => Some(error.clone()),
            }),
            duration_ms: Set(duration_ms),
        }
        .insert(&txn)
        .await?;
        let attempts = delivery.attempts + 1;
        let mut update = alert_delivery::Entity::update_many()
            .col_expr(alert_delivery::Column::Attempts, Expr::col(alert_delivery::Column::Attempts).add(1))
            .col_expr(alert_delivery::Column::ClaimedUntil, Expr::value(Option::<DateTime<Utc>>::None));
        update = match &outcome {
            Attempt::Sent => update
                .col_expr(alert_delivery::Column::State, Expr::value("delivered"))
                .col_expr(alert_delivery::Column::DeliveredAt, Expr::value(now)),
            Attempt::NotSent(why) => update
                .col_expr(alert_delivery::Column::State, Expr::value("not_sent"))
                .col_expr(alert_delivery::Column::LastError, Expr::value(why.clone())),
            Attempt::Failed(error) => {
                let update = update.col_expr(alert_delivery::Column::LastError, Expr::value(error.clone()));
                match after_failure(attempts as u32) {
                    AfterFailure::RetryIn(wait) => {
                        update.col_expr(alert_delivery::Column::NextAttemptAt, Expr::value(now + wait))
                    }
                    AfterFailure::DeadLetter => update.col_expr(alert_delivery::Column::State, Expr::value("dead")),
                }
            }
        };
        update.filter(alert_delivery::Column::Id.eq(delivery.id)).exec(&txn).await?;
    }
    txn.commit().await
}

/// Puts a dead-lettered delivery back in the queue for another round of attempts.
pub async fn retry_dead(db: &impl sea_orm::ConnectionTrait, id: Uuid, now: DateTime<Utc>) -> Result<bool, DbErr> {
    let revived = alert_delivery::Entity::update_many()
        .col_expr(alert_delivery::Column::State, Expr::value("pending"))
        .col_expr(alert_delivery::Column::Attempts, Expr::value(0))
        .col_expr(alert_delivery::Column::NextAttemptAt, Expr::value(now))
        .filter(alert_delivery::Column::Id.eq(id))
        .filter(alert_delivery::Column::State.eq("dead"))
        .exec(db)
        .await?;
    Ok(revived.rows_affected == 1)
}

/// An organization's deliveries that failed: dead-lettered, or still retrying after a failure; newest first.
pub async fn troubled(
    db: &impl sea_orm::ConnectionTrait,
    org_id: Uuid,
    limit: u64,
) -> Result<Vec<(alert_delivery::Model, alert::Model)>, DbErr> {
    use sea_orm::sea_query::Query;
    let of_org = Query::select()
        .column(alert::Column::Id)
        .from(alert::Entity)
        .and_where(alert::Column::OrgId.eq(org_id))
        .to_owned();
    let deliveries = alert_delivery::Entity::find()
        .filter(alert_delivery::Column::AlertId.in_subquery(of_org))
        .filter(
            Condition::any().add(alert_delivery::Column::State.eq("dead")).add(
                Condition::all()
                    .add(alert_delivery::Column::State.eq("pending"))
                    .add(alert_delivery::Column::Attempts.gt(0)),
            ),
        )
        .order_by_desc(alert_delivery::Column::CreatedAt)
        .limit(limit)
        .all(db)
        .await?;
    let alerts =
        alert::Entity::find().filter(alert::Column::Id.is_in(deliveries.iter().map(|d| d.alert_id))).all(db).await?;
    Ok(deliveries
        .into_iter()
        .filter_map(|d| alerts.iter().find(|a| a.id == d.alert_id).cloned().map(|a| (d, a)))
        .collect())
}

/// The organization a delivery belongs to (through its alert).
pub async fn org_of(db: &impl sea_orm::ConnectionTrait, delivery_id: Uuid) -> Result<Option<Uuid>, DbErr> {
    let Some(delivery) = alert_delivery::Entity::find_by_id(delivery_id).one(db).await? else { return Ok(None) };
    Ok(alert::Entity::find_by_id(delivery.alert_id).one(db).await?.map(|a| a.org_id))
}
