//! The API keys page's use cases: the keys with their last use, creating one (its secret shown
//! once) and revoking one; each change audited in the same transaction.

use super::directory::Change;
use super::{organizations, ServiceError};
use crate::backend::engine::keys;
pub use crate::backend::engine::keys::Permission;
use crate::backend::engine::{begin_write, events};
use crate::backend::entities::{api_key, project};
use crate::models::{KeyRow, KeysPage};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

/// Every key of the organization, newest first, and the projects a new key may be bound to.
pub async fn keys_page(db: &impl ConnectionTrait, org_id: Uuid) -> Result<KeysPage, ServiceError> {
    let projects = project::Entity::find()
        .filter(project::Column::OrgId.eq(org_id))
        .order_by_asc(project::Column::Slug)
        .all(db)
        .await?;
    let slug = |id: Uuid| projects.iter().find(|p| p.id == id).map(|p| p.slug.clone());
    let keys = api_key::Entity::find()
        .filter(api_key::Column::OrgId.eq(org_id))
        .order_by_desc(api_key::Column::CreatedAt)
        .all(db)
        .await?
        .into_iter()
        .map(|k| KeyRow {
            id: k.id,
            name: k.name,
            prefix: format!("tg_{}_…", k.prefix),
            permission: k.permission,
            project: k.project_id.and_then(slug),
            created_at: k.created_at,
            last_used_at: k.last_used_at,
            revoked_at: k.revoked_at,
        })
        .collect();
    Ok(KeysPage { keys, projects: projects.iter().map(|p| p.slug.clone()).collect() })
}

/// A key to create: its name, what it may do, and the project (by slug) it is bound to, if any.
pub struct NewKey<'a> {
    pub org_id: Uuid,
    pub name: &'a str,
    pub permission: Permission,
    pub project: Option<&'a str>,
}

/// Creates a key and returns its secret, which is never stored and never shown again.
pub async fn create_key(db: &DatabaseConnection, new: NewKey<'_>, change: Change<'_>) -> Result<String, ServiceError> {
    let txn = begin_write(db).await?;
    let project_id = match new.project {
        Some(slug) => Some(
            organizations::project_by_slug(&txn, new.org_id, slug)
                .await?
                .ok_or_else(|| ServiceError::invalid(format!("unknown project '{slug}'")))?
                .id,
        ),
        None => None,
    };
    let (key, secret) = keys::create(&txn, new.org_id, new.name, new.permission, project_id, change.now).await?;
    let detail = serde_json::json!({
        "key": key.name, "prefix": key.prefix, "permission": key.permission, "project": new.project
    });
    events::record_by(&txn, new.org_id, None, "api_key_created", detail, change.actor, change.now).await?;
    txn.commit().await?;
    Ok(secret)
}

/// Revokes a live key of the organization; the next request with it is refused.
pub async fn revoke_key(
    db: &DatabaseConnection,
    org_id: Uuid,
    key_id: Uuid,
    change: Change<'_>,
) -> Result<(), ServiceError> {
    let txn = begin_write(db).await?;
    if !keys::revoke(&txn, org_id, key_id, change.now).await? {
        return Err(ServiceError::not_found("a live key with that id"));
    }
    let detail = serde_json::json!({ "key_id": key_id });
    events::record_by(&txn, org_id, None, "api_key_revoked", detail, change.actor, change.now).await?;
    txn.commit().await?;
    Ok(())
}
