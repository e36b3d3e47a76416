//! PostgreSQL's Optimistic route for checks: batches decided on the counters the instance remembers are
//! written, verified and committed by one statement; what changed behind the writers' backs
//! (another instance's usage, an override, a revoked key) fails that statement, undoes all of it,
//! and the batch is decided again on what is stored.

use crate::common;

use app::backend::engine::OptimisticCounts;
use app::backend::entities::{api_key, budget_counter, budget_event, reservation};
use chrono::Duration;
use common::fixtures::{add_budget, grant_override, organization, BudgetSpec, Fixture};
use common::{spawn_app, Backend, TestApp};
use rust_decimal::Decimal;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;
use tollgate_domain::money::to_storage;
use uuid::Uuid;

/// A check of $1 for the fixture's project.
fn one_dollar() -> serde_json::Value {
    json!({ "user": "ada@acme.example", "project": "chatbot", "category": "llm", "model": "gpt-4o",
            "estimated_cost": "1", "ttl_seconds": 3600 })
}

/// Checks $1 for the fixture's project and returns the decision.
async fn check_one_dollar(app: &TestApp, fx: &Fixture) -> String {
    let (status, answer) = app.post_json(&fx.key, "/api/v1/check", one_dollar()).await;
    assert_eq!(status, 200, "{answer}");
    answer["decision"].as_str().expect("a decision").to_owned()
}

async fn decisions(app: &TestApp, fx: &Fixture, count: usize) -> Vec<String> {
    let mut decided = Vec::with_capacity(count);
    for _ in 0..count {
        decided.push(check_one_dollar(app, fx).await);
    }
    decided
}

fn dollars(amount: i64) -> i64 {
    to_storage(Decimal::from(amount)).unwrap()
}

async fn counter(app: &TestApp, budget_id: Uuid) -> budget_counter::Model {
    let counters = budget_counter::Entity::find().filter(budget_counter::Column::BudgetId.eq(budget_id));
    counters.one(&app.db).await.unwrap().expect("the budget's counter")
}

async fn stored(app: &TestApp) -> (u64, u64) {
    let reservations = reservation::Entity::find().count(&app.db).await.unwrap();
    let denials =
        budget_event::Entity::find().filter(budget_event::Column::Kind.eq("denied")).count(&app.db).await.unwrap();
    (reservations, denials)
}

async fn a_budget_of(dollars: i64) -> (TestApp, Fixture, Uuid) {
    let app = spawn_app(Backend::Postgres).await;
    let fx = organization(&app, "UTC").await;
    let budget_id =
        add_budget(&app, fx.org_id, BudgetSpec::cost("project", fx.project_id, Decimal::from(dollars))).await;
    (app, fx, budget_id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checks_in_a_row_go_the_optimistic_route_and_stop_at_the_hard_level() {
    let (app, fx, budget_id) = a_budget_of(5).await;
    let decided = decisions(&app, &fx, 8).await;
    assert_eq!(decided, ["allow", "allow", "allow", "allow", "allow", "deny", "deny", "deny"]);

    // The first check registers the person and the second fills the cache (both the Full route); the
    // third goes the LockAndVerify route and leaves the writer remembering the counters: the other five go the
    // Optimistic route.
    assert_eq!(app.checks.optimistic(), OptimisticCounts { committed: 5, found_changed: 0, failed: 0 });
    let counter = counter(&app, budget_id).await;
    assert_eq!((counter.cost_reserved, counter.operations_reserved), (dollars(5), 5));
    assert_eq!(stored(&app).await, (5, 3), "five reservations and three denials");
    assert_eq!(app::backend::services::reconcile::reconcile(&app.db).await.unwrap().len(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usage_counted_behind_the_writers_backs_is_seen_by_the_next_check() {
    let (app, fx, budget_id) = a_budget_of(10).await;
    assert_eq!(decisions(&app, &fx, 6).await, ["allow"; 6]);
    let before = app.checks.optimistic();
    assert_eq!(before, OptimisticCounts { committed: 3, found_changed: 0, failed: 0 });

    // Another instance recorded $4 of usage: the remembered counter is $4 short.
    budget_counter::Entity::update_many()
        .col_expr(budget_counter::Column::CostSpent, Expr::col(budget_counter::Column::CostSpent).add(dollars(4)))
        .filter(budget_counter::Column::BudgetId.eq(budget_id))
        .exec(&app.db)
        .await
        .unwrap();
    assert_eq!(decisions(&app, &fx, 2).await, ["deny", "deny"], "$6 reserved and $4 spent of $10");

    let after = app.checks.optimistic();
    assert_eq!(
        (after.found_changed, after.failed),
        (1, 0),
        "the first check's Optimistic route found the counter changed"
    );
    let counter = counter(&app, budget_id).await;
    assert_eq!((counter.cost_spent, counter.cost_reserved), (dollars(4), dollars(6)), "nothing of it was kept");
    assert_eq!(stored(&app).await, (6, 2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_override_granted_behind_the_writers_backs_counts_at_once() {
    let (app, fx, budget_id) = a_budget_of(5).await;
    assert_eq!(decisions(&app, &fx, 6).await, ["allow", "allow", "allow", "allow", "allow", "deny"]);
    assert_eq!(app.checks.optimistic().committed, 3);

    let now = app.clock_now();
    grant_override(&app, budget_id, Decimal::ONE, now - Duration::minutes(1), now + Duration::hours(1)).await;
    assert_eq!(decisions(&app, &fx, 2).await, ["allow", "deny"], "$5 plus the $1 override");
    let after = app.checks.optimistic();
    assert_eq!((after.found_changed, after.failed), (1, 0), "the first check's Optimistic route found the override");
    assert_eq!(counter(&app, budget_id).await.cost_reserved, dollars(6));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_revoked_behind_the_writers_backs_is_refused_and_nothing_is_written() {
    let (app, fx, budget_id) = a_budget_of(10).await;
    assert_eq!(decisions(&app, &fx, 5).await, ["allow"; 5]);
    assert_eq!(app.checks.optimistic().committed, 2);

    api_key::Entity::update_many()
        .col_expr(api_key::Column::RevokedAt, Expr::value(app.clock_now()))
        .filter(api_key::Column::OrgId.eq(fx.org_id))
        .exec(&app.db)
        .await
        .unwrap();
    let (status, answer) = app.post_json(&fx.key, "/api/v1/check", one_dollar()).await;
    assert_eq!(status, 401, "{answer}");
    let after = app.checks.optimistic();
    assert_eq!((after.found_changed, after.failed), (1, 0), "the key was live in the cache, not in the database");
    assert_eq!(counter(&app, budget_id).await.cost_reserved, dollars(5));
    assert_eq!(stored(&app).await, (5, 0));
}
