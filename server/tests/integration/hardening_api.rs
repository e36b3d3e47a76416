//! The usage API against an attacker and a careless client: counters at their range's end, keys
//! bound to one project, reused event ids, NUL bytes, oversized amounts and unknown fields.

use crate::common;

use app::backend::engine::keys::{self, Permission};
use app::backend::entities::{reservation, usage_event};
use app::backend::services::reconcile::reconcile;
use common::fixtures::{add_budget, add_project, day_long_check, organization, BudgetSpec, Fixture};
use common::{spawn_app, Backend, TestApp};
use rust_decimal::Decimal;
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{json, Value};

fn spend(event_id: &str, project: &str, cost: &str) -> Value {
    json!({ "event_id": event_id, "occurred_at": "2026-11-18T09:00:00Z", "user": "ada", "project": project,
            "category": "llm", "model": "gpt-4o", "cost": cost })
}

async fn key(app: &TestApp, fx: &Fixture, permission: Permission, project: Option<uuid::Uuid>) -> String {
    keys::create(&app.db, fx.org_id, "probe", permission, project, app.clock_now()).await.unwrap().1
}

async fn ledger_rows(app: &TestApp) -> u64 {
    usage_event::Entity::find().count(&app.db).await.unwrap()
}

async fn counters_stop_at_their_range_with_a_422_and_nothing_written(backend: Backend) {
    let app = spawn_app(backend).await;
    let fx = organization(&app, "UTC").await;
    // A tokens-only organization budget: no cost limit stops the spend before the counters' range.
    let mut tokens_only = BudgetSpec::cost("organization", fx.org_id, Decimal::ONE);
    (tokens_only.cost_hard, tokens_only.tokens_hard) = (None, Some(1_000_000_000));
    add_budget(&app, fx.org_id, tokens_only).await;

    let (status, body) = app.post_json(&fx.key, "/api/v1/usage", spend("big-1", "chatbot", "9000000000")).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = app.post_json(&fx.key, "/api/v1/usage", spend("big-2", "chatbot", "9000000000")).await;
    assert_eq!((status, body["error"]["code"].as_str()), (422, Some("counter_limit")), "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("9223372036.854775807"), "{body}");
    // In a batch only the event past the range is refused.
    let batch = json!({ "events": [spend("small", "chatbot", "1"), spend("big-3", "chatbot", "9000000000")] });
    let (status, body) = app.post_json(&fx.key, "/api/v1/usage", batch).await;
    assert_eq!((status, body["accepted"].as_u64(), body["rejected"].as_u64()), (200, Some(1), Some(1)), "{body}");
    assert_eq!(body["results"][1]["code"], "counter_limit");
    assert_eq!(ledger_rows(&app).await, 2, "nothing of the refused events was written");

    // Reservations too: a check whose estimate would overflow the reserved amounts fails alone.
    let (status, body) = app.post_json(&fx.key, "/api/v1/check", day_long_check("9000000000")).await;
    assert_eq!((status, body["decision"].as_str()), (200, Some("allow")), "{body}");
    let (status, body) = app.post_json(&fx.key, "/api/v1/check", day_long_check("9000000000")).await;
    assert_eq!((status, body["error"]["code"].as_str()), (422, Some("counter_limit")), "{body}");

    // Every budget of the project still answers, and the counters agree with the ledger.
    let (status, body) = app.get_json(&fx.key, "/api/v1/status?project=chatbot").await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = app.post_json(&fx.key, "/api/v1/check", day_long_check("1")).await;
    assert_eq!(status, 200);
    assert_eq!(reconcile(&app.db).await.unwrap(), vec![]);
}
on_both_databases!(counter_limits, counters_stop_at_their_range_with_a_422_and_nothing_written);

/// A SQLite database an older Tollgate let overflow (sums turned into REALs) is unreadable until
/// `reconcile --repair` brings its counters back: to the range's end, which the ledger exceeds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repair_mends_counters_an_older_version_let_overflow() {
    use sea_orm::ConnectionTrait;
    let app = spawn_app(Backend::Sqlite).await;
    let fx = organization(&app, "UTC").await;
    add_budget(&app, fx.org_id, BudgetSpec::cost("project", fx.project_id, Decimal::from(10))).await;
    let (status, _) = app.post_json(&fx.key, "/api/v1/usage", spend("big-1", "chatbot", "9000000000")).await;
    assert_eq!(status, 200);
    // What the older version did with a second such event: a second ledger row, and sums past i64.
    let broken = [
        "DROP TRIGGER budget_counters_within_counter_limits",
        "DROP TRIGGER daily_usage_within_counter_limits",
        "DROP TRIGGER daily_project_usage_within_counter_limits",
        "DROP TRIGGER daily_model_usage_within_counter_limits",
        "INSERT INTO usage_events (id, org_id, event_id, occurred_at, user_id, team_id, project_id, category_id, \
         provider, model, input_tokens, output_tokens, cost, currency, operations, pricing, reservation_id, \
         recorded_at) SELECT randomblob(16), org_id, 'big-2', occurred_at, user_id, team_id, project_id, \
         category_id, provider, model, input_tokens, output_tokens, cost, currency, operations, pricing, \
         reservation_id, recorded_at FROM usage_events WHERE event_id = 'big-1'",
        "UPDATE budget_counters SET cost_spent = cost_spent + 9000000000000000000",
        "UPDATE daily_usage SET cost = cost + 9000000000000000000, events = events + 1",
        "UPDATE daily_project_usage SET cost = cost + 9000000000000000000, events = events + 1",
        "UPDATE daily_model_usage SET cost = cost + 9000000000000000000, events = events + 1",
    ];
    for sql in broken {
        app.db.execute_unprepared(sql).await.unwrap();
    }
    let (status, _) = app.get_json(&fx.key, "/api/v1/status?project=chatbot").await;
    assert_eq!(status, 500, "the state the issue found: the window cannot be read");
    let found = reconcile(&app.db).await.unwrap();
    assert_eq!(found.len(), 4, "one finding per table, no crash: {found:?}");

    let repaired = app::backend::services::reconcile::repair(&app.db).await.unwrap();
    assert!(!repaired.is_empty());
    assert_eq!(reconcile(&app.db).await.unwrap(), vec![], "after the repair the counters agree with the ledger");
    let (status, body) = app.get_json(&fx.key, "/api/v1/status?project=chatbot").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["budgets"][0]["status"], "over_budget", "a window past the range reads as full: {body}");
}

