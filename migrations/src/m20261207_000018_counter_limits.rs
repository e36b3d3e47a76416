//! Counters that cannot leave the integers on SQLite: its `+` turns an overflowing sum into a REAL
//! (which then fails every read of the row), where PostgreSQL refuses it ("bigint out of range").
//! A trigger per counting table aborts such an update with `counter_limit`, which the engine
//! answers as a 422 naming the limit.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Each counting table and its amount columns.
const TABLES: [(&str, &[&str]); 4] = [
    (
        "budget_counters",
        &["cost_spent", "tokens_spent", "operations_spent", "cost_reserved", "tokens_reserved", "operations_reserved"],
    ),
    ("daily_usage", &["cost", "input_tokens", "output_tokens", "operations", "events"]),
    ("daily_project_usage", &["cost", "input_tokens", "output_tokens", "operations", "events"]),
    ("daily_model_usage", &["cost", "input_tokens", "output_tokens", "operations", "events"]),
];

fn trigger_name(table: &str) -> String {
    format!("{table}_within_counter_limits")
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() != DbBackend::Sqlite {
            return Ok(());
        }
        for (table, columns) in TABLES {
            let not_whole: Vec<String> = columns.iter().map(|c| format!("typeof(NEW.{c}) <> 'integer'")).collect();
            let sql = format!(
                "CREATE TRIGGER {} BEFORE UPDATE ON {table} WHEN {} \
                 BEGIN SELECT RAISE(ABORT, 'counter_limit'); END",
                trigger_name(table),
                not_whole.join(" OR ")
            );
            m.get_connection().execute_unprepared(&sql).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() != DbBackend::Sqlite {
            return Ok(());
        }
        for (table, _) in TABLES {
            m.get_connection().execute_unprepared(&format!("DROP TRIGGER IF EXISTS {}", trigger_name(table))).await?;
        }
        Ok(())
    }
}
