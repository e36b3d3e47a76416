//! One row per create request that carried a one-time key (a wizard's or template preview's form
//! token, an API client's `Idempotency-Key`): repeating the request creates nothing new and answers
//! with the budgets the first one created.

use crate::m20261128_000001_organizations::fk;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("creation_requests")
                .if_not_exists()
                .col(uuid("org_id"))
                .col(string_len("request_key", 100))
                .col(text("budget_ids"))
                .col(timestamp_with_time_zone("created_at"))
                .primary_key(Index::create().col("org_id").col("request_key"))
                .foreign_key(&mut fk("creation_requests", "org_id", "organizations"))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("creation_requests").to_owned()).await
    }
}
