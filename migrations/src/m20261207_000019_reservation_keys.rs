//! The API key that made each reservation (`reservations.api_key_id`): only that key, or an admin
//! key, may settle or release it. Reservations made before this have none and stay open to any key
//! of their organization that may use their project, until they are settled or expire.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table("reservations").add_column(uuid_null("api_key_id")).to_owned()).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table("reservations").drop_column("api_key_id").to_owned()).await
    }
}
