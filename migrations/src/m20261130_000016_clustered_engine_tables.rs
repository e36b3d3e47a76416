//! SQLite: the tables every check writes (reservations, their holds, budget counters) stored in
//! their primary key's b-tree (`WITHOUT ROWID`), so a commit rewrites fewer pages; PostgreSQL keeps
//! its heap tables and is untouched.
//!
//! A rowid table keeps its rows in one b-tree and its primary key in another, so every reservation,
//! hold and new counter changed a page of each. SQLite cannot alter a table's storage: each table is
//! rebuilt from its own stored definition, in one transaction.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, Statement};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Parents before children: a child's rebuilt foreign key must find its parent's rows.
const TABLES: [&str; 3] = ["reservations", "reservation_holds", "budget_counters"];
const WITHOUT_ROWID: &str = " WITHOUT ROWID";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        rebuild(m, |table| format!("{table}{WITHOUT_ROWID}")).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        rebuild(m, |table| table.strip_suffix(WITHOUT_ROWID).unwrap_or(table).to_owned()).await
    }
}

/// Rebuilds the tables with their definitions changed by `storage`, keeping rows and indexes. The old
/// tables are renamed first: SQLite then points the children's foreign keys at the renamed parents,
/// which are dropped only after those children, so no row is ever orphaned.
async fn rebuild(m: &SchemaManager<'_>, storage: impl Fn(&str) -> String) -> Result<(), DbErr> {
    if m.get_database_backend() != DbBackend::Sqlite {
        return Ok(());
    }
    let db = m.get_connection();
    let mut definitions = Vec::with_capacity(TABLES.len());
    for table in TABLES {
        let table_sql = stored_sql(m, "table", table).await?;
        let index_sql = stored_sql(m, "index", table).await?;
        definitions.push((table, table_sql.into_iter().next(), index_sql));
    }
    for (table, _, _) in &definitions {
        db.execute_unprepared(&format!("ALTER TABLE \"{table}\" RENAME TO \"{table}_rebuilt\"")).await?;
    }
    for (table, table_sql, _) in &definitions {
        let sql = table_sql.as_deref().ok_or_else(|| DbErr::Migration(format!("table {table} is missing")))?;
        db.execute_unprepared(&storage(sql)).await?;
        db.execute_unprepared(&format!("INSERT INTO \"{table}\" SELECT * FROM \"{table}_rebuilt\"")).await?;
    }
    for (table, _, _) in definitions.iter().rev() {
        db.execute_unprepared(&format!("DROP TABLE \"{table}_rebuilt\"")).await?;
    }
    for (_, _, index_sql) in &definitions {
        for sql in index_sql {
            db.execute_unprepared(sql).await?;
        }
    }
    Ok(())
}

/// The `CREATE` statements SQLite stored for a table or its explicit indexes.
async fn stored_sql(m: &SchemaManager<'_>, kind: &str, table: &str) -> Result<Vec<String>, DbErr> {
    let query = Statement::from_sql_and_values(
        DbBackend::Sqlite,
        "SELECT sql FROM sqlite_master WHERE type = ? AND tbl_name = ? AND sql IS NOT NULL ORDER BY name",
        [kind.into(), table.into()],
    );
    let rows = m.get_connection().query_all_raw(query).await?;
    rows.iter().map(|row| row.try_get::<String>("", "sql")).collect()
}
