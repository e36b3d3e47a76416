//! Model aliases an admin defines (`model_aliases`): a name services send (`chat-default`,
//! `our-gpt`) that is priced by a catalog entry. Aliases are part of what check-and-reserve looks
//! up, so changing one bumps the configuration version.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("model_aliases")
                .col(uuid("id").primary_key())
                .col(uuid("org_id"))
                .col(string("alias"))
                .col(string("model"))
                .col(timestamp_with_time_zone("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("model_aliases_once")
                .table("model_aliases")
                .col("org_id")
                .col("alias")
                .unique()
                .to_owned(),
        )
        .await?;
        crate::config_watch::watch(m, "model_aliases").await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("model_aliases").to_owned()).await
    }
}
