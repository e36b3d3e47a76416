//! Check-and-reserve over HTTP on SQLite and PostgreSQL: atomic under concurrency and across
//! instances, cascading over the scope chain, honouring overrides and the emergency reserve,
//! and rolling over at the organization's local midnight.

use crate::common;

use app::backend::entities::{budget_counter, reservation};
use chrono::{Duration, TimeZone, Utc};
use common::fixtures::{add_budget, grant_override, organization, BudgetSpec};
use common::{spawn_app, Backend, TestApp};
use rust_decimal::Decimal;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{json, Value};
use std::sync::Arc;
use tokio::task::JoinSet;

/// Reservations live a day here, so moving the test clock never lets the sweeper free them mid-test.
fn check_body(cost: &str) -> Value {
    json!({ "user": "ada@acme.example", "project": "chatbot", "category": "llm", "model": "gpt-4o",
            "estimated_cost": cost, "ttl_seconds": 86_400 })
}

/// Fires `count` checks at once, spread over the given instances; returns how many were admitted.
async fn admitted_of(apps: &[Arc<TestApp>], key: &str, count: usize) -> usize {
    let mut tasks = JoinSet::new();
    for i in 0..count {
        let app = apps[i % apps.len()].clone();
        let key = key.to_owned();
        tasks.spawn(async move { app.post_json(&key, "/api/v1/check", check_body("1.00")).await });
    }
    let mut admitted = 0;
    while let Some(result) = tasks.join_next().await {
        let (status, body) = result.unwrap();
        assert_eq!(status, 200, "{body}");
        if body["decision"] != "deny" {
            assert!(body["reservation_id"].is_string());
            admitted += 1;
        }
    }
    admitted
}

async fn concurrent_reserves_admit_exactly_the_room(backend: Backend) {
    let app = Arc::new(spawn_app(backend).await);
    let fx = organization(&app, "UTC").await;
    let budget = add_budget(&app, fx.org_id, BudgetSpec::cost("project", fx.project_id, Decimal::from(50))).await;
    assert_eq!(admitted_of(std::slice::from_ref(&app), &fx.key, 200).await, 50);
    let counters =
        budget_counter::Entity::find().filter(budget_counter::Column::BudgetId.eq(budget)).all(&app.db).await.unwrap();
    assert_eq!(counters.len(), 1);
    assert_eq!(counters[0].cost_reserved, 50_000_000_000, "exactly $50 reserved");
    assert_eq!(reservation::Entity::find().count(&app.db).await.unwrap(), 50);
}
on_both_databases!(concurrency, concurrent_reserves_admit_exactly_the_room);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_postgres_database_admit_exactly_the_room() {
    let first = Arc::new(spawn_app(Backend::Postgres).await);
    let second = Arc::new(common::spawn_instance(&first).await);
    let fx = organization(&first, "UTC").await;
    add_budget(&first, fx.org_id, BudgetSpec::cost("team", fx.team_id, Decimal::from(50))).await;
    assert_eq!(admitted_of(&[first.clone(), second.clone()], &fx.key, 200).await, 50);
    let (_, status) = second.get_json(&fx.key, "/api/v1/status?project=chatbot").await;
    assert_eq!(status["budgets"][0]["limits"][0]["reserved"], "50");
}

async fn the_tightest_budget_on_the_chain_decides(backend: Backend) {
    let app = spawn_app(backend).await;
    let fx = organization(&app, "UTC").await;
    add_budget(&app, fx.org_id, BudgetSpec::cost("project", fx.project_id, Decimal::from(1000))).await;
    let team_budget = add_budget(&app, fx.org_id, BudgetSpec::cost("team", fx.team_id, Decimal::from(3))).await;
    let (_, ok) = app.post_json(&fx.key, "/api/v1/check", check_body("2.50")).await;
    assert_eq!(ok["decision"], "allow");
    assert_eq!(ok["budgets"].as_array().unwrap().len(), 2);
    let (status, denied) = app.post_json(&fx.key, "/api/v1/check", check_body("1.00")).await;
    assert_eq!(status, 200);
    assert_eq!(denied["decision"], "deny");
    assert_eq!(denied["decided_by"], team_budget.to_string());
    assert!(denied["reservation_id"].is_null());
    assert!(denied["reasons"][0].as_str().unwrap().contains("would exceed the hard limit of 3"), "{denied}");
    // A denial reserves nothing anywhere: the project budget still shows only the first reservation.
    let project_report = denied["budgets"].as_array().unwrap().iter().find(|b| b["scope"] == "project").unwrap();
    assert_eq!(project_report["limits"][0]["reserved"], "2.5");
}
on_both_databases!(cascade, the_tightest_budget_on_the_chain_decides);

