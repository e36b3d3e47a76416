//! Reconciliation on SQLite and PostgreSQL: after real traffic the stored counters, aggregates and
//! roll-ups equal what the ledger implies, and any tampering is reported.

use crate::common;

use app::backend::engine::keys;
use app::backend::entities::{budget_counter, daily_model_usage, daily_usage};
use app::backend::services::{organizations, reconcile::reconcile};
use chrono::Duration;
use common::{spawn_app, start_time, Backend};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

async fn figures_match_the_ledger_until_tampered(backend: Backend) {
    let app = spawn_app(backend).await;
    tollgate_server::seed::seed_demo(&app.db, start_time(), 20).await.unwrap();
    let org = organizations::first_organization(&app.db).await.unwrap().unwrap();
    let (_, key) = keys::create(&app.db, org.id, "t", keys::Permission::Ingest, None, app.clock_now()).await.unwrap();
    let check = json!({ "user": "lena@acme.example", "project": "gateway", "category": "llm", "model": "gpt-4o",
                        "estimated_input_tokens": 2000, "max_output_tokens": 500, "ttl_seconds": 60 });
    let settled = app.post_json(&key, "/api/v1/check", check.clone()).await.1;
    let id = settled["reservation_id"].as_str().expect("admitted").to_owned();
    let (status, _) = app
        .post_json(
            &key,
            &format!("/api/v1/reservations/{id}/settle"),
            json!({"input_tokens": 1500, "output_tokens": 300}),
        )
        .await;
    assert_eq!(status, 200);
    let left_open = app.post_json(&key, "/api/v1/check", check.clone()).await.1;
    assert!(left_open["reservation_id"].is_string());
    let events: Vec<_> = (0..20)
        .map(|i| json!({ "event_id": format!("r-{i}"), "occurred_at": (start_time() - Duration::days(i % 5)).to_rfc3339(),
                         "user": format!("new-{}", i % 3), "project": "evals", "category": "ml", "model": "mistral-small",
                         "input_tokens": 10_000, "output_tokens": 2_000 }))
        .collect();
    assert_eq!(app.post_json(&key, "/api/v1/usage", json!({ "events": events })).await.1["accepted"], 20);

    assert_eq!(reconcile(&app.db).await.unwrap(), vec![], "counters and aggregates match the ledger");

    let counter =
        budget_counter::Entity::find().all(&app.db).await.unwrap().into_iter().max_by_key(|c| c.cost_spent).unwrap();
    budget_counter::Entity::update_many()
        .col_expr(budget_counter::Column::CostSpent, Expr::col(budget_counter::Column::CostSpent).add(1))
        .filter(budget_counter::Column::BudgetId.eq(counter.budget_id))
        .filter(budget_counter::Column::WindowStart.eq(counter.window_start))
        .exec(&app.db)
        .await
        .unwrap();
    let day = daily_usage::Entity::find().one(&app.db).await.unwrap().unwrap();
    daily_usage::Entity::delete_many()
        .filter(daily_usage::Column::Day.eq(day.day))
        .filter(daily_usage::Column::ProjectId.eq(day.project_id))
        .filter(daily_usage::Column::UserId.eq(day.user_id))
        .filter(daily_usage::Column::Model.eq(day.model.clone()))
        .filter(daily_usage::Column::Provider.eq(day.provider.clone()))
        .filter(daily_usage::Column::CategoryId.eq(day.category_id))
        .exec(&app.db)
        .await
        .unwrap();

    let model_day = daily_model_usage::Entity::find()
        .filter(daily_model_usage::Column::Model.eq("mistral-small"))
        .one(&app.db)
        .await
        .unwrap()
        .expect("a roll-up row of the ingested model");
    daily_model_usage::Entity::update_many()
        .col_expr(daily_model_usage::Column::Cost, Expr::col(daily_model_usage::Column::Cost).add(5))
        .filter(daily_model_usage::Column::Day.eq(model_day.day))
        .filter(daily_model_usage::Column::Model.eq("mistral-small"))
        .exec(&app.db)
        .await
        .unwrap();

    let found = reconcile(&app.db).await.unwrap();
    // The deleted daily row is missing from the finer table only: its roll-ups still hold it.
    assert_eq!(found.len(), 3, "{found:#?}");
    let model_diff = found.iter().find(|d| d.table == "daily_model_usage").unwrap();
    assert_eq!(model_diff.stored[0], model_diff.expected[0] + 5);
    assert_eq!(model_diff.stored[4], model_diff.expected[4], "only the cost was tampered with");
    let counter_diff = found.iter().find(|d| d.table == "budget_counters").unwrap();
    assert_eq!(counter_diff.stored[0], counter_diff.expected[0] + 1);
    let day_diff = found.iter().find(|d| d.table == "daily_usage").unwrap();
    assert!(day_diff.key.ends_with("(no row)"));
    assert_eq!(day_diff.expected[0], day.cost);
}
on_both_databases!(reconciliation, figures_match_the_ledger_until_tampered);
