//! Creating an organization with its default categories and the shipped price list.

use crate::backend::entities::{category, organization};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use sea_orm::{ActiveModelTrait, ConnectionTrait, DbErr, EntityTrait, Set};
use tollgate_domain::price_import::{self, ListedPrice, ProviderFilter};
use tollgate_domain::Currency;
use uuid::Uuid;

pub const DEFAULT_CATEGORIES: [&str; 3] = ["llm", "ml", "code_quality"];

/// The day the shipped price list was taken: the public list prices of OpenAI, Anthropic, Google
/// (Gemini API), Mistral and DeepSeek models from the open-source JSON price map of that day,
/// converted with `tollgate prices convert` (see CONTRIBUTING.md to refresh it).
pub const PRICE_SNAPSHOT_DATE: &str = "2026-07-24";
const PRICE_SNAPSHOT: &str = include_str!("../../../prices/2026-07-24.csv");

/// The shipped price list every new organization starts from (prices in USD, per million tokens).
pub fn price_snapshot() -> Vec<ListedPrice> {
    // The file ships with the binary and a test reads it: it cannot fail at run time.
    price_import::read(PRICE_SNAPSHOT, &ProviderFilter::default()).map(|list| list.prices).unwrap_or_default()
}

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
    // Provider prices are in USD; an organization in another currency converts them at its
    // exchange rate, which setup asks for and the Prices page keeps.
    insert_price_snapshot(db, org.id).await?;
    Ok(org)
}

async fn insert_price_snapshot(db: &impl ConnectionTrait, org_id: Uuid) -> Result<(), OrganizationError> {
    use crate::backend::entities::price;
    let rows = price_snapshot()
        .iter()
        // List prices known at install time apply to all earlier usage too (late and back-filled events).
        .map(|p| price::ActiveModel::new_price(org_id, &p.provider, &p.model, &p.price, DateTime::UNIX_EPOCH))
        .collect::<Result<Vec<_>, _>>()?;
    for chunk in rows.chunks(400) {
        price::Entity::insert_many(chunk.to_vec()).exec(db).await?;
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    #[test]
    fn the_shipped_price_list_reads_in_full() {
        let text = super::PRICE_SNAPSHOT;
        let list = tollgate_domain::price_import::read(text, &Default::default()).expect("the snapshot reads");
        assert!(list.skipped.is_empty(), "{:?}", list.skipped);
        assert_eq!(list.prices.len(), text.lines().count() - 1, "one price per line");
        for provider in ["openai", "anthropic", "gemini", "mistral", "deepseek"] {
            assert!(list.prices.iter().any(|p| p.provider == provider), "{provider} is in the snapshot");
        }
    }
}