/// `include_budgets: false` leaves the budgets' figures out of the answer, and nothing else: the
/// decision, the reservation and a denial's reasons are those of a full answer.
async fn a_brief_answer_leaves_out_only_the_budgets(backend: Backend) {
    let app = spawn_app(backend).await;
    let fx = organization(&app, "UTC").await;
    add_budget(&app, fx.org_id, BudgetSpec::cost("project", fx.project_id, Decimal::from(1000))).await;
    let team_budget = add_budget(&app, fx.org_id, BudgetSpec::cost("team", fx.team_id, Decimal::from(3))).await;
    let brief = |cost: &str| {
        let mut body = check_body(cost);
        body["include_budgets"] = json!(false);
        body
    };
    let (status, allowed) = app.post_json(&fx.key, "/api/v1/check", brief("2.50")).await;
    assert_eq!((status, allowed["decision"].as_str()), (200, Some("allow")), "{allowed}");
    assert!(allowed["reservation_id"].is_string() && allowed["expires_at"].is_string(), "{allowed}");
    assert_eq!(allowed["budgets"], json!([]));
    let (_, denied) = app.post_json(&fx.key, "/api/v1/check", brief("1.00")).await;
    assert_eq!(denied["decision"], "deny", "{denied}");
    assert_eq!(denied["decided_by"], team_budget.to_string());
    assert!(denied["reasons"][0].as_str().unwrap().contains("would exceed the hard limit of 3"), "{denied}");
    assert_eq!(denied["request_more"], format!("/api/v1/budgets/{team_budget}/requests"));
    assert_eq!(denied["budgets"], json!([]));
    let (_, full) = app.post_json(&fx.key, "/api/v1/check", check_body("0.10")).await;
    let team = full["budgets"].as_array().unwrap().iter().find(|b| b["scope"] == "team").expect("listed by default");
    assert_eq!(team["limits"][0]["reserved"], "2.6", "the brief check's reservation holds: {full}");
}
on_both_databases!(brief_answer, a_brief_answer_leaves_out_only_the_budgets);

async fn overrides_and_the_emergency_reserve_extend_the_limit(backend: Backend) {
    let app = spawn_app(backend).await;
    let fx = organization(&app, "UTC").await;
    let spec =
        BudgetSpec { reserve_cost: Decimal::from(2), ..BudgetSpec::cost("project", fx.project_id, Decimal::from(5)) };
    let budget = add_budget(&app, fx.org_id, spec).await;
    assert_eq!(app.post_json(&fx.key, "/api/v1/check", check_body("5")).await.1["decision"], "allow");
    assert_eq!(app.post_json(&fx.key, "/api/v1/check", check_body("1")).await.1["decision"], "deny");
    let mut critical = check_body("1");
    critical["critical"] = json!(true);
    let (_, reserve) = app.post_json(&fx.key, "/api/v1/check", critical).await;
    assert_eq!(reserve["decision"], "warn", "{reserve}");
    let now = app.clock_now();
    grant_override(&app, budget, Decimal::TEN, now, now + Duration::hours(1)).await;
    assert_ne!(app.post_json(&fx.key, "/api/v1/check", check_body("9")).await.1["decision"], "deny");
    app.clock.advance(Duration::hours(2));
    assert_eq!(
        app.post_json(&fx.key, "/api/v1/check", check_body("0.5")).await.1["decision"],
        "deny",
        "the override expired"
    );
}
on_both_databases!(overrides, overrides_and_the_emergency_reserve_extend_the_limit);

