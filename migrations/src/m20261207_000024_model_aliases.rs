//! Model aliases an admin defines (`model_aliases`): a name services send (`chat-default`,
//! `our-gpt`) that is priced by a catalog entry. Aliases are part of what check-and-reserve looks
//! up, so changing one bumps the configuration version.

use sea_orm_migration::sea_orm::DbBackend;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

const BUMP: &str = "UPDATE config_version SET version = version + 1 WHERE id = 1";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("model_aliases")
                .col(uuid("id").primary_key())
                .col(uuid("org_id"))
                .col(string("alias"))
                .col(string("model"))
                .col(timestamp_with_time_zone("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("model_aliases_once")
                .table("model_aliases")
                .col("org_id")
                .col("alias")
                .unique()
                .to_owned(),
        )
        .await?;
        let db = m.get_connection();
        match m.get_database_backend() {
            DbBackend::Postgres => {
                db.execute_unprepared(
                    "CREATE TRIGGER model_aliases_config_version AFTER INSERT OR UPDATE OR DELETE ON model_aliases \
                     FOR EACH STATEMENT EXECUTE FUNCTION bump_config_version()",
                )
                .await?;
            }
            _ => {
                for event in ["INSERT", "UPDATE", "DELETE"] {
                    let name = format!("model_aliases_config_version_{}", event.to_lowercase());
                    db.execute_unprepared(&format!(
                        "CREATE TRIGGER {name} AFTER {event} ON model_aliases BEGIN {BUMP}; END"
                    ))
                    .await?;
                }
            }
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("model_aliases").to_owned()).await
    }
}
