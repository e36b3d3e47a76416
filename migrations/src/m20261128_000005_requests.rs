//! Override and increase requests, their decisions, and each budget's approval rule.

use crate::m20261128_000001_organizations::{create_index, fk, unique_index};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // Requests asking for more than this cost need two distinct approvers; NULL means one is enough.
        m.alter_table(Table::alter().table("budgets").add_column(big_integer_null("two_approvers_above")).to_owned())
            .await?;
        m.create_table(
            Table::create()
                .table("budget_requests")
                .col(uuid("id").primary_key())
                .col(uuid("org_id"))
                .col(uuid("budget_id"))
                .col(string("kind"))
                .col(uuid("requested_by"))
                .col(big_integer_null("cost"))
                .col(big_integer_null("tokens"))
                .col(big_integer_null("operations"))
                .col(timestamp_with_time_zone_null("until"))
                .col(text("reason"))
                .col(string("status"))
                .col(timestamp_with_time_zone("decide_by"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone_null("decided_at"))
                .foreign_key(&mut fk("budget_requests", "budget_id", "budgets"))
                .foreign_key(&mut fk("budget_requests", "requested_by", "users"))
                .to_owned(),
        )
        .await?;
        create_index(m, "budget_requests", &["org_id", "status"], false).await?;
        create_index(m, "budget_requests", &["budget_id", "created_at"], false).await?;
        m.create_table(
            Table::create()
                .table("request_decisions")
                .col(uuid("id").primary_key())
                .col(uuid("request_id"))
                .col(uuid("approver_id"))
                .col(string("decision"))
                .col(big_integer_null("cost"))
                .col(big_integer_null("tokens"))
                .col(big_integer_null("operations"))
                .col(timestamp_with_time_zone_null("until"))
                .col(text("comment"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("request_decisions", "request_id", "budget_requests"))
                .foreign_key(&mut fk("request_decisions", "approver_id", "users"))
                .to_owned(),
        )
        .await?;
        create_index(m, "request_decisions", &["request_id"], false).await?;
        unique_index(m, "request_decisions", &["request_id", "approver_id", "decision"]).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("request_decisions").to_owned()).await?;
        m.drop_table(Table::drop().table("budget_requests").to_owned()).await?;
        m.alter_table(Table::alter().table("budgets").drop_column("two_approvers_above").to_owned()).await
    }
}
