//! Accounts: password policy, argon2 hashing, and creating users with roles.

use super::directory::Change;
use crate::backend::engine::events;
use crate::backend::entities::{user, user_role};
use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set};
use serde_json::json;
use tollgate_domain::Role;
use uuid::Uuid;

pub const MIN_PASSWORD_LENGTH: usize = 12;
const WEAK_PASSWORDS: [&str; 8] =
    ["password", "123456", "qwerty", "letmein", "welcome", "admin", "tollgate", "iloveyou"];

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("the password must be at least {MIN_PASSWORD_LENGTH} characters long")]
    PasswordTooShort,
    #[error("the password is too easy to guess: it contains \"{0}\", one of the first words tried")]
    PasswordCommonWord(&'static str),
    #[error("the password is too easy to guess: it uses fewer than 4 different characters")]
    PasswordFewCharacters,
    #[error("'{0}' is not a valid email address")]
    InvalidEmail(String),
    #[error("an account with the email '{0}' already exists")]
    EmailTaken(String),
    #[error("the current password is not correct")]
    WrongPassword,
    #[error("the organization must keep at least one active admin")]
    LastAdmin,
    #[error("password hashing failed")]
    Hashing,
    #[error(transparent)]
    Database(#[from] DbErr),
    #[error(transparent)]
    Engine(#[from] crate::backend::engine::EngineError),
}

pub fn check_password_policy(password: &str) -> Result<(), AccountError> {
    if password.chars().count() < MIN_PASSWORD_LENGTH {
        return Err(AccountError::PasswordTooShort);
    }
    let lower = password.to_lowercase();
    if let Some(word) = WEAK_PASSWORDS.iter().find(|weak| lower.contains(*weak)) {
        return Err(AccountError::PasswordCommonWord(word));
    }
    if lower.chars().collect::<std::collections::HashSet<_>>().len() < 4 {
        return Err(AccountError::PasswordFewCharacters);
    }
    Ok(())
}

/// Argon2id with the crate defaults (m = 19 MiB, t = 2, p = 1), as OWASP recommends.
pub fn hash_password(password: &str) -> Result<String, AccountError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|_| AccountError::Hashing)
}

pub fn verify_password(password: &str, stored_hash: &str) -> bool {
    PasswordHash::new(stored_hash)
        .map(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
        .unwrap_or(false)
}

pub fn normalize_email(email: &str) -> Result<String, AccountError> {
    let email = email.trim().to_lowercase();
    match email.split_once('@') {
        Some((local, domain)) if !local.is_empty() && domain.contains('.') && !email.contains(' ') => Ok(email),
        _ => Err(AccountError::InvalidEmail(email)),
    }
}

pub struct NewAccount<'a> {
    pub org_id: Uuid,
    pub email: &'a str,
    pub display_name: &'a str,
    pub password: &'a str,
    pub roles: &'a [&'a str],
}

/// Whether a person already has this (normalised) email, in any organization: sign-in finds an
/// account by its email alone, so one email is one person.
pub async fn email_in_use(db: &impl ConnectionTrait, email: &str) -> Result<bool, sea_orm::DbErr> {
    Ok(user::Entity::find().filter(user::Column::Email.eq(email)).one(db).await?.is_some())
}

/// Creates a login account (its handle is its email) with the given roles plus `viewer`.
pub async fn create_account(
    db: &impl ConnectionTrait,
    account: NewAccount<'_>,
    now: DateTime<Utc>,
) -> Result<user::Model, AccountError> {
    let email = normalize_email(account.email)?;
    check_password_policy(account.password)?;
    let taken = user::Entity::find()
        .filter(user::Column::OrgId.eq(account.org_id))
        .filter(user::Column::Handle.eq(email.clone()))
        .one(db)
        .await?;
    if taken.is_some() || email_in_use(db, &email).await? {
        return Err(AccountError::EmailTaken(email));
    }
    let created = user::ActiveModel {
        id: Set(Uuid::now_v7()),
        org_id: Set(account.org_id),
        handle: Set(email.clone()),
        display_name: Set(account.display_name.trim().to_owned()),
        email: Set(Some(email)),
        password_hash: Set(Some(hash_password(account.password)?)),
        active: Set(true),
        created_at: Set(now),
        alert_digest: Set("immediate".into()),
    }
    .insert(db)
    .await?;
    let mut roles: Vec<&str> = account.roles.to_vec();
    roles.push("viewer");
    roles.sort_unstable();
    roles.dedup();
    for role in roles {
        user_role::ActiveModel { user_id: Set(created.id), role: Set(role.to_owned()) }.insert(db).await?;
    }
    Ok(created)
}

/// Replaces an account's roles (`viewer` is always kept). The organization always keeps an active admin.
pub async fn set_roles(
    db: &impl ConnectionTrait,
    account: &user::Model,
    roles: &[Role],
    change: Change<'_>,
) -> Result<(), AccountError> {
    let before = roles_of(db, account.id).await?;
    let mut after: Vec<Role> = roles.iter().copied().chain([Role::Viewer]).collect();
    after.sort_unstable();
    after.dedup();
    if before.contains(&Role::Admin) && !after.contains(&Role::Admin) {
        ensure_another_admin(db, account).await?;
    }
    user_role::Entity::delete_many().filter(user_role::Column::UserId.eq(account.id)).exec(db).await?;
    for role in &after {
        user_role::ActiveModel { user_id: Set(account.id), role: Set(role.as_str().to_owned()) }.insert(db).await?;
    }
    let detail = json!({ "user": account.handle, "from": before, "to": after });
    events::record_by(db, account.org_id, None, "roles_changed", detail, change.actor, change.now).await?;
    Ok(())
}

