//! Increases that take effect from the budget's next window: when, and whether they have been applied.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let add = |column: ColumnDef| Table::alter().table("budget_requests").add_column(column).to_owned();
        m.alter_table(add(boolean("from_next_window").default(false).to_owned())).await?;
        m.alter_table(add(timestamp_with_time_zone_null("applies_from"))).await?;
        m.alter_table(add(timestamp_with_time_zone_null("applied_at"))).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for column in ["applied_at", "applies_from", "from_next_window"] {
            m.alter_table(Table::alter().table("budget_requests").drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}
