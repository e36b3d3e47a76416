//! Closed windows (their final figures, once each) and event webhooks that push the events feed.

use crate::m20261128_000001_organizations::{create_index, fk, unique_index};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("window_closes")
                .col(uuid("id").primary_key())
                .col(uuid("budget_id"))
                .col(timestamp_with_time_zone("window_start"))
                .col(timestamp_with_time_zone("window_end"))
                .col(big_integer("cost_spent"))
                .col(big_integer("tokens_spent"))
                .col(big_integer("operations_spent"))
                .col(big_integer_null("cost_hard"))
                .col(big_integer_null("tokens_hard"))
                .col(big_integer_null("operations_hard"))
                .col(big_integer("override_cost"))
                .col(text("detail"))
                .col(timestamp_with_time_zone("closed_at"))
                .foreign_key(&mut fk("window_closes", "budget_id", "budgets"))
                .to_owned(),
        )
        .await?;
        // A window closes once, however many instances run the closing job.
        unique_index(m, "window_closes", &["budget_id", "window_start"]).await?;
        m.create_table(
            Table::create()
                .table("event_hooks")
                .col(uuid("id").primary_key())
                .col(uuid("org_id"))
                .col(string("url"))
                .col(string("secret"))
                // The feed position pushed so far: events after it are still to be sent.
                .col(string("cursor"))
                .col(integer("failures").default(0))
                .col(timestamp_with_time_zone("next_attempt_at"))
                .col(timestamp_with_time_zone_null("claimed_until"))
                .col(text_null("last_error"))
                .col(timestamp_with_time_zone_null("last_delivered_at"))
                .col(big_integer("delivered_events").default(0))
                .col(string("created_by"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("event_hooks", "org_id", "organizations"))
                .to_owned(),
        )
        .await?;
        create_index(m, "event_hooks", &["next_attempt_at"], false).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("event_hooks").to_owned()).await?;
        m.drop_table(Table::drop().table("window_closes").to_owned()).await
    }
}
