//! The SQLite rebuild of the engine's tables into their primary keys' b-trees (`WITHOUT ROWID`):
//! held reservations, their holds and counters survive it in both directions, indexes and foreign
//! keys come back, and the engine goes on deciding from the rebuilt rows.

use crate::common::fixtures::{day_long_check, project_and_team_budgets, release};
use crate::common::{migrate_down_through, spawn_app, Backend};
use app::backend::entities::budget_counter;
use migrations::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, QueryOrder, Statement};

const TABLES: [&str; 3] = ["reservations", "reservation_holds", "budget_counters"];

/// Each table's stored definition, and whether it is stored without rowids.
async fn without_rowid(db: &DatabaseConnection) -> Vec<bool> {
    let mut stored = Vec::new();
    for table in TABLES {
        let sql = format!("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = '{table}'");
        let row = db.query_one_raw(Statement::from_string(db.get_database_backend(), sql)).await.unwrap().unwrap();
        stored.push(row.try_get::<String>("", "sql").unwrap().ends_with("WITHOUT ROWID"));
    }
    stored
}

async fn index_names(db: &DatabaseConnection) -> Vec<String> {
    let sql = "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL \
               AND tbl_name IN ('reservations', 'reservation_holds', 'budget_counters') ORDER BY name";
    let rows = db.query_all_raw(Statement::from_string(db.get_database_backend(), sql)).await.unwrap();
    rows.iter().map(|row| row.try_get::<String>("", "name").unwrap()).collect()
}

/// Every column of every row as SQLite quotes it (blobs as `X'…'`), in a stable order.
async fn text_rows(db: &DatabaseConnection, table: &str, order: &str) -> Vec<String> {
    let columns = format!(
        "SELECT group_concat('quote(' || name || ')', ' || '','' || ') AS line FROM pragma_table_info('{table}')"
    );
    let line = db.query_one_raw(Statement::from_string(db.get_database_backend(), columns)).await.unwrap().unwrap();
    let line: String = line.try_get("", "line").unwrap();
    let sql = format!("SELECT {line} AS line FROM {table} ORDER BY {order}");
    let rows = db.query_all_raw(Statement::from_string(db.get_database_backend(), sql)).await.unwrap();
    rows.iter().map(|row| row.try_get::<String>("", "line").unwrap()).collect()
}

type Rows = (Vec<String>, Vec<String>, Vec<budget_counter::Model>);

/// The engine's rows as the schema before holds moved into reservations stores them.
async fn engine_rows(db: &DatabaseConnection) -> Rows {
    (
        text_rows(db, "reservations", "id").await,
        text_rows(db, "reservation_holds", "budget_id").await,
        budget_counter::Entity::find().order_by_asc(budget_counter::Column::BudgetId).all(db).await.unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn held_reservations_survive_the_rebuild_both_ways() {
    let app = spawn_app(Backend::Sqlite).await;
    let fx = project_and_team_budgets(&app).await;
    let (status, held) = app.post_json(&fx.key, "/api/v1/check", day_long_check("6")).await;
    assert_eq!((status, held["decision"].as_str()), (200, Some("allow")), "{held}");
    let schema = app.schema_connection().await;
    // To the schema this rebuild was written for: holds in a table of their own.
    migrate_down_through(&schema, "m20261204_000017_holds_on_reservations").await;
    let rows = engine_rows(&schema).await;
    assert_eq!((rows.0.len(), rows.1.len(), rows.2.len()), (1, 2, 2));
    let indexes = index_names(&schema).await;
    assert!(indexes.contains(&"ix_reservations_state_expires_at".to_owned()), "{indexes:?}");
    assert_eq!(without_rowid(&schema).await, [true; 3]);

    Migrator::down(&schema, Some(1)).await.unwrap();
    assert_eq!(without_rowid(&schema).await, [false; 3]);
    assert_eq!(engine_rows(&schema).await, rows);
    assert_eq!(index_names(&schema).await, indexes);

    Migrator::up(&schema, Some(1)).await.unwrap();
    assert_eq!(without_rowid(&schema).await, [true; 3]);
    assert_eq!(engine_rows(&schema).await, rows);
    assert_eq!(index_names(&schema).await, indexes);

    let orphan = "INSERT INTO reservation_holds (reservation_id, budget_id, window_start) \
                  VALUES (x'00000000000000000000000000000001', x'00', '2026-01-01T00:00:00Z')";
    assert!(schema.execute_unprepared(orphan).await.is_err(), "holds still need their reservation");
    Migrator::up(&schema, None).await.unwrap();
    let (_, denied) = app.post_json(&fx.key, "/api/v1/check", day_long_check("5")).await;
    assert_eq!(denied["decision"], "deny", "$6 of $10 is still held: {denied}");
    assert_eq!(release(&app, &fx.key, &held).await, 204);
    let (_, allowed) = app.post_json(&fx.key, "/api/v1/check", day_long_check("5")).await;
    assert_eq!(allowed["decision"], "allow", "the release freed the rebuilt counter: {allowed}");
}
