//! The value a project reports producing per month, for return-on-investment reports.

use crate::m20261128_000001_organizations::{fk, unique_index};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("project_values")
                .col(uuid("id").primary_key())
                .col(uuid("org_id"))
                .col(uuid("project_id"))
                // The first day of the month the value was produced in.
                .col(date("month"))
                // Billionths of the organization's currency, like every amount.
                .col(big_integer("amount"))
                .col(text("note"))
                .col(string("recorded_by"))
                .col(timestamp_with_time_zone("recorded_at"))
                .foreign_key(&mut fk("project_values", "org_id", "organizations"))
                .foreign_key(&mut fk("project_values", "project_id", "projects"))
                .to_owned(),
        )
        .await?;
        unique_index(m, "project_values", &["project_id", "month"]).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("project_values").to_owned()).await
    }
}
