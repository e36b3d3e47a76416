//! Settle, release, expiry, usage ingestion and bad input over HTTP on SQLite and PostgreSQL.

use crate::common;

use app::backend::engine::keys;
use app::backend::entities::{budget_counter, budget_event, daily_usage, reservation, usage_event, user};
use chrono::{Duration, TimeZone, Utc};
use common::fixtures::{add_budget, counting_since, organization, BudgetSpec};
use common::{spawn_app, Backend};
use rust_decimal::Decimal;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{json, Value};

fn event(id: &str, model: &str) -> Value {
    json!({
        "event_id": id, "occurred_at": "2026-11-18T09:00:00Z", "user": "ada@acme.example", "project": "chatbot",
        "category": "llm", "model": model, "input_tokens": 1_000_000, "output_tokens": 100_000
    })
}

async fn ledger_cost(app: &common::TestApp) -> i64 {
    usage_event::Entity::find().all(&app.db).await.unwrap().iter().map(|e| e.cost).sum()
}

async fn settle_replaces_the_estimate_with_priced_actuals(backend: Backend) {
    let app = spawn_app(backend).await;
    let fx = organization(&app, "UTC").await;
    let budget = add_budget(&app, fx.org_id, BudgetSpec::cost("project", fx.project_id, Decimal::from(100))).await;
    let check = json!({ "user": "ada@acme.example", "project": "chatbot", "category": "llm", "model": "gpt-4o",
                        "estimated_input_tokens": 1_000_000, "max_output_tokens": 1_000_000 });
    let (_, reserved) = app.post_json(&fx.key, "/api/v1/check", check).await;
    assert_eq!(reserved["estimate"]["cost"], "12.5", "gpt-4o: $2.50 in + $10 out per million");
    let id = reserved["reservation_id"].as_str().unwrap().to_owned();
    let (status, settled) = app
        .post_json(
            &fx.key,
            &format!("/api/v1/reservations/{id}/settle"),
            json!({"input_tokens": 200_000, "output_tokens": 50_000}),
        )
        .await;
    assert_eq!(status, 200, "{settled}");
    assert_eq!(settled["cost"], "1");
    let counter = budget_counter::Entity::find()
        .filter(budget_counter::Column::BudgetId.eq(budget))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((counter.cost_spent, counter.cost_reserved), (1_000_000_000, 0));
    assert_eq!(counter.tokens_spent, 250_000);
    let daily: i64 = daily_usage::Entity::find().all(&app.db).await.unwrap().iter().map(|d| d.cost).sum();
    assert_eq!(daily, 1_000_000_000);
    let (status, again) =
        app.post_json(&fx.key, &format!("/api/v1/reservations/{id}/settle"), json!({"input_tokens": 1})).await;
    assert_eq!((status, again["error"]["code"].as_str()), (409, Some("reservation_closed")));
    assert_eq!(ledger_cost(&app).await, 1_000_000_000, "a second settle counts nothing");
}
on_both_databases!(settle, settle_replaces_the_estimate_with_priced_actuals);

