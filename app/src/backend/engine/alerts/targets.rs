//! Where an alert goes: a budget's recipients expanded to inboxes, addresses, channels and hooks.

use crate::backend::entities::{alert_recipient, budget, project, team_member, user, user_role};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};
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
