//! The management API over HTTP on SQLite and PostgreSQL: admin-only, validated, audited.

use crate::common;

use app::backend::engine::keys;
use app::backend::entities::{budget, budget_event};
use common::fixtures::organization;
use common::{spawn_app, Backend, TestApp};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{json, Value};

async fn admin_key(app: &TestApp, org_id: uuid::Uuid) -> String {
    keys::create(&app.db, org_id, "automation", keys::Permission::Admin, None, app.clock_now()).await.unwrap().1
}

async fn patch_json(app: &TestApp, key: &str, path: &str, body: Value) -> (u16, Value) {
    let response =
        app.client.patch(format!("{}{path}", app.address)).bearer_auth(key).json(&body).send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap_or(Value::Null))
}

async fn management_needs_an_admin_key(backend: Backend) {
    let app = spawn_app(backend).await;
    let fx = organization(&app, "UTC").await;
    let (status, body) = app.get_json(&fx.key, "/api/v1/budgets").await;
    assert_eq!((status, body["error"]["code"].as_str()), (403, Some("forbidden")));
    let (status, _) = app.post_json(&fx.key, "/api/v1/teams", json!({"name": "Sneaky"})).await;
    assert_eq!(status, 403);
    let admin = admin_key(&app, fx.org_id).await;
    let (status, teams) = app.get_json(&admin, "/api/v1/teams").await;
    assert_eq!(status, 200);
    assert_eq!(teams.as_array().unwrap().len(), 1, "the forbidden create changed nothing");
}
on_both_databases!(admin_only, management_needs_an_admin_key);