async fn expired_reservations_are_released_and_audited(backend: Backend) {
    let app = spawn_app(backend).await;
    let fx = organization(&app, "UTC").await;
    let budget = add_budget(&app, fx.org_id, BudgetSpec::cost("project", fx.project_id, Decimal::from(10))).await;
    let check = json!({ "user": "ada", "project": "chatbot", "category": "llm", "model": "gpt-4o", "estimated_cost": "8", "ttl_seconds": 60 });
    let (_, held) = app.post_json(&fx.key, "/api/v1/check", check).await;
    let id = held["reservation_id"].as_str().unwrap().to_owned();
    app.clock.advance(Duration::seconds(61));
    let (status, body) =
        app.post_json(&fx.key, &format!("/api/v1/reservations/{id}/settle"), json!({"cost": "8"})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (410, Some("reservation_expired")));
    // The sweeper job (every 50 ms in tests) releases it; wait for it, bounded.
    let mut released = false;
    for _ in 0..100 {
        let row =
            reservation::Entity::find_by_id(id.parse::<uuid::Uuid>().unwrap()).one(&app.db).await.unwrap().unwrap();
        if row.state == "expired" {
            released = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(released, "the sweeper released the reservation");
    let counter = budget_counter::Entity::find()
        .filter(budget_counter::Column::BudgetId.eq(budget))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((counter.cost_reserved, counter.cost_spent), (0, 0), "no phantom spend");
    let audit = budget_event::Entity::find()
        .filter(budget_event::Column::Kind.eq("reservation_expired"))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(audit, 1);
    assert_eq!(ledger_cost(&app).await, 0);
}
on_both_databases!(expiry, expired_reservations_are_released_and_audited);

async fn release_frees_the_hold(backend: Backend) {
    let app = spawn_app(backend).await;
    let fx = organization(&app, "UTC").await;
    add_budget(&app, fx.org_id, BudgetSpec::cost("project", fx.project_id, Decimal::from(10))).await;
    let check =
        json!({ "user": "ada", "project": "chatbot", "category": "llm", "model": "gpt-4o", "estimated_cost": "10" });
    let (_, held) = app.post_json(&fx.key, "/api/v1/check", check.clone()).await;
    assert_eq!(app.post_json(&fx.key, "/api/v1/check", check.clone()).await.1["decision"], "deny");
    let url = format!("{}/api/v1/reservations/{}", app.address, held["reservation_id"].as_str().unwrap());
    assert_eq!(app.client.delete(&url).bearer_auth(&fx.key).send().await.unwrap().status(), 204);
    assert_eq!(app.client.delete(&url).bearer_auth(&fx.key).send().await.unwrap().status(), 409);
    assert_eq!(app.post_json(&fx.key, "/api/v1/check", check).await.1["decision"], "allow");
}
on_both_databases!(release, release_frees_the_hold);

async fn a_replayed_batch_counts_once_and_bad_events_do_not_sink_good_ones(backend: Backend) {
    let app = spawn_app(backend).await;
    let fx = organization(&app, "UTC").await;
    let batch = json!({ "events": [
        event("e-1", "gpt-4o-mini"), event("e-2", "claude-sonnet-4-5"), event("e-3", "mystery-model"),
        {"event_id": "e-4", "occurred_at": "not a date"}, event("e-1", "gpt-4o-mini")
    ]});
    let (status, first) = app.post_json(&fx.key, "/api/v1/usage", batch.clone()).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(
        (first["accepted"].as_u64(), first["duplicates"].as_u64(), first["rejected"].as_u64()),
        (Some(2), Some(1), Some(2))
    );
    assert_eq!(first["results"][2]["code"], "unpriced_model");
    assert!(first["results"][2]["message"].as_str().unwrap().contains("mystery-model"));
    assert_eq!(first["results"][3]["status"], "rejected");
    let cost_once = ledger_cost(&app).await;
    assert_eq!(cost_once, 210_000_000 + 4_500_000_000, "gpt-4o-mini $0.21 + claude-sonnet-4-5 $4.50");
    let (_, replay) = app.post_json(&fx.key, "/api/v1/usage", batch).await;
    assert_eq!((replay["accepted"].as_u64(), replay["duplicates"].as_u64()), (Some(0), Some(3)));
    assert_eq!(ledger_cost(&app).await, cost_once);
    assert_eq!(usage_event::Entity::find().count(&app.db).await.unwrap(), 2);
}
on_both_databases!(batch_replay, a_replayed_batch_counts_once_and_bad_events_do_not_sink_good_ones);

async fn recorded_usage_counts_past_the_limit_and_later_checks_deny(backend: Backend) {
    let app = spawn_app(backend).await;
    let fx = organization(&app, "UTC").await;
    add_budget(&app, fx.org_id, BudgetSpec::cost("project", fx.project_id, Decimal::from(1))).await;
    let (status, body) = app.post_json(&fx.key, "/api/v1/usage", event("big", "gpt-4o")).await;
    assert_eq!((status, body["accepted"].as_u64()), (200, Some(1)));
    let (_, st) = app.get_json(&fx.key, "/api/v1/status?project=chatbot&user=ada@acme.example&category=llm").await;
    assert_eq!(st["budgets"][0]["status"], "over_budget");
    assert_eq!(st["budgets"][0]["limits"][0]["spent"], "3.5");
    let check = json!({ "user": "ada@acme.example", "project": "chatbot", "category": "llm", "model": "gpt-4o", "estimated_cost": "0.01" });
    assert_eq!(app.post_json(&fx.key, "/api/v1/check", check).await.1["decision"], "deny");
    let registered =
        user::Entity::find().filter(user::Column::Handle.eq("ada@acme.example")).count(&app.db).await.unwrap();
    assert_eq!(registered, 1, "an unknown user is registered on first sight, once");
}
on_both_databases!(record_over, recorded_usage_counts_past_the_limit_and_later_checks_deny);

async fn bad_input_gets_a_clear_4xx_and_changes_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let fx = organization(&app, "UTC").await;
    add_budget(&app, fx.org_id, BudgetSpec::cost("project", fx.project_id, Decimal::from(10))).await;
    let base =
        json!({ "user": "ada", "project": "chatbot", "category": "llm", "model": "gpt-4o", "estimated_cost": "1" });
    let with = |field: &str, value: Value| {
        let mut body = base.clone();
        body[field] = value;
        body
    };
    let cases = [
        (with("project", json!("nope")), 422, "unknown_project"),
        (with("category", json!("poetry")), 422, "unknown_category"),
        (with("estimated_cost", json!("-1")), 422, "invalid_input"),
        (with("currency", json!("EUR")), 422, "currency_mismatch"),
        (with("ttl_seconds", json!(0)), 422, "invalid_input"),
        (
            json!({ "user": "ada", "project": "chatbot", "category": "llm", "model": "mystery" , "max_output_tokens": 10}),
            422,
            "unpriced_model",
        ),
        (
            json!({ "user": "ada", "project": "chatbot", "category": "llm", "model": "gpt-4o", "max_output_tokens": -5 }),
            422,
            "invalid_input",
        ),
        (json!({ "project": "chatbot" }), 422, "invalid_input"),
    ];
    for (body, status, code) in cases {
        let (got, answer) = app.post_json(&fx.key, "/api/v1/check", body.clone()).await;
        assert_eq!((got, answer["error"]["code"].as_str()), (status, Some(code)), "{body} -> {answer}");
        assert!(!answer["error"]["message"].as_str().unwrap().is_empty());
    }
    let raw = app
        .client
        .post(format!("{}/api/v1/check", app.address))
        .bearer_auth(&fx.key)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 400);
    let text =
        app.client.post(format!("{}/api/v1/check", app.address)).bearer_auth(&fx.key).body("{}").send().await.unwrap();
    assert_eq!(text.status(), 415);
    let oversized = json!({ "events": vec![event("x", "gpt-4o"); 1001] });
    assert_eq!(app.post_json(&fx.key, "/api/v1/usage", oversized).await.0, 422);
    assert_eq!(reservation::Entity::find().count(&app.db).await.unwrap(), 0);
    assert_eq!(usage_event::Entity::find().count(&app.db).await.unwrap(), 0);
    assert_eq!(
        user::Entity::find().filter(user::Column::Handle.eq("ada")).count(&app.db).await.unwrap(),
        0,
        "the user is registered only when a request is accepted"
    );
}
on_both_databases!(bad_input, bad_input_gets_a_clear_4xx_and_changes_nothing);

