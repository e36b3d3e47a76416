//! The People page's use cases: the organization's people with their roles, adding an account,
//! changing roles, deactivating and reactivating; each in one write transaction, audited.

use super::accounts::{self, NewAccount};
use super::directory::Change;
use super::ServiceError;
use crate::auth::Role;
use crate::backend::engine::{begin_write, events};
use crate::backend::entities::user;
use crate::models::Person;
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

/// Everyone in the organization, by handle, with their roles.
pub async fn people(db: &impl ConnectionTrait, org_id: Uuid) -> Result<Vec<Person>, ServiceError> {
    let rows =
        user::Entity::find().filter(user::Column::OrgId.eq(org_id)).order_by_asc(user::Column::Handle).all(db).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let roles = accounts::roles_of(db, row.id).await?;
        out.push(Person {
            id: row.id,
            can_sign_in: row.password_hash.is_some(),
            handle: row.handle,
            display_name: row.display_name,
            email: row.email,
            active: row.active,
            roles,
        });
    }
    Ok(out)
}

/// Creates a sign-in account with these roles (plus viewer) and returns its handle.
pub async fn add_person(
    db: &DatabaseConnection,
    account: NewAccount<'_>,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<String, ServiceError> {
    let txn = begin_write(db).await?;
    let org_id = account.org_id;
    let names = account.roles.to_vec();
    let created = accounts::create_account(&txn, account, now).await?;
    let detail = serde_json::json!({ "user": created.handle, "roles": names });
    events::record_by(&txn, org_id, None, "account_created", detail, actor, now).await?;
    txn.commit().await?;
    Ok(created.handle)
}

/// Replaces a person's roles; the organization always keeps an active admin.
pub async fn set_person_roles(
    db: &DatabaseConnection,
    org_id: Uuid,
    user_id: Uuid,
    roles: &[Role],
    change: Change<'_>,
) -> Result<(), ServiceError> {
    let txn = begin_write(db).await?;
    let person = person_of(&txn, org_id, user_id).await?;
    accounts::set_roles(&txn, &person, roles, change).await?;
    txn.commit().await?;
    Ok(())
}

/// Deactivates (ending their sessions) or reactivates a person.
pub async fn set_person_active(
    db: &DatabaseConnection,
    org_id: Uuid,
    user_id: Uuid,
    active: bool,
    change: Change<'_>,
) -> Result<(), ServiceError> {
    let txn = begin_write(db).await?;
    let person = person_of(&txn, org_id, user_id).await?;
    accounts::set_active(&txn, person, active, change).await?;
    txn.commit().await?;
    Ok(())
}

async fn person_of(db: &impl ConnectionTrait, org_id: Uuid, user_id: Uuid) -> Result<user::Model, ServiceError> {
    user::Entity::find_by_id(user_id)
        .filter(user::Column::OrgId.eq(org_id))
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::not_found("that person"))
}