/// Deactivates (ending every session at once) or reactivates an account.
pub async fn set_active(
    db: &impl ConnectionTrait,
    account: user::Model,
    active: bool,
    change: Change<'_>,
) -> Result<(), AccountError> {
    if !active && roles_of(db, account.id).await?.contains(&Role::Admin) {
        ensure_another_admin(db, &account).await?;
    }
    let (org_id, handle, id) = (account.org_id, account.handle.clone(), account.id);
    let mut row: user::ActiveModel = account.into();
    row.active = Set(active);
    row.update(db).await?;
    if !active {
        crate::auth::store::end_sessions(db, id, None).await?;
    }
    let kind = if active { "account_reactivated" } else { "account_deactivated" };
    events::record_by(db, org_id, None, kind, json!({ "user": handle }), change.actor, change.now).await?;
    Ok(())
}

/// Changes a password after checking the current one; the account's other sessions end.
pub async fn change_password(
    db: &impl ConnectionTrait,
    account: user::Model,
    current: &str,
    new: &str,
    keep_session: Option<&tower_sessions::session::Id>,
    now: DateTime<Utc>,
) -> Result<(), AccountError> {
    if !account.password_hash.as_deref().is_some_and(|hash| verify_password(current, hash)) {
        return Err(AccountError::WrongPassword);
    }
    check_password_policy(new)?;
    let (org_id, handle, id) = (account.org_id, account.handle.clone(), account.id);
    let mut row: user::ActiveModel = account.into();
    row.password_hash = Set(Some(hash_password(new)?));
    row.update(db).await?;
    crate::auth::store::end_sessions(db, id, keep_session).await?;
    events::record_by(db, org_id, None, "password_changed", json!({ "user": handle }), &handle, now).await?;
    Ok(())
}

/// A password change as the person typed it.
pub struct PasswordChange<'a> {
    pub current: &'a str,
    pub new: &'a str,
}

/// The signed-in person changes their own password; their other sessions end.
pub async fn change_own_password(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    change: PasswordChange<'_>,
    keep_session: Option<&tower_sessions::session::Id>,
    now: DateTime<Utc>,
) -> Result<(), super::ServiceError> {
    let account = user::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .ok_or_else(|| super::ServiceError::not_found("your account"))?;
    Ok(change_password(db, account, change.current, change.new, keep_session, now).await?)
}

/// Whether anyone can sign in yet (before the first account, every page leads to setup).
pub async fn any_sign_in_account(db: &impl ConnectionTrait) -> Result<bool, DbErr> {
    Ok(user::Entity::find().filter(user::Column::PasswordHash.is_not_null()).one(db).await?.is_some())
}

pub async fn roles_of(db: &impl ConnectionTrait, user_id: Uuid) -> Result<Vec<Role>, DbErr> {
    let rows = user_role::Entity::find().filter(user_role::Column::UserId.eq(user_id)).all(db).await?;
    let mut roles: Vec<Role> = rows.iter().filter_map(|r| Role::parse(&r.role)).collect();
    roles.sort_unstable();
    Ok(roles)
}

async fn ensure_another_admin(db: &impl ConnectionTrait, account: &user::Model) -> Result<(), AccountError> {
    let others = user_role::Entity::find()
        .filter(user_role::Column::Role.eq(Role::Admin.as_str()))
        .filter(user_role::Column::UserId.ne(account.id))
        .all(db)
        .await?;
    for other in others {
        let active = user::Entity::find_by_id(other.user_id)
            .filter(user::Column::OrgId.eq(account.org_id))
            .filter(user::Column::Active.eq(true))
            .one(db)
            .await?;
        if active.is_some() {
            return Ok(());
        }
    }
    Err(AccountError::LastAdmin)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_rejects_short_and_guessable_passwords() {
        assert!(matches!(check_password_policy("short"), Err(AccountError::PasswordTooShort)));
        assert!(matches!(check_password_policy("password1234"), Err(AccountError::PasswordCommonWord("password"))));
        assert!(matches!(check_password_policy("aaaaaaaaaaaaaa"), Err(AccountError::PasswordFewCharacters)));
        let said = check_password_policy("Welcome-2026!").unwrap_err().to_string();
        assert_eq!(said, "the password is too easy to guess: it contains \"welcome\", one of the first words tried");
        assert!(check_password_policy("correct horse battery").is_ok());
    }

    #[test]
    fn hashes_verify_only_the_right_password() {
        let hash = hash_password("correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("wrong horse battery", &hash));
        assert!(!verify_password("anything", "not a hash"));
    }

    #[test]
    fn emails_are_normalised() {
        assert_eq!(normalize_email("  Ada@Example.COM ").unwrap(), "ada@example.com");
        assert!(normalize_email("ada").is_err());
        assert!(normalize_email("@example.com").is_err());
    }
}
