//! Exchange rates an admin enters, dated like prices: how a catalog price in another currency
//! becomes an amount in the organization's ledger currency. Earlier usage keeps the rate it used.

use super::{audit, invalid, taken, Change};
use crate::backend::engine::{begin_write, EngineError};
use crate::backend::entities::exchange_rate;
use crate::backend::services::ServiceError;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use tollgate_domain::money::{from_storage, to_storage};
use tollgate_domain::Currency;
use uuid::Uuid;

/// A new rate: how many units of the organization's currency one unit of `from_currency` is,
/// from `effective_from` (default: now) on.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExchangeRateInput {
    pub from_currency: String,
    pub rate: Decimal,
    #[serde(default)]
    pub effective_from: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ExchangeRateView {
    pub from_currency: String,
    pub to_currency: String,
    pub rate: Decimal,
    pub effective_from: DateTime<Utc>,
}

/// The organization's rates, oldest first per currency.
pub async fn exchange_rates(db: &impl ConnectionTrait, org_id: Uuid) -> Result<Vec<ExchangeRateView>, EngineError> {
    let rows = exchange_rate::Entity::find()
        .filter(exchange_rate::Column::OrgId.eq(org_id))
        .order_by_asc(exchange_rate::Column::FromCurrency)
        .order_by_asc(exchange_rate::Column::EffectiveFrom)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| ExchangeRateView {
            from_currency: r.from_currency,
            to_currency: r.to_currency,
            rate: from_storage(r.rate),
            effective_from: r.effective_from,
        })
        .collect())
}

/// Adds a rate into the organization's currency from a date on, in one write transaction, audited.
pub async fn add_exchange_rate(
    db: &DatabaseConnection,
    org_id: Uuid,
    org_currency: &str,
    input: ExchangeRateInput,
    change: Change<'_>,
) -> Result<ExchangeRateView, ServiceError> {
    let txn = begin_write(db).await?;
    let view = insert_exchange_rate(&txn, org_id, org_currency, input, change).await?;
    txn.commit().await?;
    Ok(view)
}

/// Adds a rate inside the caller's write transaction (setup adds the first one with the organization).
pub async fn insert_exchange_rate(
    txn: &impl ConnectionTrait,
    org_id: Uuid,
    org_currency: &str,
    input: ExchangeRateInput,
    change: Change<'_>,
) -> Result<ExchangeRateView, ServiceError> {
    let from = Currency::parse(&input.from_currency)?;
    if from.as_str() == org_currency {
        return Err(invalid(format!(
            "a rate converts another currency into {org_currency}, not {org_currency} itself"
        ))
        .into());
    }
    if input.rate <= Decimal::ZERO || input.rate > Decimal::from(1_000_000) {
        return Err(invalid("the rate must be more than 0 and at most 1,000,000").into());
    }
    let view = ExchangeRateView {
        from_currency: from.to_string(),
        to_currency: org_currency.to_owned(),
        rate: input.rate.normalize(),
        effective_from: input.effective_from.unwrap_or(change.now),
    };
    let row = exchange_rate::ActiveModel {
        id: Set(Uuid::now_v7()),
        org_id: Set(org_id),
        from_currency: Set(view.from_currency.clone()),
        to_currency: Set(view.to_currency.clone()),
        rate: Set(to_storage(input.rate).map_err(|e| invalid(format!("the rate: {e}")))?),
        effective_from: Set(view.effective_from),
        created_at: Set(change.now),
    };
    row.insert(txn).await.map_err(|e| taken(e, format!("a {} rate from that moment", view.from_currency)))?;
    audit(txn, org_id, "exchange_rate_added", &view, change).await?;
    Ok(view)
}
