//! First run: the organization and its first admin, created once, when no account exists yet.

use super::accounts::{self, NewAccount};
use super::organizations::{self, OrganizationError};
use crate::backend::entities::user;
use crate::backend::services::ServiceError;
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter};

pub struct FirstRun<'a> {
    pub org_name: &'a str,
    pub timezone: &'a str,
    pub currency: &'a str,
    /// How much one USD is in `currency`: provider prices are in USD. Optional; ignored in USD.
    pub usd_rate: Option<rust_decimal::Decimal>,
    pub admin_name: &'a str,
    pub email: &'a str,
    pub password: &'a str,
}

pub async fn accounts_exist(db: &impl ConnectionTrait) -> Result<bool, sea_orm::DbErr> {
    Ok(user::Entity::find().filter(user::Column::PasswordHash.is_not_null()).one(db).await?.is_some())
}

/// Creates the organization (or uses the one `seed-demo` made) and its first admin, in one
/// transaction that holds the write lock, so two browsers racing through setup cannot both win.
pub async fn first_run(
    db: &DatabaseConnection,
    input: FirstRun<'_>,
    now: DateTime<Utc>,
) -> Result<user::Model, ServiceError> {
    let txn = crate::backend::engine::begin_write(db).await?;
    if crate::backend::engine::is_postgres(&txn) {
        txn.execute_unprepared("LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE").await?;
    }
    if accounts_exist(&txn).await? {
        return Err(ServiceError::forbidden("Tollgate is already set up; sign in instead"));
    }
    let org = match organizations::first_organization(&txn).await? {
        Some(org) => org,
        None => organizations::create_organization(&txn, input.org_name, input.timezone, input.currency, now)
            .await
            .map_err(|e| match e {
                OrganizationError::Database(e) => ServiceError::corrupt(e),
                other => ServiceError::Invalid(other.to_string()),
            })?,
    };
    if let Some(rate) = input.usd_rate.filter(|_| org.currency != "USD") {
        use super::directory::{insert_exchange_rate, Change, ExchangeRateInput};
        // From the start of time, like the shipped prices, so back-filled usage is priced too.
        let rate = ExchangeRateInput { from_currency: "USD".into(), rate, effective_from: Some(DateTime::UNIX_EPOCH) };
        insert_exchange_rate(&txn, org.id, &org.currency, rate, Change { actor: "setup", now }).await?;
    }
    let account = NewAccount {
        org_id: org.id,
        email: input.email,
        display_name: input.admin_name,
        password: input.password,
        roles: &["admin"],
    };
    let admin = accounts::create_account(&txn, account, now).await.map_err(ServiceError::from)?;
    let detail = serde_json::json!({ "organization": org.name, "admin": admin.handle });
    crate::backend::engine::events::record_by(&txn, org.id, None, "first_run", detail, &admin.handle, now).await?;
    txn.commit().await?;
    Ok(admin)
}
