//! A budget's alert recipients as people configure them: adding and removing (the engine's
//! `alerts::targets` lists and expands them).

pub use crate::backend::engine::alerts::targets::list;
use crate::backend::engine::EngineError;
use crate::backend::entities::{alert_recipient, budget, user};
use crate::backend::services::outbound::OutboundPolicy;
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set};
use tollgate_domain::alerting::RecipientKind;
use uuid::Uuid;

/// A recipient to add: its kind, its target and the lowest threshold it hears of.
pub struct NewRecipient<'a> {
    pub kind: RecipientKind,
    pub target: &'a str,
    pub min_threshold: Option<u32>,
}

/// Adds a recipient after checking its target (a Slack or webhook URL must not name an internal
/// address, `outbound`; callers resolve it with `OutboundPolicy::check` before their transaction);
/// webhooks get a fresh signing secret.
pub async fn add(
    db: &impl ConnectionTrait,
    budget: &budget::Model,
    new: NewRecipient<'_>,
    outbound: &OutboundPolicy,
    now: DateTime<Utc>,
) -> Result<alert_recipient::Model, EngineError> {
    let NewRecipient { kind, target, min_threshold } = new;
    let mut target = kind.validate_target(target).map_err(EngineError::InvalidInput)?;
    if matches!(kind, RecipientKind::Slack | RecipientKind::Webhook) {
        outbound.check_literal(&target).map_err(EngineError::InvalidInput)?;
    }
    if kind == RecipientKind::User {
        let person = find_person(db, budget.org_id, &target).await?;
        target = person.id.to_string();
    }
    let exists = alert_recipient::Entity::find()
        .filter(alert_recipient::Column::BudgetId.eq(budget.id))
        .filter(alert_recipient::Column::Kind.eq(kind.as_str()))
        .filter(alert_recipient::Column::Target.eq(&target))
        .one(db)
        .await?;
    if exists.is_some() {
        return Err(EngineError::InvalidInput("this recipient is already on the list".into()));
    }
    let secret = (kind == RecipientKind::Webhook).then(new_secret);
    let row = alert_recipient::ActiveModel {
        id: Set(Uuid::now_v7()),
        budget_id: Set(budget.id),
        kind: Set(kind.as_str().to_owned()),
        target: Set(target),
        secret: Set(secret),
        min_threshold: Set(min_threshold.map(|t| t.min(1000) as i32)),
        created_at: Set(now),
    };
    Ok(row.insert(db).await?)
}

/// Adds the recipients a new budget gets by default: `me` (the person creating it; nobody when an
/// API key creates it), `leads` and `approvers` (roles); unknown choices are ignored.
pub async fn add_defaults(
    db: &impl ConnectionTrait,
    budget: &budget::Model,
    choices: &[String],
    me: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<(), EngineError> {
    // People and roles only: nothing is sent anywhere outside, so no host is allowed.
    let nowhere = OutboundPolicy::default();
    let me = me.map(|id| id.to_string());
    for choice in choices {
        let (kind, target) = match (choice.as_str(), &me) {
            ("me", Some(me)) => (RecipientKind::User, me.as_str()),
            ("leads" | "approvers", _) => (RecipientKind::Role, choice.as_str()),
            _ => continue,
        };
        add(db, budget, NewRecipient { kind, target, min_threshold: None }, &nowhere, now).await?;
    }
    Ok(())
}

pub async fn remove(db: &impl ConnectionTrait, budget_id: Uuid, id: Uuid) -> Result<bool, DbErr> {
    let gone = alert_recipient::Entity::delete_many()
        .filter(alert_recipient::Column::Id.eq(id))
        .filter(alert_recipient::Column::BudgetId.eq(budget_id))
        .exec(db)
        .await?;
    Ok(gone.rows_affected == 1)
}

/// A person named by id, handle or email address.
async fn find_person(db: &impl ConnectionTrait, org_id: Uuid, name: &str) -> Result<user::Model, EngineError> {
    let by = match Uuid::parse_str(name) {
        Ok(id) => user::Column::Id.eq(id),
        Err(_) if name.contains('@') => user::Column::Email.eq(name.to_lowercase()),
        Err(_) => user::Column::Handle.eq(name),
    };
    user::Entity::find()
        .filter(user::Column::OrgId.eq(org_id))
        .filter(by)
        .one(db)
        .await?
        .ok_or_else(|| EngineError::InvalidInput(format!("nobody called '{name}' in this organization")))
}

pub(crate) fn new_secret() -> String {
    use rand::RngCore;
    let mut bytes = [0_u8; 24];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
