//! People known by handle (from usage or the API): create, list, rename, deactivate.

use super::{audit, check_name, invalid, taken, Change};
use crate::backend::engine::{begin_write, EngineError};
use crate::backend::entities::user;
use crate::backend::services::ServiceError;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A user as the API shows it (never the password hash).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UserView {
    pub id: Uuid,
    pub handle: String,
    pub display_name: String,
    pub email: Option<String>,
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

impl From<user::Model> for UserView {
    fn from(u: user::Model) -> Self {
        UserView {
            id: u.id,
            handle: u.handle,
            display_name: u.display_name,
            email: u.email,
            active: u.active,
            created_at: u.created_at,
        }
    }
}

pub async fn users(db: &impl ConnectionTrait, org_id: Uuid) -> Result<Vec<UserView>, EngineError> {
    let rows =
        user::Entity::find().filter(user::Column::OrgId.eq(org_id)).order_by_asc(user::Column::Handle).all(db).await?;
    Ok(rows.into_iter().map(UserView::from).collect())
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[derive(utoipa::ToSchema)]
pub struct NewUser {
    pub handle: String,
    pub display_name: Option<String>,
    pub email: Option<String>,
}

pub async fn create_user(
    db: &DatabaseConnection,
    org_id: Uuid,
    input: NewUser,
    change: Change<'_>,
) -> Result<UserView, ServiceError> {
    let txn = begin_write(db).await?;
    let db = &txn;
    let now = change.now;
    let handle = check_name(&input.handle, "a user handle")?;
    let email = input
        .email
        .map(|e| super::super::accounts::normalize_email(&e))
        .transpose()
        .map_err(|e| invalid(e.to_string()))?;
    if let Some(email) = &email {
        if super::super::accounts::email_in_use(db, email).await? {
            return Err(invalid(format!("an account with the email '{email}' already exists")).into());
        }
    }
    let id = Uuid::now_v7();
    let row = user::ActiveModel {
        id: Set(id),
        org_id: Set(org_id),
        display_name: Set(input
            .display_name
            .map(|n| n.trim().to_owned())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| handle.clone())),
        handle: Set(handle.clone()),
        email: Set(email),
        password_hash: Set(None),
        active: Set(true),
        created_at: Set(now),
        alert_digest: Set("immediate".into()),
    };
    row.insert(db).await.map_err(|e| taken(e, format!("a user '{handle}'")))?;
    let view: UserView = user::Entity::find_by_id(id).one(db).await?.ok_or(sea_orm::DbErr::RecordNotInserted)?.into();
    audit(db, org_id, "user_created", &view, change).await?;
    txn.commit().await?;
    Ok(view)
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[derive(utoipa::ToSchema)]
pub struct UserPatch {
    pub display_name: Option<String>,
    /// A deactivated user cannot log in; their usage history stays.
    pub active: Option<bool>,
}

pub async fn update_user(
    db: &DatabaseConnection,
    org_id: Uuid,
    user_id: Uuid,
    patch: UserPatch,
    change: Change<'_>,
) -> Result<UserView, ServiceError> {
    let txn = begin_write(db).await?;
    let db = &txn;
    let current = user::Entity::find_by_id(user_id)
        .filter(user::Column::OrgId.eq(org_id))
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::not_found(format!("user {user_id}")))?;
    let mut row: user::ActiveModel = current.into();
    if let Some(name) = patch.display_name {
        row.display_name = Set(check_name(&name, "a display name")?);
    }
    if let Some(active) = patch.active {
        row.active = Set(active);
    }
    let view: UserView = row.update(db).await?.into();
    if !view.active {
        crate::auth::store::end_sessions(db, view.id, None).await?;
    }
    audit(db, org_id, "user_changed", &view, change).await?;
    txn.commit().await?;
    Ok(view)
}

/// One user of the organization.
pub async fn user(db: &impl ConnectionTrait, org_id: Uuid, id: Uuid) -> Result<Option<UserView>, EngineError> {
    Ok(user::Entity::find_by_id(id).filter(user::Column::OrgId.eq(org_id)).one(db).await?.map(UserView::from))
}

/// The active person of the organization with this handle.
pub async fn active_user_by_handle(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    handle: &str,
) -> Result<Option<user::Model>, EngineError> {
    Ok(user::Entity::find()
        .filter(user::Column::OrgId.eq(org_id))
        .filter(user::Column::Handle.eq(handle))
        .filter(user::Column::Active.eq(true))
        .one(db)
        .await?)
}
