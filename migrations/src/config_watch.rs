//! Triggers that bump the configuration version whenever a watched table changes (see the
//! `config_version` migration), for tables added later to what check-and-reserve looks up.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

/// The statement every trigger runs.
pub const BUMP: &str = "UPDATE config_version SET version = version + 1 WHERE id = 1";

/// Makes every insert, update and delete on `table` bump the configuration version.
pub async fn watch(m: &SchemaManager<'_>, table: &str) -> Result<(), DbErr> {
    let db = m.get_connection();
    match m.get_database_backend() {
        DbBackend::Postgres => {
            db.execute_unprepared(&format!(
                "CREATE TRIGGER {table}_config_version AFTER INSERT OR UPDATE OR DELETE ON {table} \
                 FOR EACH STATEMENT EXECUTE FUNCTION bump_config_version()"
            ))
            .await?;
        }
        _ => {
            for event in ["INSERT", "UPDATE", "DELETE"] {
                let name = format!("{table}_config_version_{}", event.to_lowercase());
                db.execute_unprepared(&format!("CREATE TRIGGER {name} AFTER {event} ON {table} BEGIN {BUMP}; END"))
                    .await?;
            }
        }
    }
    Ok(())
}
