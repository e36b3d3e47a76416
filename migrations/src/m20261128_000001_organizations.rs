//! Organizations, users and roles, teams, projects, memberships, categories and API keys.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("organizations")
                .col(uuid("id").primary_key())
                .col(string("name"))
                .col(string("timezone"))
                .col(string_len("currency", 3))
                .col(timestamp_with_time_zone("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("users")
                .col(uuid("id").primary_key())
                .col(uuid("org_id"))
                .col(string("handle"))
                .col(string("display_name"))
                .col(string_null("email"))
                .col(string_null("password_hash"))
                .col(boolean("active"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("users", "org_id", "organizations"))
                .to_owned(),
        )
        .await?;
        unique_index(m, "users", &["org_id", "handle"]).await?;
        m.create_table(
            Table::create()
                .table("user_roles")
                .col(uuid("user_id"))
                .col(string("role"))
                .primary_key(Index::create().col("user_id").col("role"))
                .foreign_key(&mut fk("user_roles", "user_id", "users"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("teams")
                .col(uuid("id").primary_key())
                .col(uuid("org_id"))
                .col(string("name"))
                .col(timestamp_with_time_zone_null("archived_at"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("teams", "org_id", "organizations"))
                .to_owned(),
        )
        .await?;
        unique_index(m, "teams", &["org_id", "name"]).await?;
        m.create_table(
            Table::create()
                .table("team_members")
                .col(uuid("team_id"))
                .col(uuid("user_id"))
                .col(boolean("is_lead"))
                .primary_key(Index::create().col("team_id").col("user_id"))
                .foreign_key(&mut fk("team_members", "team_id", "teams"))
                .foreign_key(&mut fk("team_members", "user_id", "users"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("projects")
                .col(uuid("id").primary_key())
                .col(uuid("org_id"))
                .col(uuid("team_id"))
                .col(string("slug"))
                .col(string("name"))
                .col(timestamp_with_time_zone_null("archived_at"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("projects", "org_id", "organizations"))
                .foreign_key(&mut fk("projects", "team_id", "teams"))
                .to_owned(),
        )
        .await?;
        unique_index(m, "projects", &["org_id", "slug"]).await?;
        m.create_table(
            Table::create()
                .table("project_members")
                .col(uuid("project_id"))
                .col(uuid("user_id"))
                .primary_key(Index::create().col("project_id").col("user_id"))
                .foreign_key(&mut fk("project_members", "project_id", "projects"))
                .foreign_key(&mut fk("project_members", "user_id", "users"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("categories")
                .col(uuid("id").primary_key())
                .col(uuid("org_id"))
                .col(string("name"))
                .foreign_key(&mut fk("categories", "org_id", "organizations"))
                .to_owned(),
        )
        .await?;
        unique_index(m, "categories", &["org_id", "name"]).await?;
        m.create_table(
            Table::create()
                .table("api_keys")
                .col(uuid("id").primary_key())
                .col(uuid("org_id"))
                .col(string("name"))
                .col(string("prefix"))
                .col(string("secret_hash"))
                .col(string("permission"))
                .col(uuid_null("project_id"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone_null("last_used_at"))
                .col(timestamp_with_time_zone_null("revoked_at"))
                .foreign_key(&mut fk("api_keys", "org_id", "organizations"))
                .to_owned(),
        )
        .await?;
        unique_index(m, "api_keys", &["prefix"]).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "api_keys",
            "categories",
            "project_members",
            "projects",
            "team_members",
            "teams",
            "user_roles",
            "users",
            "organizations",
        ] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}

pub(crate) fn fk(from: &'static str, column: &'static str, to: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create().name(format!("fk_{from}_{column}")).from(from, column).to(to, "id").to_owned()
}

pub(crate) async fn unique_index(
    m: &SchemaManager<'_>,
    table: &'static str,
    cols: &[&'static str],
) -> Result<(), DbErr> {
    create_index(m, table, cols, true).await
}

pub(crate) async fn create_index(
    m: &SchemaManager<'_>,
    table: &'static str,
    cols: &[&'static str],
    unique: bool,
) -> Result<(), DbErr> {
    let mut index = Index::create();
    index.name(format!("ix_{table}_{}", cols.join("_"))).table(table);
    for col in cols {
        index.col(*col);
    }
    if unique {
        index.unique();
    }
    m.create_index(index.to_owned()).await
}
