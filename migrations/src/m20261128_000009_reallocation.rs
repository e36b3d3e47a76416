//! Reallocation: the amount leads may move between sibling budgets without an approver, and the
//! source budget of a reallocation request.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let organizations =
            Table::alter().table("organizations").add_column(big_integer_null("reallocate_freely_up_to")).to_owned();
        m.alter_table(organizations).await?;
        let requests = Table::alter().table("budget_requests").add_column(uuid_null("source_budget_id")).to_owned();
        m.alter_table(requests).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table("budget_requests").drop_column("source_budget_id").to_owned()).await?;
        m.alter_table(Table::alter().table("organizations").drop_column("reallocate_freely_up_to").to_owned()).await
    }
}