async fn a_daily_window_rolls_over_at_local_midnight(backend: Backend) {
    let app = spawn_app(backend).await;
    // 23:59 in New York (UTC-5 in January) is 04:59 UTC the next day.
    app.clock.set(Utc.with_ymd_and_hms(2027, 1, 15, 4, 59, 0).unwrap());
    let fx = organization(&app, "America/New_York").await;
    add_budget(
        &app,
        fx.org_id,
        BudgetSpec { period: "daily", ..BudgetSpec::cost("project", fx.project_id, Decimal::from(10)) },
    )
    .await;
    let event = json!({
        "event_id": "late-night", "occurred_at": "2027-01-15T04:58:00Z", "user": "ada@acme.example",
        "project": "chatbot", "category": "llm", "model": "gpt-4o", "cost": "10", "input_tokens": 1000
    });
    assert_eq!(app.post_json(&fx.key, "/api/v1/usage", event).await.0, 200);
    assert_eq!(app.post_json(&fx.key, "/api/v1/check", check_body("0.01")).await.1["decision"], "deny");
    app.clock.advance(Duration::minutes(2));
    let (_, fresh) = app.post_json(&fx.key, "/api/v1/check", check_body("0.01")).await;
    assert_eq!(fresh["decision"], "allow", "{fresh}");
    assert_eq!(fresh["budgets"][0]["window_start"], "2027-01-15T05:00:00Z");
}
on_both_databases!(rollover, a_daily_window_rolls_over_at_local_midnight);

/// Twelve $1 checks decided in one batch (as the combiner does under load) against a $7 project
/// budget: the first seven are admitted in arrival order, the counter holds exactly $7 and each of
/// the five denials is audited, as if they had been decided one after another.
async fn a_batch_decides_like_one_check_after_another(backend: Backend) {
    use app::backend::engine::{self, begin_write, decide_checks, CheckInput};
    use app::backend::entities::{budget_event, organization as org_entity};
    let app = spawn_app(backend).await;
    let fx = organization(&app, "UTC").await;
    let budget = add_budget(&app, fx.org_id, BudgetSpec::cost("project", fx.project_id, Decimal::from(7))).await;
    let org = org_entity::Entity::find_by_id(fx.org_id).one(&app.db).await.unwrap().unwrap();
    let mut checks = Vec::new();
    for i in 0..12 {
        let mut body = check_body("1.00");
        body["user"] = json!(format!("person-{}", i % 3));
        let input: CheckInput = serde_json::from_value(body).unwrap();
        checks.push(engine::prepare_check(&app.db, &org, &input, None, app.clock_now()).await.unwrap());
    }
    let txn = begin_write(&app.db).await.unwrap();
    let (decided, writes) = decide_checks(&txn, &checks.iter().collect::<Vec<_>>()).await.unwrap();
    let outcomes: Vec<_> = decided.into_iter().map(|d| d.answer()).collect();
    writes.execute(&txn).await.unwrap();
    txn.commit().await.unwrap();
    let decisions: Vec<bool> = outcomes.iter().map(|o| o.reservation_id.is_some()).collect();
    assert_eq!(decisions, [vec![true; 7], vec![false; 5]].concat());
    assert_eq!(
        outcomes[6].budgets[0].limits[0].reserved,
        Decimal::from(7),
        "the 7th sees the six before it and itself"
    );
    let counter = budget_counter::Entity::find().filter(budget_counter::Column::BudgetId.eq(budget)).one(&app.db);
    assert_eq!(counter.await.unwrap().unwrap().cost_reserved, 7_000_000_000);
    assert_eq!(reservation::Entity::find().count(&app.db).await.unwrap(), 7);
    let denials = budget_event::Entity::find()
        .filter(budget_event::Column::BudgetId.eq(budget))
        .filter(budget_event::Column::Kind.eq("denied"))
        .count(&app.db);
    assert_eq!(denials.await.unwrap(), 5);
    let people = app::backend::entities::user::Entity::find()
        .filter(app::backend::entities::user::Column::OrgId.eq(fx.org_id))
        .filter(app::backend::entities::user::Column::Handle.starts_with("person-"));
    assert_eq!(people.count(&app.db).await.unwrap(), 3, "each new person registered once");
}
on_both_databases!(batch, a_batch_decides_like_one_check_after_another);
