//! Budgeting preferences per level (system, user, project) and the organization's own budget templates.

use crate::m20261128_000001_organizations::{fk, unique_index};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("preferences")
                .col(uuid("id").primary_key())
                .col(uuid("org_id"))
                .col(string("level"))
                // The organization (system level), the user or the project the value belongs to.
                .col(uuid("subject_id"))
                .col(string("key"))
                .col(string("value"))
                .col(string("updated_by"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(&mut fk("preferences", "org_id", "organizations"))
                .to_owned(),
        )
        .await?;
        unique_index(m, "preferences", &["org_id", "level", "subject_id", "key"]).await?;
        m.create_table(
            Table::create()
                .table("budget_templates")
                .col(uuid("id").primary_key())
                .col(uuid("org_id"))
                .col(string("name"))
                .col(text("description"))
                // A tollgate_domain::templates::TemplateSpec as JSON.
                .col(text("spec"))
                .col(string("created_by"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(&mut fk("budget_templates", "org_id", "organizations"))
                .to_owned(),
        )
        .await?;
        unique_index(m, "budget_templates", &["org_id", "name"]).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("budget_templates").to_owned()).await?;
        m.drop_table(Table::drop().table("preferences").to_owned()).await
    }
}
