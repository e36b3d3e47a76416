//! Entity for `prices`: the price catalog, per million tokens, effective from a date.
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sea_orm::entity::prelude::*;
use sea_orm::Set;
use tollgate_domain::money::{from_storage, to_storage, MoneyError};
use tollgate_domain::pricing::Price;
use tollgate_domain::Currency;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "prices")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub org_id: Uuid,
    pub provider: String,
    pub model: String,
    pub input_per_mtok: i64,
    pub output_per_mtok: i64,
    pub currency: String,
    pub effective_from: DateTimeUtc,
    /// Components billed apart (billionths per million tokens; the fee per request); null: not apart.
    pub cached_input_per_mtok: Option<i64>,
    pub cache_write_per_mtok: Option<i64>,
    pub reasoning_per_mtok: Option<i64>,
    pub request_fee: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    /// The price this row stores.
    pub fn price(&self) -> Result<Price, MoneyError> {
        let part = |stored: Option<i64>| stored.map(from_storage);
        Ok(Price {
            cached_input_per_mtok: part(self.cached_input_per_mtok),
            cache_write_per_mtok: part(self.cache_write_per_mtok),
            reasoning_per_mtok: part(self.reasoning_per_mtok),
            request_fee: part(self.request_fee),
            ..Price::new(
                from_storage(self.input_per_mtok),
                from_storage(self.output_per_mtok),
                Currency::parse(&self.currency)?,
            )
        })
    }
}

impl ActiveModel {
    /// A new row holding `price` for a model from `from` on.
    pub fn new_price(
        org_id: Uuid,
        provider: &str,
        model: &str,
        price: &Price,
        from: DateTime<Utc>,
    ) -> Result<Self, MoneyError> {
        let part = |amount: Option<Decimal>| amount.map(to_storage).transpose();
        Ok(ActiveModel {
            id: Set(Uuid::now_v7()),
            org_id: Set(org_id),
            provider: Set(provider.to_owned()),
            model: Set(model.to_owned()),
            input_per_mtok: Set(to_storage(price.input_per_mtok)?),
            output_per_mtok: Set(to_storage(price.output_per_mtok)?),
            currency: Set(price.currency.to_string()),
            effective_from: Set(from),
            cached_input_per_mtok: Set(part(price.cached_input_per_mtok)?),
            cache_write_per_mtok: Set(part(price.cache_write_per_mtok)?),
            reasoning_per_mtok: Set(part(price.reasoning_per_mtok)?),
            request_fee: Set(part(price.request_fee)?),
        })
    }
}
