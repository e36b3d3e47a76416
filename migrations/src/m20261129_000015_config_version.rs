//! A configuration version bumped by triggers on every change to what check-and-reserve looks up
//! (organizations, projects, categories, users, prices, preferences, budgets), so each instance can
//! cache that configuration and learn of any change, whichever instance or tool made it.

use sea_orm_migration::sea_orm::DbBackend;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

const WATCHED: [&str; 7] = ["organizations", "projects", "categories", "users", "prices", "preferences", "budgets"];
use crate::config_watch::BUMP;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("config_version")
                .col(integer("id").primary_key())
                .col(big_integer("version"))
                .to_owned(),
        )
        .await?;
        let db = m.get_connection();
        db.execute_unprepared("INSERT INTO config_version (id, version) VALUES (1, 1)").await?;
        if m.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared(&format!(
                "CREATE FUNCTION bump_config_version() RETURNS trigger LANGUAGE plpgsql AS \
                 $$ BEGIN {BUMP}; RETURN NULL; END; $$"
            ))
            .await?;
        }
        for table in WATCHED {
            crate::config_watch::watch(m, table).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        for table in WATCHED {
            match m.get_database_backend() {
                DbBackend::Postgres => {
                    db.execute_unprepared(&format!("DROP TRIGGER {table}_config_version ON {table}")).await?;
                }
                _ => {
                    for event in ["insert", "update", "delete"] {
                        db.execute_unprepared(&format!("DROP TRIGGER {table}_config_version_{event}")).await?;
                    }
                }
            }
        }
        if m.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared("DROP FUNCTION bump_config_version()").await?;
        }
        m.drop_table(Table::drop().table("config_version").to_owned()).await
    }
}
