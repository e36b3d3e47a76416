//! Email digest subscriptions: a person subscribes to a weekly or monthly digest of a scope they may
//! see (the organization, a team, a project); the digests job composes each one once per period.

pub mod compose;
pub mod outbox;

use crate::auth::{Account, Role};
use crate::backend::entities::{digest_subscription, project, project_member, team};
use crate::backend::services::ServiceError;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DigestView {
    pub id: Uuid,
    pub frequency: String,
    /// "organization", "team:<id>" or "project:<id>"
    pub scope: String,
    pub scope_name: String,
}

/// A scope a person may subscribe to, as the form offers it: value and label.
pub async fn scopes_for(db: &impl ConnectionTrait, account: &Account) -> Result<Vec<(String, String)>, ServiceError> {
    let mut scopes = vec![("organization".to_owned(), "The whole organization".to_owned())];
    let teams = team::Entity::find()
        .filter(team::Column::OrgId.eq(account.org_id))
        .order_by_asc(team::Column::Name)
        .all(db)
        .await?;
    let projects = project::Entity::find()
        .filter(project::Column::OrgId.eq(account.org_id))
        .order_by_asc(project::Column::Name)
        .all(db)
        .await?;
    let mine: Vec<Uuid> = project_member::Entity::find()
        .filter(project_member::Column::UserId.eq(account.id))
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.project_id)
        .collect();
    let admin = account.has(Role::Admin);
    for t in teams.iter().filter(|t| admin || account.teams.contains(&t.id)) {
        scopes.push((format!("team:{}", t.id), format!("Team {}", t.name)));
    }
    for p in projects.iter().filter(|p| admin || account.teams.contains(&p.team_id) || mine.contains(&p.id)) {
        scopes.push((format!("project:{}", p.id), format!("Project {}", p.name)));
    }
    Ok(scopes)
}

pub async fn list(db: &impl ConnectionTrait, account: &Account) -> Result<Vec<DigestView>, ServiceError> {
    let scopes = scopes_for(db, account).await?;
    let subscriptions = digest_subscription::Entity::find()
        .filter(digest_subscription::Column::UserId.eq(account.id))
        .order_by_asc(digest_subscription::Column::CreatedAt)
        .all(db)
        .await?;
    Ok(subscriptions
        .into_iter()
        .map(|s| {
            let scope = scope_value(&s);
            let scope_name = scopes
                .iter()
                .find(|(v, _)| *v == scope)
                .map_or_else(|| "(no longer visible)".into(), |(_, l)| l.clone());
            DigestView { id: s.id, frequency: s.frequency, scope, scope_name }
        })
        .collect())
}

pub fn scope_value(s: &digest_subscription::Model) -> String {
    match s.scope_kind.as_str() {
        "organization" => "organization".into(),
        kind => format!("{kind}:{}", s.scope_id),
    }
}

/// Subscribes (again subscribing to the same digest changes nothing).
pub async fn subscribe(
    db: &impl ConnectionTrait,
    account: &Account,
    frequency: &str,
    scope: &str,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    if frequency != "weekly" && frequency != "monthly" {
        return Err(ServiceError::Invalid(format!("a digest is weekly or monthly, not '{frequency}'")));
    }
    if !scopes_for(db, account).await?.iter().any(|(v, _)| v == scope) {
        return Err(ServiceError::forbidden(
            "you may subscribe only to the organization and to teams and projects you can see",
        ));
    }
    let (kind, id) = match scope.split_once(':') {
        Some((kind, id)) => (kind, id.parse::<Uuid>().map_err(|_| ServiceError::Invalid("unknown scope".into()))?),
        None => ("organization", account.org_id),
    };
    let row = digest_subscription::ActiveModel {
        id: Set(Uuid::now_v7()),
        org_id: Set(account.org_id),
        user_id: Set(account.id),
        frequency: Set(frequency.to_owned()),
        scope_kind: Set(kind.to_owned()),
        scope_id: Set(id),
        created_at: Set(now),
    };
    use digest_subscription::Column as C;
    digest_subscription::Entity::insert(row)
        .on_conflict(OnConflict::columns([C::UserId, C::Frequency, C::ScopeKind, C::ScopeId]).do_nothing().to_owned())
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Ends one of the account's own subscriptions; false when it has no such subscription.
pub async fn unsubscribe(db: &impl ConnectionTrait, account: &Account, id: Uuid) -> Result<bool, ServiceError> {
    use crate::backend::entities::digest_send;
    let Some(own) = digest_subscription::Entity::find_by_id(id).one(db).await?.filter(|s| s.user_id == account.id)
    else {
        return Ok(false);
    };
    digest_send::Entity::delete_many().filter(digest_send::Column::SubscriptionId.eq(own.id)).exec(db).await?;
    digest_subscription::Entity::delete_by_id(own.id).exec(db).await?;
    Ok(true)
}
