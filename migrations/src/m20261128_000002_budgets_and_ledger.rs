//! Prices, budgets, per-window counters, reservations, the usage ledger, daily aggregates and budget events.
//! Money columns hold whole billionths of the currency unit (see `tollgate_domain::money`).

use crate::m20261128_000001_organizations::{create_index, fk, unique_index};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("prices")
                .col(uuid("id").primary_key())
                .col(uuid("org_id"))
                .col(string("provider"))
                .col(string("model"))
                .col(big_integer("input_per_mtok"))
                .col(big_integer("output_per_mtok"))
                .col(string_len("currency", 3))
                .col(timestamp_with_time_zone("effective_from"))
                .foreign_key(&mut fk("prices", "org_id", "organizations"))
                .to_owned(),
        )
        .await?;
        unique_index(m, "prices", &["org_id", "model", "provider", "effective_from"]).await?;
        m.create_table(
            Table::create()
                .table("budgets")
                .col(uuid("id").primary_key())
                .col(uuid("org_id"))
                .col(string("name"))
                .col(string("scope_kind"))
                .col(uuid("scope_id"))
                .col(uuid_null("category_id"))
                .col(string("period"))
                .col(string_len("currency", 3))
                .col(big_integer_null("cost_soft"))
                .col(big_integer_null("cost_hard"))
                .col(big_integer_null("tokens_soft"))
                .col(big_integer_null("tokens_hard"))
                .col(big_integer_null("operations_soft"))
                .col(big_integer_null("operations_hard"))
                .col(string("enforcement"))
                .col(integer("grace_minutes"))
                .col(big_integer("reserve_cost"))
                .col(big_integer("reserve_tokens"))
                .col(big_integer("reserve_operations"))
                .col(string("thresholds"))
                .col(string("state"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(&mut fk("budgets", "org_id", "organizations"))
                .to_owned(),
        )
        .await?;
        create_index(m, "budgets", &["org_id", "scope_kind", "scope_id"], false).await?;
        m.create_table(
            Table::create()
                .table("budget_counters")
                .col(uuid("budget_id"))
                .col(timestamp_with_time_zone("window_start"))
                .col(timestamp_with_time_zone("window_end"))
                .col(big_integer("cost_spent"))
                .col(big_integer("cost_reserved"))
                .col(big_integer("tokens_spent"))
                .col(big_integer("tokens_reserved"))
                .col(big_integer("operations_spent"))
                .col(big_integer("operations_reserved"))
                .col(timestamp_with_time_zone_null("hard_crossed_at"))
                .primary_key(Index::create().col("budget_id").col("window_start"))
                .foreign_key(&mut fk("budget_counters", "budget_id", "budgets"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("reservations")
                .col(uuid("id").primary_key())
                .col(uuid("org_id"))
                .col(uuid("user_id"))
                .col(uuid("project_id"))
                .col(uuid("category_id"))
                .col(string("model"))
                .col(big_integer("cost"))
                .col(big_integer("tokens"))
                .col(big_integer("operations"))
                .col(string("state"))
                .col(boolean("critical"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("expires_at"))
                .foreign_key(&mut fk("reservations", "org_id", "organizations"))
                .to_owned(),
        )
        .await?;
        create_index(m, "reservations", &["state", "expires_at"], false).await?;
        m.create_table(
            Table::create()
                .table("reservation_holds")
                .col(uuid("reservation_id"))
                .col(uuid("budget_id"))
                .col(timestamp_with_time_zone("window_start"))
                .primary_key(Index::create().col("reservation_id").col("budget_id"))
                .foreign_key(&mut fk("reservation_holds", "reservation_id", "reservations"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("usage_events")
                .col(uuid("id").primary_key())
                .col(uuid("org_id"))
                .col(string("event_id"))
                .col(timestamp_with_time_zone("occurred_at"))
                .col(uuid("user_id"))
                .col(uuid("team_id"))
                .col(uuid("project_id"))
                .col(uuid("category_id"))
                .col(string("provider"))
                .col(string("model"))
                .col(big_integer("input_tokens"))
                .col(big_integer("output_tokens"))
                .col(big_integer("cost"))
                .col(string_len("currency", 3))
                .col(big_integer("operations"))
                .col(string("pricing"))
                .col(uuid_null("reservation_id"))
                .col(timestamp_with_time_zone("recorded_at"))
                .foreign_key(&mut fk("usage_events", "org_id", "organizations"))
                .to_owned(),
        )
        .await?;
        unique_index(m, "usage_events", &["org_id", "event_id"]).await?;
        create_index(m, "usage_events", &["org_id", "occurred_at"], false).await?;
        m.create_table(
            Table::create()
                .table("daily_usage")
                .col(uuid("org_id"))
                .col(date("day"))
                .col(uuid("team_id"))
                .col(uuid("project_id"))
                .col(uuid("user_id"))
                .col(uuid("category_id"))
                .col(string("provider"))
                .col(string("model"))
                .col(big_integer("cost"))
                .col(big_integer("input_tokens"))
                .col(big_integer("output_tokens"))
                .col(big_integer("operations"))
                .col(big_integer("events"))
                .primary_key(
                    Index::create()
                        .col("org_id")
                        .col("day")
                        .col("team_id")
                        .col("project_id")
                        .col("user_id")
                        .col("category_id")
                        .col("provider")
                        .col("model"),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("budget_events")
                .col(uuid("id").primary_key())
                .col(uuid("org_id"))
                .col(uuid_null("budget_id"))
                .col(string("kind"))
                .col(timestamp_with_time_zone_null("window_start"))
                .col(string_null("dedup_key"))
                .col(text("detail"))
                .col(string_null("actor"))
                .col(timestamp_with_time_zone("created_at"))
                .to_owned(),
        )
        .await?;
        unique_index(m, "budget_events", &["org_id", "dedup_key"]).await?;
        create_index(m, "budget_events", &["org_id", "created_at"], false).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "budget_events",
            "daily_usage",
            "usage_events",
            "reservation_holds",
            "reservations",
            "budget_counters",
            "budgets",
            "prices",
        ] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
