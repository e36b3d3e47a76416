//! Property test over the API: random and hostile JSON (huge numbers, negatives, unicode, wrong types,
//! oversized batches, wrong content types) never yields a 5xx, every error is a JSON error body,
//! and nothing invalid reaches the ledger, the counters or the aggregates.

use crate::common;

use app::backend::entities::usage_event;
use app::backend::services::reconcile::reconcile;
use common::fixtures::{add_budget, organization, BudgetSpec};
use common::{spawn_app, Backend, TestApp};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};
use rust_decimal::Decimal;
use sea_orm::EntityTrait;
use serde_json::{json, Value};

fn nasty_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        Just(json!(i64::MAX)),
        Just(json!(u64::MAX)),
        Just(json!(-1)),
        Just(json!(1e300)),
        Just(json!(0.5)),
        Just(json!("1e30")),
        Just(json!("-0.01")),
        Just(json!("99999999999999999999999999999")),
        Just(json!("0.0000000001")),
        Just(json!("")),
        Just(json!("gpt-4o")),
        Just(json!("chatbot")),
        Just(json!("llm")),
        Just(json!("2026-11-18T09:00:00Z")),
        Just(json!("9999-12-31T23:59:59Z")),
        ".{0,40}".prop_map(Value::String),
        "\\PC{0,300}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,12}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

const FIELDS: [&str; 16] = [
    "user",
    "project",
    "category",
    "model",
    "provider",
    "estimated_input_tokens",
    "max_output_tokens",
    "estimated_cost",
    "currency",
    "critical",
    "reserve",
    "ttl_seconds",
    "event_id",
    "occurred_at",
    "input_tokens",
    "output_tokens",
];

/// The endpoints the hostile bodies go to, in the order `valid_base` takes.
const CHECK: usize = 0;
const USAGE: usize = 1;
const SETTLE: usize = 2;

/// A valid body of the endpoint: the fields it accepts (unknown ones are refused) with sane values.
fn valid_base(endpoint: usize) -> Value {
    let all = json!({ "user": "ada", "project": "chatbot", "category": "llm", "model": "gpt-4o",
                      "estimated_input_tokens": 100, "max_output_tokens": 100, "event_id": "base",
                      "occurred_at": "2026-11-18T09:00:00Z", "input_tokens": 100, "output_tokens": 10 });
    let accepted: &[&str] = match endpoint {
        CHECK => &["user", "project", "category", "model", "estimated_input_tokens", "max_output_tokens"],
        USAGE => &["user", "project", "category", "model", "event_id", "occurred_at", "input_tokens", "output_tokens"],
        _ => &["input_tokens", "output_tokens"],
    };
    accepted.iter().map(|field| (field.to_string(), all[field].clone())).collect()
}

/// A valid body of the endpoint with some fields replaced by (or added as) hostile values, or an
/// entirely random value.
fn hostile_body(endpoint: usize) -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => prop::collection::vec((prop::sample::select(FIELDS.to_vec()), nasty_value()), 1..4).prop_map(move |changes| {
            let mut body = valid_base(endpoint);
            for (field, value) in changes {
                body[field] = value;
            }
            body
        }),
        1 => nasty_value(),
        1 => prop::collection::vec(nasty_value(), 0..3).prop_map(|events| json!({ "events": events })),
    ]
}

async fn send(app: &TestApp, key: &str, path: &str, body: &Value, content_type: &str) -> (u16, Value) {
    let response = app
        .client
        .post(format!("{}{path}", app.address))
        .bearer_auth(key)
        .header("content-type", content_type)
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or_else(|_| panic!("{status} body is not JSON: {text}")))
}

async fn hostile_requests_never_break_the_api(backend: Backend) {
    let app = spawn_app(backend).await;
    let fx = organization(&app, "UTC").await;
    add_budget(&app, fx.org_id, BudgetSpec::cost("project", fx.project_id, Decimal::from(1000))).await;
    let held = app.post_json(&fx.key, "/api/v1/check", valid_base(CHECK)).await.1;
    let reservation = held["reservation_id"].as_str().unwrap().to_owned();
    let settle_path = format!("/api/v1/reservations/{reservation}/settle");

    let huge = json!(i64::MAX);
    let explicit = [
        (
            "/api/v1/check",
            json!({ "user": "ada", "project": "chatbot", "category": "llm", "model": "gpt-4o",
                                  "estimated_input_tokens": huge, "max_output_tokens": huge }),
        ),
        (
            "/api/v1/usage",
            json!({ "event_id": "huge", "occurred_at": "2026-11-18T09:00:00Z", "user": "ada",
                                  "project": "chatbot", "category": "llm", "model": "gpt-4o",
                                  "input_tokens": huge, "output_tokens": huge, "operations": huge }),
        ),
        (settle_path.as_str(), json!({ "input_tokens": huge, "output_tokens": huge })),
    ];
    for (path, body) in explicit {
        let (status, answer) = send(&app, &fx.key, path, &body, "application/json").await;
        assert_eq!(status, 422, "{path} {body} -> {answer}");
    }

    let mut runner = TestRunner::new(Config { cases: 96, failure_persistence: None, ..Config::default() });
    let mut cases = Vec::new();
    let strategy = prop::sample::select(vec![CHECK, USAGE, SETTLE]).prop_flat_map(|endpoint| {
        (hostile_body(endpoint), Just(endpoint), prop::sample::select(vec!["application/json", "text/plain"]))
    });
    for _ in 0..96 {
        cases.push(strategy.new_tree(&mut runner).unwrap().current());
    }
    for (body, endpoint, content_type) in cases {
        let path = ["/api/v1/check", "/api/v1/usage", settle_path.as_str()][endpoint];
        let (status, answer) = send(&app, &fx.key, path, &body, content_type).await;
        assert!(status < 500, "{path} {body} -> {status} {answer}");
        if status >= 400 {
            assert!(answer["error"]["code"].is_string() && answer["error"]["message"].is_string(), "{answer}");
        }
    }
    let oversized = json!({ "events": vec![valid_base(USAGE); 1001] });
    assert_eq!(send(&app, &fx.key, "/api/v1/usage", &oversized, "application/json").await.0, 422);

    for e in usage_event::Entity::find().all(&app.db).await.unwrap() {
        assert!(e.input_tokens >= 0 && e.output_tokens >= 0 && e.operations >= 0 && e.cost >= 0, "{e:?}");
    }
    assert_eq!(reconcile(&app.db).await.unwrap(), vec![], "stored figures still match the ledger");
}
on_both_databases!(hostile_input, hostile_requests_never_break_the_api);
