//! Browser sessions (the tower-sessions store) and login attempts (rate limiting and the audit of sign-ins).

use crate::m20261128_000001_organizations::create_index;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("sessions")
                .col(string("id").primary_key())
                // The signed-in account, copied out of the session data so its sessions can be ended.
                .col(uuid_null("account_id"))
                .col(text("data"))
                .col(timestamp_with_time_zone("expires_at"))
                .to_owned(),
        )
        .await?;
        create_index(m, "sessions", &["account_id"], false).await?;
        create_index(m, "sessions", &["expires_at"], false).await?;
        m.create_table(
            Table::create()
                .table("login_attempts")
                .col(uuid("id").primary_key())
                .col(string("email"))
                .col(string("address"))
                .col(boolean("succeeded"))
                .col(timestamp_with_time_zone("attempted_at"))
                .to_owned(),
        )
        .await?;
        create_index(m, "login_attempts", &["email", "attempted_at"], false).await?;
        create_index(m, "login_attempts", &["address", "attempted_at"], false).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("login_attempts").to_owned()).await?;
        m.drop_table(Table::drop().table("sessions").to_owned()).await
    }
}
