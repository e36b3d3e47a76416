//! Holds moved into their reservation's row, on SQLite and PostgreSQL: every hold of held and
//! closed reservations survives the migration in both directions, and the engine releases what the
//! migrated rows hold.

use crate::common::fixtures::{add_budget, organization, BudgetSpec};
use crate::common::{spawn_app, Backend};
use app::entities::reservation;
use app::services::engine::holds::{self, Hold};
use app::services::reconcile::reconcile;
use migrations::{Migrator, MigratorTrait};
use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, QueryOrder, Statement};
use serde_json::json;
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

/// The hold rows of the schema before the migration, as (reservation, budget, window start) text.
async fn hold_rows(db: &DatabaseConnection) -> Vec<(Uuid, Uuid, chrono::DateTime<chrono::Utc>)> {
    let sql =
        "SELECT reservation_id, budget_id, window_start FROM reservation_holds ORDER BY reservation_id, budget_id";
    let rows = db.query_all_raw(Statement::from_string(db.get_database_backend(), sql)).await.unwrap();
    rows.iter()
        .map(|row| {
            (row.try_get("", "reservation_id").unwrap(), row.try_get("", "budget_id").unwrap(), {
                row.try_get("", "window_start").unwrap()
            })
        })
        .collect()
}

async fn holds_survive_the_migration_both_ways(backend: Backend) {
    let app = spawn_app(backend).await;
    let fx = organization(&app, "UTC").await;
    add_budget(&app, fx.org_id, BudgetSpec::cost("project", fx.project_id, Decimal::from(10))).await;
    add_budget(&app, fx.org_id, BudgetSpec::cost("team", fx.team_id, Decimal::from(100))).await;
    let check = |cost: &str| {
        json!({ "user": "ada", "project": "chatbot", "category": "llm", "model": "gpt-4o",
                "estimated_cost": cost, "ttl_seconds": 86_400 })
    };
    let (status, held) = app.post_json(&fx.key, "/api/v1/check", check("6")).await;
    assert_eq!((status, held["decision"].as_str()), (200, Some("allow")), "{held}");
    let (_, released) = app.post_json(&fx.key, "/api/v1/check", check("1")).await;
    let released_url = format!("{}/api/v1/reservations/{}", app.address, released["reservation_id"].as_str().unwrap());
    assert_eq!(app.client.delete(&released_url).bearer_auth(&fx.key).send().await.unwrap().status(), 204);

    let before = stored_holds(&app.db).await;
    assert_eq!(before.len(), 2);
    assert!(before.values().all(|held| held.len() == 2), "each reservation holds both budgets' windows: {before:?}");

    Migrator::down(&app.db, Some(1)).await.unwrap();
    let rows = hold_rows(&app.db).await;
    let expected: Vec<_> = before
        .iter()
        .flat_map(|(id, held)| held.iter().map(move |hold| (*id, hold.budget_id, hold.window_start)))
        .collect();
    assert_eq!(rows, expected, "one row per hold again");
    let gone = Statement::from_string(app.db.get_database_backend(), "SELECT holds FROM reservations");
    assert!(app.db.query_all_raw(gone).await.is_err(), "the holds column is dropped");

    Migrator::up(&app.db, None).await.unwrap();
    assert_eq!(stored_holds(&app.db).await, before);
    let (_, denied) = app.post_json(&fx.key, "/api/v1/check", check("5")).await;
    assert_eq!(denied["decision"], "deny", "$6 of $10 is still held: {denied}");
    let held_url = format!("{}/api/v1/reservations/{}", app.address, held["reservation_id"].as_str().unwrap());
    assert_eq!(app.client.delete(&held_url).bearer_auth(&fx.key).send().await.unwrap().status(), 204);
    let (_, allowed) = app.post_json(&fx.key, "/api/v1/check", check("5")).await;
    assert_eq!(allowed["decision"], "allow", "the release freed what the migrated row held: {allowed}");
    assert_eq!(reconcile(&app.db).await.unwrap(), vec![], "counters match the ledger and the open holds");
}

on_both_databases!(holds_survive_the_migration, holds_survive_the_migration_both_ways);
