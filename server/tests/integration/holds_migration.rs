//! Holds moved into their reservation's row, on SQLite and PostgreSQL: every hold of held and
//! closed reservations survives the migration in both directions, and the engine releases what the
//! migrated rows hold.

use crate::common::fixtures::{day_long_check, project_and_team_budgets, release};
use crate::common::{migrate_down_through, spawn_app, Backend};
use app::backend::engine::decide::holds::{self, Hold};
use app::backend::entities::reservation;
use app::backend::services::reconcile::reconcile;
use migrations::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, QueryOrder, Statement};
use std::collections::BTreeMap;
use uuid::Uuid;

/// Each reservation's holds, in budget order.
async fn stored_holds(db: &DatabaseConnection) -> BTreeMap<Uuid, Vec<Hold>> {
    let rows = reservation::Entity::find().order_by_asc(reservation::Column::Id).all(db).await.unwrap();
    rows.into_iter()
        .map(|r| {
            let mut held = holds::from_column(&r.holds).unwrap();
            held.sort_by_key(|hold| hold.budget_id);
            (r.id, held)
        })
        .collect()
}

/// The hold rows of the schema before the migration: (reservation, budget, window start).
async fn hold_rows(db: &DatabaseConnection) -> Vec<(Uuid, Uuid, chrono::DateTime<chrono::Utc>)> {
    let sql =
        "SELECT reservation_id, budget_id, window_start FROM reservation_holds ORDER BY reservation_id, budget_id";
    let rows = db.query_all_raw(Statement::from_string(db.get_database_backend(), sql)).await.unwrap();
    rows.iter()
        .map(|row| {
            let column = |name: &str| row.try_get::<Uuid>("", name).unwrap();
            (column("reservation_id"), column("budget_id"), row.try_get("", "window_start").unwrap())
        })
        .collect()
}

async fn holds_survive_the_migration_both_ways(backend: Backend) {
    let app = spawn_app(backend).await;
    let fx = project_and_team_budgets(&app).await;
    let (status, held) = app.post_json(&fx.key, "/api/v1/check", day_long_check("6")).await;
    assert_eq!((status, held["decision"].as_str()), (200, Some("allow")), "{held}");
    let (_, released) = app.post_json(&fx.key, "/api/v1/check", day_long_check("1")).await;
    assert_eq!(release(&app, &fx.key, &released).await, 204);

    let before = stored_holds(&app.db).await;
    assert_eq!(before.len(), 2);
    assert!(before.values().all(|held| held.len() == 2), "each reservation holds both budgets' windows: {before:?}");

    let schema = app.schema_connection().await;
    migrate_down_through(&schema, "m20261204_000017_holds_on_reservations").await;
    let rows = hold_rows(&schema).await;
    let expected: Vec<_> = before
        .iter()
        .flat_map(|(id, held)| held.iter().map(move |hold| (*id, hold.budget_id, hold.window_start)))
        .collect();
    assert_eq!(rows, expected, "one row per hold again");
    let gone = Statement::from_string(schema.get_database_backend(), "SELECT holds FROM reservations");
    let error = schema.query_all_raw(gone).await.expect_err("the holds column is dropped").to_string();
    assert!(error.contains("holds"), "the query fails for want of the column: {error}");

    Migrator::up(&schema, None).await.unwrap();
    assert_eq!(stored_holds(&app.db).await, before);
    let (_, denied) = app.post_json(&fx.key, "/api/v1/check", day_long_check("5")).await;
    assert_eq!(denied["decision"], "deny", "$6 of $10 is still held: {denied}");
    assert_eq!(release(&app, &fx.key, &held).await, 204);
    let (_, allowed) = app.post_json(&fx.key, "/api/v1/check", day_long_check("5")).await;
    assert_eq!(allowed["decision"], "allow", "the release freed what the migrated row held: {allowed}");
    assert_eq!(reconcile(&app.db).await.unwrap(), vec![], "counters match the ledger and the open holds");
}

on_both_databases!(holds_survive_the_migration, holds_survive_the_migration_both_ways);