async fn keys_act_only_on_their_own_reservations_and_project(backend: Backend) {
    let app = spawn_app(backend).await;
    let fx = organization(&app, "UTC").await;
    add_project(&app, fx.org_id, fx.team_id, "beta").await;
    let chatbot_only = key(&app, &fx, Permission::Ingest, Some(fx.project_id)).await;
    let other = key(&app, &fx, Permission::Ingest, None).await;
    let admin = key(&app, &fx, Permission::Admin, None).await;
    let mut on_beta = day_long_check("2");
    on_beta["project"] = json!("beta");
    let (_, made) = app.post_json(&fx.key, "/api/v1/check", on_beta.clone()).await;
    let id = made["reservation_id"].as_str().unwrap().to_owned();
    let settle = format!("/api/v1/reservations/{id}/settle");

    for (who, probe) in [("a key bound to another project", &chatbot_only), ("another ingest key", &other)] {
        let (status, body) = app.post_json(probe, &settle, json!({ "cost": "0" })).await;
        assert_eq!((status, body["error"]["code"].as_str()), (404, Some("reservation_not_found")), "{who}: {body}");
        let released = app.client.delete(format!("{}/api/v1/reservations/{id}", app.address)).bearer_auth(probe);
        assert_eq!(released.send().await.unwrap().status(), 404, "{who} cannot release it");
    }
    let (status, body) = app.get_json(&chatbot_only, "/api/v1/status?project=beta").await;
    assert_eq!((status, body["error"]["code"].as_str()), (403, Some("project_not_allowed")), "{body}");
    assert_eq!(app.get_json(&chatbot_only, "/api/v1/status?project=chatbot").await.0, 200);
    let held = reservation::Entity::find_by_id(uuid::Uuid::parse_str(&id).unwrap()).one(&app.db).await.unwrap();
    assert_eq!(held.unwrap().state, "active", "the probes changed nothing");

    // The key that made it settles it; an admin key may end anyone's.
    let (status, body) = app.post_json(&fx.key, &settle, json!({ "cost": "1.5" })).await;
    assert_eq!((status, body["cost"].as_str()), (200, Some("1.5")), "{body}");
    let (_, second) = app.post_json(&fx.key, "/api/v1/check", on_beta).await;
    assert_eq!(common::fixtures::release(&app, &admin, &second).await, 204);
}
on_both_databases!(reservation_owners, keys_act_only_on_their_own_reservations_and_project);

