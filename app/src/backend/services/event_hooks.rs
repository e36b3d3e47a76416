//! Event hooks: URLs the budget events feed is pushed to, in order from a cursor, claimed with a lease.
//!
//! A hook never loses an event: its cursor only moves past events the receiver accepted. While the
//! receiver fails, attempts back off exponentially (up to an hour) and the error is kept for admins.

use super::alerts::recipients::new_secret;
use super::feed::{self, Cursor};
use super::outbound::OutboundPolicy;
use crate::backend::engine::EngineError;
use crate::backend::entities::{budget_event, event_hook};
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use tollgate_domain::alerting::{retry_wait, RecipientKind};
use uuid::Uuid;

/// How long a claimed hook stays with the instance that claimed it.
pub const LEASE: Duration = Duration::seconds(60);
/// Events per push.
pub const BATCH: u64 = 100;

/// Registers a hook; it receives the events recorded from now on. Returns it with its signing secret.
pub async fn add(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    (url, outbound): (&str, &OutboundPolicy),
    created_by: &str,
    now: DateTime<Utc>,
) -> Result<event_hook::Model, EngineError> {
    let url = RecipientKind::Webhook.validate_target(url).map_err(EngineError::InvalidInput)?;
    // Resolved by the caller before its transaction (`OutboundPolicy::check`).
    outbound.check_literal(&url).map_err(EngineError::InvalidInput)?;
    let taken = event_hook::Entity::find()
        .filter(event_hook::Column::OrgId.eq(org_id))
        .filter(event_hook::Column::Url.eq(&url))
        .one(db)
        .await?;
    if taken.is_some() {
        return Err(EngineError::InvalidInput("events are already pushed to this URL".into()));
    }
    let hook = event_hook::ActiveModel {
        id: Set(Uuid::now_v7()),
        org_id: Set(org_id),
        url: Set(url),
        secret: Set(new_secret()),
        cursor: Set(Cursor::at(now).to_string()),
        failures: Set(0),
        next_attempt_at: Set(now),
        claimed_until: Set(None),
        last_error: Set(None),
        last_delivered_at: Set(None),
        delivered_events: Set(0),
        created_by: Set(created_by.to_owned()),
        created_at: Set(now),
    };
    Ok(hook.insert(db).await?)
}

pub async fn remove(db: &impl ConnectionTrait, org_id: Uuid, id: Uuid) -> Result<Option<event_hook::Model>, DbErr> {
    let Some(hook) = event_hook::Entity::find_by_id(id).one(db).await?.filter(|h| h.org_id == org_id) else {
        return Ok(None);
    };
    event_hook::Entity::delete_by_id(id).exec(db).await?;
    Ok(Some(hook))
}

pub async fn list(db: &impl ConnectionTrait, org_id: Uuid) -> Result<Vec<event_hook::Model>, DbErr> {
    event_hook::Entity::find()
        .filter(event_hook::Column::OrgId.eq(org_id))
        .order_by_asc(event_hook::Column::CreatedAt)
        .all(db)
        .await
}

fn due(now: DateTime<Utc>) -> Condition {
    Condition::all().add(event_hook::Column::NextAttemptAt.lte(now)).add(
        Condition::any().add(event_hook::Column::ClaimedUntil.is_null()).add(event_hook::Column::ClaimedUntil.lt(now)),
    )
}

/// A hook this instance holds the lease of, with the next events to push to it.
pub struct Push {
    pub hook: event_hook::Model,
    pub events: Vec<budget_event::Model>,
}

impl Push {
    /// The cursor after this push's last event.
    pub fn next(&self) -> String {
        self.events.last().map(|e| Cursor::after(e).to_string()).unwrap_or_else(|| self.hook.cursor.clone())
    }
}

/// Claims due hooks that have events waiting (a compare-and-set per hook).
/// Whether any hook is due and has events to push (reads only: the job's check before its lease).
pub async fn any_due(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<bool, DbErr> {
    for hook in event_hook::Entity::find().filter(due(now)).all(db).await? {
        let after = hook.cursor.parse::<Cursor>().ok();
        if !feed::page(db, hook.org_id, None, after, 1, now).await?.is_empty() {
            return Ok(true);
        }
    }
    Ok(false)
}

pub async fn claim_due(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<Vec<Push>, DbErr> {
    let mut pushes = Vec::new();
    for hook in event_hook::Entity::find().filter(due(now)).all(db).await? {
        let after = hook.cursor.parse::<Cursor>().ok();
        let events = feed::page(db, hook.org_id, None, after, BATCH, now).await?;
        if events.is_empty() {
            continue;
        }
        let won = event_hook::Entity::update_many()
            .col_expr(event_hook::Column::ClaimedUntil, Expr::value(now + LEASE))
            .filter(event_hook::Column::Id.eq(hook.id))
            .filter(event_hook::Column::Cursor.eq(&hook.cursor))
            .filter(due(now))
            .exec(db)
            .await?;
        if won.rows_affected == 1 {
            pushes.push(Push { hook, events });
        }
    }
    Ok(pushes)
}

/// Moves the hook past the pushed events, or keeps them for a later attempt with backoff.
pub async fn record_push(
    db: &DatabaseConnection,
    push: &Push,
    outcome: Result<(), String>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let update = event_hook::Entity::update_many()
        .col_expr(event_hook::Column::ClaimedUntil, Expr::value(Option::<DateTime<Utc>>::None));
    let update = match outcome {
        Ok(()) => update
            .col_expr(event_hook::Column::Cursor, Expr::value(push.next()))
            .col_expr(event_hook::Column::Failures, Expr::value(0))
            .col_expr(event_hook::Column::NextAttemptAt, Expr::value(now))
            .col_expr(event_hook::Column::LastError, Expr::value(Option::<String>::None))
            .col_expr(event_hook::Column::LastDeliveredAt, Expr::value(now))
            .col_expr(
                event_hook::Column::DeliveredEvents,
                Expr::col(event_hook::Column::DeliveredEvents).add(push.events.len() as i64),
            ),
        Err(error) => update
            .col_expr(event_hook::Column::Failures, Expr::col(event_hook::Column::Failures).add(1))
            .col_expr(
                event_hook::Column::NextAttemptAt,
                Expr::value(now + retry_wait(u32::try_from(push.hook.failures).unwrap_or(0) + 1)),
            )
            .col_expr(event_hook::Column::LastError, Expr::value(error)),
    };
    update.filter(event_hook::Column::Id.eq(push.hook.id)).exec(db).await?;
    Ok(())
}
