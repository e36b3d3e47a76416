//! Which catalog entry priced each usage event (`usage_events.priced_model`): the model column keeps
//! the name as the call sent it (`gpt-4o-2024-08-06`), this one the entry that priced it (`gpt-4o`).
//! Null for events priced otherwise (an explicit cost, the fallback price) and for earlier events.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table("usage_events").add_column(string_null("priced_model")).to_owned()).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table("usage_events").drop_column("priced_model").to_owned()).await
    }
}
