//! Budget overrides: approved, time-limited extra allowance that the engine adds to a hard level.

use crate::m20261128_000001_organizations::{create_index, fk};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("budget_overrides")
                .col(uuid("id").primary_key())
                .col(uuid("budget_id"))
                .col(big_integer("cost"))
                .col(big_integer("tokens"))
                .col(big_integer("operations"))
                .col(timestamp_with_time_zone("starts_at"))
                .col(timestamp_with_time_zone("expires_at"))
                .col(string("reason"))
                .col(uuid_null("approved_by"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("budget_overrides", "budget_id", "budgets"))
                .to_owned(),
        )
        .await?;
        create_index(m, "budget_overrides", &["budget_id", "expires_at"], false).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("budget_overrides").to_owned()).await
    }
}
