//! Alerts and their outbox: recipients per budget, raised alerts, deliveries with every attempt, the inbox.

use crate::m20261128_000001_organizations::{create_index, fk, unique_index};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // Unacknowledged alerts at or above `escalate_from` percent go to the next level after N minutes.
        m.alter_table(Table::alter().table("budgets").add_column(integer_null("escalate_after_minutes")).to_owned())
            .await?;
        m.alter_table(Table::alter().table("budgets").add_column(integer_null("escalate_from")).to_owned()).await?;
        // immediate | hourly | daily: how alert emails reach this person.
        m.alter_table(Table::alter().table("users").add_column(string("alert_digest").default("immediate")).to_owned())
            .await?;
        m.create_table(
            Table::create()
                .table("alert_recipients")
                .col(uuid("id").primary_key())
                .col(uuid("budget_id"))
                .col(string("kind"))
                .col(string("target"))
                .col(string_null("secret"))
                .col(integer_null("min_threshold"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("alert_recipients", "budget_id", "budgets"))
                .to_owned(),
        )
        .await?;
        unique_index(m, "alert_recipients", &["budget_id", "kind", "target"]).await?;
        m.create_table(
            Table::create()
                .table("alerts")
                .col(uuid("id").primary_key())
                .col(uuid("org_id"))
                .col(uuid_null("budget_id"))
                .col(string("kind"))
                .col(string_null("limit_kind"))
                .col(integer_null("threshold"))
                .col(timestamp_with_time_zone_null("window_start"))
                .col(string("dedup_key"))
                .col(string("severity"))
                .col(string("title"))
                .col(text("body"))
                .col(text("detail"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone_null("acknowledged_at"))
                .col(uuid_null("acknowledged_by"))
                .col(integer("escalation_level").default(0))
                .col(timestamp_with_time_zone_null("escalate_at"))
                .foreign_key(&mut fk("alerts", "org_id", "organizations"))
                .to_owned(),
        )
        .await?;
        // The guarantee behind "exactly one alert per budget, window, limit and threshold".
        unique_index(m, "alerts", &["org_id", "dedup_key"]).await?;
        create_index(m, "alerts", &["org_id", "created_at"], false).await?;
        create_index(m, "alerts", &["escalate_at"], false).await?;
        m.create_table(
            Table::create()
                .table("alert_deliveries")
                .col(uuid("id").primary_key())
                .col(uuid("alert_id"))
                .col(string("channel"))
                .col(string("target"))
                .col(string_null("secret"))
                .col(integer("escalation_level").default(0))
                .col(string("state"))
                .col(integer("attempts"))
                .col(timestamp_with_time_zone("next_attempt_at"))
                .col(timestamp_with_time_zone_null("claimed_until"))
                .col(text_null("last_error"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone_null("delivered_at"))
                .foreign_key(&mut fk("alert_deliveries", "alert_id", "alerts"))
                .to_owned(),
        )
        .await?;
        create_index(m, "alert_deliveries", &["state", "next_attempt_at"], false).await?;
        create_index(m, "alert_deliveries", &["alert_id"], false).await?;
        m.create_table(
            Table::create()
                .table("delivery_attempts")
                .col(uuid("id").primary_key())
                .col(uuid("delivery_id"))
                .col(timestamp_with_time_zone("attempted_at"))
                .col(boolean("ok"))
                .col(text_null("error"))
                .col(integer("duration_ms"))
                .foreign_key(&mut fk("delivery_attempts", "delivery_id", "alert_deliveries"))
                .to_owned(),
        )
        .await?;
        create_index(m, "delivery_attempts", &["delivery_id"], false).await?;
        m.create_table(
            Table::create()
                .table("notifications")
                .col(uuid("id").primary_key())
                .col(uuid("user_id"))
                .col(uuid("alert_id"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone_null("read_at"))
                .foreign_key(&mut fk("notifications", "user_id", "users"))
                .foreign_key(&mut fk("notifications", "alert_id", "alerts"))
                .to_owned(),
        )
        .await?;
        unique_index(m, "notifications", &["user_id", "alert_id"]).await?;
        create_index(m, "notifications", &["user_id", "read_at"], false).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in ["notifications", "delivery_attempts", "alert_deliveries", "alerts", "alert_recipients"] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        m.alter_table(Table::alter().table("users").drop_column("alert_digest").to_owned()).await?;
        m.alter_table(Table::alter().table("budgets").drop_column("escalate_from").to_owned()).await?;
        m.alter_table(Table::alter().table("budgets").drop_column("escalate_after_minutes").to_owned()).await
    }
}
