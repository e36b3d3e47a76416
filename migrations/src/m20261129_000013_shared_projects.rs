//! Projects whose spend is shared: reports attribute it to the projects that use them, by their
//! usage or by a fixed split (attribution only; budgets still count it where it was recorded).

use crate::m20261128_000001_organizations::fk;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("shared_projects")
                .col(uuid("project_id").primary_key())
                .col(uuid("org_id"))
                // usage (in proportion to the consumers' own spend) or fixed (the weights given)
                .col(string("method"))
                // JSON: [{"project_id": "…", "weight": "70"}, …]
                .col(text("consumers"))
                .col(string("updated_by"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(&mut fk("shared_projects", "org_id", "organizations"))
                .foreign_key(&mut fk("shared_projects", "project_id", "projects"))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("shared_projects").to_owned()).await
    }
}