async fn unknown_missing_and_revoked_keys_get_401(backend: Backend) {
    let app = spawn_app(backend).await;
    let fx = organization(&app, "UTC").await;
    let body =
        json!({ "user": "ada", "project": "chatbot", "category": "llm", "model": "gpt-4o", "estimated_cost": "1" });
    let anonymous = app.client.post(format!("{}/api/v1/check", app.address)).json(&body).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    assert_eq!(anonymous.json::<Value>().await.unwrap()["error"]["code"], "unauthorized");
    assert_eq!(app.post_json("tg_nope_nope", "/api/v1/check", body.clone()).await.0, 401);
    assert_eq!(app.post_json(&fx.key, "/api/v1/check", body.clone()).await.0, 200);
    let (key, secret) =
        keys::create(&app.db, fx.org_id, "temp", keys::Permission::Ingest, None, app.clock_now()).await.unwrap();
    assert_eq!(app.post_json(&secret, "/api/v1/check", body.clone()).await.0, 200, "the key is now cached");
    let reserved = reservation::Entity::find().count(&app.db).await.unwrap();
    // Revoked as another instance would revoke it: straight in the database.
    assert!(keys::revoke(&app.db, fx.org_id, key.id, app.clock_now()).await.unwrap());
    let (status, refused) = app.post_json(&secret, "/api/v1/check", body.clone()).await;
    assert_eq!((status, refused["error"]["code"].as_str()), (401, Some("unauthorized")), "{refused}");
    let mut probe = body.clone();
    probe["project"] = json!("no-such-project");
    assert_eq!(app.post_json(&secret, "/api/v1/check", probe).await.0, 401, "no answer about the configuration");
    assert_eq!(app.post_json(&secret, "/api/v1/check", body.clone()).await.0, 401);
    assert_eq!(reservation::Entity::find().count(&app.db).await.unwrap(), reserved, "nothing reserved");
    assert_eq!(app.post_json(&fx.key, "/api/v1/check", body).await.0, 200, "other keys are unaffected");
}
on_both_databases!(api_keys_auth, unknown_missing_and_revoked_keys_get_401);

