//! Check-and-reserve answers from each process's configuration cache. On SQLite and PostgreSQL, a
//! change written straight to the database (as another instance or an operator would write it)
//! is honoured by the very next check (budget levels, prices, the organization's currency, archived
//! projects) and status query.

use crate::common;

use app::backend::entities::{api_key, budget, organization, price, project};
use chrono::Duration;
use common::fixtures::{add_budget, organization, BudgetSpec};
use common::{spawn_app, Backend};
use rust_decimal::Decimal;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::{json, Value};
use std::str::FromStr;
use tollgate_domain::money::to_storage;
use uuid::Uuid;

fn check(estimate: Value) -> Value {
    let mut body = json!({ "user": "ada@acme.example", "project": "chatbot", "category": "llm", "model": "gpt-4o",
                           "ttl_seconds": 86_400 });
    body.as_object_mut().unwrap().extend(estimate.as_object().unwrap().clone());
    body
}

/// Whole dollars in storage units.
fn units(dollars: i64) -> i64 {
    to_storage(Decimal::from(dollars)).unwrap()
}

/// The hard cost level the status query reports for the project's budget.
async fn reported_hard(app: &common::TestApp, key: &str) -> Decimal {
    let (status, body) = app.get_json(key, "/api/v1/status?project=chatbot&user=ada@acme.example&category=llm").await;
    assert_eq!(status, 200, "{body}");
    Decimal::from_str(body["budgets"][0]["limits"][0]["hard"].as_str().expect("a decimal string")).unwrap()
}

fn estimated_cost(outcome: &Value) -> Decimal {
    Decimal::from_str(outcome["estimate"]["cost"].as_str().expect("a decimal string")).unwrap()
}

async fn changes_made_elsewhere_apply_to_the_next_check(backend: Backend) {
    let app = spawn_app(backend).await;
    let fx = organization(&app, "UTC").await;
    let budget_id = add_budget(&app, fx.org_id, BudgetSpec::cost("project", fx.project_id, Decimal::from(10))).await;
    let by_tokens = check(json!({ "estimated_input_tokens": 1_000_000 }));

    let (status, first) = app.post_json(&fx.key, "/api/v1/check", by_tokens.clone()).await;
    assert_eq!((status, first["decision"].as_str()), (200, Some("allow")), "{first}");
    assert_eq!(estimated_cost(&first), Decimal::from_str("2.5").unwrap(), "catalog price of gpt-4o");
    assert_eq!(reported_hard(&app, &fx.key).await, Decimal::from(10));

    // The hard level is lowered below what is already reserved, not through this process.
    budget::Entity::update_many()
        .col_expr(budget::Column::CostHard, Expr::value(units(2)))
        .filter(budget::Column::Id.eq(budget_id))
        .exec(&app.db)
        .await
        .unwrap();
    let (_, second) = app.post_json(&fx.key, "/api/v1/check", by_tokens.clone()).await;
    assert_eq!(second["decision"], "deny", "the lowered level applies at once: {second}");
    assert_eq!(reported_hard(&app, &fx.key).await, Decimal::from(2), "and the status query reports it");

    // A new catalog price takes effect for the next estimate.
    budget::Entity::update_many()
        .col_expr(budget::Column::CostHard, Expr::value(units(100)))
        .filter(budget::Column::Id.eq(budget_id))
        .exec(&app.db)
        .await
        .unwrap();
    price::ActiveModel {
        id: Set(Uuid::now_v7()),
        org_id: Set(fx.org_id),
        provider: Set("openai".into()),
        model: Set("gpt-4o".into()),
        input_per_mtok: Set(units(5)),
        output_per_mtok: Set(units(20)),
        currency: Set("USD".into()),
        effective_from: Set(app.clock_now() - Duration::seconds(1)),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    let (_, third) = app.post_json(&fx.key, "/api/v1/check", by_tokens.clone()).await;
    assert_eq!(third["decision"], "allow", "{third}");
    assert_eq!(estimated_cost(&third), Decimal::from(5), "the new price is used: {third}");

    // The organization's currency changes: the key cached with the organization as it was must not
    // let a check in dollars through.
    let set_currency = |currency: &'static str| {
        organization::Entity::update_many()
            .col_expr(organization::Column::Currency, Expr::value(currency))
            .filter(organization::Column::Id.eq(fx.org_id))
            .exec(&app.db)
    };
    set_currency("EUR").await.unwrap();
    let in_dollars = check(json!({ "estimated_cost": "1", "currency": "USD" }));
    let (status, refused) = app.post_json(&fx.key, "/api/v1/check", in_dollars.clone()).await;
    assert_eq!((status, refused["error"]["code"].as_str()), (422, Some("currency_mismatch")), "{refused}");
    set_currency("USD").await.unwrap();
    let (_, allowed) = app.post_json(&fx.key, "/api/v1/check", in_dollars).await;
    assert_eq!(allowed["decision"], "allow", "{allowed}");

    // An archived project takes no more checks.
    project::Entity::update_many()
        .col_expr(project::Column::ArchivedAt, Expr::value(app.clock_now()))
        .filter(project::Column::Id.eq(fx.project_id))
        .exec(&app.db)
        .await
        .unwrap();
    let (status, fourth) = app.post_json(&fx.key, "/api/v1/check", by_tokens).await;
    assert_eq!(status, 422, "{fourth}");
    assert_eq!(fourth["error"]["code"], "unknown_project", "{fourth}");
}
on_both_databases!(check_config, changes_made_elsewhere_apply_to_the_next_check);

