//! Exchange rates an admin enters, dated like prices (`exchange_rates`), so an organization can keep
//! its ledger in one currency while a catalog's prices are in another; each usage event records the
//! rate that converted its price (`usage_events.exchange_rate`, billionths; null when none did).
//! Rates are part of what check-and-reserve looks up, so changing one bumps the configuration version.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("exchange_rates")
                .col(uuid("id").primary_key())
                .col(uuid("org_id"))
                .col(string("from_currency"))
                .col(string("to_currency"))
                .col(big_integer("rate"))
                .col(timestamp_with_time_zone("effective_from"))
                .col(timestamp_with_time_zone("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("exchange_rates_once_per_date")
                .table("exchange_rates")
                .col("org_id")
                .col("from_currency")
                .col("to_currency")
                .col("effective_from")
                .unique()
                .to_owned(),
        )
        .await?;
        m.alter_table(Table::alter().table("usage_events").add_column(big_integer_null("exchange_rate")).to_owned())
            .await?;
        crate::config_watch::watch(m, "exchange_rates").await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table("usage_events").drop_column("exchange_rate").to_owned()).await?;
        m.drop_table(Table::drop().table("exchange_rates").to_owned()).await
    }
}