async fn a_large_batch_writes_the_same_figures_as_one_by_one(backend: Backend) {
    let app = spawn_app(backend).await;
    let fx = organization(&app, "UTC").await;
    let mut daily = BudgetSpec::cost("project", fx.project_id, Decimal::from(100));
    daily.period = "daily";
    let daily = add_budget(&app, fx.org_id, daily).await;
    let team = add_budget(&app, fx.org_id, BudgetSpec::cost("team", fx.team_id, Decimal::from(1000))).await;
    // Both count from before the batch's first day (a budget counts no window that ended before it).
    for budget in [daily, team] {
        counting_since(&app, budget, Utc.with_ymd_and_hms(2026, 11, 16, 0, 0, 0).unwrap()).await;
    }
    // 450 events (more than one multi-row statement) over two days, by a known and a new user,
    // each costing 0.50; one event id twice.
    let events: Vec<Value> = (0..450)
        .map(|i| {
            let day = if i % 3 == 0 { "2026-11-17" } else { "2026-11-18" };
            let user = if i % 2 == 0 { "ada@acme.example" } else { "newcomer" };
            json!({ "event_id": format!("b-{}", i.min(448)), "occurred_at": format!("{day}T08:{:02}:00Z", i % 60), "user": user,
                    "project": "chatbot", "category": "llm", "model": "gpt-4o", "cost": "0.5" })
        })
        .collect();
    let (status, answer) = app.post_json(&fx.key, "/api/v1/usage", json!({ "events": events })).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!((answer["accepted"].as_u64(), answer["duplicates"].as_u64()), (Some(449), Some(1)));
    assert_eq!(usage_event::Entity::find().count(&app.db).await.unwrap(), 449);
    assert_eq!(user::Entity::find().filter(user::Column::Handle.eq("newcomer")).count(&app.db).await.unwrap(), 1);
    // Counters and aggregates agree with the ledger.
    assert_eq!(app::backend::services::reconcile::reconcile(&app.db).await.unwrap(), vec![]);
    let events_counted: i64 = daily_usage::Entity::find().all(&app.db).await.unwrap().iter().map(|d| d.events).sum();
    assert_eq!(events_counted, 449);
    // Nov 18 (the 299 events with i % 3 != 0 among 0..449, less the repeated id) crossed the daily
    // hard level of 100 once: one alert per threshold, not one per event.
    let counters =
        budget_counter::Entity::find().filter(budget_counter::Column::BudgetId.eq(daily)).all(&app.db).await.unwrap();
    let spent: Vec<i64> = {
        let mut s: Vec<i64> = counters.iter().map(|c| c.cost_spent / 1_000_000).collect();
        s.sort();
        s
    };
    assert_eq!(spent, vec![75_000, 149_500], "150 events on Nov 17, 299 on Nov 18, 0.50 each (in millionths)");
    let mut crossed: Vec<(i64, i32)> = app::backend::entities::alert::Entity::find()
        .filter(app::backend::entities::alert::Column::BudgetId.eq(daily))
        .filter(app::backend::entities::alert::Column::Kind.eq("threshold"))
        .all(&app.db)
        .await
        .unwrap()
        .iter()
        .map(|a| (a.window_start.unwrap().timestamp(), a.threshold.unwrap()))
        .collect();
    crossed.sort();
    let nov_18 = chrono::Utc.with_ymd_and_hms(2026, 11, 18, 0, 0, 0).unwrap().timestamp();
    let on_18: Vec<i32> = crossed.iter().filter(|(w, _)| *w == nov_18).map(|(_, t)| *t).collect();
    assert_eq!(on_18, vec![50, 75, 90, 100], "each threshold once, not once per event: {crossed:?}");
}
on_both_databases!(large_batch, a_large_batch_writes_the_same_figures_as_one_by_one);
