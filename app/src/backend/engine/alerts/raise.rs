//! Raising an alert inside the transaction that caused it: once per dedup key, fanned out to the outbox and inboxes.

use super::targets::{people, targets_of, Target};
use crate::backend::engine::events;
use crate::backend::entities::{alert, alert_delivery, budget, notification};
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, Set};
use std::collections::BTreeSet;
use tollgate_domain::alerting::Digest;
use uuid::Uuid;

/// Thresholds from which an unacknowledged alert escalates when the budget does not say.
pub const DEFAULT_ESCALATE_FROM: u32 = 90;

pub struct NewAlert<'a> {
    pub org_id: Uuid,
    pub budget: Option<&'a budget::Model>,
    /// threshold, forecast, reserve_used, request or decision
    pub kind: &'static str,
    pub limit_kind: Option<&'static str>,
    pub threshold: Option<u32>,
    pub window_start: Option<DateTime<Utc>>,
    /// At most one alert per organization and key, however many requests or instances raise it.
    pub dedup_key: String,
    pub severity: &'static str,
    pub title: String,
    pub body: String,
    pub detail: serde_json::Value,
}

/// Who hears about an alert: the budget's recipients, or named people.
pub enum Audience {
    Budget,
    People(Vec<Uuid>),
}

/// Writes the alert, its deliveries and inbox entries; returns its id, or None when an alert with
/// the same key exists already (nothing is written then).
pub async fn raise(
    txn: &impl ConnectionTrait,
    new: NewAlert<'_>,
    audience: Audience,
    now: DateTime<Utc>,
) -> Result<Option<Uuid>, DbErr> {
    let id = Uuid::now_v7();
    let escalate_at = new.budget.and_then(|b| {
        let minutes = b.escalate_after_minutes?;
        let from = b.escalate_from.and_then(|p| u32::try_from(p).ok()).unwrap_or(DEFAULT_ESCALATE_FROM);
        (new.threshold? >= from).then(|| now + Duration::minutes(i64::from(minutes)))
    });
    let row = alert::ActiveModel {
        id: Set(id),
        org_id: Set(new.org_id),
        budget_id: Set(new.budget.map(|b| b.id)),
        kind: Set(new.kind.to_owned()),
        limit_kind: Set(new.limit_kind.map(str::to_owned)),
        threshold: Set(new.threshold.map(|t| t as i32)),
        window_start: Set(new.window_start),
        dedup_key: Set(new.dedup_key.clone()),
        severity: Set(new.severity.to_owned()),
        title: Set(new.title.clone()),
        body: Set(new.body.clone()),
        detail: Set(new.detail.to_string()),
        created_at: Set(now),
        acknowledged_at: Set(None),
        acknowledged_by: Set(None),
        escalation_level: Set(0),
        escalate_at: Set(escalate_at),
    };
    let inserted = alert::Entity::insert(row)
        .on_conflict(OnConflict::columns([alert::Column::OrgId, alert::Column::DedupKey]).do_nothing().to_owned())
        .exec_without_returning(txn)
        .await?;
    if inserted == 0 {
        return Ok(None);
    }
    let targets = match (audience, new.budget) {
        (Audience::Budget, Some(budget)) => targets_of(txn, budget, new.threshold).await?,
        (Audience::Budget, None) => BTreeSet::new(),
        (Audience::People(ids), _) => people(txn, ids).await?.into_iter().collect(),
    };
    fan_out(txn, id, targets, 0, now).await?;
    let detail = serde_json::json!({
        "alert_id": id, "kind": new.kind, "severity": new.severity, "limit": new.limit_kind,
        "threshold": new.threshold, "title": new.title, "detail": new.detail,
    });
    events::record(txn, new.org_id, new.budget.map(|b| b.id), "alert", new.window_start, detail, now).await.map_err(
        |e| match e {
            crate::backend::engine::EngineError::Database(db) => db,
            other => DbErr::Custom(other.to_string()),
        },
    )?;
    Ok(Some(id))
}

/// Queues one delivery per email address, Slack or webhook URL, and one inbox entry per person.
pub async fn fan_out(
    txn: &impl ConnectionTrait,
    alert_id: Uuid,
    targets: BTreeSet<Target>,
    level: i32,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let mut inbox = Vec::new();
    let mut outbox = Vec::new();
    let mut emailed = BTreeSet::new();
    for target in targets {
        let (channel, address, secret, at) = match target {
            Target::Inbox(user_id) => {
                inbox.push(notification::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    user_id: Set(user_id),
                    alert_id: Set(alert_id),
                    created_at: Set(now),
                    read_at: Set(None),
                });
                continue;
            }
            // The same address through a person and a list entry gets one message, the sooner one.
            Target::Email { address, .. } if emailed.contains(&address) => continue,
            Target::Email { address, digest } => {
                emailed.insert(address.clone());
                let channel = if digest == Digest::Immediate { "email" } else { "email_digest" };
                (channel, address, None, digest.send_at(now))
            }
            Target::Slack(url) => ("slack", url, None, now),
            Target::Webhook { url, secret } => ("webhook", url, Some(secret), now),
        };
        outbox.push(alert_delivery::ActiveModel {
            id: Set(Uuid::now_v7()),
            alert_id: Set(alert_id),
            channel: Set(channel.to_owned()),
            target: Set(address),
            secret: Set(secret),
            escalation_level: Set(level),
            state: Set("pending".to_owned()),
            attempts: Set(0),
            next_attempt_at: Set(at),
            claimed_until: Set(None),
            last_error: Set(None),
            created_at: Set(now),
            delivered_at: Set(None),
        });
    }
    if !inbox.is_empty() {
        notification::Entity::insert_many(inbox)
            .on_conflict(
                OnConflict::columns([notification::Column::UserId, notification::Column::AlertId])
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(txn)
            .await?;
    }
    if !outbox.is_empty() {
        alert_delivery::Entity::insert_many(outbox).exec_without_returning(txn).await?;
    }
    Ok(())
}
