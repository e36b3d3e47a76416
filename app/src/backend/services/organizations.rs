//! Creating an organization with its default categories and, in USD, a starter price catalog.

use crate::backend::entities::{category, organization};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use sea_orm::{ActiveModelTrait, ConnectionTrait, DbErr, EntityTrait, Set};
use tollgate_domain::money::to_storage;
use tollgate_domain::Currency;
use uuid::Uuid;

pub const DEFAULT_CATEGORIES: [&str; 3] = ["llm", "ml", "code_quality"];

/// Public list prices per million tokens (USD) of a handful of current models, as of late 2026.
/// Admins edit the catalog afterwards; it is a starting point, not a source of truth.
pub const STARTER_PRICES: [(&str, &str, &str, &str); 8] = [
    ("openai", "gpt-4o", "2.50", "10.00"),
    ("openai", "gpt-4o-mini", "0.15", "0.60"),
    ("openai", "text-embedding-3-small", "0.02", "0"),
    ("anthropic", "claude-sonnet-4", "3.00", "15.00"),
    ("anthropic", "claude-haiku-3.5", "0.80", "4.00"),
    ("google", "gemini-2.0-flash", "0.10", "0.40"),
    ("google", "gemini-1.5-pro", "1.25", "5.00"),
    ("mistral", "mistral-small", "0.20", "0.60"),
];

#[derive(Debug, thiserror::Error)]
pub enum OrganizationError {
    #[error("the organization name must not be empty")]
    EmptyName,
    #[error("'{0}' is not a known time zone (use an IANA name such as Europe/Berlin)")]
    UnknownTimeZone(String),
    #[error(transparent)]
    Currency(#[from] tollgate_domain::MoneyError),
    #[error(transparent)]
    Database(#[from] DbErr),
}

pub async fn create_organization(
    db: &impl ConnectionTrait,
    name: &str,
    timezone: &str,
    currency: &str,
    now: DateTime<Utc>,
) -> Result<organization::Model, OrganizationError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(OrganizationError::EmptyName);
    }
    let tz: Tz = timezone.parse().map_err(|_| OrganizationError::UnknownTimeZone(timezone.to_owned()))?;
    let currency = Currency::parse(currency)?;
    let org = organization::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(name.to_owned()),
        timezone: Set(tz.name().to_owned()),
        currency: Set(currency.to_string()),
        reallocate_freely_up_to: Set(None),
        created_at: Set(now),
    }
    .insert(db)
    .await?;
    for name in DEFAULT_CATEGORIES {
        category::ActiveModel { id: Set(Uuid::now_v7()), org_id: Set(org.id), name: Set(name.to_owned()) }
            .insert(db)
            .await?;
    }
    // The starter catalog is in USD, and a price in another currency than the ledger's cannot price
    // usage: an organization in another currency starts with an empty catalog and adds its own.
    if currency == Currency::USD {
        insert_starter_prices(db, org.id).await?;
    }
    Ok(org)
}

async fn insert_starter_prices(db: &impl ConnectionTrait, org_id: Uuid) -> Result<(), DbErr> {
    use crate::backend::entities::price;
    let rows = STARTER_PRICES.iter().map(|(provider, model, input, output)| price::ActiveModel {
        id: Set(Uuid::now_v7()),
        org_id: Set(org_id),
        provider: Set((*provider).to_owned()),
        model: Set((*model).to_owned()),
        input_per_mtok: Set(storage(input)),
        output_per_mtok: Set(storage(output)),
        currency: Set(Currency::USD.to_string()),
        // List prices known at install time apply to all earlier usage too (late and back-filled events).
        effective_from: Set(DateTime::UNIX_EPOCH),
        ..Default::default()
    });
    price::Entity::insert_many(rows).exec(db).await?;
    Ok(())
}

fn storage(amount: &str) -> i64 {
    amount.parse().ok().and_then(|d| to_storage(d).ok()).expect("starter prices are valid amounts")
}

pub async fn organization(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<organization::Model>, DbErr> {
    organization::Entity::find_by_id(id).one(db).await
}

/// Every organization's time zone (UTC where the stored name is unknown), for jobs that go over all budgets.
pub async fn time_zones(db: &impl ConnectionTrait) -> Result<std::collections::HashMap<Uuid, Tz>, DbErr> {
    Ok(organization::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|org| (org.id, org.timezone.parse().unwrap_or(Tz::UTC)))
        .collect())
}

pub async fn first_organization(db: &impl ConnectionTrait) -> Result<Option<organization::Model>, DbErr> {
    use sea_orm::QueryOrder;
    organization::Entity::find().order_by_asc(organization::Column::CreatedAt).one(db).await
}

pub async fn project_by_slug(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    slug: &str,
) -> Result<Option<crate::backend::entities::project::Model>, DbErr> {
    use crate::backend::entities::project;
    use sea_orm::{ColumnTrait, QueryFilter};
    project::Entity::find()
        .filter(project::Column::OrgId.eq(org_id))
        .filter(project::Column::Slug.eq(slug))
        .one(db)
        .await
}
