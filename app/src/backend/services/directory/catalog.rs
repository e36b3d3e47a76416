//! The price catalog and the categories of usage.

use super::{audit, check_name, invalid, taken, Change};
use crate::backend::engine::{begin_write, EngineError};
use crate::backend::entities::{category, price};
use crate::backend::services::ServiceError;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use tollgate_domain::money::from_storage;
use tollgate_domain::pricing::Price;
use tollgate_domain::Currency;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[derive(utoipa::ToSchema)]
pub struct PriceInput {
    pub provider: String,
    pub model: String,
    pub input_per_mtok: Decimal,
    pub output_per_mtok: Decimal,
    pub currency: String,
    #[serde(default)]
    pub effective_from: Option<DateTime<Utc>>,
    /// Cache reads per million tokens, when billed apart from input.
    #[serde(default)]
    pub cached_input_per_mtok: Option<Decimal>,
    /// Cache writes per million tokens, when billed apart from input.
    #[serde(default)]
    pub cache_write_per_mtok: Option<Decimal>,
    /// Reasoning tokens per million, when billed apart from output.
    #[serde(default)]
    pub reasoning_per_mtok: Option<Decimal>,
    /// A fee per request, on top of the tokens.
    #[serde(default)]
    pub request_fee: Option<Decimal>,
}

impl PriceInput {
    /// The price given, with its currency checked.
    pub fn price(&self) -> Result<Price, tollgate_domain::MoneyError> {
        Ok(Price {
            cached_input_per_mtok: self.cached_input_per_mtok,
            cache_write_per_mtok: self.cache_write_per_mtok,
            reasoning_per_mtok: self.reasoning_per_mtok,
            request_fee: self.request_fee,
            ..Price::new(self.input_per_mtok, self.output_per_mtok, Currency::parse(&self.currency)?)
        })
    }
}

pub async fn prices(db: &impl ConnectionTrait, org_id: Uuid) -> Result<Vec<PriceInput>, EngineError> {
    let rows = price::Entity::find()
        .filter(price::Column::OrgId.eq(org_id))
        .order_by_asc(price::Column::Provider)
        .order_by_asc(price::Column::Model)
        .order_by_asc(price::Column::EffectiveFrom)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|p| PriceInput {
            provider: p.provider,
            model: p.model,
            input_per_mtok: from_storage(p.input_per_mtok),
            output_per_mtok: from_storage(p.output_per_mtok),
            currency: p.currency,
            effective_from: Some(p.effective_from),
            cached_input_per_mtok: p.cached_input_per_mtok.map(from_storage),
            cache_write_per_mtok: p.cache_write_per_mtok.map(from_storage),
            reasoning_per_mtok: p.reasoning_per_mtok.map(from_storage),
            request_fee: p.request_fee.map(from_storage),
        })
        .collect())
}

/// Adds a price, in any currency, from a date on; earlier usage keeps the price in force then.
pub async fn add_price(
    db: &DatabaseConnection,
    org_id: Uuid,
    input: PriceInput,
    change: Change<'_>,
) -> Result<(), ServiceError> {
    let txn = begin_write(db).await?;
    let db = &txn;
    let now = change.now;
    // A price in another currency than the ledger's is converted at the exchange rate in force
    // when it prices usage (`exchange_rates`); without one, such usage is refused and says so.
    let price = input.price()?;
    let provider = check_name(&input.provider, "provider")?;
    let model = check_name(&input.model, "model")?;
    let row = price::ActiveModel::new_price(org_id, &provider, &model, &price, input.effective_from.unwrap_or(now))?;
    row.insert(db).await.map_err(|e| taken(e, format!("a price for {} from that date", input.model)))?;
    audit(db, org_id, "price_added", &input, change).await?;
    txn.commit().await?;
    Ok(())
}

#[derive(utoipa::ToSchema, Debug, Clone, Serialize)]
pub struct CategoryView {
    pub id: Uuid,
    pub name: String,
}

pub async fn categories(db: &impl ConnectionTrait, org_id: Uuid) -> Result<Vec<CategoryView>, EngineError> {
    let rows = category::Entity::find()
        .filter(category::Column::OrgId.eq(org_id))
        .order_by_asc(category::Column::Name)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|c| CategoryView { id: c.id, name: c.name }).collect())
}

/// Adds a category (names such as `llm`, `ml`, `code_quality`: lower case, digits, `_` or `-`).
pub async fn create_category(
    db: &DatabaseConnection,
    org_id: Uuid,
    name: &str,
    change: Change<'_>,
) -> Result<CategoryView, ServiceError> {
    let txn = begin_write(db).await?;
    let db = &txn;
    let name = name.trim();
    let well_formed = name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
    if name.is_empty() || name.len() > 40 || !well_formed {
        return Err(invalid("a category name is 1 to 40 lower-case letters, digits, '_' or '-'").into());
    }
    let id = Uuid::now_v7();
    let row = category::ActiveModel { id: Set(id), org_id: Set(org_id), name: Set(name.to_owned()) };
    row.insert(db).await.map_err(|e| taken(e, format!("a category '{name}'")))?;
    let view = CategoryView { id, name: name.to_owned() };
    audit(db, org_id, "category_created", &view, change).await?;
    txn.commit().await?;
    Ok(view)
}
