//! Load and fault tests, bounded in time: 1,000 parallel reservations never overshoot (one
//! instance, and three sharing PostgreSQL), and a SIGKILLed server loses no answered event.

use crate::common;

use app::backend::entities::budget_counter;
use common::fixtures::{add_budget, organization, BudgetSpec};
use common::{spawn_app, spawn_instance, Backend, TestApp};
use rust_decimal::Decimal;
use sea_orm::EntityTrait;
use serde_json::json;
use std::sync::Arc;
use tokio::task::JoinSet;

/// Sends `count` checks of $1 at once across `apps` and returns the number admitted.
async fn admitted(apps: &[Arc<TestApp>], key: &str, count: usize) -> usize {
    let mut tasks = JoinSet::new();
    for i in 0..count {
        let app = apps[i % apps.len()].clone();
        let key = key.to_owned();
        let body = json!({ "user": format!("u{}", i % 7), "project": "chatbot", "category": "llm", "model": "gpt-4o",
                           "estimated_cost": "1", "ttl_seconds": 3600 });
        tasks.spawn(async move { app.post_json(&key, "/api/v1/check", body).await });
    }
    let mut admitted = 0;
    while let Some(result) = tasks.join_next().await {
        let (status, body) = result.unwrap();
        assert_eq!(status, 200, "{body}");
        admitted += usize::from(body["decision"] != "deny");
    }
    admitted
}

async fn a_thousand_parallel_reservations_never_overshoot(backend: Backend) {
    let app = Arc::new(spawn_app(backend).await);
    let fx = organization(&app, "UTC").await;
    add_budget(&app, fx.org_id, BudgetSpec::cost("project", fx.project_id, Decimal::from(137))).await;
    assert_eq!(admitted(std::slice::from_ref(&app), &fx.key, 1000).await, 137);
    assert_eq!(app_reconciled(&app).await, 0);
}
on_both_databases!(overshoot, a_thousand_parallel_reservations_never_overshoot);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_instances_on_postgres_never_overshoot() {
    let first = Arc::new(spawn_app(Backend::Postgres).await);
    let second = Arc::new(spawn_instance(&first).await);
    let third = Arc::new(spawn_instance(&first).await);
    let fx = organization(&first, "UTC").await;
    add_budget(&first, fx.org_id, BudgetSpec::cost("organization", fx.org_id, Decimal::from(250))).await;
    add_budget(&first, fx.org_id, BudgetSpec::cost("team", fx.team_id, Decimal::from(300))).await;
    assert_eq!(admitted(&[first.clone(), second, third], &fx.key, 1000).await, 250);
    assert_eq!(app_reconciled(&first).await, 0);
}

/// Checks and settles of reservations holding three counters each run at once on three instances:
/// every settle releases its holds in one statement, and no two transactions may deadlock on the
/// counters they share.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checks_and_settles_on_three_postgres_instances_neither_fail_nor_drift() {
    let first = Arc::new(spawn_app(Backend::Postgres).await);
    let apps = [first.clone(), Arc::new(spawn_instance(&first).await), Arc::new(spawn_instance(&first).await)];
    let fx = organization(&first, "UTC").await;
    for (scope, id) in [("organization", fx.org_id), ("team", fx.team_id), ("project", fx.project_id)] {
        add_budget(&first, fx.org_id, BudgetSpec::cost(scope, id, Decimal::from(1_000_000))).await;
    }
    let mut tasks = JoinSet::new();
    for i in 0..300 {
        let app = apps[i % apps.len()].clone();
        let key = fx.key.clone();
        tasks.spawn(async move {
            let check = json!({ "user": format!("u{}", i % 5), "project": "chatbot", "category": "llm",
                                "model": "gpt-4o", "estimated_cost": "2", "ttl_seconds": 3600 });
            let (status, body) = app.post_json(&key, "/api/v1/check", check).await;
            assert_eq!(status, 200, "{body}");
            let id = body["reservation_id"].as_str().expect("admitted").to_owned();
            let (status, body) =
                app.post_json(&key, &format!("/api/v1/reservations/{id}/settle"), json!({ "cost": "1" })).await;
            assert_eq!(status, 200, "{body}");
        });
    }
    while let Some(result) = tasks.join_next().await {
        result.unwrap();
    }
    let counters = budget_counter::Entity::find().all(&first.db).await.unwrap();
    assert_eq!(counters.len(), 3);
    for counter in counters {
        assert_eq!((counter.cost_spent, counter.cost_reserved), (300_000_000_000, 0), "$300 spent, nothing held");
    }
    assert_eq!(app_reconciled(&first).await, 0);
}

async fn app_reconciled(app: &TestApp) -> usize {
    app::backend::services::reconcile::reconcile(&app.db).await.unwrap().len()
}
