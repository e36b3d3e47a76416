//! Scheduled jobs (one row each: the lease that makes a run happen once across instances, and its
//! last outcome) and email digest subscriptions with the record of each digest sent.

use crate::m20261128_000001_organizations::{fk, unique_index};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("job_runs")
                .col(string("name").primary_key())
                .col(big_integer("every_ms"))
                .col(string_null("lease_holder"))
                .col(timestamp_with_time_zone_null("lease_until"))
                .col(timestamp_with_time_zone_null("next_run_at"))
                .col(timestamp_with_time_zone_null("trigger_requested_at"))
                .col(string_null("triggered_by"))
                .col(timestamp_with_time_zone_null("last_started_at"))
                .col(timestamp_with_time_zone_null("last_finished_at"))
                .col(big_integer_null("last_duration_ms"))
                .col(boolean_null("last_ok"))
                .col(text_null("last_outcome"))
                .col(string_null("progress"))
                .col(big_integer("runs").default(0))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("digest_subscriptions")
                .col(uuid("id").primary_key())
                .col(uuid("org_id"))
                .col(uuid("user_id"))
                // weekly or monthly
                .col(string("frequency"))
                // organization, team or project; scope_id is the organization's own id for the first.
                .col(string("scope_kind"))
                .col(uuid("scope_id"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("digest_subscriptions", "org_id", "organizations"))
                .foreign_key(&mut fk("digest_subscriptions", "user_id", "users"))
                .to_owned(),
        )
        .await?;
        unique_index(m, "digest_subscriptions", &["user_id", "frequency", "scope_kind", "scope_id"]).await?;
        m.create_table(
            Table::create()
                .table("digest_sends")
                .col(uuid("id").primary_key())
                .col(uuid("subscription_id"))
                // The first day of the week or month the digest covers.
                .col(date("period_start"))
                .col(string("recipient"))
                .col(string("subject"))
                .col(text("body"))
                // pending until delivered; failed after the last attempt.
                .col(string("status"))
                .col(integer("attempts").default(0))
                .col(timestamp_with_time_zone("next_attempt_at"))
                .col(text_null("last_error"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone_null("sent_at"))
                .foreign_key(&mut fk("digest_sends", "subscription_id", "digest_subscriptions"))
                .to_owned(),
        )
        .await?;
        // One digest per subscription and period, whichever instance composes it first.
        unique_index(m, "digest_sends", &["subscription_id", "period_start"]).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("digest_sends").to_owned()).await?;
        m.drop_table(Table::drop().table("digest_subscriptions").to_owned()).await?;
        m.drop_table(Table::drop().table("job_runs").to_owned()).await
    }
}
