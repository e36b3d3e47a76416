//! A budget's alert recipients: listing, adding and removing them, and expanding them to people and addresses.

use crate::backend::engine::EngineError;
use crate::backend::entities::{alert_recipient, budget, project, team_member, user, user_role};
use crate::backend::services::outbound::OutboundPolicy;
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, Set};
use std::collections::BTreeSet;
use tollgate_domain::alerting::{Digest, RecipientKind};
use uuid::Uuid;

/// One place an alert goes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Target {
    Inbox(Uuid),
    Email { address: String, digest: Digest },
    Slack(String),
    Webhook { url: String, secret: String },
}

pub async fn list(db: &impl ConnectionTrait, budget_id: Uuid) -> Result<Vec<alert_recipient::Model>, DbErr> {
    alert_recipient::Entity::find()
        .filter(alert_recipient::Column::BudgetId.eq(budget_id))
        .order_by_asc(alert_recipient::Column::CreatedAt)
        .order_by_asc(alert_recipient::Column::Id)
        .all(db)
        .await
}

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

/// Where an alert of `threshold` percent (None for alerts without one) goes: the budget's recipients,
/// or, when it has none, the leads of its scope (admins for the organization's budgets).
pub async fn targets_of(
    db: &impl ConnectionTrait,
    budget: &budget::Model,
    threshold: Option<u32>,
) -> Result<BTreeSet<Target>, DbErr> {
    let recipients = list(db, budget.id).await?;
    let mut targets = BTreeSet::new();
    if recipients.is_empty() {
        targets.extend(role_targets(db, budget, "leads").await?);
        if budget.scope_kind == "user" {
            targets.extend(people(db, [budget.scope_id]).await?);
        }
        return Ok(targets);
    }
    for r in recipients {
        let muted = matches!((threshold, r.min_threshold), (Some(t), Some(min)) if (t as i32) < min);
        if muted {
            continue;
        }
        match r.kind.parse::<RecipientKind>() {
            Ok(RecipientKind::User) => {
                if let Ok(id) = Uuid::parse_str(&r.target) {
                    targets.extend(people(db, [id]).await?);
                }
            }
            Ok(RecipientKind::Role) => targets.extend(role_targets(db, budget, &r.target).await?),
            Ok(RecipientKind::Email) => {
                targets.insert(Target::Email { address: r.target, digest: Digest::Immediate });
            }
            Ok(RecipientKind::Slack) => {
                targets.insert(Target::Slack(r.target));
            }
            Ok(RecipientKind::Webhook) => {
                targets.insert(Target::Webhook { url: r.target, secret: r.secret.unwrap_or_default() });
            }
            Err(_) => {}
        }
    }
    Ok(targets)
}

/// Everyone holding `role` for the budget: `leads` of its team (admins when it has no team or no
/// leads), or the organization's `approvers` or `admins`.
pub async fn role_targets(db: &impl ConnectionTrait, budget: &budget::Model, role: &str) -> Result<Vec<Target>, DbErr> {
    let ids = match role {
        "leads" => {
            let leads = team_leads(db, budget).await?;
            if leads.is_empty() {
                holders(db, budget.org_id, "admin").await?
            } else {
                leads
            }
        }
        "approvers" => holders(db, budget.org_id, "approver").await?,
        _ => holders(db, budget.org_id, "admin").await?,
    };
    people(db, ids).await
}

async fn team_leads(db: &impl ConnectionTrait, budget: &budget::Model) -> Result<Vec<Uuid>, DbErr> {
    let teams: Vec<Uuid> = match budget.scope_kind.as_str() {
        "team" => vec![budget.scope_id],
        "project" => {
            project::Entity::find_by_id(budget.scope_id).one(db).await?.map(|p| p.team_id).into_iter().collect()
        }
        "user" => team_member::Entity::find()
            .filter(team_member::Column::UserId.eq(budget.scope_id))
            .all(db)
            .await?
            .into_iter()
            .map(|m| m.team_id)
            .collect(),
        _ => Vec::new(),
    };
    Ok(team_member::Entity::find()
        .filter(team_member::Column::TeamId.is_in(teams))
        .filter(team_member::Column::IsLead.eq(true))
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.user_id)
        .collect())
}

/// The organization's people holding `role` (admin, approver, lead).
pub async fn holders(db: &impl ConnectionTrait, org_id: Uuid, role: &str) -> Result<Vec<Uuid>, DbErr> {
    let ids: Vec<Uuid> = user_role::Entity::find()
        .filter(user_role::Column::Role.eq(role))
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.user_id)
        .collect();
    let in_org = user::Entity::find().filter(user::Column::OrgId.eq(org_id)).filter(user::Column::Id.is_in(ids));
    Ok(in_org.all(db).await?.into_iter().map(|u| u.id).collect())
}

/// The inbox of each active person, and their email in the way they chose to receive it.
pub async fn people(db: &impl ConnectionTrait, ids: impl IntoIterator<Item = Uuid>) -> Result<Vec<Target>, DbErr> {
    let found =
        user::Entity::find().filter(user::Column::Id.is_in(ids)).filter(user::Column::Active.eq(true)).all(db).await?;
    let mut targets = Vec::new();
    for person in found {
        targets.push(Target::Inbox(person.id));
        if let Some(address) = person.email {
            let digest = Digest::parse(&person.alert_digest).unwrap_or(Digest::Immediate);
            targets.push(Target::Email { address, digest });
        }
    }
    Ok(targets)
}