/// A key's last use is noted at most once a minute, also when its checks are decided from the cache
/// (on PostgreSQL the LockAndVerify route, which hands a batch with a use due to the Full route).
async fn a_cached_key_notes_its_last_use_once_a_minute(backend: Backend) {
    let app = spawn_app(backend).await;
    let fx = organization(&app, "UTC").await;
    add_budget(&app, fx.org_id, BudgetSpec::cost("project", fx.project_id, Decimal::from(10))).await;
    let last_used = || async {
        let keys = api_key::Entity::find().filter(api_key::Column::OrgId.eq(fx.org_id)).all(&app.db).await.unwrap();
        keys.into_iter().filter_map(|key| key.last_used_at).max().expect("the key was used")
    };
    let small = check(json!({ "estimated_cost": "0.01" }));
    let started = app.clock_now();
    for (seconds, noted_at) in [(0, 0), (30, 0), (61, 61), (100, 61), (125, 125)] {
        app.clock.advance(started + Duration::seconds(seconds) - app.clock_now());
        let (status, outcome) = app.post_json(&fx.key, "/api/v1/check", small.clone()).await;
        assert_eq!((status, outcome["decision"].as_str()), (200, Some("allow")), "{outcome}");
        assert_eq!(last_used().await, started + Duration::seconds(noted_at), "after a check at {seconds} s");
    }
}
on_both_databases!(key_last_use, a_cached_key_notes_its_last_use_once_a_minute);

/// Without the query planner stability guarantee SQLite compiles again, on every run, each
/// statement with a bound `LIMIT ?` (every SeaORM `.one()`); `.cargo/config.toml` turns it on.
#[tokio::test]
async fn the_bundled_sqlite_keeps_its_query_plans() {
    use sea_orm::{ConnectionTrait, Statement};
    let app = spawn_app(Backend::Sqlite).await;
    let sql = "SELECT sqlite_compileoption_used('ENABLE_QPSG') AS used";
    let row = app.db.query_one_raw(Statement::from_string(app.db.get_database_backend(), sql)).await.unwrap().unwrap();
    assert_eq!(row.try_get::<i32>("", "used").unwrap(), 1);
}

/// On PostgreSQL the check writer's connections plan each statement once (generic plans); the
/// server's other connections, which also run reports over date ranges, keep PostgreSQL's default.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_postgres_check_writer_plans_each_statement_once() {
    use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
    async fn plan_cache_mode(db: &DatabaseConnection) -> String {
        let row = db.query_one_raw(Statement::from_string(DbBackend::Postgres, "SHOW plan_cache_mode")).await.unwrap();
        row.unwrap().try_get("", "plan_cache_mode").unwrap()
    }
    let database = common::TestDatabase::create(Backend::Postgres).await;
    let writer = tollgate_server::database::connect_check_writer(&database.url).await.unwrap();
    let shared = tollgate_server::database::connect(&database.url).await.unwrap();
    assert_eq!(plan_cache_mode(&writer).await, "force_generic_plan");
    assert_eq!(plan_cache_mode(&shared).await, "auto");
}