async fn a_settle_never_hides_behind_another_events_id(backend: Backend) {
    let app = spawn_app(backend).await;
    let fx = organization(&app, "UTC").await;
    let (status, _) = app.post_json(&fx.key, "/api/v1/usage", spend("taken", "chatbot", "1")).await;
    assert_eq!(status, 200);
    let (_, made) = app.post_json(&fx.key, "/api/v1/check", day_long_check("2")).await;
    let id = made["reservation_id"].as_str().unwrap().to_owned();
    let settle = format!("/api/v1/reservations/{id}/settle");

    let mut other_user = spend("taken-by-bo", "chatbot", "1");
    other_user["user"] = json!("bo");
    app.post_json(&fx.key, "/api/v1/usage", other_user).await;
    let (status, body) = app.post_json(&fx.key, &settle, json!({ "cost": "2", "event_id": "taken-by-bo" })).await;
    assert_eq!((status, body["error"]["code"].as_str()), (409, Some("event_id_conflict")), "{body}");
    // The settle's own id cannot be taken in advance either.
    let (status, body) =
        app.post_json(&fx.key, "/api/v1/usage", spend(&format!("reservation-{id}"), "chatbot", "0")).await;
    assert_eq!((status, body["error"]["code"].as_str()), (422, Some("invalid_input")), "{body}");

    let (status, body) = app.post_json(&fx.key, &settle, json!({ "cost": "2" })).await;
    assert_eq!((status, body["duplicate"].as_bool()), (200, Some(false)), "the reservation stayed open: {body}");
    let cost: i64 = usage_event::Entity::find().all(&app.db).await.unwrap().iter().map(|e| e.cost).sum();
    assert_eq!(cost, 4_000_000_000, "1 + 1 + the settled 2");
    assert_eq!(reconcile(&app.db).await.unwrap(), vec![]);
}
on_both_databases!(settle_event_ids, a_settle_never_hides_behind_another_events_id);

async fn bad_parts_of_a_request_are_refused_alone(backend: Backend) {
    let app = spawn_app(backend).await;
    let fx = organization(&app, "UTC").await;
    let mut with_nul = spend("nul", "chatbot", "1");
    with_nul["user"] = json!("ada\u{0}");
    let mut too_old = spend("old", "chatbot", "1");
    too_old["occurred_at"] = json!("0000-01-01T00:00:00Z");
    let mut unknown = spend("unknown", "chatbot", "1");
    unknown["costs"] = json!("1");
    let batch = json!({ "events": [
        spend("fine-1", "chatbot", "1"), with_nul, spend("huge", "chatbot", "99999999999999999999"), too_old, unknown,
        spend("fine-2", "chatbot", "2"),
    ] });
    let (status, body) = app.post_json(&fx.key, "/api/v1/usage", batch).await;
    assert_eq!((status, body["accepted"].as_u64(), body["rejected"].as_u64()), (200, Some(2), Some(4)), "{body}");
    assert!(body["results"][4]["message"].as_str().unwrap().contains("costs"), "names the field: {body}");
    assert_eq!(ledger_rows(&app).await, 2);

    for (path, body) in [
        (
            "/api/v1/check",
            json!({ "user": "a\u{0}", "project": "chatbot", "category": "llm", "model": "gpt-4o",
                                  "estimated_cost": "1" }),
        ),
        (
            "/api/v1/check",
            json!({ "user": "ada", "project": "chatbot", "category": "llm", "model": "gpt-4o",
                                  "estimated_costs": "1" }),
        ),
    ] {
        let (status, answer) = app.post_json(&fx.key, path, body).await;
        assert_eq!((status, answer["error"]["code"].as_str()), (422, Some("invalid_input")), "{answer}");
    }
    let (_, made) = app.post_json(&fx.key, "/api/v1/check", day_long_check("2")).await;
    let settle = format!("/api/v1/reservations/{}/settle", made["reservation_id"].as_str().unwrap());
    let (status, body) = app.post_json(&fx.key, &settle, json!({ "costs": "1" })).await;
    assert_eq!(status, 422, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("unknown field `costs`"), "{body}");
    let (status, body) = app.get_json(&fx.key, "/api/v1/status?project=chat%00bot").await;
    assert_eq!((status, body["error"]["code"].as_str()), (422, Some("invalid_input")), "{body}");
    let admin = key(&app, &fx, Permission::Admin, None).await;
    let (status, body) = app.post_json(&admin, "/api/v1/teams", json!({ "name": "Core\u{0}2" })).await;
    assert_eq!((status, body["error"]["code"].as_str()), (422, Some("invalid_input")), "{body}");
    let (status, body) = app.post_json(&admin, "/api/v1/teams", json!({ "name": "Search" })).await;
    assert_eq!(status, 201, "{body}");
    let rename = app.client.patch(format!("{}/api/v1/teams/{}", app.address, body["id"].as_str().unwrap()));
    let renamed = rename.bearer_auth(&admin).json(&json!({ "name": "Core" })).send().await.unwrap();
    assert_eq!(renamed.status(), 422, "a name another team has");
    let (status, body) =
        app.post_json(&admin, "/api/v1/users", json!({ "handle": "ada-2", "email": "Ada@Acme.example" })).await;
    assert_eq!(status, 201, "{body}");
    let (status, body) =
        app.post_json(&admin, "/api/v1/users", json!({ "handle": "ada-3", "email": "ada@acme.example" })).await;
    assert_eq!((status, body["error"]["code"].as_str()), (422, Some("invalid_input")), "{body}");
}
on_both_databases!(bad_parts, bad_parts_of_a_request_are_refused_alone);

