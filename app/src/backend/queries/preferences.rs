//! Stored budgeting preferences read and resolved per level: what pages show, budgets inherit and
//! the engine applies to unpriced models.

use crate::backend::entities::{budget, organization, preference};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use std::collections::BTreeMap;
use tollgate_domain::preferences::{resolve, Key, Level, Resolved, UnpricedPolicy};
use tollgate_domain::ScopeKind;
use uuid::Uuid;

/// The values one level sets for one subject (the organization, a user or a project).
pub async fn set_at(
    db: &impl ConnectionTrait,
    org: &organization::Model,
    level: Level,
    subject: Uuid,
) -> Result<BTreeMap<Key, String>, DbErr> {
    let rows = preference::Entity::find()
        .filter(preference::Column::OrgId.eq(org.id))
        .filter(preference::Column::Level.eq(level.as_str()))
        .filter(preference::Column::SubjectId.eq(subject))
        .all(db)
        .await?;
    let mut values: BTreeMap<Key, String> =
        rows.into_iter().filter_map(|r| r.key.parse::<Key>().ok().map(|k| (k, r.value))).collect();
    if level == Level::System {
        // The ledger's currency and time zone live on the organization itself.
        values.insert(Key::Currency, org.currency.clone());
        values.insert(Key::TimeZone, org.timezone.clone());
    }
    Ok(values)
}

/// Every preference resolved for this user and project (either may be absent).
pub async fn resolved(
    db: &impl ConnectionTrait,
    org: &organization::Model,
    user: Option<Uuid>,
    project: Option<Uuid>,
) -> Result<Vec<Resolved>, DbErr> {
    let system = set_at(db, org, Level::System, org.id).await?;
    let user = match user {
        Some(id) => set_at(db, org, Level::User, id).await?,
        None => BTreeMap::new(),
    };
    let project = match project {
        Some(id) => set_at(db, org, Level::Project, id).await?,
        None => BTreeMap::new(),
    };
    Ok(Key::ALL
        .into_iter()
        .map(|k| {
            resolve(
                k,
                system.get(&k).map(String::as_str),
                user.get(&k).map(String::as_str),
                project.get(&k).map(String::as_str),
            )
        })
        .collect())
}

/// The preferences a budget inherits: a project budget its project's, a personal budget its person's,
/// a team or organization budget the organization's.
pub async fn for_budget(
    db: &impl ConnectionTrait,
    org: &organization::Model,
    model: &budget::Model,
) -> Result<Vec<Resolved>, DbErr> {
    match model.scope_kind.parse::<ScopeKind>() {
        Ok(ScopeKind::Project) => resolved(db, org, None, Some(model.scope_id)).await,
        Ok(ScopeKind::User) => resolved(db, org, Some(model.scope_id), None).await,
        _ => resolved(db, org, None, None).await,
    }
}

/// How usage of a model without a price is treated for this project.
pub async fn unpriced_policy(
    db: &impl ConnectionTrait,
    org: &organization::Model,
    project: Uuid,
) -> Result<UnpricedPolicy, DbErr> {
    let value = resolved(db, org, None, Some(project))
        .await?
        .into_iter()
        .find(|r| r.key == Key::UnpricedModels)
        .map(|r| r.value)
        .unwrap_or_default();
    Ok(UnpricedPolicy::parse(&value).unwrap_or(UnpricedPolicy::Reject))
}
