//! When each budget began counting (`budgets.counting_since`): set when it is created or enabled,
//! when its current window takes in the usage already recorded in it. Windows that ended before
//! then are not the budget's to count, and reconciliation leaves them out. Existing budgets count
//! from their creation.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let add =
            Table::alter().table("budgets").add_column(timestamp_with_time_zone_null("counting_since")).to_owned();
        m.alter_table(add).await?;
        m.get_connection().execute_unprepared("UPDATE budgets SET counting_since = created_at").await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table("budgets").drop_column("counting_since").to_owned()).await
    }
}