async fn a_new_or_reenabled_budget_counts_its_windows_usage(backend: Backend) {
    let app = spawn_app(backend).await;
    let fx = organization(&app, "UTC").await;
    let admin = key(&app, &fx, Permission::Admin, None).await;
    let now = app.clock_now();
    let at = |days: i64| json!(now - chrono::Duration::days(days));
    let mut earlier = spend("before", "chatbot", "5");
    earlier["occurred_at"] = at(0);
    assert_eq!(app.post_json(&fx.key, "/api/v1/usage", earlier).await.0, 200);

    let budget = json!({ "name": "Chatbot monthly", "scope": "project", "scope_id": fx.project_id,
                         "period": "monthly", "cost_hard": "10" });
    let (status, created) = app.post_json(&admin, "/api/v1/budgets", budget).await;
    assert_eq!(status, 201, "{created}");
    let (_, status_body) = app.get_json(&fx.key, "/api/v1/status?project=chatbot").await;
    assert_eq!(status_body["budgets"][0]["limits"][0]["spent"], "5", "{status_body}");
    let (_, nine) = app.post_json(&fx.key, "/api/v1/check", day_long_check("9")).await;
    assert_eq!(nine["decision"], "deny", "$5 spent + $9 is past $10: {nine}");

    // Usage while it was disabled is taken in when it is enabled again.
    let id = created["id"].as_str().unwrap();
    assert_eq!(app.post_json(&admin, &format!("/api/v1/budgets/{id}/disable"), json!({})).await.0, 200);
    let mut while_off = spend("while-off", "chatbot", "3");
    while_off["occurred_at"] = at(0);
    assert_eq!(app.post_json(&fx.key, "/api/v1/usage", while_off).await.0, 200);
    assert_eq!(app.post_json(&admin, &format!("/api/v1/budgets/{id}/enable"), json!({})).await.0, 200);
    let (_, status_body) = app.get_json(&fx.key, "/api/v1/status?project=chatbot").await;
    assert_eq!(status_body["budgets"][0]["limits"][0]["spent"], "8", "{status_body}");

    // A window that ended before the budget began counting is not its to count, now or later.
    let mut last_month = spend("last-month", "chatbot", "4");
    last_month["occurred_at"] = at(40);
    assert_eq!(app.post_json(&fx.key, "/api/v1/usage", last_month).await.0, 200);
    assert_eq!(
        reconcile(&app.db).await.unwrap(),
        vec![],
        "reconcile agrees with the rule, so it can be a health check"
    );
}
on_both_databases!(counting_start, a_new_or_reenabled_budget_counts_its_windows_usage);
