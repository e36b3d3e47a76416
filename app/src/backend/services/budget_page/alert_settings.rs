//! A budget's alert settings as its page shows them: thresholds, escalation, recipients (secrets
//! and delivery errors only to those who manage it) and its latest alerts with their deliveries.

use crate::backend::entities::{alert, alert_delivery, budget, user};
use crate::backend::services::alerts::recipients;
use crate::backend::services::ServiceError;
use crate::models::{AlertSettings, AlertView, DeliveryView, RecipientView};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

pub async fn settings(
    db: &impl ConnectionTrait,
    budget: &budget::Model,
    may_manage: bool,
) -> Result<AlertSettings, ServiceError> {
    let mut shown = Vec::new();
    for r in recipients::list(db, budget.id).await? {
        let target = match (r.kind.as_str(), Uuid::parse_str(&r.target)) {
            ("user", Ok(id)) => user::Entity::find_by_id(id)
                .one(db)
                .await?
                .map(|u| format!("{} <{}>", u.display_name, u.email.unwrap_or_default()))
                .unwrap_or_else(|| "a removed person".into()),
            _ => r.target.clone(),
        };
        let secret = r.secret.filter(|_| may_manage);
        shown.push(RecipientView { id: r.id, kind: r.kind, target, secret, min_threshold: r.min_threshold });
    }
    let alerts = alert::Entity::find()
        .filter(alert::Column::BudgetId.eq(budget.id))
        .order_by_desc(alert::Column::CreatedAt)
        .limit(20)
        .all(db)
        .await?;
    let deliveries = alert_delivery::Entity::find()
        .filter(alert_delivery::Column::AlertId.is_in(alerts.iter().map(|a| a.id)))
        .all(db)
        .await?;
    let recent = alerts
        .into_iter()
        .map(|a| AlertView {
            id: a.id,
            severity: a.severity,
            title: a.title,
            created_at: a.created_at,
            acknowledged: a.acknowledged_at.is_some(),
            escalation_level: a.escalation_level,
            deliveries: deliveries
                .iter()
                .filter(|d| d.alert_id == a.id)
                .map(|d| DeliveryView {
                    channel: d.channel.clone(),
                    target: if may_manage { d.target.clone() } else { d.channel.clone() },
                    state: d.state.clone(),
                    attempts: d.attempts,
                    last_error: d.last_error.clone().filter(|_| may_manage),
                })
                .collect(),
        })
        .collect();
    Ok(AlertSettings {
        may_manage,
        thresholds: budget.thresholds.replace(',', ", "),
        escalate_after_minutes: budget.escalate_after_minutes,
        escalate_from: budget.escalate_from,
        recipients: shown,
        recent,
    })
}
