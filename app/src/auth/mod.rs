//! The signed-in account: what the UI knows about it, and (on the server) how requests find it.

#[cfg(feature = "ssr")]
pub mod login;
#[cfg(feature = "ssr")]
pub mod store;

use serde::{Deserialize, Serialize};
pub use tollgate_domain::access::{Actor, Role};
use uuid::Uuid;

/// An active account with its roles and teams, as every page and server function sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Account {
    pub id: Uuid,
    pub org_id: Uuid,
    pub email: String,
    pub display_name: String,
    pub roles: Vec<Role>,
    /// Teams the account leads.
    pub leads: Vec<Uuid>,
    /// Teams the account is a member of (leads included).
    pub teams: Vec<Uuid>,
    /// The organization's time zone (IANA name): every time on its pages is shown in it.
    pub time_zone: String,
}

impl Account {
    pub fn has(&self, role: Role) -> bool {
        self.actor().has(role)
    }

    pub fn actor(&self) -> Actor {
        Actor { id: self.id, roles: self.roles.clone(), leads: self.leads.clone() }
    }
}

/// Session keys and lifetimes.
#[cfg(feature = "ssr")]
pub const ACCOUNT_KEY: &str = "account_id";
#[cfg(feature = "ssr")]
pub const SIGNED_IN_AT_KEY: &str = "signed_in_at";
/// A session ends after this long without a request…
#[cfg(feature = "ssr")]
pub const IDLE_LIFETIME_MINUTES: i64 = 60;
/// …and after this long in any case; then the person signs in again.
#[cfg(feature = "ssr")]
pub const ABSOLUTE_LIFETIME_HOURS: i64 = 12;

/// The client's address, put on each request by the server (rate limits, audit).
#[cfg(feature = "ssr")]
#[derive(Debug, Clone)]
pub struct ClientAddress(pub String);

#[cfg(feature = "ssr")]
pub use server_side::*;

#[cfg(feature = "ssr")]
mod server_side {
    use super::{Account, Role};
    use crate::backend::entities::{organization, team_member, user, user_role};
    use crate::errors::AppError;
    use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
    use uuid::Uuid;

    /// Loads an active account; `None` when it does not exist or was deactivated.
    pub async fn load_account(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<Account>, DbErr> {
        let Some(found) = user::Entity::find_by_id(id).filter(user::Column::Active.eq(true)).one(db).await? else {
            return Ok(None);
        };
        let mut roles: Vec<Role> = user_role::Entity::find()
            .filter(user_role::Column::UserId.eq(id))
            .all(db)
            .await?
            .iter()
            .filter_map(|r| Role::parse(&r.role))
            .collect();
        roles.sort_unstable();
        let memberships = team_member::Entity::find().filter(team_member::Column::UserId.eq(id)).all(db).await?;
        let time_zone = organization::Entity::find_by_id(found.org_id).one(db).await?.map(|org| org.timezone);
        Ok(Some(Account {
            id,
            org_id: found.org_id,
            email: found.email.unwrap_or(found.handle),
            display_name: found.display_name,
            roles,
            leads: memberships.iter().filter(|m| m.is_lead).map(|m| m.team_id).collect(),
            teams: memberships.iter().map(|m| m.team_id).collect(),
            time_zone: time_zone.unwrap_or_else(|| "UTC".into()),
        }))
    }

    /// The account of the current request (server functions and pages rendered on the server).
    pub fn current_account() -> Result<Account, AppError> {
        leptos::prelude::use_context::<http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<Account>().cloned())
            .ok_or(AppError::Unauthorized)
    }

    /// The session of the current request (server functions only).
    pub async fn request_session() -> Result<tower_sessions::Session, AppError> {
        leptos_axum::extract::<tower_sessions::Session>().await.map_err(AppError::internal)
    }

    /// Starts a signed-in session under a fresh id (so an id planted before sign-in is worthless).
    pub async fn begin_session(
        session: &tower_sessions::Session,
        account_id: Uuid,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), AppError> {
        session.cycle_id().await.map_err(AppError::internal)?;
        session.insert(super::ACCOUNT_KEY, account_id).await.map_err(AppError::internal)?;
        session.insert(super::SIGNED_IN_AT_KEY, now).await.map_err(AppError::internal)
    }

    pub fn client_address() -> String {
        leptos::prelude::use_context::<http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<super::ClientAddress>().map(|a| a.0.clone()))
            .unwrap_or_else(|| "unknown".to_owned())
    }

    /// The current account, if it holds `role`; a clear refusal otherwise.
    pub fn require(role: Role) -> Result<Account, AppError> {
        let account = current_account()?;
        if account.has(role) {
            Ok(account)
        } else {
            Err(AppError::forbidden(format!("this needs the {} role", role.as_str())))
        }
    }
}