async fn budgets_are_validated_changed_and_audited(backend: Backend) {
    let app = spawn_app(backend).await;
    let fx = organization(&app, "UTC").await;
    let admin = admin_key(&app, fx.org_id).await;
    let good = json!({ "name": "Chatbot monthly", "scope": "project", "scope_id": fx.project_id, "period": "monthly",
                       "cost_soft": "40", "cost_hard": "50", "category": "llm" });
    let invalid = [
        json!({ "name": "No limit", "scope": "project", "scope_id": fx.project_id, "period": "monthly" }),
        json!({ "name": "Soft above hard", "scope": "organization", "period": "daily", "cost_soft": "60", "cost_hard": "50" }),
        json!({ "name": "Nowhere", "scope": "team", "scope_id": uuid::Uuid::nil(), "period": "weekly", "cost_hard": "5" }),
        json!({ "name": "Euros", "scope": "organization", "period": "daily", "cost_hard": "5", "currency": "EUR" }),
        json!({ "name": "Yearly", "scope": "organization", "period": "yearly", "cost_hard": "5" }),
        json!({ "name": "Typo", "scope": "organization", "period": "daily", "cost_hrad": "5" }),
    ];
    for body in invalid {
        let (status, answer) = app.post_json(&admin, "/api/v1/budgets", body.clone()).await;
        assert_eq!(status, 422, "{body} -> {answer}");
    }
    assert_eq!(budget::Entity::find().count(&app.db).await.unwrap(), 0);

    let (status, created) = app.post_json(&admin, "/api/v1/budgets", good).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!((created["state"].as_str(), created["thresholds"].clone()), (Some("enabled"), json!([50, 75, 90, 100])));
    let id = created["id"].as_str().unwrap().to_owned();
    let check =
        json!({ "user": "ada", "project": "chatbot", "category": "llm", "model": "gpt-4o", "estimated_cost": "60" });
    assert_eq!(app.post_json(&fx.key, "/api/v1/check", check.clone()).await.1["decision"], "deny");

    let (status, bad_patch) =
        patch_json(&app, &admin, &format!("/api/v1/budgets/{id}"), json!({"cost_hard": "10"})).await;
    assert_eq!(status, 422, "soft 40 above hard 10 is refused: {bad_patch}");
    let (status, raised) =
        patch_json(&app, &admin, &format!("/api/v1/budgets/{id}"), json!({"cost_hard": "100"})).await;
    assert_eq!((status, raised["cost_hard"].as_str()), (200, Some("100")));
    let (_, after_raise) = app.post_json(&fx.key, "/api/v1/check", check.clone()).await;
    assert_eq!(after_raise["decision"], "warn", "admitted, but past the soft level of 40: {after_raise}");
    let change = budget_event::Entity::find()
        .filter(budget_event::Column::Kind.eq("budget_changed"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let detail: Value = serde_json::from_str(&change.detail).unwrap();
    assert_eq!(
        (detail["before"]["cost_hard"].as_str(), detail["after"]["cost_hard"].as_str()),
        (Some("50"), Some("100"))
    );
    assert!(change.actor.unwrap().starts_with("API key “"), "a key by its name, never its id");

    let (status, disabled) = app.post_json(&admin, &format!("/api/v1/budgets/{id}/disable"), json!({})).await;
    assert_eq!((status, disabled["state"].as_str()), (200, Some("disabled")));
    let (_, st) = app.get_json(&fx.key, "/api/v1/status?project=chatbot&category=llm").await;
    assert_eq!(st["budgets"], json!([]), "a disabled budget does not apply");
    let (_, list) = app.get_json(&admin, "/api/v1/budgets").await;
    assert_eq!(list.as_array().unwrap().len(), 1);
}
on_both_databases!(budgets, budgets_are_validated_changed_and_audited);

async fn structure_and_prices_are_managed(backend: Backend) {
    let app = spawn_app(backend).await;
    let fx = organization(&app, "UTC").await;
    let admin = admin_key(&app, fx.org_id).await;
    let (status, team) = app.post_json(&admin, "/api/v1/teams", json!({"name": "Research"})).await;
    assert_eq!(status, 201);
    assert_eq!(app.post_json(&admin, "/api/v1/teams", json!({"name": "Research"})).await.0, 422, "names are unique");
    let new_project = json!({"slug": "evals", "name": "Evals", "team_id": team["id"]});
    assert_eq!(app.post_json(&admin, "/api/v1/projects", new_project.clone()).await.0, 201);
    assert_eq!(app.post_json(&admin, "/api/v1/projects", new_project).await.0, 422);
    assert_eq!(
        app.post_json(&admin, "/api/v1/projects", json!({"slug": "Bad Slug", "name": "x", "team_id": team["id"]}))
            .await
            .0,
        422
    );
    let (status, moved) =
        patch_json(&app, &admin, &format!("/api/v1/projects/{}", fx.project_id), json!({"team_id": team["id"]})).await;
    assert_eq!((status, &moved["team_id"]), (200, &team["id"]));
    let (status, user) =
        app.post_json(&admin, "/api/v1/users", json!({"handle": "grace", "email": "Grace@Example.com"})).await;
    assert_eq!((status, user["email"].as_str()), (201, Some("grace@example.com")));
    assert!(user.get("password_hash").is_none());
    let user_path = format!("/api/v1/users/{}", user["id"].as_str().unwrap());
    let (status, deactivated) = patch_json(&app, &admin, &user_path, json!({"active": false})).await;
    assert_eq!((status, deactivated["active"].as_bool()), (200, Some(false)));
    assert_eq!(app.get_json(&admin, &user_path).await.1["active"], false);
    let (status, archived) =
        patch_json(&app, &admin, &format!("/api/v1/teams/{}", team["id"].as_str().unwrap()), json!({"archived": true}))
            .await;
    assert_eq!(status, 200);
    assert!(archived["archived_at"].is_string());
    let (status, _) = app.get_json(&admin, &format!("/api/v1/projects/{}", uuid::Uuid::nil())).await;
    assert_eq!(status, 404);

    let check = json!({ "user": "ada", "project": "chatbot", "category": "llm", "model": "house-model", "max_output_tokens": 1000 });
    assert_eq!(app.post_json(&fx.key, "/api/v1/check", check.clone()).await.1["error"]["code"], "unpriced_model");
    let price = json!({"provider": "acme", "model": "house-model", "input_per_mtok": "1", "output_per_mtok": "2", "currency": "USD"});
    assert_eq!(app.post_json(&admin, "/api/v1/prices", price).await.0, 201);
    let (status, priced) = app.post_json(&fx.key, "/api/v1/check", check).await;
    assert_eq!((status, priced["estimate"]["cost"].as_str()), (200, Some("0.002")));
    let (status, category) = app.post_json(&admin, "/api/v1/categories", json!({"name": "vision"})).await;
    assert_eq!((status, category["name"].as_str()), (201, Some("vision")));
    assert_eq!(app.post_json(&admin, "/api/v1/categories", json!({"name": "Vision Models"})).await.0, 422);
    let (_, categories) = app.get_json(&admin, "/api/v1/categories").await;
    assert_eq!(categories.as_array().unwrap().len(), 4);
    let vision_check =
        json!({ "user": "ada", "project": "chatbot", "category": "vision", "model": "gpt-4o", "estimated_cost": "1" });
    assert_eq!(app.post_json(&fx.key, "/api/v1/check", vision_check).await.0, 200, "a new category is usable at once");
    let audited: Vec<String> =
        budget_event::Entity::find().all(&app.db).await.unwrap().into_iter().map(|e| e.kind).collect();
    for kind in [
        "team_created",
        "project_created",
        "project_changed",
        "user_created",
        "user_changed",
        "team_changed",
        "price_added",
        "category_created",
    ] {
        assert!(audited.iter().any(|k| k == kind), "{kind} is audited: {audited:?}");
    }
    let (_, catalog) = app.get_json(&admin, "/api/v1/prices").await;
    assert!(catalog.as_array().unwrap().iter().any(|p| p["model"] == "house-model"));
}
on_both_databases!(structure, structure_and_prices_are_managed);

async fn a_retried_create_with_an_idempotency_key_creates_one_budget(backend: Backend) {
    let app = spawn_app(backend).await;
    let fx = organization(&app, "UTC").await;
    let admin = admin_key(&app, fx.org_id).await;
    let body = json!({ "name": "Retried", "scope": "organization", "period": "monthly", "cost_hard": "50" });
    let post = |key: &'static str| {
        let request = app.client.post(format!("{}/api/v1/budgets", app.address)).bearer_auth(&admin).json(&body);
        async move {
            let response = request.header("Idempotency-Key", key).send().await.unwrap();
            (response.status().as_u16(), response.json::<Value>().await.unwrap())
        }
    };
    let ((first, made), (racing, raced)) = tokio::join!(post("retry-1"), post("retry-1"));
    let mut statuses = [first, racing];
    statuses.sort();
    assert_eq!(statuses, [200, 201], "one request creates, the concurrent one finds it: {made} {raced}");
    assert_eq!(made["id"], raced["id"]);
    let (again, same) = post("retry-1").await;
    assert_eq!((again, &same["id"]), (200, &made["id"]));
    assert_eq!(budget::Entity::find().count(&app.db).await.unwrap(), 1);

    let (other, _) = post("retry-2").await;
    assert_eq!(other, 201, "another key is another budget");
    let (bad, refused) = post("two words").await;
    assert_eq!((bad, refused["error"]["code"].as_str()), (422, Some("invalid_input")), "{refused}");
    assert_eq!(budget::Entity::find().count(&app.db).await.unwrap(), 2);
}
on_both_databases!(idempotent_budget_create, a_retried_create_with_an_idempotency_key_creates_one_budget);
